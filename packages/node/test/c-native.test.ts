/**
 * C and C++ behave like a native build where users rely on it (issue 11, items 2 and 5):
 * an 8 MiB stack, as Linux gives a program, so variable-length arrays of a few hundred KiB
 * and recursion 100 000 deep run as they do under gcc; running out of stack ends with
 * `StackOverflow`, the stack's size and how to raise it (a wild pointer is still "memory
 * access out of bounds"); and code written for gcc that clang refuses (implicit function
 * declarations, implicit int, int-conversion) fails with an error that names the fix.
 *
 * Every program is also built natively with gcc/g++ -O2 and run; the wasm build must print
 * the same bytes, and crash where the native build crashes. The compile cache lives in a
 * temp dir of this file, so every build here is a real compile.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine, type Execution } from "@wasmbox/node";
import { compileKey } from "../src/host/compile-cache.js";
import { MiB, runNative, watToBase64 } from "./wasm-helpers.js";

let engine: Engine;
const cacheDir = mkdtempSync(join(tmpdir(), "wasmbox-c-native-"));

beforeAll(() => {
  engine = createEngine({ pool: { python: 0, quickjs: 0 }, cacheDir });
});

afterAll(async () => {
  await engine?.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

const BIG_STACK = 32 * MiB;

/** One program, several behaviours chosen by argv, so one compile serves many runs. */
const STACK_PROGRAM = String.raw`#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* spectral-norm, its vectors in variable-length arrays (3 x n doubles: 120 KB at n = 5000) */
static double A(int i, int j) { return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1); }
static void Av(int n, const double v[n], double out[n]) {
  for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < n; j++) s += A(i, j) * v[j]; out[i] = s; }
}
static void Atv(int n, const double v[n], double out[n]) {
  for (int i = 0; i < n; i++) { double s = 0; for (int j = 0; j < n; j++) s += A(j, i) * v[j]; out[i] = s; }
}
static void AtAv(int n, const double v[n], double out[n]) { double tmp[n]; Av(n, v, tmp); Atv(n, tmp, out); }
static void spectral(int n) {
  double u[n], v[n];
  for (int i = 0; i < n; i++) u[i] = 1;
  AtAv(n, u, v);
  AtAv(n, v, u);
  double vBv = 0, vv = 0;
  for (int i = 0; i < n; i++) { vBv += u[i] * v[i]; vv += v[i] * v[i]; }
  printf("spectral %d: %0.9f\n", n, sqrt(vBv / vv));
}

/* A recursive walk down a linked list; the sum is formed after the call, so it stays a call. */
struct node { struct node *next; int value; };
static long walk(const struct node *n, int depth) {
  if (!n) return 0;
  volatile int pad[2] = { n->value, depth };
  long rest = walk(n->next, depth + 1);
  return (rest * 31 + pad[0] + pad[1]) % 1000003;
}
static void walk_list(int count) {
  struct node *nodes = malloc(sizeof *nodes * count);
  for (int i = 0; i < count; i++) { nodes[i].value = i % 97; nodes[i].next = i + 1 < count ? &nodes[i + 1] : NULL; }
  printf("walk %d: %ld\n", count, walk(nodes, 0));
  free(nodes);
}

/* A large VLA in a function that calls others, and one in a function that calls nothing. */
__attribute__((noinline)) static void fill(double *a, int n) { for (int i = 0; i < n; i++) a[i] = i * 0.5; }
__attribute__((noinline)) static double sum(const double *a, int n) { double s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
static void vla(int n) { double a[n]; fill(a, n); printf("vla %d: %.1f\n", n, sum(a, n)); }
__attribute__((noinline)) static double leaf(int n) {
  volatile double a[n];
  for (int i = 0; i < n; i++) a[i] = i * 0.5;
  double s = 0;
  for (int i = 0; i < n; i++) s += a[i];
  return s;
}

/* Recursion that keeps nothing in memory: only the call depth grows. */
__attribute__((noinline)) static unsigned deep(unsigned n) { return n == 0 ? 0 : (deep(n - 1) * 7u + n) % 1000003u; }

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  long n = argc > 2 ? atol(argv[2]) : 0;
  if (!strcmp(mode, "spectral")) spectral((int)n);
  else if (!strcmp(mode, "walk")) walk_list((int)n);
  else if (!strcmp(mode, "vla")) vla((int)n);
  else if (!strcmp(mode, "leaf")) printf("leaf %ld: %.1f\n", n, leaf((int)n));
  else if (!strcmp(mode, "deep")) printf("deep %ld: %u\n", n, deep((unsigned)n));
  else if (!strcmp(mode, "wild")) {
    printf("writing to %lu\n", (unsigned long)n);
    fflush(stdout);
    *(volatile int *)(uintptr_t)n = 1;
    printf("wrote\n");
  } else return 2;
  return 0;
}
`;

function runC(args: string[], extra: Record<string, unknown> = {}): Promise<Execution> {
  return engine.execute({ language: "c", code: STACK_PROGRAM, args, limits: { timeoutMs: 20_000 }, ...extra });
}

describe("C: a native-like stack", () => {
  it("runs 120 KB of VLAs, recursion 100 000 deep and large local arrays as gcc does", async () => {
    for (const args of [
      ["spectral", "5000"],
      ["walk", "100000"],
      ["vla", "100000"],
      ["leaf", "100000"],
      ["deep", "100000"],
    ]) {
      const [r, native] = await Promise.all([runC(args), runNative("c", STACK_PROGRAM, { args })]);
      expect(native.exitCode, args.join(" ")).toBe(0);
      expect({ args, status: r.status, stdout: r.stdout, error: r.error }).toEqual({ args, status: "ok", stdout: native.stdout, error: null });
    }
  });

  it("reports running out of stack as StackOverflow, with the size and how to raise it, where gcc's build crashes", async () => {
    for (const args of [
      ["walk", "1000000"], // 1 000 000 frames
      ["vla", "1500000"], // a 12 MB array in a function that calls others
      ["leaf", "1500000"], // …and in one that calls nothing
    ]) {
      const [r, native] = await Promise.all([runC(args), runNative("c", STACK_PROGRAM, { args })]);
      expect(native.exitCode, `native ${args.join(" ")} overflows its 8 MiB stack too`).toBeNull();
      expect(r.status).toBe("error");
      expect(r.exitCode).toBe(1);
      expect(r.error?.name, args.join(" ")).toBe("StackOverflow");
      expect(r.error?.message).toContain("its stack is 8 MiB");
      expect(r.error?.message).toContain('compile.flags: ["-Wl,-z,stack-size=16777216"]');
      expect(r.error?.message).toContain("memory access out of bounds");
      expect(r.stderr).toContain("StackOverflow: the program ran out of stack");
    }
  });

  it("still reports a wild pointer as memory access out of bounds, not as a stack overflow", async () => {
    const args = ["wild", "4000000000"];
    const [r, native] = await Promise.all([runC(args), runNative("c", STACK_PROGRAM, { args })]);
    expect(native.exitCode).toBeNull();
    expect(r.stdout).toBe(native.stdout);
    expect(r.error).toMatchObject({ name: "RuntimeError", message: "wasm trap: memory access out of bounds" });
  });

  it("says what to do when the calls nest deeper than the host thread allows", async () => {
    const args = ["deep", "10000000"];
    const [r, native] = await Promise.all([runC(args), runNative("c", STACK_PROGRAM, { args })]);
    expect(native.exitCode).toBeNull();
    expect(r.status).toBe("error");
    expect(r.error?.name).toBe("StackOverflow");
    expect(r.error?.message).toContain("Maximum call stack size exceeded");
    expect(r.error?.message).toContain("Make the recursion shallower");
  });

  it("takes a larger stack from -Wl,-z,stack-size=N, which counts toward memoryLimitBytes", async () => {
    const compile = { flags: [`-Wl,-z,stack-size=${BIG_STACK}`] };
    for (const args of [
      ["vla", "1500000"],
      ["leaf", "1500000"],
    ]) {
      const [r, native] = await Promise.all([runC(args, { compile }), runNative("c", STACK_PROGRAM, { args, stackKiB: BIG_STACK / 1024 })]);
      expect(native.exitCode).toBe(0);
      expect({ status: r.status, stdout: r.stdout }).toEqual({ status: "ok", stdout: native.stdout });
    }
    const tight = await runC(["vla", "10"], { compile, limits: { memoryLimitBytes: 16 * MiB } });
    expect(tight.status).toBe("memory_limit");
    expect(tight.error?.name).toBe("MemoryLimitError");
    expect(tight.error?.message).toContain("stack (32 MiB)");
    expect(tight.error?.message).toContain("raise limits.memoryLimitBytes");
    expect(tight.error?.message).toContain('compile.flags: ["-Wl,-z,stack-size=N"]');
    // Only the stack size is a linker flag a request may set, and only a sane one.
    await expect(runC(["vla", "10"], { compile: { flags: ["-Wl,-z,stack-size=1000"] } })).rejects.toThrow(/stack size must be a multiple of 16 bytes from 65536/);
    await expect(runC(["vla", "10"], { compile: { flags: ["-Wl,--stack-first"] } })).rejects.toThrow(/the one linker flag allowed is -Wl,-z,stack-size=N/);
    // The stack is part of the build's cache key, the default's included.
    const request = { language: "c" as const, code: STACK_PROGRAM };
    expect(compileKey({ ...request, compile }, "main.c", "clang")).not.toBe(compileKey(request, "main.c", "clang"));
  });

  it("reads the stack of an uploaded module that exports __stack_pointer", async () => {
    // A stack of 64 KiB at [0, 65536), as wasm-ld lays it out: `overflow` moves the pointer
    // below 0 and stores there; `wild` stores far away with the pointer where it was.
    const wat = `(module
      (memory (export "memory") 2)
      (global $sp (export "__stack_pointer") (mut i32) (i32.const 65536))
      (data (i32.const 65536) "data")
      (func (export "overflow") (global.set $sp (i32.sub (global.get $sp) (i32.const 131072))) (i32.store (global.get $sp) (i32.const 1)))
      (func (export "wild") (i32.store (i32.const 200000) (i32.const 1))))`;
    const code = await watToBase64(wat);
    const overflow = await engine.execute({ language: "wasm", code, wasm: { invoke: { export: "overflow" } } });
    expect(overflow.error?.name).toBe("StackOverflow");
    expect(overflow.error?.message).toContain("its stack is 64 KiB");
    expect(overflow.error?.message).toContain("wasm-ld -z stack-size=131072");
    const wild = await engine.execute({ language: "wasm", code, wasm: { invoke: { export: "wild" } } });
    expect(wild.error).toMatchObject({ name: "RuntimeError", message: "wasm trap: memory access out of bounds" });
  });
});

describe("C++: a native-like stack", () => {
  it("runs a recursive DFS 60 000 deep with std::vector locals as g++ does", async () => {
    const source = String.raw`#include <cstdio>
#include <vector>

static std::vector<std::vector<int>> children;

// Each frame keeps a vector of its children's results: a real frame, not a loop in disguise.
static long dfs(int node, int depth) {
  std::vector<long> below;
  for (int child : children[node]) below.push_back(dfs(child, depth + 1));
  long h = node * 2654435761L % 1000003 + depth;
  for (long b : below) h = (h * 31 + b) % 1000003;
  return h;
}

int main() {
  const int n = 60000;
  children.resize(n);
  unsigned seed = 12345;
  // Mostly a chain (deep recursion), with a few side branches.
  for (int i = 1; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    int parent = (seed >> 16) % 50 == 0 && i > 10 ? i - 1 - (int)((seed >> 8) % 10) : i - 1;
    children[parent].push_back(i);
  }
  std::printf("dfs: %ld\n", dfs(0, 0));
  return 0;
}
`;
    const [r, native] = await Promise.all([engine.execute({ language: "cpp", code: source, limits: { timeoutMs: 20_000 } }), runNative("cpp", source)]);
    expect(native.exitCode).toBe(0);
    expect({ status: r.status, stdout: r.stdout, error: r.error }).toEqual({ status: "ok", stdout: native.stdout, error: null });
  });
});

describe("C: code written for gcc", () => {
  const IMPLICIT = String.raw`int main(void) {
  printf("%d\n", (int)strlen("abc") + twice(2));
  return 0;
}
int twice(int x) { return 2 * x; }
`;

  it("names the missing header, or the flag, for implicit function declarations; with the flag it runs as under gcc", async () => {
    const r = await engine.execute({ language: "c", code: IMPLICIT });
    expect(r.status).toBe("compile_error");
    expect(r.error?.message).toContain("call to undeclared library function 'printf'");
    expect(r.error?.message).toContain("To fix: add #include <stdio.h> (it declares 'printf')");
    expect(r.error?.message).toContain('compile.flags: ["-Wno-error=implicit-function-declaration"]');
    const notes = r.compile?.diagnostics.filter((d) => d.severity === "note").map((d) => d.message) ?? [];
    expect(notes).toContainEqual(expect.stringContaining("add #include <string.h> (it declares 'strlen')"));
    // A function of the program's own: declare it, or the flag.
    expect(notes).toContainEqual(expect.stringMatching(/^declare 'twice' before its first use.*-Wno-error=implicit-function-declaration/));

    const flags = ["-Wno-error=implicit-function-declaration"];
    const [ok, native] = await Promise.all([engine.execute({ language: "c", code: IMPLICIT, compile: { flags } }), runNative("c", IMPLICIT)]);
    expect(native.exitCode).toBe(0);
    expect({ status: ok.status, stdout: ok.stdout }).toEqual({ status: "ok", stdout: native.stdout });
    expect(ok.compile?.diagnostics.some((d) => d.severity === "warning" && d.message.includes("implicit-function-declaration"))).toBe(true);
  });

  it("names the flag for implicit int and int-conversion, and runs with it as under gcc", async () => {
    const source = String.raw`#include <stdio.h>
static answer(void) { return 42; }
int main(void) {
  long address = (long)&answer;
  int *p = address;
  printf("%d %d\n", answer(), p != 0);
  return 0;
}
`;
    const r = await engine.execute({ language: "c", code: source });
    expect(r.status).toBe("compile_error");
    expect(r.error?.message).toContain("[-Wimplicit-int]. To fix: write the type that was left out (int)");
    expect(r.error?.message).toContain('compile.flags: ["-Wno-error=implicit-int"]');
    const notes = r.compile?.diagnostics.filter((d) => d.severity === "note").map((d) => d.message) ?? [];
    expect(notes).toContainEqual(expect.stringContaining('compile.flags: ["-Wno-error=int-conversion"]'));

    const flags = ["-Wno-error=implicit-int", "-Wno-error=int-conversion"];
    const [ok, native] = await Promise.all([engine.execute({ language: "c", code: source, compile: { flags } }), runNative("c", source)]);
    expect(native.exitCode).toBe(0);
    expect({ status: ok.status, stdout: ok.stdout }).toEqual({ status: "ok", stdout: native.stdout });
  });
});

describe("C: files that grow with the work", () => {
  it("writes, extends past the end (a hole of zeros), truncates and grows again as under gcc", async () => {
    const source = String.raw`#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

/* 32-bit on both (long is 32-bit on wasm32, 64-bit natively) */
static unsigned int sum(const char *path, long *size) {
  FILE *f = fopen(path, "rb"); unsigned int h = 5381; int c; *size = 0;
  while ((c = fgetc(f)) != EOF) { h = h * 33 + (unsigned char)c; (*size)++; }
  fclose(f); return h;
}

int main(void) {
  static char chunk[65536];
  for (int i = 0; i < (int)sizeof chunk; i++) chunk[i] = (char)(i * 7 + 3);
  FILE *f = fopen("big.bin", "wb");
  for (int i = 0; i < 40; i++) fwrite(chunk, 1, sizeof chunk - i, f);   /* ~2.5 MiB in uneven chunks */
  fclose(f);
  long size; unsigned int h = sum("big.bin", &size);
  printf("written %ld %u\n", size, h);
  int fd = open("big.bin", O_RDWR);
  ftruncate(fd, 1000);                                   /* shrink */
  pwrite(fd, "tail", 4, 5000);                           /* past the end: bytes 1000..4999 are a hole */
  char back[4000]; pread(fd, back, sizeof back, 1000);
  int zeros = 1; for (int i = 0; i < (int)sizeof back; i++) if (back[i] != 0) zeros = 0;
  close(fd);
  h = sum("big.bin", &size);
  printf("after %ld %u hole-zeros %d\n", size, h, zeros);
  f = fopen("big.bin", "ab"); fwrite(chunk, 1, 3, f); fclose(f);
  h = sum("big.bin", &size);
  printf("appended %ld %u\n", size, h);
  return 0;
}
`;
    const [r, native] = await Promise.all([engine.execute({ language: "c", code: source, limits: { timeoutMs: 20_000 } }), runNative("c", source)]);
    expect(native.exitCode).toBe(0);
    expect({ status: r.status, stdout: r.stdout, error: r.error }).toEqual({ status: "ok", stdout: native.stdout, error: null });
    expect(r.files.find((f) => f.path === "big.bin")?.size).toBe(5007);
  });
});
