import type { FileContent } from "@wasmbox/contract";

/** Request file content as bytes: strings are UTF-8, `{encoding:"base64"}` is decoded. */
export function decodeFileContent(content: FileContent): Uint8Array {
  if (typeof content === "string") return new TextEncoder().encode(content);
  const bin = atob(content.content);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The request's files as bytes keyed by normalised relative path. */
export function decodeRequestFiles(files: Record<string, FileContent> | undefined): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [path, content] of Object.entries(files ?? {})) out.set(normalizeGuestPath(path), decodeFileContent(content));
  return out;
}

/** `a\\b` → `a/b`, `./a` → `a`. Paths were validated (no `..`, not absolute) at the boundary. */
export function normalizeGuestPath(path: string): string {
  return path
    .split(/[\\/]/)
    .filter((s) => s !== "" && s !== ".")
    .join("/");
}

/** Two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Caps on what a run may hand back as files, so a guest cannot flood the host. */
export const OUTPUT_FILE_CAPS = { maxFiles: 1000, maxTotalBytes: 64 * 1024 * 1024 } as const;
