/**
 * The differential suite: whole programs, each run natively (python3, node, gcc, g++) and
 * through wasmbox with the same stdin, args and files. The user-visible result must be the
 * same: the exact bytes of stdout and the exit code.
 *
 * The programs and where each comes from are listed in differential/programs/manifest.json
 * (the human-readable table, with the programs left out and why, is MANIFEST.md beside it).
 * A program's expected output is never written down: the native tool is the oracle.
 *
 * C and C++ compile into a fresh cache directory, so every C/C++ case really compiles in
 * wasm (the test checks `compile.cached` is false).
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine, type Execution } from "@wasmbox/node";

type Language = "python" | "javascript" | "typescript" | "c" | "cpp";

interface ProgramEntry {
  /** Unique name; also the test's name. */
  id: string;
  language: Language;
  /** The program's file, relative to the programs folder. Its base name is the run's `filename`. */
  file: string;
  /** A file (relative to the programs folder) whose bytes are the program's stdin. */
  stdin?: string;
  args?: string[];
  /** Guest path → file relative to the programs folder, placed beside the program. */
  files?: Record<string, string>;
  /** Where the program comes from: repository or page, path, commit, author. */
  origin: string;
  license: string;
  /** The license text that ships with the program, where it is third-party. */
  licenseFile?: string;
  /** What the program exercises, and anything added to it (a driver). */
  notes?: string;
}

interface Manifest {
  programs: ProgramEntry[];
  /** Programs tried and left out because of an honest platform limit. */
  excluded: { id: string; language: Language; origin: string; reason: string }[];
}

const PROGRAMS_DIR = join(dirname(fileURLToPath(import.meta.url)), "differential", "programs");
const manifest = JSON.parse(readFileSync(join(PROGRAMS_DIR, "manifest.json"), "utf8")) as Manifest;

/** Native runs get no more environment than a wasmbox run does, bar what the tools need. */
const NATIVE_ENV = { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8", PYTHONIOENCODING: "utf-8", PYTHONHASHSEED: "0" };
const NATIVE_TIMEOUT_MS = 20_000;
/** node is the Node running this test (the pinned Node 24): it strips TypeScript types itself. */
const NODE = process.execPath;

const baseName = (file: string) => file.slice(file.lastIndexOf("/") + 1);

interface RunOutput {
  stdout: Buffer;
  stderr: string;
  exitCode: number | null;
}

const execFileAsync = promisify(execFile);

/** Run a native command with stdin; resolves with its output and exit code whatever the code. */
function runWithStdin(command: string, argv: string[], cwd: string, stdin: Buffer): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, argv, { cwd, env: NATIVE_ENV, encoding: "buffer", timeout: NATIVE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") reject(error);
      else resolve({ stdout, stderr: stderr.toString("utf8"), exitCode: error ? (error.code as number) : 0 });
    });
    // A program that never reads its stdin may exit before it is written: not an error.
    child.stdin?.on("error", () => {});
    child.stdin?.end(stdin);
  });
}

/** Compile (C, C++) and run a program natively in its own temp dir holding its files. */
async function runNative(entry: ProgramEntry, workDir: string): Promise<RunOutput> {
  const name = baseName(entry.file);
  const programDir = join(workDir, "run");
  mkdirSync(programDir, { recursive: true });
  for (const [guestPath, file] of Object.entries(entry.files ?? {})) {
    mkdirSync(dirname(join(programDir, guestPath)), { recursive: true });
    copyFileSync(join(PROGRAMS_DIR, file), join(programDir, guestPath));
  }
  copyFileSync(join(PROGRAMS_DIR, entry.file), join(programDir, name));
  let command: string;
  let argv: string[];
  switch (entry.language) {
    case "python":
      [command, argv] = ["/usr/bin/python3", [name]];
      break;
    case "javascript":
    case "typescript":
      [command, argv] = [NODE, ["--no-warnings", name]];
      break;
    case "c":
    case "cpp": {
      const binary = join(workDir, "program");
      const [compiler, ...flags] = entry.language === "c" ? ["gcc", "-O2", "-std=gnu17"] : ["g++", "-O2", "-std=c++17"];
      await execFileAsync(compiler!, [...flags, "-o", binary, join(programDir, name), "-lm"], { env: NATIVE_ENV });
      [command, argv] = [binary, []];
      break;
    }
  }
  const stdin = entry.stdin ? readFileSync(join(PROGRAMS_DIR, entry.stdin)) : Buffer.alloc(0);
  return runWithStdin(command, [...argv, ...(entry.args ?? [])], programDir, stdin);
}

/** The exact bytes of stdout: `stdoutBase64` when they are not UTF-8, else the text. */
const stdoutBytes = (result: Execution): Buffer => (result.stdoutBase64 === undefined ? Buffer.from(result.stdout, "utf8") : Buffer.from(result.stdoutBase64, "base64"));

async function runInWasmbox(entry: ProgramEntry): Promise<Execution> {
  const files: Record<string, string> = {};
  for (const [guestPath, file] of Object.entries(entry.files ?? {})) files[guestPath] = readFileSync(join(PROGRAMS_DIR, file), "utf8");
  return engine.execute({
    language: entry.language,
    code: readFileSync(join(PROGRAMS_DIR, entry.file), "utf8"),
    filename: baseName(entry.file),
    stdin: entry.stdin ? readFileSync(join(PROGRAMS_DIR, entry.stdin), "utf8") : "",
    args: entry.args ?? [],
    files,
    // Compiles run under the request's timeoutMs too; C++ headers take seconds in wasm clang.
    limits: { timeoutMs: 60_000 },
  });
}

/** A short account of how the two runs differ, for the failure message. */
function describeDifference(native: RunOutput, result: Execution): string {
  const ours = stdoutBytes(result);
  let at = 0;
  while (at < native.stdout.length && at < ours.length && native.stdout[at] === ours[at]) at++;
  const around = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, at - 40), at + 80).toString("utf8"));
  return [
    `wasmbox: status ${result.status}, exit ${result.exitCode}, ${ours.length} stdout bytes; native: exit ${native.exitCode}, ${native.stdout.length} bytes`,
    `first difference at byte ${at}: native ${around(native.stdout)} vs wasmbox ${around(ours)}`,
    result.error ? `wasmbox error: ${result.error.name}: ${result.error.message}` : "",
    result.stderr ? `wasmbox stderr: ${result.stderr.slice(0, 600)}` : "",
    native.stderr ? `native stderr: ${native.stderr.slice(0, 300)}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}

let engine: Engine;
let cacheDir: string;
const workDirs: string[] = [];

beforeAll(() => {
  cacheDir = mkdtempSync(join(tmpdir(), "wasmbox-differential-cache-"));
  engine = createEngine({ pool: { python: 2, quickjs: 1, wasm: 1, clang: 2 }, cacheDir });
});

afterAll(async () => {
  await engine?.dispose();
  for (const dir of [cacheDir, ...workDirs]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the manifest", () => {
  it("lists every program file, each once, with its origin and license; MANIFEST.md names them all", () => {
    const listed = new Set<string>();
    for (const p of manifest.programs) {
      for (const f of [p.file, p.stdin, p.licenseFile, ...Object.values(p.files ?? {})]) if (f) listed.add(f);
      expect(p.origin.length, p.id).toBeGreaterThan(0);
      expect(p.license.length, p.id).toBeGreaterThan(0);
    }
    const onDisk = readdirSync(PROGRAMS_DIR, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name).slice(PROGRAMS_DIR.length + 1))
      .filter((f) => f !== "manifest.json" && f !== "MANIFEST.md");
    expect(onDisk.sort()).toEqual([...listed].sort());
    const ids = manifest.programs.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const table = readFileSync(join(PROGRAMS_DIR, "MANIFEST.md"), "utf8");
    for (const id of [...ids, ...manifest.excluded.map((e) => e.id)]) expect(table, id).toContain(`\`${id}\``);
  });
});

describe.each(["python", "javascript", "typescript", "c", "cpp"] as const)("%s programs: native and wasmbox agree", (language) => {
  const programs = manifest.programs.filter((p) => p.language === language);
  // One at a time: run concurrently, the compiles and Python boots fight for CI's two cores and the
  // whole file took longer (165 s against 120 s), with C++ compiles passing their time limit.
  for (const entry of programs) it(entry.id, async () => {
    const workDir = mkdtempSync(join(tmpdir(), "wasmbox-differential-"));
    workDirs.push(workDir);
    const [native, result] = await Promise.all([runNative(entry, workDir), runInWasmbox(entry)]);
    if (entry.language === "c" || entry.language === "cpp") expect(result.compile?.cached).toBe(false);
    const same = stdoutBytes(result).equals(native.stdout) && result.exitCode === native.exitCode;
    expect(same, describeDifference(native, result)).toBe(true);
  }, 180_000);
});
