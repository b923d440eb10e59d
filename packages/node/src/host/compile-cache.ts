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
import { ASC_SOURCE_FILES, buildInputs, C_SOURCE_FILES, type Diagnostic, type ExecuteRequest, stackBytesOf } from "@wasmbox/core";
import { makePrivateDir } from "./snapshot-cache.js";

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

/**
 * Bumped whenever what a build depends on changes beyond the key's fields (how wasmbox
 * builds the compiler's command line or source tree): older entries are never read again.
 * 2: inputs by normalised path, per-tenant keys.
 * 3: C/C++ link with a native-like stack (8 MiB, stack first) and export `__stack_pointer`.
 */
const FORMAT = 3;

/**
 * The cache key of a request's build: everything that changes the module. `inputs` are the
 * build's files exactly as the compiler sees them (normalised paths, collisions resolved),
 * so two requests with one key give the compiler the same tree.
 * @param tenant whose cache this is (undefined: the shared tenant of library and CLI use)
 */
export function compileKey(request: ExecuteRequest, filename: string, compilerVersion: string, tenant?: string): string {
  const inputs = buildInputs(request.files, request.language === "assemblyscript" ? ASC_SOURCE_FILES : C_SOURCE_FILES);
  return createHash("sha256")
    .update(
      JSON.stringify({
        format: FORMAT,
        tenant: tenant ?? null,
        language: request.language,
        compiler: compilerVersion,
        optimize: request.compile?.optimize ?? "2",
        flags: request.compile?.flags ?? [],
        // The stack a C/C++ build gets, default included: a new default is a new build.
        stackBytes: request.language === "assemblyscript" ? null : stackBytesOf(request.compile?.flags ?? []),
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

/**
 * The names a wasm module exports, read from its export section; null if the bytes are not
 * a well-formed module header/section layout. Used to check a build before it is cached.
 */
export function wasmExportNames(bytes: Uint8Array): string[] | null {
  if (bytes.byteLength < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return null;
  let at = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (at >= bytes.byteLength || shift > 28) throw new RangeError("bad LEB128");
      const b = bytes[at++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  };
  try {
    while (at < bytes.byteLength) {
      const id = bytes[at++]!;
      const size = leb();
      const end = at + size;
      if (end > bytes.byteLength) return null;
      if (id === 7) {
        const names: string[] = [];
        const count = leb();
        const decoder = new TextDecoder();
        for (let i = 0; i < count; i++) {
          const length = leb();
          if (at + length > end) return null;
          names.push(decoder.decode(bytes.subarray(at, at + length)));
          at += length;
          at++; // export kind
          leb(); // index
        }
        return names;
      }
      at = end;
    }
    return [];
  } catch {
    return null;
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
  const text = scrubCompilerOutput(crash.replace(/^the sandbox crashed: /, ""), hostPaths);
  const first = text.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  const reason = first.replace(/(?:file:\/\/)?(?:\/[^\s'"():]+)+(?::\d+)*/g, "…").slice(0, 200);
  return reason || "no reason given";
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
