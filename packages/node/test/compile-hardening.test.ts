/**
 * Request data stays data on its way through the compilers and the JavaScript prelude, as a
 * caller sees it (real clang in wasm, real AssemblyScript, real QuickJS):
 * - path segments that reach a prototype (`__proto__/…`, `constructor/prototype/…`) are refused,
 *   and even handed to the compiler runtime directly they change nothing for a later build;
 * - names that a compiler would read as options or response files (`-v`, `@flags.h`, …) are
 *   refused; the same characters deeper in a path are harmless;
 * - a compile runs under the request's own time and memory limits (a macro bomb with 1 s ends
 *   as `timeout` in about that), and nothing of a compile that did not finish ok is kept;
 * - whether a build came from the cache is private to a tenant;
 * - a compiler crash says so in a short sentence, with no host path or stack trace;
 * - a JS guest that replaces the built-ins gets no path past the prelude that is not canonical.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { C_SOURCE_FILES } from "@wasmbox/core";
import { RUNTIMES, type GuestOutcome, type LoadedRuntime } from "@wasmbox/core/guest";
import { createEngine, isWasmboxError, type Engine, type Execution } from "@wasmbox/node";
import { sourceTree } from "../../core/src/runtimes/compilers/source-tree.js";
import { compileKey, crashSummary, scrubCompilerOutput, wasmExportNames } from "../src/host/compile-cache.js";

const MiB = 1024 * 1024;
const HELLO = '#include <stdio.h>\nint main(void) { puts("hello from C"); return 0; }\n';

let engine: Engine;
let cacheDir: string;

beforeAll(() => {
  cacheDir = mkdtempSync(join(tmpdir(), "wasmbox-compile-hardening-"));
  // No memory floor for compiles here, so a small limit can be tested quickly.
  engine = createEngine({ pool: { python: 0, quickjs: 1, wasm: 1, clang: 1, asc: 0 }, cacheDir, compileLimits: { minMemoryLimitBytes: 0 } });
});

afterAll(async () => {
  await engine?.dispose();
  rmSync(cacheDir, { recursive: true, force: true });
});

function describeResult(r: Execution): string {
  return JSON.stringify({ status: r.status, error: r.error, stdout: r.stdout.slice(0, 300), stderr: r.stderr.slice(0, 600), files: r.files });
}

/** The INVALID_REQUEST message `execute` throws for a request, or a failure if it does not throw. */
async function refusal(request: Record<string, unknown>, options?: Parameters<Engine["execute"]>[1]): Promise<string> {
  try {
    const r = await engine.execute(request, options);
    throw new Error(`expected INVALID_REQUEST, got a result: ${describeResult(r)}`);
  } catch (e) {
    if (!isWasmboxError(e)) throw e;
    expect(e.code).toBe("INVALID_REQUEST");
    return e.message;
  }
}

/** Everything a caller gets back, as one string, for "does not mention X" checks. */
const everything = (r: Execution) => JSON.stringify({ ...r, fileContents: undefined });
/** What only the host knows: the repository's location, file URLs, node_modules, stack frames. */
function expectNoHostDetails(r: Execution): void {
  const text = everything(r);
  expect(text).not.toContain(process.cwd());
  expect(text).not.toMatch(/file:\/\/|node_modules|wasm:\/\/|wasm-function\[/);
  expect(text).not.toMatch(/\\n\s*at \S/);
}

async function expectNormalCCommand(tenant: string): Promise<void> {
  const r = await engine.execute({ language: "c", code: HELLO }, { tenant });
  expect(r.status, describeResult(r)).toBe("ok");
  expect(r.stdout).toBe("hello from C\n");
}

describe("paths that would reach a prototype", () => {
  it("are refused at the boundary, naming the path; another tenant's next C program is a normal command", async () => {
    for (const path of ["__proto__/wasm/invoke/x.h", "constructor/prototype/wasm.h", "inc/__proto__/x.h", "__proto__\\compile\\x.h", "prototype/x.ts"]) {
      const message = await refusal({ language: "c", code: "int main(void) { return 0; }\n", files: { [path]: "" } }, { tenant: "attacker" });
      expect(message).toContain(`files.${path}`);
      expect(message).toContain("__proto__, constructor or prototype");
    }
    await refusal({ language: "assemblyscript", code: "export function main(): void {}\n", files: { "__proto__/x.ts": "" } }, { tenant: "attacker" });
    await expectNormalCCommand("victim");
  });

  it("handed to the compiler runtime directly (past the boundary), change nothing: the next build is still a command with _start", async () => {
    const clang: LoadedRuntime = await RUNTIMES.clang.load({ assets: { pyodideIndexURL: "" }, interruptBuffer: new Int32Array(new SharedArrayBuffer(4)) });
    const io = { write: () => {} };
    const limits = { timeoutMs: 60_000, memoryLimitBytes: 1024 * MiB, maxOutputBytes: MiB };
    const run = (request: Record<string, unknown>): Promise<GuestOutcome> => clang.run({ request: request as never, filename: "main.c", limits }, io);
    try {
      const hostile = await run({
        language: "c",
        code: "int main(void) { return 0; }\n",
        files: { "__proto__/wasm/invoke/x.h": "", "__proto__/compile/optimize/x.h": "", "constructor/prototype/wasm/x.h": "", "a/__proto__/b.h": "" },
      });
      expect(hostile.status).toBe("ok");
      for (const name of ["wasm", "compile", "invoke", "optimize", "b.h"]) expect(Object.prototype).not.toHaveProperty(name);
      const next = await run({ language: "c", code: "int main(void) { return 0; }\n" });
      expect(next.status).toBe("ok");
      expect(wasmExportNames(next.files.get("main.wasm")!)).toContain("_start");
    } finally {
      for (const name of ["wasm", "compile", "invoke", "optimize"]) delete (Object.prototype as Record<string, unknown>)[name];
      clang[Symbol.dispose]();
    }
  }, 60_000);

  it("source trees have no prototype, and the same files give the same tree and key whatever their order", () => {
    const tree = sourceTree("main.c", "x", { "__proto__/a.h": "p", "inc/b.h": "b" }, C_SOURCE_FILES);
    expect(Object.getPrototypeOf(tree)).toBeNull();
    expect(Object.keys(tree).sort()).toEqual(["inc", "main.c"]);
    expect(Object.prototype).not.toHaveProperty("a.h");
    // Two names for one path: the tree, and so the key, must not depend on the order given.
    const forward = { "a/b.h": "#define V 1", "a\\b.h": "#define V 2" };
    const backward = { "a\\b.h": "#define V 2", "a/b.h": "#define V 1" };
    const text = (t: ReturnType<typeof sourceTree>) => new TextDecoder().decode((t.a as Record<string, Uint8Array>)["b.h"]);
    expect(text(sourceTree("main.c", "", forward, C_SOURCE_FILES))).toBe(text(sourceTree("main.c", "", backward, C_SOURCE_FILES)));
    const request = (files: Record<string, string>) => ({ language: "c" as const, code: "int main(void){return 0;}", files });
    expect(compileKey(request(forward), "main.c", "clang 22")).toBe(compileKey(request(backward), "main.c", "clang 22"));
    expect(compileKey(request({ "x.h": "1", "y.h": "2" }), "main.c", "clang 22")).toBe(compileKey(request({ "y.h": "2", "x.h": "1" }), "main.c", "clang 22"));
    expect(compileKey(request({ "x.h": "1" }), "main.c", "clang 22", "a")).not.toBe(compileKey(request({ "x.h": "1" }), "main.c", "clang 22", "b"));
    expect(compileKey(request({ "x.h": "1" }), "main.c", "clang 22", "a")).not.toBe(compileKey(request({ "x.h": "1" }), "main.c", "clang 22"));
  });
});

describe("names a compiler would read as options", () => {
  it("C/C++: a filename starting with - or @ is refused naming filename; nothing is compiled", async () => {
    for (const filename of ["-v", "-###", "-Xclang", "-mllvm", "--version", "@flags.h", "@main.c"]) {
      const message = await refusal({ language: "c", code: HELLO, filename, files: { "flags.h": "-v -Xclang -ast-dump -mllvm -debug" } });
      expect(message).toMatch(/^invalid request: filename: /);
      expect(message).toContain(filename[0] === "@" ? "response file" : "an option");
    }
    await refusal({ language: "cpp", code: "int main() { return 0; }\n", filename: "-fplugin=x.cpp" });
  });

  it("the same characters deeper in a path are plain names: headers named @… and -… in folders are included, no option takes effect", async () => {
    const r = await engine.execute({
      language: "c",
      code: '#include <stdio.h>\n#include "inc/@flags.h"\n#include "inc/-v.h"\nint main(void) { printf("%d\\n", A + B); return 0; }\n',
      files: { "inc/@flags.h": "#define A 7\n", "inc/-v.h": "#define B 5\n", "@flags.h": "-v -Xclang -ast-dump" },
    });
    expect(r.status, describeResult(r)).toBe("ok");
    expect(r.stdout).toBe("12\n");
    // -v would have printed clang's version and its sub-commands; -ast-dump the AST.
    expect(r.compile?.output).not.toMatch(/clang version|-cc1|TranslationUnitDecl/);
  });

  it("AssemblyScript: a filename or a top-level source file starting with - or @ is refused; in a folder it is a plain module", async () => {
    expect(await refusal({ language: "assemblyscript", code: "export function main(): void {}\n", filename: "--transform.ts" })).toMatch(/^invalid request: filename: /);
    for (const path of ["--transform=evil.ts", "-o.ts", "@x.ts"]) {
      expect(await refusal({ language: "assemblyscript", code: "export function main(): void {}\n", files: { [path]: "" } })).toContain(`files.${path}`);
    }
    const r = await engine.execute({
      language: "assemblyscript",
      code: 'import { f } from "./lib/--runtime=stub";\nexport function main(): void { console.log(f().toString()); }\n',
      files: { "lib/--runtime=stub.ts": "export function f(): i32 { return 42; }\n" },
    });
    expect(r.status, describeResult(r)).toBe("ok");
    expect(r.stdout).toBe("42\n");
  }, 60_000);
});

describe("compiles run under the request's limits", () => {
  const MACRO_BOMB =
    "#define X0 1+\n" + Array.from({ length: 40 }, (_, i) => `#define X${i + 1} X${i} X${i}`).join("\n") + "\nint x = X40 1;\nint main(void) { return 0; }\n";

  it("a macro-expansion bomb with timeoutMs 1000 ends as timeout in about a second, naming limits.timeoutMs; nothing is cached", async () => {
    const request = { language: "c", code: MACRO_BOMB, limits: { timeoutMs: 1000, memoryLimitBytes: 1024 * MiB } };
    const t0 = performance.now();
    const r = await engine.execute(request, { tenant: "bomber" });
    const wallMs = performance.now() - t0;
    expect(r.status, describeResult(r)).toBe("timeout");
    expect(r.exitCode).toBeNull();
    expect(r.error?.name).toBe("TimeoutError");
    expect(r.error?.message).toContain("limits.timeoutMs");
    expect(r.error?.message).toContain("1000 ms");
    expect(r.compile?.cached).toBe(false);
    // Waiting for a clang sandbox to boot is not compile time; the compile itself is stopped
    // at the limit plus a grace (250 ms), so the whole request takes a few seconds at most.
    expect(wallMs).toBeLessThan(8000);
    const again = await engine.execute(request, { tenant: "bomber" });
    expect(again.status).toBe("timeout");
    expect(again.compile?.cached).toBe(false);
    await expectNormalCCommand("bomber");
  }, 60_000);

  it("a compile that needs more memory than memoryLimitBytes ends as memory_limit, naming limits.memoryLimitBytes", async () => {
    const code =
      '#define A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"\n' +
      ["B A", "C B", "D C", "E D", "F E", "G F"].map((d) => `#define ${d[0]} ${Array(10).fill(d[2]).join(" ")}`).join("\n") +
      "\nconst char *s = G;\nint main(void) { return s[3]; }\n";
    const r = await engine.execute({ language: "c", code, limits: { timeoutMs: 30_000, memoryLimitBytes: 64 * MiB } });
    expect(r.status, describeResult(r)).toBe("memory_limit");
    expect(r.exitCode).toBeNull();
    expect(r.error?.name).toBe("MemoryLimitError");
    expect(r.error?.message).toContain("limits.memoryLimitBytes");
    await expectNormalCCommand("default");
  }, 60_000);

  it("a cancelled compile does not cancel an identical request that joined it", async () => {
    const code = '#include <stdio.h>\nint main(void) { puts("joined"); return 0; }\n';
    const abort = new AbortController();
    const [cancelled, other] = await Promise.all([
      engine.execute({ language: "c", code }, { signal: abort.signal, tenant: "joiner", onStart: () => setTimeout(() => abort.abort(), 20) }),
      engine.execute({ language: "c", code }, { tenant: "joiner" }),
    ]);
    expect(cancelled.status).toBe("killed");
    expect(other.status, describeResult(other)).toBe("ok");
    expect(other.stdout).toBe("joined\n");
  }, 60_000);
});

describe("the compile cache is private to a tenant", () => {
  it("one tenant's build is no hit for another: cached stays false and it takes a real compile's time", async () => {
    const code = `#include <stdio.h>\nint main(void) { puts("guess ${Date.now()}"); return 0; }\n`;
    const first = await engine.execute({ language: "c", code }, { tenant: "alice" });
    expect(first.status, describeResult(first)).toBe("ok");
    expect(first.compile?.cached).toBe(false);
    const hit = await engine.execute({ language: "c", code }, { tenant: "alice" });
    expect(hit.compile?.cached).toBe(true);
    const other = await engine.execute({ language: "c", code }, { tenant: "mallory" });
    expect(other.status).toBe("ok");
    expect(other.compile?.cached).toBe(false);
    // A hit is a lookup (well under a millisecond); a miss runs clang (a hundred ms or more).
    expect(other.compile!.timeMs).toBeGreaterThan(Math.max(20, 10 * hit.compile!.timeMs));
    const shared = await engine.execute({ language: "c", code });
    expect(shared.compile?.cached).toBe(false);
    expect((await engine.execute({ language: "c", code }, { tenant: "mallory" })).compile?.cached).toBe(true);
  }, 60_000);
});

describe("compiler crashes", () => {
  it("C: a crash inside clang is a short compile_error saying so, with no host path or stack; the next compile works", async () => {
    const r = await engine.execute({ language: "c", code: "#pragma clang __debug crash\nint main(void) { return 0; }\n" });
    expect(r.status, describeResult(r)).toBe("compile_error");
    expect(r.error?.name).toBe("CompilerCrash");
    expect(r.error?.message).toMatch(/^the C compiler crashed \(RuntimeError: unreachable\)/);
    expect(r.error!.message.length).toBeLessThan(300);
    expectNoHostDetails(r);
    await expectNormalCCommand("default");
  }, 60_000);

  it("AssemblyScript: a compiler crash is a short compile_error, and its failures carry no host stack", async () => {
    // Parenthesised 20000 deep: the compiler's recursive descent runs out of stack.
    const crash = await engine.execute({ language: "assemblyscript", code: `export function main(): void { let x: i32 = ${"(".repeat(20_000)}1${")".repeat(20_000)}; }\n` });
    expect(crash.status, describeResult(crash)).toBe("compile_error");
    expect(crash.error?.name).toBe("CompilerCrash");
    expect(crash.error?.message).toMatch(/^the AssemblyScript compiler crashed \(RangeError: Maximum call stack size exceeded/);
    expectNoHostDetails(crash);
    // An error the compiler raises itself (an unknown feature) used to come with its JS stack.
    const unknown = await engine.execute({ language: "assemblyscript", code: "export function main(): void {}\n", compile: { flags: ["--enable=no-such-feature"] } });
    expect(unknown.status, describeResult(unknown)).toBe("compile_error");
    expect(unknown.error?.message).toBe("Feature 'no-such-feature' is unknown.");
    expectNoHostDetails(unknown);
    const ok = await engine.execute({ language: "assemblyscript", code: 'export function main(): void { console.log("still compiling"); }\n' });
    expect(ok.status, describeResult(ok)).toBe("ok");
    expect(ok.stdout).toBe("still compiling\n");
  }, 90_000);
});

describe("host details in what compilers say", () => {
  const repo = process.cwd();
  it("a crash of the compiler sandbox becomes its first line without paths; program diagnostics are kept as written", () => {
    const stack = `the sandbox crashed: RangeError: Maximum call stack size exceeded\n    at parse (file://${repo}/node_modules/assemblyscript/dist/asc.js:7:123)\n    at wasm://wasm/12ab:wasm-function[42]:0x1f`;
    expect(crashSummary(stack, [])).toBe("RangeError: Maximum call stack size exceeded");
    expect(crashSummary(`the sandbox process exited unexpectedly: ${repo}/packages/node/dist/sandbox/sandbox-main.js:12\nthrow e;`, [])).toBe(
      "the sandbox process exited unexpectedly: …",
    );
    const diagnostics = 'main.c:3:7: warning: unused variable \'at\' [-Wunused-variable]\n    3 |   FILE *f = fopen("/tmp/x.txt", "w");\n      |       ^\n';
    expect(scrubCompilerOutput(diagnostics, [])).toBe(diagnostics);
    const leaky = `FAILURE Feature 'x' is unknown.\n    at De (file://${repo}/node_modules/assemblyscript/dist/asc.js:21:9)\n    at async run (${repo}/packages/core/dist/x.js:1:2)\nsee ${repo}/packages/core/dist/x.js`;
    const scrubbed = scrubCompilerOutput(leaky, []);
    expect(scrubbed).toBe("FAILURE Feature 'x' is unknown.\nsee …");
  });
});

describe("the JavaScript prelude keeps its own built-ins", () => {
  it("a guest that replaces the array, string and regexp built-ins still writes exactly the file it named", async () => {
    const r = await engine.execute({
      language: "javascript",
      code: `
const fs = require("fs");
const path = require("path");
const evil = "/home/user/../../../tmp/evil";
Array.prototype.join = function () { return evil; };
Array.prototype.forEach = function () {};
Array.prototype.filter = function () { return ["..", "..", "tmp"]; };
Array.prototype.pop = function () { return ".."; };
String.prototype.split = function () { return ["", "home", "user", "..", "..", "..", "tmp", "evil"]; };
String.prototype.charAt = function () { return "/"; };
String.prototype.slice = function () { return evil; };
String.prototype.lastIndexOf = function () { return 0; };
String.prototype.replace = function () { return "..\\\\..\\\\evil"; };
RegExp.prototype.exec = function () { return null; };
Object.prototype.hasOwnProperty = function () { return true; };
fs.mkdirSync("sub/deeper", { recursive: true });
fs.writeFileSync("sub/deeper/../out.txt", "written");
fs.writeFileSync(path.join("sub", "", "second.txt"), "two");
const answers = [path.resolve("a/./b/../c"), path.join("/x", "..", "y"), path.dirname("/x/y/z.txt"), path.basename("/x/y/z.txt", ".txt"), path.extname("a.tar.gz"), path.relative("/home/user/a/b", "/home/user/c")];
fs.writeFileSync("paths.json", JSON.stringify(answers));
`,
    });
    expect(r.status, describeResult(r)).toBe("ok");
    expect(r.files.map((f) => f.path).sort()).toEqual(["paths.json", "sub/out.txt", "sub/second.txt"]);
    const text = (path: string) => new TextDecoder().decode(r.fileContents.get(path));
    expect(text("sub/out.txt")).toBe("written");
    expect(text("sub/second.txt")).toBe("two");
    expect(JSON.parse(text("paths.json"))).toEqual(["/home/user/a/c", "/y", "/x/y", "z", ".gz", "../../c"]);
  });
});
