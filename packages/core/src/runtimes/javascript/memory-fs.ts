/**
 * The JavaScript guest's filesystem: an in-memory tree of absolute paths. It never
 * touches a host filesystem. Errors carry Node's codes (ENOENT, EISDIR, …) so guest code
 * written for Node reads naturally.
 */
export class FsError extends Error {
  constructor(
    readonly code: string,
    syscall: string,
    path: string,
  ) {
    super(`${code}: ${describe(code)}, ${syscall} '${path}'`);
    this.name = "Error";
  }
}

function describe(code: string): string {
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EISDIR":
      return "illegal operation on a directory";
    case "ENOTDIR":
      return "not a directory";
    case "EEXIST":
      return "file already exists";
    case "ENOTEMPTY":
      return "directory not empty";
    case "ENOSPC":
      return "no space left on device (the sandbox's files are limited by memoryLimitBytes)";
    default:
      return code;
  }
}

interface Entry {
  type: "file" | "dir";
  data: Uint8Array;
  mtimeMs: number;
}

export class MemoryFs {
  readonly #entries = new Map<string, Entry>([["/", { type: "dir", data: new Uint8Array(), mtimeMs: Date.now() }]]);
  #usedBytes = 0;

  /** Total bytes the files may hold; writes past it fail with ENOSPC. */
  constructor(public capacityBytes: number) {}

  writeFile(path: string, data: Uint8Array, append = false): void {
    const existing = this.#entries.get(path);
    if (existing?.type === "dir") throw new FsError("EISDIR", "open", path);
    this.#requireParentDir(path, "open");
    const next = append && existing ? concat(existing.data, data) : data.slice();
    const delta = next.byteLength - (existing?.data.byteLength ?? 0);
    if (this.#usedBytes + delta > this.capacityBytes) throw new FsError("ENOSPC", "write", path);
    this.#usedBytes += delta;
    this.#entries.set(path, { type: "file", data: next, mtimeMs: Date.now() });
  }

  readFile(path: string): Uint8Array {
    const e = this.#entries.get(path);
    if (!e) throw new FsError("ENOENT", "open", path);
    if (e.type === "dir") throw new FsError("EISDIR", "read", path);
    return e.data;
  }

  stat(path: string): { type: "file" | "dir"; size: number; mtimeMs: number } {
    const e = this.#entries.get(path);
    if (!e) throw new FsError("ENOENT", "stat", path);
    return { type: e.type, size: e.data.byteLength, mtimeMs: e.mtimeMs };
  }

  list(path: string): string[] {
    const e = this.#entries.get(path);
    if (!e) throw new FsError("ENOENT", "scandir", path);
    if (e.type !== "dir") throw new FsError("ENOTDIR", "scandir", path);
    const prefix = path === "/" ? "/" : `${path}/`;
    const names: string[] = [];
    for (const p of this.#entries.keys()) {
      if (p !== "/" && p.startsWith(prefix) && !p.slice(prefix.length).includes("/")) names.push(p.slice(prefix.length));
    }
    return names.sort();
  }

  mkdir(path: string, recursive: boolean): void {
    const e = this.#entries.get(path);
    if (e) {
      if (recursive && e.type === "dir") return;
      throw new FsError("EEXIST", "mkdir", path);
    }
    if (recursive) {
      const parent = parentOf(path);
      if (!this.#entries.has(parent)) this.mkdir(parent, true);
    } else this.#requireParentDir(path, "mkdir");
    this.#entries.set(path, { type: "dir", data: new Uint8Array(), mtimeMs: Date.now() });
  }

  remove(path: string, recursive: boolean, force = false): void {
    const e = this.#entries.get(path);
    if (!e) {
      if (force) return;
      throw new FsError("ENOENT", "unlink", path);
    }
    if (e.type === "dir") {
      const children = this.list(path);
      if (children.length && !recursive) throw new FsError(recursive ? "ENOTEMPTY" : "EISDIR", "unlink", path);
      for (const c of children) this.remove(`${path === "/" ? "" : path}/${c}`, true);
    }
    this.#usedBytes -= e.data.byteLength;
    this.#entries.delete(path);
  }

  /** Regular files under `dir`, keyed by path relative to it. */
  filesUnder(dir: string): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    const prefix = `${dir}/`;
    for (const [p, e] of this.#entries) if (e.type === "file" && p.startsWith(prefix)) out.set(p.slice(prefix.length), e.data);
    return out;
  }

  #requireParentDir(path: string, syscall: string): void {
    const parent = this.#entries.get(parentOf(path));
    if (!parent) throw new FsError("ENOENT", syscall, path);
    if (parent.type !== "dir") throw new FsError("ENOTDIR", syscall, path);
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
