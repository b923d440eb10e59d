/**
 * What the server keeps on disk, in all: run history (the SQLite file) and stored output
 * files (blobs). Retention deletes finished runs past WASMBOX_RETENTION_DAYS; the cap
 * WASMBOX_MAX_STORED_BYTES bounds the total: past it, expired runs go at once, and if that
 * is not enough new runs are refused with 507 STORAGE_FULL (history is never dropped early).
 */
import { WasmboxError } from "@wasmbox/node";
import type { ServerConfig } from "./config.js";
import type { BlobStore } from "./store/blobs.js";
import { databaseBytes, type Db } from "./store/database.js";
import type { RunStore } from "./store/runs.js";

/** How often a full store re-runs the retention sweep before refusing (it scans the runs table). */
const SWEEP_EVERY_MS = 30_000;

export class Storage {
  #lastSweep = 0;

  constructor(
    private readonly db: Db,
    private readonly runs: RunStore,
    private readonly blobs: BlobStore,
    private readonly config: ServerConfig,
  ) {}

  /** Bytes of history and stored files. */
  get bytes(): number {
    return databaseBytes(this.db) + this.blobs.bytes;
  }

  /** Whether `extra` more bytes fit under the cap. */
  room(extra: number): boolean {
    return this.config.maxStoredBytes === 0 || this.bytes + extra <= this.config.maxStoredBytes;
  }

  /** Delete finished runs past retention and the files no run refers to any more. Returns how many runs. */
  sweep(now = Date.now()): number {
    this.#lastSweep = now;
    if (this.config.retentionDays <= 0) return 0;
    const { deleted, orphanedBlobs } = this.runs.deleteFinishedBefore(now - this.config.retentionDays * 86_400_000);
    for (const sha of orphanedBlobs) this.blobs.delete(sha);
    return deleted;
  }

  /** Throws 507 STORAGE_FULL when the store is at its cap even after expired runs are gone. */
  assertRoom(): void {
    const cap = this.config.maxStoredBytes;
    if (cap === 0 || this.bytes < cap) return;
    if (Date.now() - this.#lastSweep > SWEEP_EVERY_MS) this.sweep();
    const bytes = this.bytes;
    if (bytes < cap) return;
    throw new WasmboxError(
      "STORAGE_FULL",
      `the server's stored run history and files (${bytes} bytes) reached WASMBOX_MAX_STORED_BYTES=${cap}, so it takes no new runs; ` +
        `the operator can raise WASMBOX_MAX_STORED_BYTES, or lower WASMBOX_RETENTION_DAYS (now ${this.config.retentionDays}) so older runs are deleted`,
    );
  }
}
