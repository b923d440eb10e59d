import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Files runs produced, stored once per content: `blobs/ab/abcdef…` named by sha256. */
export class BlobStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  #path(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  put(bytes: Uint8Array): string {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const target = this.#path(sha256);
    if (!existsSync(target)) {
      mkdirSync(join(this.dir, sha256.slice(0, 2)), { recursive: true });
      const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, target); // atomic: readers never see half a file
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
    if (/^[0-9a-f]{64}$/.test(sha256)) rmSync(this.#path(sha256), { force: true });
  }
}
