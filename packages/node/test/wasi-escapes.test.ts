/**
 * Hostile WebAssembly guests: the WASI table of the escapes page (W01–W14), replayed
 * against the Node engine as compiled C (wasi-libc and raw `__wasi_*` calls) and as
 * hand-written WebAssembly text, plus attacks on the module loader and the compiler.
 * "Contained" means: no host environment variable, host file or network endpoint is
 * reached, no host process is started or signalled, the run ends with a clear status, and
 * the host keeps serving the next run.
 *
 * Payloads print the errno each call returned (WASI numbering, see ERRNO), so a failure
 * shows exactly which call behaved how. Every run is checked against the host canaries
 * (see canaries.ts) after each test, and each test ends by checking the engine still
 * serves C and WebAssembly runs.
 *
 * Tests named "(regression)" reproduce bugs this suite found when it was written (u64 sizes,
 * out-of-bounds iovecs, unexported memories, fd_prestat_get, UTF-8 in WAT); all fixed since.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEngine, isWasmboxError, type Engine, type Execution } from "@wasmbox/node";
import { expectContained, plantCanaries, type Canaries } from "./canaries.js";
import { ERRNO, MiB, lines, runMs, watToBase64 } from "./wasm-helpers.js";

let engine: Engine;
let c: Canaries;
/** Every result of the current test, checked against the canaries in afterEach. */
const results: Execution[] = [];

/** Small limits so resource attacks end fast (2 s: the kill latency is small next to the 1.5x bound). */
const SMALL = { timeoutMs: 2000, memoryLimitBytes: 64 * MiB, maxOutputBytes: 100_000 } as const;
/** For memory, output and file-size attacks: time to reach the cap even on a busy machine, so only that cap can end them. */
const ROOMY = { ...SMALL, timeoutMs: 20_000 } as const;

beforeAll(async () => {
  c = await plantCanaries();
  engine = createEngine({ pool: { python: 0, quickjs: 0 } });
  // Boots the compiler sandbox and puts the serving check's C program in the compile cache.
  await expectServing();
});

afterAll(async () => {
  await engine?.dispose();
  await c?.dispose();
});

afterEach(() => expectContained(c, results));

async function run(request: Record<string, unknown>): Promise<Execution> {
  const r = await engine.execute(request);
  results.push(r);
  // ESCAPES_DEBUG=1 shows what every payload saw, also for tests that pass.
  if (process.env.ESCAPES_DEBUG) {
    console.log(JSON.stringify({ status: r.status, error: r.error, exitCode: r.exitCode, runMs: runMs(r), stdout: r.stdout.slice(0, 2000), stderr: r.stderr.slice(0, 2000) }, null, 1));
  }
  return r;
}

/** A C string literal for an ASCII path (JSON escaping is valid C for these). */
const cstr = (s: string) => JSON.stringify(s);

/**
 * Headers and raw WASI imports for the C payloads. The raw imports take what wasi-libc's
 * wrappers never pass: an explicit path length (so a path may hold a NUL) and signals.
 */
const PRELUDE = String.raw`#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
int32_t raw_path_open(int32_t dirfd, int32_t dirflags, const char *path, int32_t path_len, int32_t oflags,
                      int64_t rights, int64_t inheriting, int32_t fdflags, int32_t *opened);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t signal);
/* path_open(dirfd, path) for reading; returns the errno, closing whatever opened. */
static int try_open(int dirfd, const char *path) {
  __wasi_fd_t fd;
  __wasi_errno_t e = __wasi_path_open(dirfd, 0, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
  if (e == 0) (void)__wasi_fd_close(fd);
  return e;
}
/* The same with an explicit length. */
static int try_open_n(int dirfd, const char *path, int len) {
  int32_t fd;
  int e = raw_path_open(dirfd, 0, path, len, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
  if (e == 0) (void)__wasi_fd_close(fd);
  return e;
}
/* fopen, reported as "OPENED" or "failed errno=N". */
static void show_fopen(const char *label, const char *path, const char *mode) {
  errno = 0;
  FILE *f = fopen(path, mode);
  if (f) { printf("%s: OPENED\n", label); fclose(f); }
  else printf("%s: failed errno=%d\n", label, errno);
}
`;

function cProgram(body: string, extra: Record<string, unknown> = {}): Promise<Execution> {
  return run({ language: "c", code: `${PRELUDE}\n${body}`, ...extra });
}

async function wat(text: string, extra: Record<string, unknown> = {}): Promise<Execution> {
  return run({ language: "wasm", code: text, ...extra });
}

/** The engine still runs a compiled C program and a raw WebAssembly module. */
async function expectServing(): Promise<void> {
  const [cRun, wasmRun] = await Promise.all([
    engine.execute({ language: "c", code: '#include <stdio.h>\nint main(void) { puts("still serving"); return 0; }\n' }),
    engine.execute({ language: "wasm", code: HELLO_WAT }),
  ]);
  expect([cRun.status, cRun.stdout, cRun.stderr]).toEqual(["ok", "still serving\n", ""]);
  expect([wasmRun.status, wasmRun.stdout]).toEqual(["ok", "alive\n"]);
}

/** A WASI command printing "alive". */
const HELLO_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "alive\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

/** The program ran to its end by itself: status ok, exit code 0, nothing on stderr. */
function expectRanToTheEnd(r: Execution): void {
  expect({ status: r.status, exitCode: r.exitCode, stderr: r.stderr }, JSON.stringify(r.error)).toEqual({ status: "ok", exitCode: 0, stderr: "" });
}

/** Ended from outside within ~1.5x the limit. */
function expectStoppedInTime(r: Execution, status: Execution["status"], timeoutMs: number): void {
  expect(r.status, `status ${r.status}: ${JSON.stringify(r.error)}`).toBe(status);
  expect(runMs(r)).toBeLessThan(timeoutMs * 1.5);
}

/** "../" enough times to leave any preopen, then the host path (without its leading "/"). */
const climb = (hostPath: string) => `${"../".repeat(12)}${hostPath.replace(/^\/+/, "")}`;

describe("WASI modules and compiled C", () => {
  it("W01 path_open(preopen, '../../etc/passwd') → ENOTCAPABLE", async () => {
    const r = await cProgram(String.raw`
int main(void) {
  for (int fd = 3; fd < 6; fd++) {
    __wasi_prestat_t ps;
    char name[64] = {0};
    __wasi_errno_t e = __wasi_fd_prestat_get(fd, &ps);
    if (e == 0) e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, ps.u.dir.pr_name_len);
    printf("preopen fd %d: errno=%d %s\n", fd, e, name);
  }
  show_fopen("fopen(../../etc/passwd)", "../../etc/passwd", "r");
  show_fopen("fopen(/home/user/../../etc/passwd)", "/home/user/../../etc/passwd", "r");
  printf("path_open(., ../../etc/passwd) = %d\n", try_open(3, "../../etc/passwd"));
  printf("path_open(/home/user, ../../etc/passwd) = %d\n", try_open(4, "../../etc/passwd"));
  printf("path_open(., ..) = %d\n", try_open(3, ".."));
  printf("path_open(., ../<secret file>) = %d\n", try_open(3, ${cstr(climb(c.secretFile))}));
  printf("path_open(., data.txt) = %d\n", try_open(3, "data.txt"));
  return 0;
}`, { files: { "data.txt": "inside" } });
    expectRanToTheEnd(r);
    expect(r.stdout).toBe(
      lines(
        "preopen fd 3: errno=0 .",
        "preopen fd 4: errno=0 /home/user",
        `preopen fd 5: errno=${ERRNO.BADF} `,
        `fopen(../../etc/passwd): failed errno=${ERRNO.NOTCAPABLE}`,
        `fopen(/home/user/../../etc/passwd): failed errno=${ERRNO.NOTCAPABLE}`,
        `path_open(., ../../etc/passwd) = ${ERRNO.NOTCAPABLE}`,
        `path_open(/home/user, ../../etc/passwd) = ${ERRNO.NOTCAPABLE}`,
        `path_open(., ..) = ${ERRNO.NOTCAPABLE}`,
        `path_open(., ../<secret file>) = ${ERRNO.NOTCAPABLE}`,
        "path_open(., data.txt) = 0",
      ),
    );
    await expectServing();
  });

  it("W02 path_open(preopen, '/etc/passwd') and absolute host paths → ENOTCAPABLE/ENOENT; writes never reach the host", async () => {
    const never = c.neverPath;
    const r = await cProgram(String.raw`
int main(void) {
  printf("path_open(., /etc/passwd) = %d\n", try_open(3, "/etc/passwd"));
  printf("path_open(/home/user, /etc/passwd) = %d\n", try_open(4, "/etc/passwd"));
  printf("path_open(., <secret file>) = %d\n", try_open(3, ${cstr(c.secretFile)}));
  show_fopen("fopen(/etc/passwd)", "/etc/passwd", "r");
  show_fopen("fopen(<secret file>)", ${cstr(c.secretFile)}, "r");
  show_fopen("fopen(/proc/self/environ)", "/proc/self/environ", "r");
  show_fopen("fopen(<never path>, w)", ${cstr(never)}, "w");
  /* Make the directories in the guest FS: the file lands there, not on the host. */
  mkdir("/tmp", 0755);
  FILE *f = fopen(${cstr(never)}, "w");
  printf("after mkdir /tmp, fopen(<never path>, w): %s\n", f ? "opened in the guest FS" : "failed");
  if (f) { fputs("guest", f); fclose(f); }
  return 0;
}`);
    expectRanToTheEnd(r);
    expect(r.stdout).toBe(
      lines(
        `path_open(., /etc/passwd) = ${ERRNO.NOTCAPABLE}`,
        `path_open(/home/user, /etc/passwd) = ${ERRNO.NOTCAPABLE}`,
        `path_open(., <secret file>) = ${ERRNO.NOTCAPABLE}`,
        `fopen(/etc/passwd): failed errno=${ERRNO.NOENT}`,
        `fopen(<secret file>): failed errno=${ERRNO.NOENT}`,
        `fopen(/proc/self/environ): failed errno=${ERRNO.NOENT}`,
        `fopen(<never path>, w): failed errno=${ERRNO.NOENT}`,
        "after mkdir /tmp, fopen(<never path>, w): opened in the guest FS",
      ),
    );
    // The guest's own /tmp is a directory of its in-memory FS, returned like any output file.
    const guestCopy = never.replace(/^\/+/, "");
    expect(r.files.map((f) => f.path)).toEqual([guestCopy]);
    expect(Buffer.from(r.fileContents.get(guestCopy)!).toString()).toBe("guest");
    await expectServing();
  });

  it("W03 'a/../../x' → ENOTCAPABLE, 'a\\0b' → EINVAL; symlinks and renames cannot leave the preopen", async () => {
    const r = await cProgram(String.raw`
int main(void) {
  printf("path_open(., a/../../x) = %d\n", try_open(3, "a/../../x"));
  printf("path_open(., a/./../../../etc/passwd) = %d\n", try_open(3, "a/./../../../etc/passwd"));
  printf("path_open(., a/../data.txt) = %d\n", try_open(3, "a/../data.txt"));
  printf("path_open(., a\\0b) = %d\n", try_open_n(3, "a\0b", 3));
  printf("path_open(., data.txt\\0../../etc/passwd) = %d\n", try_open_n(3, "data.txt\0../../etc/passwd", 25));
  errno = 0;
  int rc = symlink("/etc/passwd", "link");
  printf("symlink(/etc/passwd, link) = %d errno=%d\n", rc, errno);
  show_fopen("fopen(link)", "link", "r");
  errno = 0;
  rc = rename("data.txt", "../data.txt");
  printf("rename(data.txt, ../data.txt) = %d errno=%d\n", rc, errno);
  errno = 0;
  rc = chdir("..");
  printf("chdir(..) = %d errno=%d\n", rc, errno);
  return 0;
}`, { files: { "data.txt": "inside", "a/keep.txt": "" } });
    expectRanToTheEnd(r);
    expect(r.stdout).toBe(
      lines(
        `path_open(., a/../../x) = ${ERRNO.NOTCAPABLE}`,
        `path_open(., a/./../../../etc/passwd) = ${ERRNO.NOTCAPABLE}`,
        "path_open(., a/../data.txt) = 0",
        `path_open(., a\\0b) = ${ERRNO.INVAL}`,
        `path_open(., data.txt\\0../../etc/passwd) = ${ERRNO.INVAL}`,
        `symlink(/etc/passwd, link) = -1 errno=${ERRNO.NOTSUP}`,
        `fopen(link): failed errno=${ERRNO.NOENT}`,
        `rename(data.txt, ../data.txt) = -1 errno=${ERRNO.NOTCAPABLE}`,
        `chdir(..) = -1 errno=${ERRNO.NOTCAPABLE}`,
      ),
    );
    await expectServing();
  });

  it("W05 fd_write(99, …) and a write after close → EBADF", async () => {
    const r = await cProgram(String.raw`
int main(void) {
  __wasi_ciovec_t iov = { (const uint8_t *)"leak\n", 5 };
  __wasi_size_t n = 0;
  printf("fd_write(99) = %d\n", __wasi_fd_write(99, &iov, 1, &n));
  printf("fd_write(0xffffffff) = %d\n", __wasi_fd_write(0xffffffffu, &iov, 1, &n));
  printf("fd_write(0 = stdin) = %d\n", __wasi_fd_write(0, &iov, 1, &n));
  printf("fd_write(3 = preopen dir) = %d\n", __wasi_fd_write(3, &iov, 1, &n));
  errno = 0;
  printf("write(99) = %d errno=%d\n", (int)write(99, "x", 1), errno);
  int fd = open("out.txt", O_WRONLY | O_CREAT, 0644);
  printf("open(out.txt) ok=%d\n", fd >= 0);
  printf("write = %d\n", (int)write(fd, "abc", 3));
  printf("close = %d\n", close(fd));
  errno = 0;
  printf("write after close = %d errno=%d\n", (int)write(fd, "x", 1), errno);
  printf("fd_write after close = %d\n", __wasi_fd_write(fd, &iov, 1, &n));
  errno = 0;
  printf("close again = %d errno=%d\n", close(fd), errno);
  return 0;
}`);
    expectRanToTheEnd(r);
    const B = ERRNO.BADF;
    expect(r.stdout).toBe(
      lines(
        `fd_write(99) = ${B}`,
        `fd_write(0xffffffff) = ${B}`,
        `fd_write(0 = stdin) = ${B}`,
        `fd_write(3 = preopen dir) = ${B}`,
        `write(99) = -1 errno=${B}`,
        "open(out.txt) ok=1",
        "write = 3",
        "close = 0",
        `write after close = -1 errno=${B}`,
        `fd_write after close = ${B}`,
        `close again = -1 errno=${B}`,
      ),
    );
    expect(Buffer.from(r.fileContents.get("out.txt")!).toString()).toBe("abc");
    await expectServing();
  });

  it("W06 opening files in a loop, never closing → EMFILE at 1024 open descriptors", async () => {
    const r = await cProgram(String.raw`
int main(void) {
  int opened = 0, last = -1;
  for (;;) {
    int fd = open("data.txt", O_RDONLY);
    if (fd < 0) break;
    last = fd;
    if (++opened > 100000) { printf("NO CAP\n"); return 1; }
  }
  printf("open failed after %d opens: errno=%d\n", opened, errno);
  printf("highest fd %d\n", last);
  close(last);
  printf("after closing one, open ok=%d\n", open("data.txt", O_RDONLY) >= 0);
  return 0;
}`, { files: { "data.txt": "x" } });
    expectRanToTheEnd(r);
    // fds 0-2 (stdio) and 3-4 (preopens) are open from the start: 1019 more make 1024 (0…1023).
    expect(r.stdout).toBe(lines(`open failed after 1019 opens: errno=${ERRNO.MFILE}`, "highest fd 1023", "after closing one, open ok=1"));
    await expectServing();
  });

  it("W07 ftruncate(fd, 1<<40), seek to 2^50 then write, filling the FS → EFBIG/ENOSPC, no host exception", async () => {
    const limit = 16 * MiB;
    const r = await cProgram(String.raw`
static void show(const char *label, long long rc) { printf("%s = %lld errno=%d\n", label, rc, rc < 0 ? errno : 0); errno = 0; }
int main(void) {
  int fd = open("big.bin", O_RDWR | O_CREAT, 0644);
  show("ftruncate(1<<40)", ftruncate(fd, 1LL << 40));
  printf("fd_filestat_set_size(1<<40) = %d\n", __wasi_fd_filestat_set_size(fd, 1ULL << 40));
  show("lseek(2^50)", lseek(fd, 1LL << 50, SEEK_SET));
  show("write after the seek", write(fd, "x", 1));
  show("pwrite at 2^45", pwrite(fd, "x", 1, 1LL << 45));
  printf("posix_fallocate(0, 1<<40) = %d\n", posix_fallocate(fd, 0, 1LL << 40));
  lseek(fd, 0, SEEK_SET);
  show("ftruncate(a, 10 MiB)", ftruncate(fd, 10 << 20));
  int fd2 = open("big2.bin", O_RDWR | O_CREAT, 0644);
  show("ftruncate(b, 10 MiB)", ftruncate(fd2, 10 << 20));
  /* Fill what is left with writes: they stop with ENOSPC before the cap. */
  static char chunk[1 << 16];
  long long total = 0;
  for (;;) { ssize_t w = write(fd2, chunk, sizeof chunk); if (w < 0) break; total += w; }
  printf("filled %lld MiB more, then errno=%d\n", total >> 20, errno);
  ftruncate(fd, 0);
  ftruncate(fd2, 0);
  printf("survived\n");
  return 0;
}`, { limits: { ...ROOMY, memoryLimitBytes: limit } });
    expectRanToTheEnd(r);
    const F = ERRNO.FBIG;
    expect(r.stdout).toBe(
      lines(
        `ftruncate(1<<40) = -1 errno=${F}`,
        `fd_filestat_set_size(1<<40) = ${F}`,
        `lseek(2^50) = ${2 ** 50} errno=0`,
        `write after the seek = -1 errno=${F}`,
        `pwrite at 2^45 = -1 errno=${F}`,
        `posix_fallocate(0, 1<<40) = ${F}`,
        "ftruncate(a, 10 MiB) = 0 errno=0",
        `ftruncate(b, 10 MiB) = -1 errno=${ERRNO.NOSPC}`,
        `filled 6 MiB more, then errno=${ERRNO.NOSPC}`,
        "survived",
      ),
    );
    await expectServing();
  });

  it("W07 (regression) fd_filestat_set_size with a size ≥ 2^63 (u64) → EFBIG, the file unchanged", async () => {
    // WASI sizes are u64; the host sees them as negative i64 and the shim then slices the file.
    const r = await cProgram(String.raw`
static long long size_of(int fd) { struct stat st; fstat(fd, &st); return (long long)st.st_size; }
int main(void) {
  int fd = open("t.bin", O_RDWR | O_CREAT, 0644);
  write(fd, "0123456789", 10);
  printf("set_size(2^64-1) = %d, size %lld\n", __wasi_fd_filestat_set_size(fd, ~0ULL), size_of(fd));
  printf("set_size(2^63+5) = %d, size %lld\n", __wasi_fd_filestat_set_size(fd, (1ULL << 63) + 5), size_of(fd));
  return 0;
}`);
    expectRanToTheEnd(r);
    expect(r.stdout).toBe(lines(`set_size(2^64-1) = ${ERRNO.FBIG}, size 10`, `set_size(2^63+5) = ${ERRNO.FBIG}, size 10`));
  });

  it("W08 fd_write with pointers past the end of memory → EFAULT or a guest trap, host fine", async () => {
    const [raw, cRun, trap] = await Promise.all([
      wat(
        `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\\n")
  (func (export "_start")
    ;; iovec at 0: { buf = 16, len = 3 }
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    ;; the iovec array itself straddles the end of memory, lies far past it, or is 2^28 entries long
    (call $log (call $fd_write (i32.const 1) (i32.const 65534) (i32.const 1) (i32.const 8)))
    (call $log (call $fd_write (i32.const 1) (i32.const 0x7ffffff0) (i32.const 1) (i32.const 8)))
    (call $log (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x10000000) (i32.const 8)))
    ;; the nwritten pointer past the end: refused before anything is written
    (call $log (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const -4)))
    (call $log (i32.const 777))))`,
        { wasm: { imports: ["env.log_i32"] } },
      ),
      cProgram(String.raw`
int main(void) {
  __wasi_size_t n = 0;
  printf("fd_write(iovs = 0xfffffff0) = %d\n", __wasi_fd_write(1, (const __wasi_ciovec_t *)0xfffffff0u, 1, &n));
  __wasi_iovec_t in = { (uint8_t *)0xfffffff0u, 16 };
  printf("fd_read(stdin into 0xfffffff0) = %d\n", __wasi_fd_read(0, &in, 1, &n));
  return 0;
}`, { stdin: "some input" }),
      cProgram("int main(void) { return *(volatile int *)0xfffffff0u; }"),
    ]);
    expectRanToTheEnd(raw);
    const E = ERRNO.FAULT;
    expect(raw.stdout).toBe(lines(`${E}`, `${E}`, `${E}`, `${E}`, "777"));
    expectRanToTheEnd(cRun);
    expect(cRun.stdout).toBe(lines(`fd_write(iovs = 0xfffffff0) = ${E}`, `fd_read(stdin into 0xfffffff0) = ${E}`));
    expect(trap.status).toBe("error");
    expect(trap.error?.name).toBe("RuntimeError");
    expect(trap.error?.message).toMatch(/^wasm trap: memory access out of bounds/);
    expect(trap.exitCode).toBe(1);
    await expectServing();
  });

  it("W08 (regression) fd_write whose iovec buffer lies past the end of memory → EFAULT, nothing written", async () => {
    // The shim copies the buffer with Uint8Array.slice, which clamps: the write "succeeds" short.
    const r = await wat(
      `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "env" "log_i32" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 0x7fff0000))
    (i32.store (i32.const 4) (i32.const 3))
    (call $log (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 65535))
    (i32.store (i32.const 4) (i32.const 0x7fffffff))
    (call $log (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`,
      { wasm: { imports: ["env.log_i32"] } },
    );
    expect(r.stdout).toBe(lines(`${ERRNO.FAULT}`, `${ERRNO.FAULT}`));
  });

  it("W09 a stdout flood without newline → output_limit, output kept up to the cap", async () => {
    const r = await cProgram('int main(void) { for (;;) fputs("xxxxxxxxxxxxxxxx", stdout); }', { limits: ROOMY });
    expect(r.status).toBe("output_limit");
    expect(r.error?.name).toBe("OutputLimitError");
    expect(r.error?.message).toContain("maxOutputBytes");
    expect(r.stdout.length).toBe(SMALL.maxOutputBytes);
    expect(r.stdout).toMatch(/^x+$/);
    expect(r.exitCode).toBeNull();
    await expectServing();
  });

  it("W10 memory.grow in a loop → memory_limit (WAT and C malloc)", async () => {
    const [grow, malloc] = await Promise.all([
      wat(
        `(module (memory (export "memory") 1)
  (func (export "_start")
    (loop $more (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))`,
        { limits: ROOMY },
      ),
      cProgram(String.raw`
char *volatile keep;
int main(void) {
  size_t total = 0;
  for (;;) {
    char *p = malloc(1 << 20);
    if (!p) { printf("malloc returned NULL after %zu MiB\n", total >> 20); fflush(stdout); abort(); }
    memset(p, 1, 1 << 20);
    keep = p;
    total += 1 << 20;
  }
}`, { limits: ROOMY }),
    ]);
    for (const r of [grow, malloc]) {
      expect(r.status, JSON.stringify(r.error)).toBe("memory_limit");
      expect(r.error?.name).toBe("MemoryLimitError");
      expect(r.error?.message).toContain("memoryLimitBytes");
    }
    const mib = Number(/after (\d+) MiB/.exec(malloc.stdout)?.[1]);
    expect(mib).toBeGreaterThan(32);
    expect(mib).toBeLessThanOrEqual(64);
    await expectServing();
  });

  it("W10 (regression) memory.grow in a loop with an unexported memory → memory_limit", async () => {
    // The runtime only sees exported memories, so it cannot tell this trap followed a failed grow.
    const r = await wat(
      `(module (memory 1)
  (func (export "_start")
    (loop $more (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))`,
      { limits: ROOMY },
    );
    expect(r.status).toBe("memory_limit");
  });

  it("W11 (loop br 0) and for(;;); in C → timeout", async () => {
    const [raw, cRun] = await Promise.all([
      wat(`(module (func (export "_start") (loop br 0)))`, { limits: SMALL }),
      cProgram("int main(void) { for (;;); }", { limits: SMALL }),
    ]);
    for (const r of [raw, cRun]) {
      expectStoppedInTime(r, "timeout", SMALL.timeoutMs);
      expect(runMs(r)).toBeGreaterThanOrEqual(SMALL.timeoutMs);
      expect(r.error?.name).toBe("TimeoutError");
      expect(r.error?.message).toContain("timeoutMs");
      expect(r.exitCode).toBeNull();
    }
    await expectServing();
  });

  it("W12 poll_oneoff, sock_accept, sock_recv/send, proc_raise → clean errors, no hang; a long sleep ends at the timeout", async () => {
    const [calls, sleeper] = await Promise.all([
      cProgram(String.raw`
#include <time.h>
static double now_ms(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6; }
int main(void) {
  __wasi_subscription_t sub = {0};
  __wasi_event_t ev;
  __wasi_size_t n = 0;
  sub.userdata = 42;
  sub.u.tag = __WASI_EVENTTYPE_CLOCK;
  sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub.u.u.clock.timeout = 200000000ULL; /* 200 ms */
  double t0 = now_ms();
  __wasi_errno_t e = __wasi_poll_oneoff(&sub, &ev, 1, &n);
  double slept = now_ms() - t0;
  printf("poll_oneoff(clock 200 ms) = %d, events=%d, userdata=%d, slept>=190ms=%d, slept<2s=%d\n", e, (int)n, (int)ev.userdata, slept >= 190, slept < 2000);
  printf("poll_oneoff(no subscriptions) = %d\n", __wasi_poll_oneoff(&sub, &ev, 0, &n));
  __wasi_fd_t conn;
  printf("sock_accept(3) = %d\n", __wasi_sock_accept(3, 0, &conn));
  printf("sock_accept(99) = %d\n", __wasi_sock_accept(99, 0, &conn));
  char buf[8];
  __wasi_iovec_t in = { (uint8_t *)buf, sizeof buf };
  __wasi_size_t got = 0;
  __wasi_roflags_t flags = 0;
  printf("sock_recv(0) = %d\n", __wasi_sock_recv(0, &in, 1, 0, &got, &flags));
  __wasi_ciovec_t out = { (const uint8_t *)"x", 1 };
  printf("sock_send(1) = %d\n", __wasi_sock_send(1, &out, 1, 0, &got));
  printf("sock_shutdown(1) = %d\n", __wasi_sock_shutdown(1, __WASI_SDFLAGS_RD));
  printf("proc_raise(SIGKILL) = %d\n", raw_proc_raise(9));
  printf("proc_raise(SIGTERM) = %d\n", raw_proc_raise(15));
  printf("still running\n");
  return 0;
}`),
      cProgram('int main(void) { puts("sleeping"); fflush(stdout); sleep(600); puts("WOKE UP"); return 0; }', { limits: SMALL }),
    ]);
    expectRanToTheEnd(calls);
    expect(calls.stdout).toBe(
      lines(
        "poll_oneoff(clock 200 ms) = 0, events=1, userdata=42, slept>=190ms=1, slept<2s=1",
        `poll_oneoff(no subscriptions) = ${ERRNO.INVAL}`,
        `sock_accept(3) = ${ERRNO.NOTSUP}`,
        `sock_accept(99) = ${ERRNO.NOTSUP}`,
        `sock_recv(0) = ${ERRNO.NOTSUP}`,
        `sock_send(1) = ${ERRNO.NOTSUP}`,
        `sock_shutdown(1) = ${ERRNO.NOTSUP}`,
        `proc_raise(SIGKILL) = ${ERRNO.NOSYS}`,
        `proc_raise(SIGTERM) = ${ERRNO.NOSYS}`,
        "still running",
      ),
    );
    // The sleep waits on the run's interrupt flag: it ends at the deadline, not after 600 s.
    expectStoppedInTime(sleeper, "timeout", SMALL.timeoutMs);
    expect(sleeper.stdout).toBe("sleeping\n");
    await expectServing();
  });

  it("W13 proc_exit(137) → exit code 137 reported, host alive", async () => {
    const [cRun, raw] = await Promise.all([
      cProgram('int main(void) { puts("before"); fflush(stdout); exit(137); }'),
      wat(`(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 137)) unreachable))`),
    ]);
    for (const r of [cRun, raw]) {
      expect(r.status).toBe("error");
      expect(r.exitCode).toBe(137);
      expect(r.error?.name).toBe("Exit");
      expect(r.error?.message).toContain("137");
    }
    expect(cRun.stdout).toBe("before\n");
    await expectServing();
  });

  it("W14 environ_get and args_get show only what the request passed", async () => {
    const r = await cProgram(String.raw`
int main(void) {
  __wasi_size_t count = 0, size = 0;
  if (__wasi_args_sizes_get(&count, &size)) return 1;
  uint8_t **argv = calloc(count + 1, sizeof *argv), *abuf = malloc(size);
  if (__wasi_args_get(argv, abuf)) return 2;
  for (__wasi_size_t i = 0; i < count; i++) printf("arg[%d]=<%s>\n", (int)i, (char *)argv[i]);
  if (__wasi_environ_sizes_get(&count, &size)) return 3;
  uint8_t **env = calloc(count + 1, sizeof *env), *ebuf = malloc(size);
  if (__wasi_environ_get(env, ebuf)) return 4;
  for (__wasi_size_t i = 0; i < count; i++) printf("env[%d]=<%s>\n", (int)i, (char *)env[i]);
  printf("getenv(PATH)=%s getenv(HOME)=%s\n", getenv("PATH") ? "set" : "unset", getenv("HOME") ? "set" : "unset");
  return 0;
}`, { args: ["one", "two words", "", "ünï"], env: { A: "1", B: "x=y", EMPTY: "" } });
    expectRanToTheEnd(r);
    expect(r.stdout).toBe(
      lines(
        "arg[0]=<main>",
        "arg[1]=<one>",
        "arg[2]=<two words>",
        "arg[3]=<>",
        "arg[4]=<ünï>",
        "env[0]=<A=1>",
        "env[1]=<B=x=y>",
        "env[2]=<EMPTY=>",
        "getenv(PATH)=unset getenv(HOME)=unset",
      ),
    );
    await expectServing();
  });
});

describe("hostile modules and compiler inputs (added)", () => {
  it("a module declaring more initial memory than memoryLimitBytes is refused before instantiation (memory_limit)", async () => {
    const [defined, imported] = await Promise.all([
      wat(`(module (memory 2000) (func (export "_start")))`, { limits: SMALL }),
      wat(`(module (import "env" "memory" (memory 5000)) (func (export "_start")))`, { limits: SMALL }),
    ]);
    expect(defined.status).toBe("memory_limit");
    expect(defined.error?.message).toContain("declares 125 MiB of initial memory, more than memoryLimitBytes (64 MiB)");
    expect(imported.status).toBe("memory_limit");
    expect(imported.error?.message).toContain("declares 312.5 MiB of initial memory");
    for (const r of [defined, imported]) {
      expect(r.error?.name).toBe("MemoryLimitError");
      expect(runMs(r)).toBeLessThan(500);
    }
    await expectServing();
  });

  it("a table of 2,000,000 elements is refused (WasmModuleError)", async () => {
    const r = await wat(`(module (table 2000000 funcref) (func (export "_start")))`);
    expect(r.status).toBe("error");
    expect(r.error?.name).toBe("WasmModuleError");
    expect(r.error?.message).toContain("table of 2000000 elements; at most 1000000 are allowed");
    await expectServing();
  });

  it("an import the run does not grant → LinkError naming it and how to grant it", async () => {
    const r = await wat(`(module (import "env" "log_i32" (func $log (param i32))) (func (export "_start") (call $log (i32.const 1))))`);
    expect(r.status).toBe("error");
    expect(r.error?.name).toBe("LinkError");
    expect(r.error?.message).toContain("env.log_i32");
    expect(r.error?.message).toContain('wasm.imports: ["env.log_i32"]');
    expect(r.stdout).toBe("");
    await expectServing();
  });

  it("imports wasmbox does not provide (env.system, a global, a WASI name outside preview1) → LinkError", async () => {
    const [system, global, sock] = await Promise.all([
      wat(`(module (import "env" "system" (func $system (param i32) (result i32))) (func (export "_start")))`, { wasm: { imports: ["env.log_i32"] } }),
      wat(`(module (import "env" "secret" (global i32)) (func (export "_start")))`),
      wat(`(module (import "wasi_snapshot_preview1" "sock_open" (func (param i32 i32 i32) (result i32))) (func (export "_start")))`),
    ]);
    for (const r of [system, global, sock]) {
      expect(r.status).toBe("error");
      expect(r.error?.name).toBe("LinkError");
    }
    expect(system.error?.message).toContain("env.system(i32) -> i32, which is not a host function wasmbox provides");
    expect(global.error?.message).toContain("imports global env.secret");
    expect(sock.error?.message).toContain("sock_open, which is not part of WASI preview1");
    // Granting a name that is not on the list is a bad request, not a run.
    await expect(engine.execute({ language: "wasm", code: "(module)", wasm: { imports: ["env.system"] } })).rejects.toSatisfy((e) => isWasmboxError(e, "INVALID_REQUEST"));
    await expectServing();
  });

  it("garbage bytes, a truncated module and a component → compile_error", async () => {
    const valid = Buffer.from(await watToBase64(HELLO_WAT), "base64");
    const [garbage, truncated, component] = await Promise.all([
      run({ language: "wasm", code: Buffer.from("this is not a wasm module, just some bytes").toString("base64") }),
      run({ language: "wasm", code: valid.subarray(0, valid.length - 7).toString("base64") }),
      run({ language: "wasm", code: Buffer.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]).toString("base64") }),
    ]);
    for (const r of [garbage, truncated, component]) {
      expect(r.status).toBe("compile_error");
      expect(r.stdout).toBe("");
    }
    expect(garbage.error?.name).toBe("WasmModuleError");
    expect(garbage.error?.message).toContain("not a WebAssembly binary");
    expect(truncated.error?.message).toMatch(/truncated|not valid WebAssembly/);
    expect(component.error?.message).toContain("component");
    await expectServing();
  });

  it("a WAT syntax error → compile_error with its line", async () => {
    const r = await wat("(module\n  (func (export \"_start\")\n    (nop)\n  )\n  (oops)\n)");
    expect(r.status).toBe("compile_error");
    expect(r.error?.name).toBe("WatSyntaxError");
    expect(r.error?.line).toBe(5);
    expect(r.error?.message).toContain("5:3");
    await expectServing();
  });

  it("a start function that never returns (it runs during instantiation) → timeout", async () => {
    const r = await wat(`(module (func $forever (loop br 0)) (start $forever) (func (export "_start")))`, { limits: SMALL });
    expectStoppedInTime(r, "timeout", SMALL.timeoutMs);
    await expectServing();
  });

  it("unbounded recursion → a clean StackOverflow error", async () => {
    const r = await wat(`(module (func $f (call $f)) (func (export "_start") (call $f)))`);
    expect(r.status).toBe("error");
    expect(r.error?.name).toBe("StackOverflow");
    await expectServing();
  });

  it("compiler flags outside the allowlist are refused before anything compiles (INVALID_REQUEST)", async () => {
    const missesBefore = engine.stats().compileCache.misses;
    const refused: [string, string][] = [
      ["c", "-Wl,--export-all"],
      ["c", "-fplugin=x"],
      ["c", "-I/etc"],
      ["c", "-I../.."],
      ["c", "--sysroot=/"],
      ["c", "@/etc/passwd"],
      ["c", "-Xclang"],
      ["c", "-o/tmp/x"],
      ["c", "-mllvm"],
      ["c", "-include/etc/passwd"],
      ["cpp", "-fexceptions"],
    ];
    for (const [language, flag] of refused) {
      const attempt = engine.execute({ language, code: "int main(void) { return 0; }\n", compile: { flags: [flag] } });
      await expect(attempt, flag).rejects.toSatisfy((e) => isWasmboxError(e, "INVALID_REQUEST") && e.message.includes(JSON.stringify(flag)));
    }
    expect(engine.stats().compileCache.misses).toBe(missesBefore);
    await expectServing();
  });

  it("#include and #embed of host files → compile_error, no host file content in the output", async () => {
    const [passwd, climbing, secret, embed, probe] = await Promise.all([
      run({ language: "c", code: '#include "/etc/passwd"\nint main(void) { return 0; }\n' }),
      run({ language: "c", code: `#include "${climb("/etc/passwd")}"\nint main(void) { return 0; }\n` }),
      run({ language: "c", code: `#include <${c.secretFile}>\nint main(void) { return 0; }\n` }),
      run({ language: "c", code: `static const char data[] = {\n#embed ${cstr(c.secretFile)}\n};\nint main(void) { return data[0]; }\n`, compile: { flags: ["-std=c23"] } }),
      run({
        language: "c",
        code: lines(
          "#include <stdio.h>",
          '#if __has_include("/etc/passwd")',
          "#define PASSWD 1",
          "#else",
          "#define PASSWD 0",
          "#endif",
          `#if __has_include(${cstr(c.secretFile)})`,
          "#define SECRET 1",
          "#else",
          "#define SECRET 0",
          "#endif",
          'int main(void) { printf("passwd=%d secret=%d\\n", PASSWD, SECRET); return 0; }',
        ),
      }),
    ]);
    for (const r of [passwd, climbing, secret, embed]) {
      expect(r.status).toBe("compile_error");
      expect(r.error?.name).toBe("CompileError");
      expect(r.error?.line).toBe(r === embed ? 2 : 1);
      expect(r.error?.message).toContain("file not found");
      expect(r.compile?.diagnostics[0]?.severity).toBe("error");
      expect(r.stderr).not.toContain("root:");
      expect(r.compile?.output).not.toContain("root:");
    }
    expectRanToTheEnd(probe);
    expect(probe.stdout).toBe("passwd=0 secret=0\n");
    await expectServing();
  });

  it("system() and signals do not link: nothing runs", async () => {
    const [system, signal] = await Promise.all([
      run({ language: "c", code: `#include <stdlib.h>\nint main(void) { return system("touch ${c.neverPath}"); }\n` }),
      run({ language: "c", code: "#include <signal.h>\nint main(void) { return raise(SIGKILL); }\n" }),
    ]);
    expect(system.status).toBe("compile_error");
    expect(system.error?.message).toContain("undefined symbol: system");
    expect(signal.status).toBe("compile_error");
    expect(signal.stderr).toContain("wasm lacks signal support");
    await expectServing();
  });
});
