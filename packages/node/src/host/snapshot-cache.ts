/**
 * The Python baseline snapshot on disk: built once per Pyodide version and recipe, inside
 * a sandbox where no guest code has ever run, then reused by every Python sandbox.
 * Verified (sha256) when loaded; missing, corrupt or stale files are rebuilt, and any
 * failure falls back to booting without a snapshot — never a crash.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SHARED_LIBRARIES_MARK, SNAPSHOT_RECIPE, type PackageWheel } from "@wasmbox/core";
import type { NodeAssets } from "./assets.js";
import type { IsolationPlan } from "./isolation.js";
import { SandboxProcess } from "./sandbox-process.js";
import { defaultCacheDir, makePrivateDir } from "./cache-dir.js";

export { defaultCacheDir, makePrivateDir };

const FORMAT = 1;

export interface SnapshotCacheOptions {
  assets: NodeAssets;
  isolation: IsolationPlan;
  /** Where snapshots are kept. Default: see {@link defaultCacheDir}. */
  cacheDir?: string | undefined;
  /** Told about rebuilds and fallbacks (default: silent). */
  log?: (message: string) => void;
  /** A snapshot with these packages installed and imported (a package set's pool), instead of the baseline. */
  packages?: readonly PackageWheel[];
}

interface Meta {
  format: number;
  key: string;
  sha256: string;
  size: number;
  createdAt: string;
}

/** A verified snapshot: its bytes, and the file they came from (so sandboxes can read it themselves). */
export interface PythonSnapshot {
  bytes: Uint8Array;
  path: string | null;
}

/** The cache key: anything that changes the snapshot's meaning changes the key. */
export function snapshotKey(assets: NodeAssets, packages: readonly PackageWheel[] = []): string {
  const wasm = statSync(join(assets.assets.pyodideIndexURL, "pyodide.asm.wasm"));
  const wheels = packages.map((w) => [w.name, w.version, w.sha256]);
  const material = JSON.stringify({ format: FORMAT, pyodide: assets.versions.pyodide, wasmBytes: wasm.size, recipe: SNAPSHOT_RECIPE, ...(wheels.length ? { wheels } : {}) });
  return createHash("sha256").update(material).digest("hex").slice(0, 20);
}

/** The verified snapshot bytes, building and caching them if needed; null if that failed. */
export async function loadOrBuildPythonSnapshot(options: SnapshotCacheOptions): Promise<PythonSnapshot | null> {
  const log = options.log ?? (() => {});
  try {
    const dir = options.cacheDir ?? defaultCacheDir();
    const packages = options.packages ?? [];
    const key = snapshotKey(options.assets, packages);
    const file = join(dir, `python-${key}.snapshot`);
    if (isVerified(file, key)) return lazySnapshot(file);
    // A set whose packages load shared libraries cannot be snapshotted; known once, not retried.
    if (packages.length && existsSync(`${file}.refused`)) return null;
    const what = packages.length ? `the Python snapshot with ${packages.map((w) => w.name).join(", ")} imported` : "the Python baseline snapshot";
    log(`building ${what} (${file}); this happens once per Pyodide version${packages.length ? " and package set" : ""}`);
    const sandbox = SandboxProcess.start({
      kind: "python",
      assets: options.assets,
      isolation: options.isolation,
      mode: "snapshot",
      startTimeoutMs: 300_000,
      ...(packages.length ? { packages: Promise.resolve({ wheels: [...packages], imported: false }) } : {}),
    });
    let bytes: Uint8Array;
    try {
      await sandbox.ready;
      bytes = await sandbox.snapshot!;
    } catch (e) {
      if (packages.length && e instanceof Error && e.message.includes(SHARED_LIBRARIES_MARK)) {
        makePrivateDir(dir);
        writeFileSync(`${file}.refused`, e.message, { mode: 0o600 });
      }
      throw e;
    } finally {
      await sandbox.dispose();
    }
    try {
      write(file, key, bytes);
      return { bytes, path: file };
    } catch (e) {
      log(`could not cache the snapshot in ${dir}: ${e instanceof Error ? e.message : String(e)}; it is used for this process only`);
      return { bytes, path: null };
    }
  } catch (e) {
    log(`no Python snapshot (booting from scratch instead): ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

/**
 * Whether the cached file is the snapshot its metadata describes. Hashing 30 MB costs tens of
 * ms at every engine start (each CLI run), so a file already hashed carries a stamp beside it:
 * its device, inode, size and change times, which any write or replacement changes (the
 * kernel sets ctime; no unprivileged process can set it back). A matching stamp stands for
 * the hash; anything else is hashed again.
 */
function isVerified(file: string, key: string): boolean {
  let meta: Meta;
  try {
    meta = JSON.parse(readFileSync(`${file}.json`, "utf8")) as Meta;
  } catch {
    return false; // missing: build it
  }
  if (meta.format !== FORMAT || meta.key !== key) return false;
  const stamp = fileStamp(file);
  if (stamp === null) return false;
  try {
    const seen = JSON.parse(readFileSync(`${file}.verified`, "utf8")) as { stamp?: unknown; sha256?: unknown };
    if (seen.stamp === stamp && seen.sha256 === meta.sha256) return true;
  } catch {
    // not hashed yet, or the stamp is unreadable: hash it
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return false;
  }
  if (meta.size !== bytes.byteLength || createHash("sha256").update(bytes).digest("hex") !== meta.sha256) return false;
  // The stamp of the file as it was hashed: changed meanwhile, it is hashed again next time.
  if (fileStamp(file) === stamp) {
    try {
      writeFileSync(`${file}.verified`, JSON.stringify({ stamp, sha256: meta.sha256 }), { mode: 0o600 });
    } catch {
      // a read-only cache: hash every time
    }
  }
  return true;
}

function fileStamp(file: string): string | null {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return null;
  }
}

/** A verified snapshot file whose bytes are read only if a sandbox cannot read the file itself. */
function lazySnapshot(file: string): PythonSnapshot {
  let bytes: Uint8Array | undefined;
  return {
    path: file,
    get bytes() {
      if (!bytes) {
        const b = readFileSync(file);
        bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      }
      return bytes;
    },
  };
}

function write(file: string, key: string, bytes: Uint8Array): void {
  makePrivateDir(dirname(file));
  const meta: Meta = {
    format: FORMAT,
    key,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.byteLength,
    createdAt: new Date().toISOString(),
  };
  // Write both, then rename: a concurrent reader sees the old pair or the new one, never half.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes, { mode: 0o600 });
  writeFileSync(`${tmp}.json`, JSON.stringify(meta), { mode: 0o600 });
  renameSync(tmp, file);
  renameSync(`${tmp}.json`, `${file}.json`);
}
