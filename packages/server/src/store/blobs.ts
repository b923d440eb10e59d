import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Owner-only: stored files are other people's program output. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Files runs produced, stored once per content: `blobs/ab/abcdef…` named by sha256,
 * readable by the server's user only. Keeps a running total of the bytes it holds.
 */
export class BlobStore {
  #bytes = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    this.#bytes = scan(dir);
  }

  /** Bytes of all stored files. */
  get bytes(): number {
    return this.#bytes;
  }

  #path(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  static hash(bytes: Uint8Array): string {
    return createHash("sha256").update(bytes).digest("hex");
  }

  has(sha256: string): boolean {
    return /^[0-9a-f]{64}$/.test(sha256) && existsSync(this.#path(sha256));
  }

  put(bytes: Uint8Array): string {
    const sha256 = BlobStore.hash(bytes);
    const target = this.#path(sha256);
    if (!existsSync(target)) {
      mkdirSync(join(this.dir, sha256.slice(0, 2)), { recursive: true, mode: DIR_MODE });
      const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
      writeFileSync(tmp, bytes, { mode: FILE_MODE });
      renameSync(tmp, target); // atomic: readers never see half a file
      this.#bytes += bytes.byteLength;
    }
    return sha256;
  }

  get(sha256: string): Buffer | undefined {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    try {
      return readFileSync(this.#path(sha256));
    } catch {
      return undefined;
    }
  }

  delete(sha256: string): void {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return;
    const path = this.#path(sha256);
    try {
      this.#bytes -= statSync(path).size;
    } catch {
      return; // already gone
    }
    rmSync(path, { force: true });
  }
}

/** Total bytes under `dir`; also tightens what an older version left readable to others. */
function scan(dir: string): number {
  let total = 0;
  tighten(dir, DIR_MODE);
  for (const sub of readdirSync(dir, { withFileTypes: true })) {
    if (!sub.isDirectory()) continue;
    const subdir = join(dir, sub.name);
    tighten(subdir, DIR_MODE);
    for (const f of readdirSync(subdir, { withFileTypes: true })) {
      if (!f.isFile()) continue;
      const path = join(subdir, f.name);
      const stat = statSync(path);
      if (f.name.endsWith(".tmp")) {
        if (Date.now() - stat.mtimeMs > 3600_000) rmSync(path, { force: true }); // a write a crash interrupted
        continue;
      }
      total += stat.size;
      tighten(path, FILE_MODE);
    }
  }
  return total;
}

function tighten(path: string, mode: number): void {
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  } catch {
    // not ours to change (another owner): leave it
  }
}
