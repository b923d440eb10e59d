/**
 * The package store: verified wheels in the cache directory, and the lock entries that pin
 * them. `fetch` is the only part that reads a network or a distribution; a run resolves and
 * reads the store alone, re-checking each wheel's sha256, so after one fetch everything runs
 * offline and a wheel changed on disk is refused.
 *
 * Layout under `<cacheDir>/packages/`: `wheels/<file name>`, `distribution-lock.json` (the
 * lock of the distribution fetched from, when it had one) and `extra-lock.json` (packages
 * from an index or a folder of wheels, in the lock's format).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadedPackage } from "@wasmbox/contract";
import type { PackageWheel } from "@wasmbox/core";
import { locateAssets } from "../host/assets.js";
import { defaultCacheDir, makePrivateDir } from "../host/snapshot-cache.js";
import { closure, lockMismatch, normalizeName, parseLock, runtimeLock, type LockFile, type LockPackage } from "./lock.js";
import { isUrl, readCandidate, readLocation, wheelDependencies, wheelFromFolder, wheelFromIndex, wheelImports, type WheelCandidate } from "./sources.js";

/** Where `fetch` may look, in this order for each package. */
export interface PackageSources {
  /** A Pyodide distribution: a folder or an http(s) base URL with the wheels (and its pyodide-lock.json). */
  distribution?: string | undefined;
  /** A folder of pure-Python wheels (`*-py3-none-any.whl`), trusted as the operator's own. */
  wheelsDir?: string | undefined;
  /** A PyPI-compatible simple index (e.g. https://pypi.org/simple/), for pure-Python wheels. */
  indexUrl?: string | undefined;
}

type StoredEntry = LockPackage;

export interface StoredPackage {
  name: string;
  version: string;
  fileName: string;
  sizeBytes: number;
  sha256: string;
  source: string;
}

/** Why a package cannot be loaded, and the command that fixes it. */
export interface MissingPackage {
  name: string;
  /** The requested package that needs it, when it is a dependency. */
  neededBy: string | null;
  reason: "not-fetched" | "unknown" | "corrupt";
}

export type Resolution = { ok: true; wheels: PackageWheel[] } | { ok: false; missing: MissingPackage[] };

export interface FetchReport {
  fetched: StoredPackage[];
  alreadyPresent: StoredPackage[];
}

export class PackageStore {
  readonly dir: string;
  readonly #wheelsDir: string;
  readonly #runtime: LockFile;
  /** Verified wheel bytes by file, while the file's size and mtime stay what they were. */
  #lockMemo: { version: string; lock: { packages: Record<string, StoredEntry> }; imports: ReadonlyMap<string, string> | null } | null = null;
  readonly #verified = new Map<string, { sizeBytes: number; mtimeMs: number; sha256: string; bytes: Uint8Array }>();

  constructor(options: { cacheDir: string; pyodideDir: string }) {
    this.dir = join(options.cacheDir, "packages");
    this.#wheelsDir = join(this.dir, "wheels");
    this.#runtime = runtimeLock(options.pyodideDir);
  }

  /** The Python version of the runtime the store's wheels must fit. */
  get python(): string {
    return this.#runtime.info.python;
  }

  /** The lock runs resolve against: the distribution's (else the runtime's), plus packages from an index or folder. */
  lock(): { packages: Record<string, StoredEntry> } {
    // Parsed again only when a fetch changed the store (every Python run asks).
    const version = this.#version();
    if (this.#lockMemo?.version === version) return this.#lockMemo.lock;
    // The runtime's own lock underneath: a distribution's lock is the same release's, or a subset.
    const distribution = this.#readLock("distribution-lock.json");
    const extra = this.#readLock("extra-lock.json");
    const lock = { packages: { ...this.#runtime.packages, ...extra?.packages, ...distribution?.packages } };
    this.#lockMemo = { version, lock, imports: null };
    return lock;
  }

  /** Changes whenever a fetch wrote a wheel or a lock (mtimes of the store's files and folder). */
  #version(): string {
    return ["distribution-lock.json", "extra-lock.json", "wheels"].map((f) => {
      try {
        return statSync(join(this.dir, f)).mtimeMs;
      } catch {
        return 0;
      }
    }).join(":");
  }

  /** The package of the lock file (fetched or not) that provides a top-level module. */
  packageForModule(module: string): { name: string; version: string; fetched: boolean } | undefined {
    for (const [name, entry] of Object.entries(this.lock().packages)) {
      if (entry.imports.includes(module)) return { name, version: entry.version, fetched: existsSync(join(this.#wheelsDir, entry.file_name)) };
    }
    return undefined;
  }

  /** Packages in the store, verified or not yet (a later run re-checks each). */
  list(): StoredPackage[] {
    const lock = this.lock();
    const out: StoredPackage[] = [];
    for (const entry of Object.values(lock.packages)) {
      const file = join(this.#wheelsDir, entry.file_name);
      if (!existsSync(file)) continue;
      out.push({ name: normalizeName(entry.name), version: entry.version, fileName: entry.file_name, sizeBytes: statSync(file).size, sha256: entry.sha256, source: entry.source ?? "distribution" });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Top-level module → package, for every package in the store (what import detection may load). */
  importMap(): ReadonlyMap<string, string> {
    const lock = this.lock();
    if (this.#lockMemo?.imports && this.#lockMemo.lock === lock) return this.#lockMemo.imports;
    const map = new Map<string, string>();
    for (const [name, entry] of Object.entries(lock.packages)) {
      if (!existsSync(join(this.#wheelsDir, entry.file_name))) continue;
      for (const module of entry.imports) if (!map.has(module)) map.set(module, name);
    }
    if (this.#lockMemo) this.#lockMemo.imports = map;
    return map;
  }

  /** The lock's entry for a name, fetched or not (for messages). */
  entry(name: string): StoredEntry | undefined {
    return this.lock().packages[normalizeName(name)];
  }

  /** `names` and their dependencies as verified wheels, dependencies first; or what is missing. */
  resolve(names: readonly string[]): Resolution {
    const lock = this.lock();
    const { order, unknown } = closure(lock, names);
    const missing: MissingPackage[] = unknown.map((u) => ({ ...u, reason: "unknown" }));
    const wheels: PackageWheel[] = [];
    for (const name of order) {
      const entry = lock.packages[name]!;
      const bytes = this.#readVerified(entry);
      if (bytes === "absent" || bytes === "corrupt") {
        missing.push({ name, neededBy: names.map(normalizeName).includes(name) ? null : requester(lock, names, name), reason: bytes === "absent" ? "not-fetched" : "corrupt" });
        continue;
      }
      wheels.push({ name, version: entry.version, fileName: entry.file_name, sha256: entry.sha256, installDir: entry.install_dir, imports: entry.imports, bytes });
    }
    return missing.length ? { ok: false, missing } : { ok: true, wheels };
  }

  /**
   * Download `names` and their dependencies into the store, verifying each wheel's sha256
   * against the distribution's lock (or the index's hash) before it is kept: a mismatch is
   * refused and nothing of it is written.
   */
  async fetch(names: readonly string[], sources: PackageSources, log: (line: string) => void = () => {}): Promise<FetchReport> {
    makePrivateDir(this.#wheelsDir);
    if (sources.distribution) await this.#adoptDistributionLock(sources.distribution, log);
    const report: FetchReport = { fetched: [], alreadyPresent: [] };
    const extra = this.#readLock("extra-lock.json") ?? { info: this.#runtime.info, packages: {} };
    const seen = new Set<string>();
    const queue = names.map((n) => ({ name: normalizeName(n), neededBy: null as string | null }));
    const problems: string[] = [];
    while (queue.length) {
      const { name, neededBy } = queue.shift()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const lock = this.lock();
      let entry: StoredEntry | undefined = lock.packages[name];
      const via = neededBy ? ` (needed by ${neededBy})` : "";
      // In the distribution (its lock pins the wheel and its hash), unless only a folder or an
      // index was named to fetch from: then the version there is the one kept.
      const fromDistribution = sources.distribution !== undefined || (sources.wheelsDir === undefined && sources.indexUrl === undefined);
      if (entry && entry.source === undefined && fromDistribution) {
        const present = this.#readVerified(entry);
        if (present instanceof Uint8Array) report.alreadyPresent.push(this.#describe(entry, present.byteLength));
        else if (!sources.distribution) {
          problems.push(`${name} ${entry.version}${via} is in Pyodide's lock file but not in the store: name the distribution to fetch it from (--from DIR|URL, or WASMBOX_PYODIDE_PACKAGES)`);
          continue;
        } else {
          const bytes = await readLocation(sources.distribution, entry.file_name);
          if (!bytes) {
            problems.push(`${entry.file_name}${via} is not in the distribution at ${sources.distribution}`);
            continue;
          }
          const actual = sha256(bytes);
          if (actual !== entry.sha256) {
            problems.push(`refused ${entry.file_name}${via}: its sha256 is ${actual}, the lock file pins ${entry.sha256} (a tampered or wrong wheel; nothing was stored)`);
            continue;
          }
          this.#write(entry.file_name, bytes);
          report.fetched.push(this.#describe(entry, bytes.byteLength));
          log(`fetched ${name} ${entry.version} (${bytes.byteLength} bytes, sha256 verified)`);
        }
        for (const dep of entry.depends) queue.push({ name: dep, neededBy: name });
        continue;
      }
      // Not in the distribution: a folder of wheels, then an index.
      if (entry && entry.source !== undefined) {
        const present = this.#readVerified(entry);
        if (present instanceof Uint8Array) {
          report.alreadyPresent.push(this.#describe(entry, present.byteLength));
          for (const dep of entry.depends) queue.push({ name: dep, neededBy: name });
          continue;
        }
      }
      let candidate: WheelCandidate | null = null;
      let source = "";
      if (sources.wheelsDir) {
        candidate = wheelFromFolder(sources.wheelsDir, name);
        source = "wheels";
      }
      if (!candidate && sources.indexUrl) {
        candidate = await wheelFromIndex(sources.indexUrl, name);
        source = "index";
      }
      if (!candidate) {
        const where = [sources.distribution && "the distribution's lock file", sources.wheelsDir && `the wheels in ${sources.wheelsDir}`, sources.indexUrl && `the index ${sources.indexUrl}`].filter(Boolean).join(", ");
        problems.push(`no pure-Python wheel of ${name}${via} in ${where || "Pyodide's lock file (give --index URL or --wheels DIR for packages outside the distribution)"}`);
        continue;
      }
      if (source === "index" && candidate.sha256 === null) {
        problems.push(`refused ${candidate.fileName}${via}: the index states no sha256 for it, and only verified wheels are kept`);
        continue;
      }
      const bytes = await readCandidate(candidate);
      const actual = sha256(bytes);
      if (candidate.sha256 !== null && actual !== candidate.sha256) {
        problems.push(`refused ${candidate.fileName}${via}: its sha256 is ${actual}, the index states ${candidate.sha256} (nothing was stored)`);
        continue;
      }
      let depends: string[];
      let imports: string[];
      try {
        depends = wheelDependencies(bytes);
        imports = wheelImports(bytes);
      } catch {
        problems.push(`refused ${candidate.fileName}${via}: it is not a readable wheel (zip)`);
        continue;
      }
      entry = { name, version: candidate.version, file_name: candidate.fileName, sha256: actual, depends, imports, install_dir: "site", package_type: "package", source };
      extra.packages[name] = entry;
      this.#write(candidate.fileName, bytes);
      this.#writeLock("extra-lock.json", extra);
      report.fetched.push(this.#describe(entry, bytes.byteLength));
      log(`fetched ${name} ${entry.version} from ${source === "index" ? sources.indexUrl : sources.wheelsDir} (${bytes.byteLength} bytes${candidate.sha256 ? ", sha256 verified" : ""})`);
      for (const dep of depends) queue.push({ name: dep, neededBy: name });
    }
    if (problems.length) {
      const done = report.fetched.length ? ` (${report.fetched.length} other package(s) were fetched and kept)` : "";
      throw new Error(`could not fetch every package${done}:\n  ${problems.join("\n  ")}`);
    }
    return report;
  }

  async #adoptDistributionLock(distribution: string, log: (line: string) => void): Promise<void> {
    const bytes = await readLocation(distribution, "pyodide-lock.json");
    if (!bytes) {
      if (!isUrl(distribution) && !existsSync(distribution)) throw new Error(`the distribution ${distribution} does not exist`);
      log(`${distribution} has no pyodide-lock.json: using the installed Pyodide's lock file`);
      return;
    }
    const lock = parseLock(new TextDecoder().decode(bytes), `${distribution}/pyodide-lock.json`);
    const mismatch = lockMismatch(lock, this.#runtime);
    if (mismatch) throw new Error(`the distribution ${distribution} does not fit: ${mismatch}`);
    this.#writeLock("distribution-lock.json", lock);
  }

  /** The wheel's bytes when its file is there and matches the lock's sha256. */
  #readVerified(entry: LockPackage): Uint8Array | "absent" | "corrupt" {
    const file = join(this.#wheelsDir, entry.file_name);
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return "absent";
    }
    const memo = this.#verified.get(file);
    if (memo && memo.sizeBytes === stat.size && memo.mtimeMs === stat.mtimeMs && memo.sha256 === entry.sha256) return memo.bytes;
    const bytes = new Uint8Array(readFileSync(file));
    if (sha256(bytes) !== entry.sha256) return "corrupt";
    this.#verified.set(file, { sizeBytes: stat.size, mtimeMs: stat.mtimeMs, sha256: entry.sha256, bytes });
    return bytes;
  }

  #describe(entry: StoredEntry, sizeBytes: number): StoredPackage {
    return { name: normalizeName(entry.name), version: entry.version, fileName: entry.file_name, sizeBytes, sha256: entry.sha256, source: entry.source ?? "distribution" };
  }

  #write(fileName: string, bytes: Uint8Array): void {
    const file = join(this.#wheelsDir, fileName);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes, { mode: 0o600 });
    renameSync(tmp, file);
    this.#verified.delete(file);
  }

  #readLock(name: string): LockFile | null {
    const file = join(this.dir, name);
    if (!existsSync(file)) return null;
    return parseLock(readFileSync(file, "utf8"), file);
  }

  #writeLock(name: string, lock: LockFile | { info: LockFile["info"]; packages: Record<string, StoredEntry> }): void {
    makePrivateDir(this.dir);
    const file = join(this.dir, name);
    writeFileSync(`${file}.tmp`, JSON.stringify(lock, null, 1), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
}

/** The store of a cache directory (default: the engine's, WASMBOX_CACHE_DIR or ~/.cache/wasmbox), for the installed Pyodide. */
export function openPackageStore(cacheDir: string = defaultCacheDir()): PackageStore {
  return new PackageStore({ cacheDir, pyodideDir: locateAssets().assets.pyodideIndexURL });
}

/** What a run's record keeps of a wheel. */
export function loadedPackage(wheel: PackageWheel): LoadedPackage {
  return { name: wheel.name, version: wheel.version, sha256: wheel.sha256 };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Which requested package pulls in `dep` (for "needed by" in messages). */
function requester(lock: { packages: Record<string, LockPackage> }, names: readonly string[], dep: string): string | null {
  for (const name of names.map(normalizeName)) if (closure(lock, [name]).order.includes(dep)) return name;
  return null;
}
