/**
 * Helpers shared by the WebAssembly suites (wasi-escapes, wasm-conformance): WASI errno
 * numbers as a guest sees them, WAT → binary with wabt, the host-measured run time of a
 * result, and the native toolchain (gcc/g++) the C and C++ programs are compared against.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import wabtInit from "wabt";
import type { Execution } from "@wasmbox/node";

/** WASI preview1 errno values (what `__wasi_*` calls return, and what wasi-libc puts in `errno`). */
export const ERRNO = {
  SUCCESS: 0,
  BADF: 8,
  FAULT: 21,
  FBIG: 22,
  INVAL: 28,
  MFILE: 33,
  NOENT: 44,
  NOSPC: 51,
  NOSYS: 52,
  NOTSUP: 58,
  NOTCAPABLE: 76,
} as const;

export const MiB = 1024 * 1024;

/** Lines joined with "\n", with a final newline: what a program printing them writes. */
export const lines = (...l: string[]): string => l.join("\n") + "\n";

let wabt: ReturnType<typeof wabtInit> | undefined;

/** Assemble WebAssembly text into a binary module (the test's own wabt, not the product's). */
export async function watToBinary(text: string): Promise<Uint8Array> {
  const w = await (wabt ??= wabtInit());
  // Bytes, not a string: wabt.js turns a JS string into one byte per UTF-16 unit.
  const module = w.parseWat("test.wat", new TextEncoder().encode(text));
  try {
    module.resolveNames();
    module.validate();
    return new Uint8Array(module.toBinary({ log: false }).buffer);
  } finally {
    module.destroy();
  }
}

/** `code` for a `language: "wasm"` request carrying a binary module. */
export async function watToBase64(text: string): Promise<string> {
  return Buffer.from(await watToBinary(text)).toString("base64");
}

/**
 * How long the program itself ran, as the host measured it: from handing the run to its
 * sandbox until the result (or the kill). Queueing, sandbox start and compiling are not in it.
 */
export function runMs(r: Execution): number {
  return r.timings.executionTimeMs;
}

/** What a natively built program printed. */
export interface NativeRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** Files the program left in its working directory, by relative path (only the ones asked for). */
  files: Map<string, string>;
}

export interface NativeOptions {
  stdin?: string;
  args?: string[];
  /** Input files, by relative path, created in the program's working directory. */
  files?: Record<string, string>;
  /** Output files to read back after the run. */
  collect?: string[];
  /** The program's stack limit (`ulimit -s`, KiB); default the machine's (8 MiB on Linux). */
  stackKiB?: number;
}

const NATIVE_COMPILERS = { c: ["gcc", "-std=c17"], cpp: ["g++", "-std=c++17", "-fno-exceptions"] } as const;

/** Run a command to completion (asynchronously: the engine's watchdogs share this event loop). */
function exec(command: string, args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => stdout.push(b));
    child.stderr.on("data", (b: Buffer) => stderr.push(b));
    child.on("error", reject);
    child.on("close", (status) => resolve({ stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8"), status }));
    child.stdin.on("error", () => {}); // a program that exits without reading its stdin
    child.stdin.end(options.input ?? "");
  });
}

/**
 * Build `source` with the machine's gcc/g++ and run it. The reference the wasm build must
 * match. Throws (fails the test, never skips it) when the compiler is missing.
 */
export async function runNative(language: "c" | "cpp", source: string, options: NativeOptions = {}): Promise<NativeRun> {
  const [compiler, ...std] = NATIVE_COMPILERS[language];
  const dir = await mkdtemp(join(tmpdir(), "wasmbox-native-"));
  try {
    const src = join(dir, language === "c" ? "main.c" : "main.cpp");
    const bin = join(dir, "main");
    await writeFile(src, source);
    const build = await exec(compiler, [...std, "-O2", "-o", bin, src, "-lm"]).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") {
        throw new Error(`${compiler} is not installed: the ${language} conformance tests compare wasmbox against a native build and need ${compiler} on PATH`);
      }
      throw e;
    });
    if (build.status !== 0) throw new Error(`${compiler} failed to build the reference program:\n${build.stderr}`);
    const work = join(dir, "work");
    await mkdir(work);
    for (const [path, content] of Object.entries(options.files ?? {})) {
      await mkdir(dirname(join(work, path)), { recursive: true });
      await writeFile(join(work, path), content);
    }
    const args = options.args ?? [];
    const run =
      options.stackKiB === undefined
        ? await exec(bin, args, { cwd: work, input: options.stdin ?? "", env: {} })
        : await exec("/bin/sh", ["-c", `ulimit -s ${options.stackKiB} && exec "$0" "$@"`, bin, ...args], { cwd: work, input: options.stdin ?? "", env: {} });
    const files = new Map<string, string>();
    for (const path of options.collect ?? []) files.set(path, await readFile(join(work, path), "utf8"));
    return { stdout: run.stdout, stderr: run.stderr, exitCode: run.status, files };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A short random tag: put it in a source file to make its compile-cache key new. */
export function nonce(): string {
  return Math.random().toString(36).slice(2, 10);
}
