import type { FileContent } from "@wasmbox/contract";
import { decodeFileContent, normalizeGuestPath } from "../../guest/files.js";

// Captured when this module loads, before any request exists: what a compiler builds from
// request data never goes through a built-in something could have replaced since.
const { create, entries, hasOwn } = Object;

/**
 * A compiler's virtual directory: nested names to text or bytes. Every level has a null
 * prototype, so a request's path segments are only ever names (never `__proto__` of
 * something), and a lookup never finds an inherited property.
 */
export interface Tree {
  [name: string]: Tree | string | Uint8Array;
}

/** Names a path segment may not have: on a plain object they reach its prototype. */
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);

/** An empty directory of a {@link Tree}. */
export function emptyTree(): Tree {
  return create(null) as Tree;
}

/** `obj[key]` if `obj` has it as its own property (never an inherited one). */
export function own<T extends object, K extends keyof T>(obj: T | null | undefined, key: K): T[K] | undefined {
  return obj !== null && obj !== undefined && hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * The request's files that take part in a build (names matching `include`: headers, other
 * sources), by normalised path, sorted. Data files stay out: they do not affect the build.
 * When two names normalise to one path (`a\b.h`, `a/b.h`, `./a/b.h`), the last in sorted
 * order of the names as given wins, so the result depends only on the set of files, never
 * on their order. Paths with a reserved segment (`__proto__`, `constructor`, `prototype`,
 * refused at the boundary) are left out. This is both what the compiler sees and what the
 * compile cache key hashes.
 */
export function buildInputs(files: Record<string, FileContent> | undefined, include: RegExp): [string, FileContent][] {
  const given = files ? entries(files).sort(([a], [b]) => compare(a, b)) : [];
  const byPath = new Map<string, FileContent>();
  for (const [path, content] of given) {
    if (!include.test(path)) continue;
    const normal = normalizeGuestPath(path);
    if (normal === "" || normal.split("/").some((seg) => RESERVED.has(seg) || seg === "..")) continue;
    byPath.set(normal, content);
  }
  return [...byPath].sort(([a], [b]) => compare(a, b));
}

/**
 * The main source file plus the build's other files ({@link buildInputs}) as a nested,
 * null-prototype tree. The main file is placed last: it replaces a file of the same name.
 * A file and a directory of the same name: the one that comes later in sorted order wins.
 */
export function sourceTree(filename: string, code: string, files: Record<string, FileContent> | undefined, include: RegExp): Tree {
  const tree = emptyTree();
  for (const [path, content] of buildInputs(files, include)) {
    const parts = path.split("/");
    let dir = tree;
    for (const part of parts.slice(0, -1)) {
      const next = hasOwn(dir, part) ? dir[part] : undefined;
      dir = next !== undefined && typeof next === "object" && !(next instanceof Uint8Array) ? next : (dir[part] = emptyTree());
    }
    dir[parts.at(-1)!] = decodeFileContent(content);
  }
  if (!RESERVED.has(filename)) tree[filename] = code;
  return tree;
}

export { commandLineNameProblem } from "@wasmbox/contract/flags";

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const C_SOURCE_FILES = /\.(h|hh|hpp|hxx|inc|ipp|def|c|cc|cpp|cxx|tcc)$/i;
export const ASC_SOURCE_FILES = /\.ts$/i;
