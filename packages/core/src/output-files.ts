import type { OutputFile } from "@wasmbox/contract";

const MIME_BY_EXTENSION: Record<string, string> = {
  txt: "text/plain", md: "text/markdown", csv: "text/csv", tsv: "text/tab-separated-values",
  json: "application/json", jsonl: "application/x-ndjson", xml: "application/xml", yaml: "application/yaml",
  yml: "application/yaml", html: "text/html", htm: "text/html", css: "text/css", js: "text/javascript",
  mjs: "text/javascript", ts: "text/plain", py: "text/x-python", c: "text/x-c", h: "text/x-c",
  cpp: "text/x-c++", svg: "image/svg+xml", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg",
  gif: "image/gif", webp: "image/webp", bmp: "image/bmp", ico: "image/x-icon", pdf: "application/pdf",
  zip: "application/zip", gz: "application/gzip", tar: "application/x-tar", wasm: "application/wasm",
  parquet: "application/vnd.apache.parquet", npy: "application/octet-stream", bin: "application/octet-stream",
  log: "text/plain", ini: "text/plain", toml: "application/toml", sql: "application/sql",
};

/** A MIME type from a file name; unknown extensions are `application/octet-stream`. */
export function mimeTypeFor(path: string): string {
  const dot = path.lastIndexOf(".");
  if (dot < 0 || dot < path.lastIndexOf("/")) return "application/octet-stream";
  return MIME_BY_EXTENSION[path.slice(dot + 1).toLowerCase()] ?? "application/octet-stream";
}

/** Describe output files (size, sha256, mime), in path order. Uses WebCrypto: works in Node and browsers. */
export async function describeOutputFiles(files: ReadonlyMap<string, Uint8Array>): Promise<OutputFile[]> {
  const out: OutputFile[] = [];
  for (const path of [...files.keys()].sort()) {
    const bytes = files.get(path)!;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
    const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    out.push({ path, size: bytes.byteLength, sha256, mime: mimeTypeFor(path) });
  }
  return out;
}
