/**
 * The command line with the WebAssembly family: C, C++, AssemblyScript, .wasm and .wat
 * files, compile errors, --invoke/--grant, compiler flags and the repository's examples/.
 * Every test spawns the real binary, as a user would.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecuteResult } from "@wasmbox/node";

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, "../bin/wasmbox.js");
const EXAMPLES = resolve(HERE, "../../../examples");
let work: string;
let cacheDir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function wasmbox(args: string[], input = ""): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, WASMBOX_CACHE_DIR: cacheDir }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {});
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const PROGRAMS: Record<string, string> = {
  "hello.c": '#include <stdio.h>\nint main(int argc, char **argv) {\n  printf("hello from C, %d args, last=%s\\n", argc, argv[argc - 1]);\n  return 0;\n}\n',
  "broken.c": "int main(void) {\n  int x = 1\n  return x;\n}\n",
  "exit3.c": "#include <stdlib.h>\nint main(void) { exit(3); }\n",
  "spin.c": "int main(void) { volatile int x = 0; for (;;) x++; }\n",
  "vec.cpp": '#include <iostream>\n#include <vector>\nint main() { std::vector<int> v{1, 2, 3}; int s = 0; for (int x : v) s += x; std::cout << "sum=" << s << "\\n"; }\n',
  "as-prog.ts": 'console.log("AssemblyScript via --language");\n',
  "square.wat": '(module (func (export "square") (param i64) (result i64) local.get 0 local.get 0 i64.mul))\n',
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "wasmbox-cli-wasm-"));
  cacheDir = mkdtempSync(join(tmpdir(), "wasmbox-cli-wasm-cache-"));
  for (const [name, code] of Object.entries(PROGRAMS)) writeFileSync(join(work, name), code);
});

afterAll(() => {
  for (const dir of [work, cacheDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("wasmbox run: C and C++", () => {
  it("compiles and runs a .c file; arguments reach argv", async () => {
    const run = await wasmbox(["run", "hello.c", "--", "a", "b"]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("hello from C, 3 args, last=b\n");
    expect(run.code).toBe(0);
  }, 90_000);

  it("a compile error exits 1 with clang's diagnostics on stderr", async () => {
    const run = await wasmbox(["run", "broken.c"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/broken\.c:2:12: error: expected ';'/);
  }, 90_000);

  it("--json carries the compile info: diagnostics, compiler, cache", async () => {
    const first = JSON.parse((await wasmbox(["run", "broken.c", "--json"])).stdout) as Pick<ExecuteResult, "status" | "compile">;
    expect(first.status).toBe("compile_error");
    expect(first.compile?.compiler).toMatch(/^clang \d+/);
    expect(first.compile?.diagnostics[0]).toMatchObject({ file: "broken.c", line: 2, column: 12, severity: "error" });
    await wasmbox(["run", "hello.c", "--json"]);
    const ok = JSON.parse((await wasmbox(["run", "hello.c", "--json"])).stdout) as Pick<ExecuteResult, "status" | "compile">;
    expect(ok.status).toBe("ok");
    // Another process compiled hello.c with the same flags before: this one reads the disk cache.
    expect(ok.compile?.cached).toBe(true);
  }, 90_000);

  it("the program's own exit code becomes the CLI's", async () => {
    expect((await wasmbox(["run", "exit3.c"])).code).toBe(3);
  }, 90_000);

  it("an endless loop is stopped at the time limit: exit 124", async () => {
    const run = await wasmbox(["run", "spin.c", "--timeout-ms", "500"]);
    expect(run.code).toBe(124);
    expect(run.stderr).toMatch(/timeout/);
  }, 90_000);

  it("compiler flags: allowed ones pass, others exit 2 naming the flag", async () => {
    expect((await wasmbox(["run", "hello.c", "-O", "0", "--cflag=-Wall", "--cflag=-DX=1"])).code).toBe(0);
    const bad = await wasmbox(["run", "hello.c", "--cflag=-Wl,--export-all"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/-Wl,--export-all.*not allowed/);
  }, 90_000);

  it("compiles C++ with the standard library", async () => {
    const run = await wasmbox(["run", "vec.cpp"]);
    expect(run.stdout).toBe("sum=6\n");
    expect(run.code).toBe(0);
  }, 90_000);
});

describe("wasmbox run: WebAssembly modules", () => {
  it("a .wat module: --invoke calls an export and prints its return value (i64 as a number)", async () => {
    const run = await wasmbox(["run", "square.wat", "--invoke", "square(12)"]);
    expect(run.stdout).toBe("144\n");
    expect(run.code).toBe(0);
  }, 90_000);

  it("a .wasm binary runs too (bytes are sent as base64)", async () => {
    const wabt = await (await import("wabt")).default();
    const module = wabt.parseWat("square.wat", PROGRAMS["square.wat"]!);
    writeFileSync(join(work, "square.wasm"), module.toBinary({}).buffer);
    module.destroy();
    const run = await wasmbox(["run", "square.wasm", "--invoke", "square(-3)"]);
    expect(run.stdout).toBe("9\n");
    expect(run.code).toBe(0);
  }, 90_000);

  it("a module without _start and without --invoke says what to do", async () => {
    const run = await wasmbox(["run", "square.wat"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no _start export.*--invoke.*square\(i64\) -> i64/);
  }, 90_000);
});

describe("wasmbox run: AssemblyScript", () => {
  it("runs a .ts file with --language assemblyscript", async () => {
    const run = await wasmbox(["run", "as-prog.ts", "--language", "assemblyscript"]);
    expect(run.stdout).toBe("AssemblyScript via --language\n");
    expect(run.code).toBe(0);
  }, 90_000);
});

describe("the examples/ directory", () => {
  it("add_and_log.c: the host callback fires and the result is returned", async () => {
    const run = await wasmbox(["run", join(EXAMPLES, "add_and_log.c"), "--invoke", "add_and_log(7, 5)", "--grant", "env.log_i32"]);
    expect(run.stdout).toBe("12\n12\n");
    expect(run.code).toBe(0);
  }, 90_000);

  it("add_and_log.wat without --grant fails at link time, naming the import", async () => {
    const run = await wasmbox(["run", join(EXAMPLES, "add_and_log.wat"), "--invoke", "add_and_log(7, 5)"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/LinkError: the module imports env\.log_i32, which this run does not grant/);
  }, 90_000);

  it("hello_stdio.c reads stdin and writes both streams", async () => {
    const run = await wasmbox(["run", join(EXAMPLES, "hello_stdio.c"), "--stdin", "-"], "World\n");
    expect(run.stdout).toBe("Hello from C compiled to WebAssembly!\nNice to meet you, World.\n");
    expect(run.stderr).toBe("(this line went to stderr)\n");
    expect(run.code).toBe(0);
  }, 90_000);

  it("csv_report.c reads a CSV from the request files and writes report.txt", async () => {
    const out = join(work, "report-out");
    const run = await wasmbox(["run", join(EXAMPLES, "csv_report.c"), "--file", `data/sales.csv=${join(EXAMPLES, "sales.csv")}`, "--out-dir", out]);
    expect(run.stdout).toBe("wrote report.txt: 3 regions, total revenue 151.71\n");
    expect(run.code).toBe(0);
    expect(readFileSync(join(out, "report.txt"), "utf8")).toContain("north           2        84.97\n");
  }, 90_000);

  it("hello.as.ts: top-level code, then main()", async () => {
    const run = await wasmbox(["run", join(EXAMPLES, "hello.as.ts")]);
    expect(run.stdout).toBe("Hello from AssemblyScript!\nfib(50) = 12586269025\n");
    expect(run.code).toBe(0);
  }, 90_000);
});
