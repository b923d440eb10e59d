/**
 * Compiled modules, keyed by sha256(language + compiler version + options + source +
 * the request's headers). Kept in memory (LRU, bounded by count and bytes) and on disk
 * next to the Python snapshot. A disk entry is trusted only if the module's own sha256
 * matches its record; a bad or missing entry is a miss, never an error.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ASC_SOURCE_FILES, buildInputs, C_SOURCE_FILES, type Diagnostic, type ExecuteRequest } from "@wasmbox/core";

export interface CompiledModule {
  module: Uint8Array;
  diagnostics: Diagnostic[];
  output: string;
}

interface DiskRecord {
  sha256: string;
  diagnostics: Diagnostic[];
  output: string;
}

const FORMAT = 1;

/** The cache key of a request's build. */
export function compileKey(request: ExecuteRequest, filename: string, compilerVersion: string): string {
  const inputs = buildInputs(request.files, request.language === "assemblyscript" ? ASC_SOURCE_FILES : C_SOURCE_FILES);
  return createHash("sha256")
    .update(
      JSON.stringify({
        format: FORMAT,
        language: request.language,
        compiler: compilerVersion,
        optimize: request.compile?.optimize ?? "2",
        flags: request.compile?.flags ?? [],
        reactor: request.wasm?.invoke !== undefined,
        filename,
        code: request.code,
        inputs,
      }),
    )
    .digest("hex");
}

export interface CompileCacheOptions {
  /** Directory for on-disk entries; null keeps the cache in memory only. */
  dir: string | null;
  /** In memory: entries and bytes kept (least recently used go first). */
  maxEntries?: number;
  maxBytes?: number;
  /** On disk: modules kept; the oldest are removed beyond it. Default 1000. */
  maxDiskEntries?: number;
}

export class CompileCache {
  readonly #memory = new Map<string, CompiledModule>();
  #bytes = 0;
  readonly #dir: string | null;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxDiskEntries: number;
  #writes = 0;
  hits = 0;
  misses = 0;

  constructor(options: CompileCacheOptions) {
    this.#dir = options.dir === null ? null : join(options.dir, "modules");
    this.#maxEntries = options.maxEntries ?? 256;
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.#maxDiskEntries = options.maxDiskEntries ?? 1000;
  }

  get(key: string): CompiledModule | undefined {
    const hit = this.#memory.get(key) ?? this.#readDisk(key);
    if (!hit) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#remember(key, hit);
    return hit;
  }

  set(key: string, entry: CompiledModule): void {
    this.#remember(key, entry);
    this.#writeDisk(key, entry);
  }

  #remember(key: string, entry: CompiledModule): void {
    const old = this.#memory.get(key);
    if (old) {
      this.#memory.delete(key);
      this.#bytes -= old.module.byteLength;
    }
    this.#memory.set(key, entry);
    this.#bytes += entry.module.byteLength;
    for (const [k, v] of this.#memory) {
      if (this.#memory.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#memory.delete(k);
      this.#bytes -= v.module.byteLength;
    }
  }

  #readDisk(key: string): CompiledModule | undefined {
    if (!this.#dir) return undefined;
    try {
      const record = JSON.parse(readFileSync(join(this.#dir, `${key}.json`), "utf8")) as DiskRecord;
      const module = new Uint8Array(readFileSync(join(this.#dir, `${key}.wasm`)));
      if (createHash("sha256").update(module).digest("hex") !== record.sha256) return undefined;
      return { module, diagnostics: Array.isArray(record.diagnostics) ? record.diagnostics : [], output: String(record.output ?? "") };
    } catch {
      return undefined;
    }
  }

  /** Keep the directory bounded: drop the oldest modules (and their records) beyond the cap. */
  #prune(): void {
    const dir = this.#dir!;
    const modules = readdirSync(dir)
      .filter((f) => f.endsWith(".wasm") && !f.startsWith("."))
      .map((f) => ({ f, mtime: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const { f } of modules.slice(this.#maxDiskEntries)) {
      rmSync(join(dir, f.replace(/\.wasm$/, ".json")), { force: true });
      rmSync(join(dir, f), { force: true });
    }
  }

  #writeDisk(key: string, entry: CompiledModule): void {
    if (!this.#dir) return;
    try {
      mkdirSync(this.#dir, { recursive: true });
      const record: DiskRecord = { sha256: createHash("sha256").update(entry.module).digest("hex"), diagnostics: entry.diagnostics, output: entry.output };
      // Write then rename, module first: a reader never sees a record without its module.
      for (const [name, data] of [
        [`${key}.wasm`, entry.module],
        [`${key}.json`, JSON.stringify(record)],
      ] as const) {
        const tmp = join(this.#dir, `.${name}.${randomUUID()}.tmp`);
        writeFileSync(tmp, data);
        renameSync(tmp, join(this.#dir, name));
      }
      if (++this.#writes % 32 === 1) this.#prune();
    } catch {
      // A read-only or full disk only costs a recompile next time.
      try {
        rmSync(join(this.#dir, `${key}.json`), { force: true });
      } catch {
        // nothing more to do
      }
    }
  }
}
