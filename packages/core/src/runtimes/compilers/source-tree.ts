import type { FileContent } from "../../contract.js";
import { decodeFileContent, normalizeGuestPath } from "../../guest/files.js";

/** A compiler's virtual directory: nested names to text or bytes. */
export interface Tree {
  [name: string]: Tree | string | Uint8Array;
}

/**
 * The main source file plus the request's files whose names match `include` (headers,
 * other sources), as a nested tree. Data files stay out: they do not affect the build.
 */
export function sourceTree(filename: string, code: string, files: Record<string, FileContent> | undefined, include: RegExp): Tree {
  const tree: Tree = {};
  for (const [path, content] of Object.entries(files ?? {})) {
    if (!include.test(path)) continue;
    const parts = normalizeGuestPath(path).split("/");
    let dir = tree;
    for (const part of parts.slice(0, -1)) {
      const next = dir[part];
      dir = next && typeof next === "object" && !(next instanceof Uint8Array) ? next : (dir[part] = {});
    }
    dir[parts.at(-1)!] = decodeFileContent(content);
  }
  tree[filename] = code;
  return tree;
}

/** The files of a request that take part in a build, for the compile cache key. */
export function buildInputs(files: Record<string, FileContent> | undefined, include: RegExp): [string, FileContent][] {
  return Object.entries(files ?? {})
    .filter(([path]) => include.test(path))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export const C_SOURCE_FILES = /\.(h|hh|hpp|hxx|inc|ipp|def|c|cc|cpp|cxx|tcc)$/i;
export const ASC_SOURCE_FILES = /\.ts$/i;
