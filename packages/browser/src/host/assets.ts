/**
 * The runtime files, fetched by the page (the trusted side: guest workers may not connect
 * anywhere) from where wasmbox serves them, checked against the manifest's integrity hash,
 * and kept in the page origin's Cache API so a later visit — or one with the server gone —
 * loads them from disk. Never from a CDN: the base URL is the wasmbox server's `/assets/`
 * unless the embedding site hosts them elsewhere (`assetsBaseUrl`).
 */
import { WasmboxError } from "@wasmbox/core";

export interface AssetManifest {
  version: 1;
  files: Record<string, { url: string; bytes: number; integrity: string }>;
}

/** Download progress of one runtime file. */
export interface AssetProgress {
  /** The file, as the manifest names it (`pyodide/pyodide.asm.wasm`). */
  name: string;
  loadedBytes: number;
  totalBytes: number;
  /** Served from the browser's cache (no download). */
  cached: boolean;
  done: boolean;
}

const CACHE_NAME = "wasmbox-assets-v1";

export class AssetStore {
  readonly #base: URL;
  readonly #onProgress: ((p: AssetProgress) => void) | undefined;
  #manifest: Promise<AssetManifest> | undefined;

  constructor(base: URL, onProgress?: (p: AssetProgress) => void) {
    this.#base = base;
    this.#onProgress = onProgress;
  }

  get baseUrl(): string {
    return this.#base.href;
  }

  /** The manifest: from the server (always revalidated), else the copy kept from the last visit. */
  manifest(): Promise<AssetManifest> {
    return (this.#manifest ??= this.#loadManifest());
  }

  async #loadManifest(): Promise<AssetManifest> {
    const url = new URL("manifest.json", this.#base).href;
    const cache = await openCache();
    let response: Response | undefined;
    try {
      response = await fetch(url, { cache: "no-cache", credentials: "omit" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const copy = response.clone();
      void cache?.put(url, copy).catch(() => {});
    } catch (err) {
      response = (await cache?.match(url)) ?? undefined;
      if (!response) {
        this.#manifest = undefined; // try again next time
        throw new WasmboxError("SANDBOX_START_FAILED", `cannot load wasmbox's runtime manifest from ${url} (${err instanceof Error ? err.message : String(err)}), and no copy is cached in this browser: is the wasmbox server reachable, or assetsBaseUrl right?`);
      }
    }
    const manifest = (await response.json()) as AssetManifest;
    if (manifest?.version !== 1 || typeof manifest.files !== "object" || manifest.files === null) {
      throw new WasmboxError("SANDBOX_START_FAILED", `${url} is not a wasmbox asset manifest (version 1)`);
    }
    return manifest;
  }

  /** One file's bytes, from the browser's cache or downloaded (the caller keeps them: nothing is held here). */
  file(name: string): Promise<ArrayBuffer> {
    return this.#loadFile(name);
  }

  /** What these files weigh in all, in bytes (for a progress bar before they download). */
  async totalBytes(names: readonly string[]): Promise<number> {
    const { files } = await this.manifest();
    return names.reduce((sum, n) => sum + (files[n]?.bytes ?? 0), 0);
  }

  async #loadFile(name: string): Promise<ArrayBuffer> {
    const entry = (await this.manifest()).files[name];
    if (!entry) throw new WasmboxError("SANDBOX_START_FAILED", `the wasmbox server at ${this.#base.href} does not serve ${name} (missing from its manifest.json)`);
    const url = new URL(entry.url, this.#base).href;
    const cache = await openCache();
    const hit = await cache?.match(url);
    if (hit) {
      const bytes = await hit.arrayBuffer();
      if (bytes.byteLength === entry.bytes) {
        this.#onProgress?.({ name, loadedBytes: bytes.byteLength, totalBytes: entry.bytes, cached: true, done: true });
        return bytes;
      }
    }
    let response: Response;
    try {
      response = await fetch(url, { credentials: "omit" });
    } catch (err) {
      throw new WasmboxError("SANDBOX_START_FAILED", `cannot download ${name} from ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!response.ok || !response.body) throw new WasmboxError("SANDBOX_START_FAILED", `cannot download ${name} from ${url}: HTTP ${response.status}`);
    const bytes = await readWithProgress(response.body, entry.bytes, (loadedBytes) =>
      this.#onProgress?.({ name, loadedBytes, totalBytes: entry.bytes, cached: false, done: false }),
    );
    if (!(await matchesIntegrity(bytes, entry.integrity))) {
      throw new WasmboxError("SANDBOX_START_FAILED", `${name} from ${url} does not match its integrity hash in the manifest: refusing to run it`);
    }
    this.#onProgress?.({ name, loadedBytes: bytes.byteLength, totalBytes: entry.bytes, cached: false, done: true });
    void cache?.put(url, new Response(bytes.slice(0), { headers: { "content-length": String(bytes.byteLength) } })).catch(() => {});
    return bytes;
  }
}

async function openCache(): Promise<Cache | undefined> {
  try {
    return globalThis.caches ? await caches.open(CACHE_NAME) : undefined;
  } catch {
    return undefined; // no Cache API here (an insecure context, a private window): download each visit
  }
}

async function readWithProgress(body: ReadableStream<Uint8Array>, expectedBytes: number, onChunk: (loadedBytes: number) => void): Promise<ArrayBuffer> {
  const reader = body.getReader();
  let buffer = new Uint8Array(expectedBytes > 0 ? expectedBytes : 1 << 20);
  let length = 0;
  let lastReport = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (length + value.byteLength > buffer.byteLength) {
      const grown = new Uint8Array(Math.max(buffer.byteLength * 2, length + value.byteLength));
      grown.set(buffer.subarray(0, length));
      buffer = grown;
    }
    buffer.set(value, length);
    length += value.byteLength;
    const now = performance.now();
    if (now - lastReport > 50) {
      lastReport = now;
      onChunk(length);
    }
  }
  return buffer.byteLength === length ? buffer.buffer : buffer.slice(0, length).buffer;
}

/** Subresource-integrity check of downloaded bytes (`sha256-…`, `sha384-…` or `sha512-…`). */
export async function matchesIntegrity(bytes: ArrayBuffer, integrity: string): Promise<boolean> {
  const m = /^(sha256|sha384|sha512)-([A-Za-z0-9+/=]+)$/.exec(integrity.trim());
  if (!m) return false;
  const algorithm = { sha256: "SHA-256", sha384: "SHA-384", sha512: "SHA-512" }[m[1] as "sha256" | "sha384" | "sha512"];
  const digest = new Uint8Array(await crypto.subtle.digest(algorithm, bytes));
  let binary = "";
  for (const b of digest) binary += String.fromCharCode(b);
  return btoa(binary) === m[2];
}
