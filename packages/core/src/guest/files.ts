import type { FileContent } from "@wasmbox/contract";
import { base64ToBytes } from "../base64.js";

/** Request file content as bytes: strings are UTF-8, `{encoding:"base64"}` is decoded. */
export function decodeFileContent(content: FileContent): Uint8Array {
  if (typeof content === "string") return new TextEncoder().encode(content);
  return base64ToBytes(content.content);
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

/** Caps on what a run may hand back as files. */
export interface OutputFileCaps {
  readonly maxFiles: number;
  readonly maxTotalBytes: number;
}

/**
 * Caps on what a run may hand back as files, so a guest cannot flood the host. The host
 * refuses an outcome over them (outcome-check.ts): runtimes pick within them with
 * {@link collectChangedFiles}.
 */
export const OUTPUT_FILE_CAPS = { maxFiles: 1000, maxTotalBytes: 64 * 1024 * 1024 } as const satisfies OutputFileCaps;

/**
 * The files a run hands back: those under the working directory that it created or
 * changed. One rule for every runtime:
 * - a file is returned when no file of that path was there before the run, or its bytes
 *   differ from what was there (a request file, or in a session an earlier run's file, that
 *   the run left as it was is not returned; one it rewrote with other bytes is);
 * - files are taken in path order (the order of `result.files`), and each is kept if it
 *   fits in what is left of `caps.maxTotalBytes`; one that does not fit is left out and
 *   the next ones are still taken, so one oversized file does not hide the others;
 * - once `caps.maxFiles` files are taken, the rest are left out.
 * Files left out are not reported (the run itself is not affected).
 * @param current every file under the working directory now, by relative path.
 * @param before what was there before the run, by relative path.
 */
export function collectChangedFiles(
  current: Iterable<readonly [string, Uint8Array]>,
  before: ReadonlyMap<string, Uint8Array>,
  caps: OutputFileCaps = OUTPUT_FILE_CAPS,
): Map<string, Uint8Array> {
  const changed = [...current].filter(([path, bytes]) => {
    const previous = before.get(path);
    return !previous || !sameBytes(previous, bytes);
  });
  changed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out = new Map<string, Uint8Array>();
  let totalBytes = 0;
  for (const [path, bytes] of changed) {
    if (out.size >= caps.maxFiles) break;
    if (totalBytes + bytes.byteLength > caps.maxTotalBytes) continue;
    totalBytes += bytes.byteLength;
    out.set(path, bytes);
  }
  return out;
}
