/**
 * Compiled modules, keyed by sha256(tenant + language + compiler version + options + source +
 * the request's headers). Kept in memory (LRU, bounded by count and bytes) and on disk
 * next to the Python snapshot. A disk entry is trusted only if the module's own sha256
 * matches its record; a bad or missing entry is a miss, never an error.
 *
 * The tenant is part of every key: a hit (`compile.cached`, or a faster answer) only ever
 * comes from the same tenant's earlier build, so one tenant cannot learn whether another
 * compiled a given source.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { compileKeyMaterial, crashSummary as summarizeCrash, type CompiledModule, type Diagnostic, type ExecuteRequest } from "@wasmbox/core";
import { makePrivateDir } from "./snapshot-cache.js";

export type { CompiledModule };
/** Read from a module's export section; lives in core (the engine checks builds with it). */
export { wasmExportNames } from "@wasmbox/core";

interface DiskRecord {
  sha256: string;
  diagnostics: Diagnostic[];
  output: string;
}

/**
 * The cache key of a request's build: sha256 of everything that changes the module (see
 * `compileKeyMaterial` in core; the engine hands that to `NodeSandboxHost.compileCache`,
 * which names entries by this hash).
 * @param tenant whose cache this is (undefined: the shared tenant of library and CLI use)
 */
export function compileKey(request: ExecuteRequest, filename: string, compilerVersion: string, tenant?: string): string {
  return sha256Hex(compileKeyMaterial(request, filename, compilerVersion, tenant));
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
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
      // The cache and the folder holding it are the host user's alone (0700, files 0600).
      makePrivateDir(dirname(this.#dir));
      makePrivateDir(this.#dir);
      const record: DiskRecord = { sha256: createHash("sha256").update(entry.module).digest("hex"), diagnostics: entry.diagnostics, output: entry.output };
      // Write then rename, module first: a reader never sees a record without its module.
      for (const [name, data] of [
        [`${key}.wasm`, entry.module],
        [`${key}.json`, JSON.stringify(record)],
      ] as const) {
        const tmp = join(this.#dir, `.${name}.${randomUUID()}.tmp`);
        writeFileSync(tmp, data, { mode: 0o600 });
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

const STACK_FRAME = /^\s*at\s.*(?:\(.*\)|:\d+(?::\d+)?|wasm-function\[\d+\]\S*|<anonymous>|native)\s*$/;

/**
 * Compiler output without host details: stack frames of the compiler's own code, and the
 * host's own locations (the packages a sandbox reads, the Node binary, the sandbox's
 * working directory, `file://` URLs). The program's diagnostics are left as they are.
 */
export function scrubCompilerOutput(text: string, hostPaths: readonly string[]): string {
  if (!text) return text;
  let out = text
    .split("\n")
    .filter((line) => !STACK_FRAME.test(line))
    .join("\n")
    .replace(/\bfile:\/\/[^\s'"()<>]*/g, "…");
  // A marker no compiler output contains, so only what a host location began is cut after it.
  const marker = "\u{10FFFF}host\u{10FFFF}";
  for (const root of hostLocations(hostPaths)) out = out.split(root).join(marker);
  return out.replace(/\u{10FFFF}host\u{10FFFF}[^\s'"()<>:,]*(?::\d+)*/gu, "…");
}

/** A compiler's crash as a short reason: the first line of what it said, without any path. */
export function crashSummary(crash: string, hostPaths: readonly string[]): string {
  return summarizeCrash(crash, (text) => scrubCompilerOutput(text, hostPaths));
}

let locations: string[] | undefined;
function hostLocations(hostPaths: readonly string[]): string[] {
  locations ??= [
    ...new Set(
      [...hostPaths, dirname(process.execPath), process.execPath, process.cwd(), join(tmpdir(), "wasmbox-")]
        // Never a short root like "/" or "/tmp" alone: those also appear in programs' own text.
        .filter((p) => p.split("/").filter(Boolean).length >= 2),
    ),
  ].sort((a, b) => b.length - a.length);
  return locations;
}
