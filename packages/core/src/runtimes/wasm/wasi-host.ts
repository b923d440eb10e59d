/**
 * WASI preview1 for guest modules, on `@bjorn3/browser_wasi_shim`: an in-memory file
 * system (the request's files, preopened as `.` and `/home/user`), stdin from the request,
 * stdout/stderr to the run's output. Nothing here touches the host's files, clock aside.
 *
 * The shim is written for friendly programs, so every import is wrapped: host exceptions
 * (a pointer past the end of memory, a file grown past the cap) become WASI error codes
 * instead of escaping, open files are capped (EMFILE), files cannot grow past the memory
 * limit (EFBIG/ENOSPC), sleeping waits on the interrupt flag instead of spinning, sockets
 * and signals answer ENOTSUP/ENOSYS, and every call checks the interrupt flag so a stopped
 * run ends at its next system call.
 */
import {
  ConsoleStdout,
  Directory,
  File,
  OpenFile,
  PreopenDirectory,
  WASI,
  WASIProcExit,
  wasi,
  type Fd,
  type Inode,
} from "@bjorn3/browser_wasi_shim";
import { collectChangedFiles } from "../../guest/files.js";
import { GUEST_WORKDIR, type GuestStream } from "../../runtime.js";

/** Thrown inside the guest's call stack when the host asked the run to stop. */
export class WasmInterrupted extends Error {
  override readonly name = "WasmInterrupted";
}

export interface WasiHostOptions {
  args: string[];
  env: Record<string, string>;
  stdin: Uint8Array;
  /** The request's files, by relative path. */
  files: ReadonlyMap<string, Uint8Array>;
  /** The program's output, exactly the bytes it wrote. */
  write(stream: GuestStream, data: Uint8Array): void;
  /** Non-zero once the host asks the run to stop. */
  interrupt: Int32Array;
  /** Largest size of the in-memory file system, all files together. */
  maxFsBytes: number;
  /** Descriptors a guest may hold open at once. */
  maxOpenFiles?: number;
}

export class WasiHost {
  readonly imports: Record<string, (...args: never[]) => unknown>;
  readonly #wasi: WASI;
  readonly #root: Map<string, Inode>;
  readonly #inputs: ReadonlyMap<string, Uint8Array>;
  /** The stdout and stderr descriptors, wherever fd_renumber moved them. */
  readonly #consoles = new Map<Fd, GuestStream>();
  #memory: WebAssembly.Memory | undefined;

  constructor(readonly options: WasiHostOptions) {
    this.#inputs = options.files;
    this.#root = buildTree(options.files);
    const out = (stream: GuestStream) => {
      // The shim hands over a view it may reuse: pass a copy on. (fd_write below writes to
      // these itself; the shim's path remains for any other call that reaches them.)
      const fd = new ConsoleStdout((bytes) => {
        if (bytes.byteLength > 0) options.write(stream, bytes.slice());
      });
      this.#consoles.set(fd, stream);
      return fd;
    };
    const fds: Fd[] = [
      new OpenFile(new File(options.stdin, { readonly: true })),
      out("stdout"),
      out("stderr"),
      // Relative paths resolve through ".", absolute ones through the working directory's
      // own name; both are views of one tree.
      new PreopenDirectory(".", this.#root),
      new PreopenDirectory(GUEST_WORKDIR, this.#root),
    ];
    this.#wasi = new WASI(
      options.args,
      Object.entries(options.env).map(([k, v]) => `${k}=${v}`),
      fds,
      { debug: false },
    );
    this.imports = this.#harden(this.#wasi.wasiImport);
  }

  /** Bind to the instance's memory (call before running the guest). */
  bind(memory: WebAssembly.Memory): void {
    this.#memory = memory;
    (this.#wasi as unknown as { inst: { exports: { memory: WebAssembly.Memory } } }).inst = { exports: { memory } };
  }

  /** Files created or changed under the working directory (see {@link collectChangedFiles}). */
  changedFiles(): Map<string, Uint8Array> {
    const all: Array<[string, Uint8Array]> = [];
    walk(this.#root, "", (path, data) => all.push([path, data]));
    // Copies: the outcome shares no buffer with the shim's file system.
    return new Map([...collectChangedFiles(all, this.#inputs)].map(([path, data]) => [path, data.slice()]));
  }

  #fsBytes(): number {
    let total = 0;
    walk(this.#root, "", (_p, data) => (total += data.byteLength));
    return total;
  }

  #openFileAt(fd: number): OpenFile | undefined {
    const f = this.#wasi.fds[fd];
    return f instanceof OpenFile ? f : undefined;
  }

  /** Whether a file may grow from its current size to `end` bytes. */
  #growthErrno(file: OpenFile, end: bigint): number {
    const current = BigInt(file.file.data.byteLength);
    if (end <= current) return wasi.ERRNO_SUCCESS;
    const cap = BigInt(this.options.maxFsBytes);
    if (end > cap) return wasi.ERRNO_FBIG;
    if (BigInt(this.#fsBytes()) + (end - current) > cap) return wasi.ERRNO_NOSPC;
    return wasi.ERRNO_SUCCESS;
  }

  #viewsOf: ArrayBufferLike | undefined;
  #bytesView = new Uint8Array(0);
  #dataView = new DataView(new ArrayBuffer(0));

  /**
   * Views of the guest's memory, made again only when its buffer changed (memory.grow): a
   * view of a wasm memory costs about a microsecond to create, more than a small write.
   */
  #views(): { u8: Uint8Array; dv: DataView } {
    const buffer = this.#memory!.buffer;
    if (buffer !== this.#viewsOf) {
      this.#viewsOf = buffer;
      this.#bytesView = new Uint8Array(buffer);
      this.#dataView = new DataView(buffer);
    }
    return { u8: this.#bytesView, dv: this.#dataView };
  }

  /** `len` bytes at `ptr` lie inside the guest's memory. */
  #inBounds(ptr: number, len: number): boolean {
    const size = this.#memory?.buffer.byteLength ?? 0;
    const start = ptr >>> 0;
    return start + (len >>> 0) <= size;
  }

  /**
   * fd_write to stdout or stderr: all of the call's buffers (libc's line buffer and the new
   * bytes, say) as one copy and one write, where the shim made a copy and a write per buffer
   * plus objects per call; small writes are what a line-buffered stdout does all day. The
   * iovecs were checked to lie in memory.
   */
  #writeConsole(stream: GuestStream, iovs: number, count: number, total: number, nwritten: number): number {
    const { u8, dv } = this.#views();
    let bytes: Uint8Array | undefined;
    for (let i = 0, at = 0; i < count >>> 0; i++) {
      const base = (iovs >>> 0) + i * 8;
      const len = dv.getUint32(base + 4, true);
      if (len === 0) continue;
      const ptr = dv.getUint32(base, true);
      if (!bytes && len === total) bytes = u8.slice(ptr, ptr + len);
      else {
        bytes ??= new Uint8Array(total);
        bytes.set(u8.subarray(ptr, ptr + len), at);
      }
      at += len;
    }
    if (bytes) this.options.write(stream, bytes);
    dv.setUint32(nwritten >>> 0, total, true);
    return wasi.ERRNO_SUCCESS;
  }

  /**
   * The bytes an iovec array names in all, or null when the array or any buffer it names
   * lies outside the guest's memory.
   */
  #iovecTotal(iovs: number, count: number): bigint | null {
    if (!this.#inBounds(iovs, (count >>> 0) * 8)) return null;
    const view = this.#views().dv;
    let total = 0;
    for (let i = 0; i < count >>> 0; i++) {
      const base = (iovs >>> 0) + i * 8;
      const len = view.getUint32(base + 4, true);
      if (!this.#inBounds(view.getUint32(base, true), len)) return null;
      total += len;
    }
    return BigInt(total);
  }

  #harden(raw: Record<string, (...args: never[]) => unknown>): Record<string, (...args: never[]) => unknown> {
    const maxOpen = this.options.maxOpenFiles ?? 1024;
    const guarded: Record<string, (...args: never[]) => unknown> = {};
    type Fn = (...args: never[]) => unknown;
    const call = (name: string, ...args: unknown[]) => (raw[name] as (...a: unknown[]) => unknown)(...args);
    // WASI sizes and offsets are u64; JS hands them over as signed BigInts.
    const u64 = (v: bigint | number) => BigInt.asUintN(64, BigInt(v));
    const overrides: Record<string, Fn> = {
      path_open: ((...args: never[]) => {
        if (this.#wasi.fds.filter((f) => f !== undefined).length >= maxOpen) return wasi.ERRNO_MFILE;
        return raw.path_open!(...args);
      }) as Fn,
      fd_write: ((fd: number, iovs: number, count: number, nwritten: number) => {
        const total = this.#iovecTotal(iovs, count);
        if (total === null || !this.#inBounds(nwritten, 4)) return wasi.ERRNO_FAULT;
        const stream = this.#consoles.get(this.#wasi.fds[fd]!);
        if (stream) return this.#writeConsole(stream, iovs, count, Number(total), nwritten);
        const file = this.#openFileAt(fd);
        if (file) {
          const errno = this.#growthErrno(file, file.file_pos + total);
          if (errno) return errno;
          reserve(file, file.file_pos + total);
        }
        return call("fd_write", fd, iovs, count, nwritten);
      }) as Fn,
      fd_pwrite: ((fd: number, iovs: number, count: number, offset: bigint, nwritten: number) => {
        const total = this.#iovecTotal(iovs, count);
        if (total === null || !this.#inBounds(nwritten, 4)) return wasi.ERRNO_FAULT;
        const file = this.#openFileAt(fd);
        if (file) {
          const errno = this.#growthErrno(file, u64(offset) + total);
          if (errno) return errno;
          reserve(file, u64(offset) + total);
        }
        return call("fd_pwrite", fd, iovs, count, u64(offset), nwritten);
      }) as Fn,
      fd_read: ((fd: number, iovs: number, count: number, nread: number) => {
        // Checked before anything is consumed: a bad buffer must not eat the guest's stdin.
        if (this.#iovecTotal(iovs, count) === null || !this.#inBounds(nread, 4)) return wasi.ERRNO_FAULT;
        return call("fd_read", fd, iovs, count, nread);
      }) as Fn,
      fd_pread: ((fd: number, iovs: number, count: number, offset: bigint, nread: number) => {
        if (this.#iovecTotal(iovs, count) === null || !this.#inBounds(nread, 4)) return wasi.ERRNO_FAULT;
        const at = u64(offset);
        if (at > BigInt(Number.MAX_SAFE_INTEGER)) return wasi.ERRNO_INVAL;
        return call("fd_pread", fd, iovs, count, at, nread);
      }) as Fn,
      fd_filestat_set_size: ((fd: number, size: bigint) => {
        const file = this.#openFileAt(fd);
        if (file) {
          const errno = this.#growthErrno(file, u64(size));
          if (errno) return errno;
        }
        return call("fd_filestat_set_size", fd, u64(size));
      }) as Fn,
      fd_allocate: ((fd: number, offset: bigint, len: bigint) => {
        const file = this.#openFileAt(fd);
        if (file) {
          const errno = this.#growthErrno(file, u64(offset) + u64(len));
          if (errno) return errno;
        }
        return call("fd_allocate", fd, u64(offset), u64(len));
      }) as Fn,
      // Only preopened directories have a prestat; wasi-libc scans fds upward until EBADF,
      // so any other descriptor must answer EBADF (not ENOTSUP, which libc treats as fatal).
      fd_prestat_get: ((fd: number, buf: number) => (this.#wasi.fds[fd] instanceof PreopenDirectory ? call("fd_prestat_get", fd, buf) : wasi.ERRNO_BADF)) as Fn,
      fd_prestat_dir_name: ((fd: number, path: number, len: number) =>
        this.#wasi.fds[fd] instanceof PreopenDirectory ? (this.#inBounds(path, len) ? call("fd_prestat_dir_name", fd, path, len) : wasi.ERRNO_FAULT) : wasi.ERRNO_BADF) as Fn,
      poll_oneoff: ((subs: number, events: number, count: number, neventsPtr: number) => this.#pollOneoff(subs, events, count, neventsPtr)) as Fn,
      proc_raise: (() => wasi.ERRNO_NOSYS) as Fn,
      sock_accept: (() => wasi.ERRNO_NOTSUP) as Fn,
      sock_recv: (() => wasi.ERRNO_NOTSUP) as Fn,
      sock_send: (() => wasi.ERRNO_NOTSUP) as Fn,
      sock_shutdown: (() => wasi.ERRNO_NOTSUP) as Fn,
    };
    for (const [name, fn] of Object.entries({ ...raw, ...overrides })) {
      guarded[name] = (...args: never[]) => {
        if (Atomics.load(this.options.interrupt, 0) !== 0) throw new WasmInterrupted("the run was stopped");
        try {
          const ret = fn(...args);
          return ret === undefined && name !== "proc_exit" ? wasi.ERRNO_SUCCESS : ret;
        } catch (e) {
          if (e instanceof WASIProcExit || e instanceof WasmInterrupted) throw e;
          // A pointer or length outside the guest's memory, or any other host fault the
          // guest provoked: report it as the guest's error, never the host's.
          if (e instanceof RangeError || e instanceof TypeError) return wasi.ERRNO_FAULT;
          throw e;
        }
      };
    }
    return guarded;
  }

  /**
   * Clock subscriptions sleep on the interrupt flag (so a stopped run wakes at once);
   * fd subscriptions are always ready (stdin is a file, stdout never blocks).
   */
  #pollOneoff(subs: number, events: number, count: number, neventsPtr: number): number {
    if (count === 0) return wasi.ERRNO_INVAL;
    const view = new DataView(this.#memory!.buffer);
    const now = () => BigInt(Math.round(performance.now() * 1e6));
    const realNow = () => BigInt(Date.now()) * 1_000_000n;
    let soonest: { userdata: bigint; waitNs: bigint } | null = null;
    const ready: { userdata: bigint; type: number }[] = [];
    for (let i = 0; i < count; i++) {
      const base = subs + i * 48;
      const userdata = view.getBigUint64(base, true);
      const type = view.getUint8(base + 8);
      if (type === 0) {
        const clock = view.getUint32(base + 16, true);
        const timeout = view.getBigUint64(base + 24, true);
        const absolute = (view.getUint16(base + 40, true) & 1) !== 0;
        const base_ = clock === 0 ? realNow() : now();
        const waitNs = absolute ? timeout - base_ : timeout;
        if (!soonest || waitNs < soonest.waitNs) soonest = { userdata, waitNs: waitNs < 0n ? 0n : waitNs };
      } else ready.push({ userdata, type });
    }
    if (ready.length === 0 && soonest) {
      let remainingMs = Number(soonest.waitNs / 1_000_000n);
      const until = performance.now() + remainingMs;
      // Atomics.wait needs shared memory: a page that is not cross-origin isolated has none,
      // and its runs are stopped by terminating the worker instead, so spinning is safe there.
      const shared = typeof SharedArrayBuffer !== "undefined" && this.options.interrupt.buffer instanceof SharedArrayBuffer;
      while (remainingMs > 0) {
        if (shared) Atomics.wait(this.options.interrupt, 0, 0, Math.min(remainingMs, 1000));
        if (Atomics.load(this.options.interrupt, 0) !== 0) throw new WasmInterrupted("the run was stopped");
        remainingMs = until - performance.now();
      }
      ready.push({ userdata: soonest.userdata, type: 0 });
    }
    ready.forEach((e, i) => {
      const base = events + i * 32;
      view.setBigUint64(base, e.userdata, true);
      view.setUint16(base + 8, 0, true);
      view.setUint8(base + 10, e.type);
      if (e.type !== 0) view.setBigUint64(base + 16, 0n, true);
    });
    view.setUint32(neventsPtr, ready.length, true);
    return wasi.ERRNO_SUCCESS;
  }
}

function buildTree(files: ReadonlyMap<string, Uint8Array>): Map<string, Inode> {
  const root = new Map<string, Inode>();
  for (const [path, data] of files) {
    const parts = path.split("/");
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.get(part);
      if (!(next instanceof Directory)) {
        next = new Directory(new Map());
        dir.set(part, next);
      }
      dir = (next as Directory).contents;
    }
    dir.set(parts.at(-1)!, new File(data.slice()));
  }
  return root;
}

function walk(dir: Map<string, Inode>, prefix: string, visit: (path: string, data: Uint8Array) => void): void {
  for (const [name, node] of dir) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (node instanceof File) visit(path, node.data);
    else if (node instanceof Directory) walk(node.contents, path, visit);
  }
}

/**
 * Make room for a write that grows a file to `end` bytes before the shim does it: the shim
 * reallocates a file to its exact new size on every growing write, so writing a file in
 * chunks cost time quadratic in its size. Here the bytes live in a buffer that doubles
 * (so n chunks cost O(n) copies in all) and the file is a view of its first `end` bytes; the
 * shim then finds the file large enough and writes in place. Bytes past the view are never
 * written, so a view that grows over them shows zeros, as a file hole must.
 */
function reserve(file: OpenFile, end: bigint): void {
  const data = file.file.data;
  const needed = Number(end);
  if (needed <= data.byteLength) return;
  if (data.byteOffset === 0 && data.buffer instanceof ArrayBuffer && data.buffer.byteLength >= needed) {
    file.file.data = new Uint8Array(data.buffer, 0, needed);
    return;
  }
  const grown = new Uint8Array(new ArrayBuffer(Math.max(needed, Math.min(2 * data.byteLength, needed + 64 * 1024 * 1024), 4096)), 0, needed);
  grown.set(data);
  file.file.data = grown;
}
