/**
 * The runtime assets' manifest: for each allowlisted file its size, a version (the first 16
 * hex digits of its SHA-256, put in the URL so the file can be cached for good) and its
 * Subresource Integrity hash (SHA-384), which the browser SDK checks before it hands the bytes
 * to a worker.
 *
 * Files are hashed lazily, once per process, by streaming them (clang's core is 75 MB: one
 * read feeds both hashes, a chunk at a time, so the event loop is never held for long). A hash
 * is kept while the file's size and mtime stay the same, so a reinstall is picked up.
 */
import { createHash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { stat } from "node:fs/promises";

export interface ManifestEntry {
  /** Relative to the manifest's own URL: the logical name with `?v=<version>`. */
  url: string;
  bytes: number;
  integrity: string;
}

/** The shape the browser SDK reads; `version` changes only if the shape does. */
export interface AssetManifest {
  version: 1;
  files: Record<string, ManifestEntry>;
}

export interface AssetHash {
  /** First 16 hex digits of the SHA-256. */
  version: string;
  /** `sha384-<base64>`. */
  integrity: string;
}

export interface AssetFile {
  path: string;
  stats: Stats;
  hash: AssetHash;
}

async function hashFile(path: string): Promise<AssetHash> {
  const sha256 = createHash("sha256");
  const sha384 = createHash("sha384");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    sha256.update(chunk as Buffer);
    sha384.update(chunk as Buffer);
  }
  return { version: sha256.digest("hex").slice(0, 16), integrity: `sha384-${sha384.digest("base64")}` };
}

export class AssetCatalogue {
  /** `path:size:mtime` → the hash of that file (a promise: concurrent requests share one read). */
  readonly #hashes = new Map<string, Promise<AssetHash>>();
  readonly #reportedMissing = new Set<string>();

  constructor(
    private readonly files: ReadonlyMap<string, string | undefined>,
    /** Told once per asset that is not on disk (not installed, not built). */
    private readonly onMissing: (name: string, path: string | undefined) => void,
  ) {}

  /** Whether `name` is on the allowlist (whether or not its file exists). */
  has(name: string): boolean {
    return this.files.has(name);
  }

  /** The file behind `name` with its current hash, or undefined when it is not allowlisted or not on disk. */
  async get(name: string): Promise<AssetFile | undefined> {
    if (!this.files.has(name)) return undefined;
    const path = this.files.get(name);
    const stats = path ? await stat(path).catch(() => undefined) : undefined;
    if (!path || !stats?.isFile()) {
      if (!this.#reportedMissing.has(name)) {
        this.#reportedMissing.add(name);
        this.onMissing(name, path);
      }
      return undefined;
    }
    const key = `${path}:${stats.size}:${stats.mtimeMs}`;
    let hash = this.#hashes.get(key);
    if (!hash) {
      hash = hashFile(path);
      this.#hashes.set(key, hash);
      // A failed read is not remembered: the next request tries again.
      hash.catch(() => this.#hashes.delete(key));
    }
    return { path, stats, hash: await hash };
  }

  /** Every asset on disk, hashed. Files are hashed one after another: the first manifest of a process takes about a second. */
  async manifest(): Promise<AssetManifest> {
    const files: Record<string, ManifestEntry> = {};
    for (const name of this.files.keys()) {
      const file = await this.get(name);
      if (file) files[name] = { url: `${name}?v=${file.hash.version}`, bytes: file.stats.size, integrity: file.hash.integrity };
    }
    return { version: 1, files };
  }
}
