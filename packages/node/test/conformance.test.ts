/**
 * The conformance suite: one table of behaviours, each expressed as a program in every
 * language wasmbox runs, and one set of expectations every runtime must meet. A case is
 * a behaviour a user sees in the result (status, output, error, files, value), never an
 * implementation detail of a runtime.
 *
 * Python sandboxes take ~2.5 s of CPU to boot, so the Python half dominates the time;
 * the engine keeps two pre-warmed so boots overlap with runs.
 *
 * Host-agnostic: written against core's `Engine`, run on every host in `hosts.ts`.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecuteOptions, Execution } from "@wasmbox/core";
import type { TestEngine } from "../../../test-support/browser-engine.js";
import { testHosts } from "./hosts.js";

type Language = "python" | "javascript" | "typescript";

/** The same behaviour, written once per language. */
interface RuntimeCase {
  language: Language;
  /** Extension of the default file name (`main.<ext>`). */
  ext: "py" | "js" | "ts";
  /** What `sys.argv` / `process.argv` must be for a run with `args`. */
  argv(filename: string, args: string[]): string[];
  /** Name of the exception the `exception` program raises. */
  exceptionName: string;
  programs: {
    /** Prints `hello, world`; its last statement has no value. */
    hello: string;
    /** a → stdout, b → stderr, c → stdout. */
    order: string;
    /** one/three/five → stdout, two/four → stderr, alternating. */
    interleaved: string;
    /** Prints `first`, waits about a second, prints `second`. */
    slowTwoLines: string;
    /** Raises `bad total 3` on line 3 (earlier lines carry type annotations where the language has them). */
    exception: string;
    /** Prints `never` on line 1, then a syntax error on line 3. */
    compileError: string;
    /** Reads data/trips.csv, writes out/report.txt, appends `done` to log.txt, prints the report. */
    filesInOut: string;
    /** Reads in/blob.bin, writes out/copy.bin (same bytes) and out/blob.rev (reversed), prints `<length> <byte sum>`. */
    binary: string;
    /** First stdin line is a name, the rest whitespace-separated integers: prints `hello <name>, sum=<sum>`. */
    stdin: string;
    /** Prints argv as JSON. */
    args: string;
    /** Prints the environment as a JSON object. */
    env: string;
    /** Reads greet/こんにちは.txt, prints it and a constant line, writes out/ユニコード.txt, warns on stderr. */
    unicode: string;
    /** Prints 0..19999 zero-padded to 9 digits, one per line (200 000 bytes). */
    largeOutput: string;
    /** Last expression 40 + 2. */
    valueNumber: string;
    /** Last expression {a: 1, b: [1, 2.5, "x", null, true], c: {d: "é"}}. */
    valueObject: string;
    /** Last expression a function named `area`. */
    valueFunction: string;
    /** Last expression a set of 3, 1, 2. */
    valueSet: string;
    /** Prints `before`, exits with `code`, would print `after`. */
    exit(code: number): string;
  };
}

const lines = (...l: string[]) => l.join("\n") + "\n";

const PYTHON: RuntimeCase = {
  language: "python",
  ext: "py",
  argv: (filename, args) => [filename, ...args],
  exceptionName: "ValueError",
  programs: {
    hello: lines('print("hello, world")'),
    order: lines("import sys", 'print("a")', 'print("b", file=sys.stderr)', 'print("c")'),
    interleaved: lines(
      "import sys",
      'print("one")',
      'sys.stderr.write("two\\n")',
      'sys.stdout.write("three\\n")',
      'print("four", file=sys.stderr)',
      'print("five")',
    ),
    slowTwoLines: lines("import time", 'print("first", flush=True)', "time.sleep(1.2)", 'print("second")'),
    exception: lines("rows: list[int] = [1, 2]", "total: int = sum(rows)", 'raise ValueError(f"bad total {total}")'),
    compileError: lines('print("never")', "x = 1", "def broken(:", "    pass"),
    filesInOut: lines(
      "import csv, os",
      'with open("data/trips.csv", newline="") as f:',
      "    rows = list(csv.DictReader(f))",
      'total = sum(float(r["distance_km"]) for r in rows)',
      'os.makedirs("out", exist_ok=True)',
      'with open("out/report.txt", "w") as f:',
      '    f.write(f"trips={len(rows)} total_km={total:.1f}\\n")',
      'with open("log.txt", "a") as f:',
      '    f.write("done\\n")',
      'with open("out/report.txt") as f:',
      '    print(f.read(), end="")',
    ),
    binary: lines(
      "import os",
      'with open("in/blob.bin", "rb") as f:',
      "    data = f.read()",
      'os.makedirs("out", exist_ok=True)',
      'with open("out/copy.bin", "wb") as f:',
      "    f.write(data)",
      'with open("out/blob.rev", "wb") as f:',
      "    f.write(data[::-1])",
      "print(len(data), sum(data))",
    ),
    stdin: lines(
      "import sys",
      "name = input()",
      "nums = [int(x) for x in sys.stdin.read().split()]",
      'print(f"hello {name}, sum={sum(nums)}")',
    ),
    args: lines("import json, sys", "print(json.dumps(sys.argv))"),
    env: lines("import json, os", "print(json.dumps(dict(os.environ)))"),
    unicode: lines(
      "import os, sys",
      'with open("greet/こんにちは.txt", encoding="utf-8") as f:',
      "    greeting = f.read().strip()",
      'line = "héllo 🌍 wörld — 日本語"',
      "print(greeting)",
      "print(line)",
      'print("警告 ⚠️", file=sys.stderr)',
      'os.makedirs("out", exist_ok=True)',
      'with open("out/ユニコード.txt", "w", encoding="utf-8") as f:',
      '    f.write(greeting + " | " + line + "\\n")',
    ),
    largeOutput: lines("for i in range(20000):", '    print(f"{i:09d}")'),
    valueNumber: lines("x = 40", "x + 2"),
    valueObject: lines('{"a": 1, "b": [1, 2.5, "x", None, True], "c": {"d": "é"}}'),
    valueFunction: lines("def area(r):", "    return r * r", "area"),
    valueSet: lines("{3, 1, 2}"),
    exit: (code) => lines('print("before")', "import sys", `sys.exit(${code})`, 'print("after")'),
  },
};

/** JavaScript and TypeScript share QuickJS; the TypeScript programs carry type annotations on purpose. */
const JAVASCRIPT: RuntimeCase = {
  language: "javascript",
  ext: "js",
  argv: (filename, args) => ["wasmbox", `/home/user/${filename}`, ...args],
  exceptionName: "RangeError",
  programs: {
    hello: lines('console.log("hello, world");'),
    order: lines('console.log("a");', 'console.error("b");', 'console.log("c");'),
    interleaved: lines(
      'console.log("one");',
      'process.stderr.write("two\\n");',
      'process.stdout.write("three\\n");',
      'console.error("four");',
      'console.log("five");',
    ),
    slowTwoLines: lines('console.log("first");', "await new Promise((r) => setTimeout(r, 1200));", 'console.log("second");'),
    exception: lines(
      "const rows = [1, 2];",
      "const total = rows.reduce((a, b) => a + b, 0);",
      'throw new RangeError("bad total " + total);',
    ),
    compileError: lines('console.log("never");', "const x = 1;", "const = 2;"),
    filesInOut: lines(
      'const fs = require("fs");',
      'const [header, ...rows] = fs.readFileSync("data/trips.csv", "utf8").trim().split("\\n");',
      'const col = header.split(",").indexOf("distance_km");',
      'const total = rows.reduce((s, l) => s + Number(l.split(",")[col]), 0);',
      'fs.mkdirSync("out", { recursive: true });',
      'fs.writeFileSync("out/report.txt", "trips=" + rows.length + " total_km=" + total.toFixed(1) + "\\n");',
      'fs.appendFileSync("log.txt", "done\\n");',
      'process.stdout.write(fs.readFileSync("out/report.txt", "utf8"));',
    ),
    binary: lines(
      'const fs = require("fs");',
      'const data = fs.readFileSync("in/blob.bin");',
      'fs.mkdirSync("out", { recursive: true });',
      'fs.writeFileSync("out/copy.bin", data);',
      'fs.writeFileSync("out/blob.rev", Uint8Array.from(data).reverse());',
      "console.log(data.length + \" \" + data.reduce((a, b) => a + b, 0));",
    ),
    stdin: lines(
      'const fs = require("fs");',
      'const [name, ...rest] = fs.readFileSync(0, "utf8").split("\\n");',
      'const nums = rest.join(" ").split(/\\s+/).filter(Boolean).map(Number);',
      'console.log("hello " + name + ", sum=" + nums.reduce((a, b) => a + b, 0));',
    ),
    args: lines("console.log(JSON.stringify(process.argv));"),
    env: lines("console.log(JSON.stringify(process.env));"),
    unicode: lines(
      'import fs from "fs";',
      'const greeting = fs.readFileSync("greet/こんにちは.txt", "utf8").trim();',
      'const line = "héllo 🌍 wörld — 日本語";',
      "console.log(greeting);",
      "console.log(line);",
      'console.error("警告 ⚠️");',
      'fs.mkdirSync("out", { recursive: true });',
      'fs.writeFileSync("out/ユニコード.txt", greeting + " | " + line + "\\n");',
    ),
    largeOutput: lines('for (let i = 0; i < 20000; i++) console.log(String(i).padStart(9, "0"));'),
    valueNumber: lines("const x = 40;", "x + 2"),
    valueObject: lines('({ a: 1, b: [1, 2.5, "x", null, true], c: { d: "é" } })'),
    valueFunction: lines("function area(r) {", "  return r * r;", "}", "area"),
    valueSet: lines("new Set([3, 1, 2])"),
    exit: (code) => lines('console.log("before");', `process.exit(${code});`, 'console.log("after");'),
  },
};

const TYPESCRIPT: RuntimeCase = {
  language: "typescript",
  ext: "ts",
  argv: JAVASCRIPT.argv,
  exceptionName: "RangeError",
  programs: {
    hello: lines('const greeting: string = "hello, world";', "console.log(greeting);"),
    order: lines(
      "const out: (s: string) => void = (s) => console.log(s);",
      'out("a");',
      'console.error("b");',
      'out("c");',
    ),
    interleaved: lines(
      'const streams: { out: typeof process.stdout; err: typeof process.stderr } = { out: process.stdout, err: process.stderr };',
      'console.log("one");',
      'streams.err.write("two\\n");',
      'streams.out.write("three\\n");',
      'console.error("four");',
      'console.log("five");',
    ),
    slowTwoLines: lines(
      'console.log("first");',
      "await new Promise<void>((r: () => void) => setTimeout(r, 1200));",
      'console.log("second");',
    ),
    // A type-only line first: sucrase removes it, and the error must still be on line 3.
    exception: lines(
      "type Totals = { sum: number };",
      "const totals: Totals = { sum: [1, 2].reduce((a: number, b: number): number => a + b, 0) };",
      'throw new RangeError("bad total " + totals.sum);',
    ),
    compileError: lines('console.log("never");', "const x: number = 1;", "const = 2;"),
    filesInOut: lines(
      'import fs from "fs";',
      'const [header, ...rows]: string[] = fs.readFileSync("data/trips.csv", "utf8").trim().split("\\n");',
      'const col: number = header!.split(",").indexOf("distance_km");',
      'const total: number = rows.reduce((s: number, l: string) => s + Number(l.split(",")[col]), 0);',
      'fs.mkdirSync("out", { recursive: true });',
      'fs.writeFileSync("out/report.txt", `trips=${rows.length} total_km=${total.toFixed(1)}\\n`);',
      'fs.appendFileSync("log.txt", "done\\n");',
      'process.stdout.write(fs.readFileSync("out/report.txt", "utf8"));',
    ),
    binary: lines(
      'import { readFileSync, writeFileSync, mkdirSync } from "fs";',
      'const data: Uint8Array = readFileSync("in/blob.bin");',
      'mkdirSync("out", { recursive: true });',
      'writeFileSync("out/copy.bin", data);',
      'writeFileSync("out/blob.rev", Uint8Array.from(data).reverse());',
      "console.log(`${data.length} ${data.reduce((a: number, b: number) => a + b, 0)}`);",
    ),
    stdin: lines(
      'import fs from "fs";',
      'const [name, ...rest]: string[] = fs.readFileSync("/dev/stdin", "utf8").split("\\n");',
      'const nums: number[] = rest.join(" ").split(/\\s+/).filter(Boolean).map(Number);',
      'console.log(`hello ${name}, sum=${nums.reduce((a: number, b: number) => a + b, 0)}`);',
    ),
    args: lines("const argv: string[] = process.argv;", "console.log(JSON.stringify(argv));"),
    env: lines("const env: Record<string, string | undefined> = process.env;", "console.log(JSON.stringify(env));"),
    unicode: lines(
      'import fs from "fs";',
      'const greeting: string = fs.readFileSync("greet/こんにちは.txt", "utf8").trim();',
      'const line: string = "héllo 🌍 wörld — 日本語";',
      "console.log(greeting);",
      "console.log(line);",
      'console.error("警告 ⚠️");',
      'fs.mkdirSync("out", { recursive: true });',
      'fs.writeFileSync("out/ユニコード.txt", `${greeting} | ${line}\\n`);',
    ),
    largeOutput: lines('for (let i: number = 0; i < 20000; i++) console.log(String(i).padStart(9, "0"));'),
    valueNumber: lines("const x: number = 40;", "x + 2"),
    valueObject: lines(
      "type V = { a: number; b: unknown[]; c: { d: string } };",
      'const v: V = { a: 1, b: [1, 2.5, "x", null, true], c: { d: "é" } };',
      "v",
    ),
    valueFunction: lines("function area(r: number): number {", "  return r * r;", "}", "area"),
    valueSet: lines("const s: Set<number> = new Set([3, 1, 2]);", "s"),
    exit: (code) => lines('console.log("before");', `process.exit(${code} as number);`, 'console.log("after");'),
  },
};

const TRIPS_CSV = "trip_id,distance_km,duration_min\nt1,12.5,20\nt2,30.4,45\nt3,7.5,15\n";

describe.each(testHosts())("on the $name host", (host) => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await host.createEngine({ pool: { python: 2, quickjs: 1 } });
  }, 180_000);

  afterAll(async () => {
    await engine?.dispose();
  });

  const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

  function expectFile(result: Execution, path: string, bytes: Uint8Array, mime: string): void {
    const entry = result.files.find((f) => f.path === path);
    expect(entry, `files should list ${path}; got ${JSON.stringify(result.files.map((f) => f.path))}`).toEqual({
      path,
      size: bytes.byteLength,
      sha256: sha256(bytes),
      mime,
    });
    const content = result.fileContents.get(path);
    expect(content, `fileContents should hold ${path}`).toBeDefined();
    expect(Buffer.from(content!).equals(Buffer.from(bytes))).toBe(true);
  }

  /** A compact view of a result for assertion messages. */
  function describeResult(r: Execution): string {
    return JSON.stringify({ status: r.status, exitCode: r.exitCode, error: r.error, stdout: r.stdout.slice(0, 500), stderr: r.stderr.slice(0, 1000) });
  }

  function expectOk(r: Execution): void {
    expect(r.status, describeResult(r)).toBe("ok");
    expect(r.exitCode).toBe(0);
    expect(r.error).toBeNull();
  }

  describe.each([PYTHON, JAVASCRIPT, TYPESCRIPT])("conformance: $language", (rt) => {
    const { language, programs: p } = rt;
    const main = `main.${rt.ext}`;
    const run = (request: Record<string, unknown>, options?: ExecuteOptions) => engine.execute({ language, ...request }, options);

    it("runs hello world", async () => {
      const r = await run({ code: p.hello });
      expectOk(r);
      expect(r.stdout).toBe("hello, world\n");
      expect(r.stderr).toBe("");
      expect(r.output).toBe("hello, world\n");
      expect(r.value).toBeNull();
      expect(r.files).toEqual([]);
      expect(r.fileContents.size).toBe(0);
      for (const k of ["queuedMs", "startMs", "executionTimeMs", "totalMs"] as const) {
        expect(r.timings[k]).toBeGreaterThanOrEqual(0);
      }
      expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.startMs);
    });

    it("keeps stdout and stderr apart and interleaves them in write order", async () => {
      const r = await run({ code: p.order });
      expectOk(r);
      expect(r.output).toBe("a\nb\nc\n");
      expect(r.stdout).toBe("a\nc\n");
      expect(r.stderr).toBe("b\n");
    });

    it("streams the same text to onStdout/onStderr, in order", async () => {
      const events: Array<["stdout" | "stderr", string]> = [];
      const r = await run(
        { code: p.interleaved },
        { onStdout: (t) => events.push(["stdout", t]), onStderr: (t) => events.push(["stderr", t]) },
      );
      expectOk(r);
      expect(r.output).toBe("one\ntwo\nthree\nfour\nfive\n");
      expect(r.stdout).toBe("one\nthree\nfive\n");
      expect(r.stderr).toBe("two\nfour\n");
      expect(events.map(([, t]) => t).join("")).toBe(r.output);
      expect(events.filter(([s]) => s === "stdout").map(([, t]) => t).join("")).toBe(r.stdout);
      expect(events.filter(([s]) => s === "stderr").map(([, t]) => t).join("")).toBe(r.stderr);
    });

    it("streams output while the run is still going", async () => {
      const t0 = performance.now();
      let firstAt: number | undefined;
      let streamed = "";
      const r = await run(
        { code: p.slowTwoLines },
        {
          onStdout: (t) => {
            streamed += t;
            if (firstAt === undefined && streamed.includes("first")) firstAt = performance.now() - t0;
          },
        },
      );
      const doneAt = performance.now() - t0;
      expectOk(r);
      expect(r.stdout).toBe("first\nsecond\n");
      expect(streamed).toBe(r.stdout);
      expect(firstAt, "`first` should reach onStdout").toBeDefined();
      // The program waits 1.2 s between its two lines: `first` must arrive well before the end.
      expect(doneAt - firstAt!).toBeGreaterThan(800);
    });

    it("reports an uncaught exception with its name, message, line and file", async () => {
      const filename = `report.${rt.ext}`;
      const r = await run({ code: p.exception, filename });
      expect(r.status, describeResult(r)).toBe("error");
      expect(r.exitCode).toBe(1);
      expect(r.error).not.toBeNull();
      expect(r.error!.name).toBe(rt.exceptionName);
      expect(r.error!.message).toContain("bad total 3");
      expect(r.error!.line).toBe(3);
      expect(r.error!.traceback).toContain(filename);
      expect(r.error!.traceback).toContain("bad total 3");
      // Like the real interpreters, the traceback goes to stderr too.
      expect(r.stderr).toContain("bad total 3");
      expect(r.stderr).toContain(rt.exceptionName);
      expect(r.stdout).toBe("");
    });

    it("reports a syntax error as compile_error with its line, running nothing", async () => {
      const r = await run({ code: p.compileError });
      expect(r.status, describeResult(r)).toBe("compile_error");
      expect(r.error).not.toBeNull();
      expect(r.error!.name).toBe("SyntaxError");
      expect(r.error!.line).toBe(3);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.value).toBeNull();
    });

    it("reads request files and returns the files it creates or changes, not the unchanged ones", async () => {
      const r = await run({
        code: p.filesInOut,
        files: { "data/trips.csv": TRIPS_CSV, "notes.txt": "left alone\n", "log.txt": "start\n" },
      });
      expectOk(r);
      const report = "trips=3 total_km=50.4\n";
      expect(r.stdout).toBe(report);
      expect(r.files.map((f) => f.path)).toEqual(["log.txt", "out/report.txt"]);
      expectFile(r, "out/report.txt", utf8(report), "text/plain");
      expectFile(r, "log.txt", utf8("start\ndone\n"), "text/plain");
      expect(r.fileContents.has("data/trips.csv")).toBe(false);
      expect(r.fileContents.has("notes.txt")).toBe(false);
    });

    it("round-trips a binary file given as base64", async () => {
      const bytes = new Uint8Array([...Array.from({ length: 256 }, (_, i) => i), 0x00, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x80]);
      const r = await run({
        code: p.binary,
        files: { "in/blob.bin": { encoding: "base64", content: Buffer.from(bytes).toString("base64") } },
      });
      expectOk(r);
      const sum = bytes.reduce((a, b) => a + b, 0);
      expect(r.stdout).toBe(`${bytes.length} ${sum}\n`);
      expect(r.files.map((f) => f.path)).toEqual(["out/blob.rev", "out/copy.bin"]);
      expectFile(r, "out/copy.bin", bytes, "application/octet-stream");
      expectFile(r, "out/blob.rev", Uint8Array.from(bytes).reverse(), "application/octet-stream");
      expect(r.fileContents.has("in/blob.bin")).toBe(false);
    });

    it("reads stdin", async () => {
      const r = await run({ code: p.stdin, stdin: "Zoë\n1 2 3\n4 5\n" });
      expectOk(r);
      expect(r.stdout).toBe("hello Zoë, sum=15\n");
    });

    it("passes args after the script name", async () => {
      const args = ["--limit", "5", "two words", "ünï", ""];
      const r = await run({ code: p.args, args });
      expectOk(r);
      expect(JSON.parse(r.stdout)).toEqual(rt.argv(main, args));
    });

    it("sees exactly the env it was given, and nothing from the host", async () => {
      const env = { GREETING: "hi", EMPTY: "", PATH_LIKE: "/a:/b", UNICODE: "ünï 🌍" };
      const given = await run({ code: p.env, env });
      expectOk(given);
      expect(JSON.parse(given.stdout)).toEqual(env);
      const none = await run({ code: p.env });
      expectOk(none);
      expect(JSON.parse(none.stdout)).toEqual({});
    });

    it("handles unicode in code, stdout, stderr, file names and file contents", async () => {
      const greeting = "你好, 世界 🌏";
      const line = "héllo 🌍 wörld — 日本語";
      const r = await run({ code: p.unicode, files: { "greet/こんにちは.txt": `${greeting}\n` } });
      expectOk(r);
      expect(r.stdout).toBe(`${greeting}\n${line}\n`);
      expect(r.stderr).toBe("警告 ⚠️\n");
      expect(r.files.map((f) => f.path)).toEqual(["out/ユニコード.txt"]);
      expectFile(r, "out/ユニコード.txt", utf8(`${greeting} | ${line}\n`), "text/plain");
    });

    it("delivers 200 000 bytes of output complete and in order", async () => {
      const expected = Array.from({ length: 20000 }, (_, i) => `${String(i).padStart(9, "0")}\n`).join("");
      expect(expected.length).toBe(200_000);
      let streamed = "";
      const r = await run({ code: p.largeOutput }, { onStdout: (t) => (streamed += t) });
      expectOk(r);
      expect(r.stdout.length).toBe(expected.length);
      expect(r.stdout === expected, "stdout should be the 20 000 lines in order").toBe(true);
      expect(r.output === expected).toBe(true);
      expect(streamed === expected, "onStdout should receive the same 200 000 bytes").toBe(true);
    });

    it("returns the last expression's value as JSON", async () => {
      const n = await run({ code: p.valueNumber });
      expectOk(n);
      expect(n.value).toBe(42);
      const o = await run({ code: p.valueObject });
      expectOk(o);
      expect(o.value).toEqual({ a: 1, b: [1, 2.5, "x", null, true], c: { d: "é" } });
    });

    it("returns a non-JSON last value as a string repr", async () => {
      const f = await run({ code: p.valueFunction });
      expectOk(f);
      expect(typeof f.value, JSON.stringify(f.value)).toBe("string");
      expect(f.value).toContain("area");
      const s = await run({ code: p.valueSet });
      expectOk(s);
      // A set is not JSON: its repr, which names its members, not a lossy `{}`.
      expect(typeof s.value, `value was ${JSON.stringify(s.value)}`).toBe("string");
      for (const member of ["1", "2", "3"]) expect(s.value).toContain(member);
    });

    it("turns a non-zero exit into status error with that exit code", async () => {
      const r = await run({ code: p.exit(3) });
      expect(r.status, describeResult(r)).toBe("error");
      expect(r.exitCode).toBe(3);
      expect(r.error).not.toBeNull();
      expect(r.error!.message).toContain("3");
      expect(r.stdout).toBe("before\n");
      expect(r.stderr).toBe("");
    });

    it("treats exit(0) as success", async () => {
      const r = await run({ code: p.exit(0) });
      expectOk(r);
      expect(r.stdout).toBe("before\n");
      expect(r.stderr).toBe("");
    });
  });

  describe("conformance: javascript modules", () => {
    it("has no last-expression value in module code (import / top-level await)", async () => {
      const r = await engine.execute({ language: "javascript", code: lines('import path from "path";', "await 0;", "path.join('a', 'b')") });
      expectOk(r);
      expect(r.value).toBeNull();
    });
  });

  // ---------------------------------------------------------------------------------------
  // A seed-style task: the fleet-telemetry questions the project grew from (per-trip
  // statistics, percentiles, tolerance bands, correlations), asked in Python's stdlib.

  interface Sample {
    trip: string;
    speed: number;
    altitude: number;
    pressure: number;
    setpoint: number;
  }

  /** Deterministic telemetry: three trips, 40 samples each, values on a 0.25 grid so the CSV is exact. */
  function makeTelemetry(): Sample[] {
    const out: Sample[] = [];
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const trip of ["T-001", "T-002", "T-003"]) {
      for (let i = 0; i < 40; i++) {
        const altitude = Math.round((200 + 150 * Math.sin(i / 6) + 40 * rand()) * 4) / 4;
        const speed = Math.round((95 - altitude / 10 + 20 * rand()) * 4) / 4;
        const setpoint = 1800;
        const pressure = Math.round((setpoint * (0.9 + 0.2 * rand())) * 4) / 4;
        out.push({ trip, speed, altitude, pressure, setpoint });
      }
    }
    return out;
  }

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

  /** Python's `statistics.quantiles(xs, n=10, method="inclusive")[-1]`. */
  function p90Inclusive(xs: number[]): number {
    const d = [...xs].sort((a, b) => a - b);
    const n = 10;
    const m = d.length - 1;
    const i = n - 1;
    const j = Math.floor((i * m) / n);
    const delta = i * m - j * n;
    return (d[j]! * (n - delta) + d[j + 1]! * delta) / n;
  }

  function median(xs: number[]): number {
    const d = [...xs].sort((a, b) => a - b);
    const h = Math.floor(d.length / 2);
    return d.length % 2 ? d[h]! : (d[h - 1]! + d[h]!) / 2;
  }

  function stdev(xs: number[]): number {
    const mu = mean(xs);
    return Math.sqrt(xs.reduce((a, x) => a + (x - mu) ** 2, 0) / (xs.length - 1));
  }

  function correlation(xs: number[], ys: number[]): number {
    const mx = mean(xs);
    const my = mean(ys);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i]! - mx) * (ys[i]! - my);
      sxx += (xs[i]! - mx) ** 2;
      syy += (ys[i]! - my) ** 2;
    }
    return sxy / Math.sqrt(sxx * syy);
  }

  const TELEMETRY_PROGRAM = lines(
    "import csv, json, os, statistics",
    "from collections import defaultdict",
    "",
    'with open("data/telemetry.csv", newline="") as f:',
    "    rows = list(csv.DictReader(f))",
    "",
    'speed = [float(r["speed_kmh"]) for r in rows]',
    'altitude = [float(r["altitude_m"]) for r in rows]',
    "by_trip = defaultdict(list)",
    "for r in rows:",
    '    by_trip[r["trip_id"]].append(float(r["speed_kmh"]))',
    "outside = sum(",
    "    1 for r in rows",
    '    if abs(float(r["rail_pressure_bar"]) - float(r["rail_setpoint_bar"])) > 0.05 * float(r["rail_setpoint_bar"])',
    ")",
    "summary = {",
    '    "rows": len(rows),',
    '    "mean_speed": statistics.mean(speed),',
    '    "median_speed": statistics.median(speed),',
    '    "p90_speed": statistics.quantiles(speed, n=10, method="inclusive")[-1],',
    '    "stdev_speed": statistics.stdev(speed),',
    '    "corr_altitude_speed": statistics.correlation(altitude, speed),',
    '    "outside_band_fraction": outside / len(rows),',
    '    "per_trip_mean_speed": {t: statistics.fmean(v) for t, v in sorted(by_trip.items())},',
    "}",
    'os.makedirs("out", exist_ok=True)',
    'with open("out/summary.json", "w") as f:',
    "    json.dump(summary, f, indent=2)",
    'print(f"rows={summary[\'rows\']} p90={summary[\'p90_speed\']:.2f}")',
    "summary",
  );

  describe("conformance: python data task (fleet telemetry)", () => {
    it("computes per-trip statistics, a percentile, a tolerance band and a correlation over a CSV", async () => {
      const samples = makeTelemetry();
      const csv =
        "trip_id,speed_kmh,altitude_m,rail_pressure_bar,rail_setpoint_bar\n" +
        samples.map((s) => [s.trip, s.speed, s.altitude, s.pressure, s.setpoint].join(",")).join("\n") +
        "\n";
      const r = await engine.execute({ language: "python", code: TELEMETRY_PROGRAM, files: { "data/telemetry.csv": csv } });
      expectOk(r);

      const speeds = samples.map((s) => s.speed);
      const expected = {
        rows: samples.length,
        mean_speed: mean(speeds),
        median_speed: median(speeds),
        p90_speed: p90Inclusive(speeds),
        stdev_speed: stdev(speeds),
        corr_altitude_speed: correlation(
          samples.map((s) => s.altitude),
          speeds,
        ),
        outside_band_fraction: samples.filter((s) => Math.abs(s.pressure - s.setpoint) > 0.05 * s.setpoint).length / samples.length,
        per_trip_mean_speed: Object.fromEntries(
          ["T-001", "T-002", "T-003"].map((t) => [t, mean(samples.filter((s) => s.trip === t).map((s) => s.speed))]),
        ),
      };
      // The data should make the questions non-trivial.
      expect(expected.outside_band_fraction).toBeGreaterThan(0);
      expect(expected.outside_band_fraction).toBeLessThan(1);
      expect(expected.corr_altitude_speed).toBeLessThan(-0.3);

      expect(r.stdout).toBe(`rows=120 p90=${expected.p90_speed.toFixed(2)}\n`);
      const check = (actual: unknown) => {
        const a = actual as typeof expected;
        expect(a.rows).toBe(expected.rows);
        for (const k of ["mean_speed", "median_speed", "p90_speed", "stdev_speed", "corr_altitude_speed", "outside_band_fraction"] as const) {
          expect(a[k], k).toBeCloseTo(expected[k], 9);
        }
        expect(Object.keys(a.per_trip_mean_speed)).toEqual(["T-001", "T-002", "T-003"]);
        for (const [t, v] of Object.entries(expected.per_trip_mean_speed)) expect(a.per_trip_mean_speed[t], t).toBeCloseTo(v, 9);
      };
      check(r.value);
      expect(r.files.map((f) => f.path)).toEqual(["out/summary.json"]);
      expect(r.files[0]!.mime).toBe("application/json");
      const written = r.fileContents.get("out/summary.json");
      expect(written).toBeDefined();
      expect(r.files[0]!.sha256).toBe(sha256(written!));
      check(JSON.parse(Buffer.from(written!).toString("utf8")));
    });
  });
});
