/**
 * Limits and validation, as a caller sees them: a run that breaks `timeoutMs`,
 * `memoryLimitBytes` or `maxOutputBytes` ends with that limit's status and an error that
 * names the option; a cancelled run ends `killed`; an invalid request throws
 * `INVALID_REQUEST` naming the field, before any sandbox runs; and after all of that the
 * engine still serves ordinary runs.
 *
 * Host-agnostic: written against core's `Engine`, run on every host in `hosts.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWasmboxError, type Execution } from "@wasmbox/core";
import type { TestEngine } from "../../../test-support/browser-engine.js";
import { testHosts } from "./hosts.js";

type Language = "python" | "javascript" | "typescript";

const MiB = 1024 * 1024;
const TIMEOUT_MS = 1000;
/** How long past its start a timed-out run may take to come back: the limit, a grace, and slack. */
const TIMEOUT_BUDGET_MS = 1.5 * TIMEOUT_MS + 500;

describe.each(testHosts())("on the $name host", (host) => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await host.createEngine({ pool: { python: 2, quickjs: 1 } });
  }, 180_000);

  afterAll(async () => {
    await engine?.dispose();
  });

  const lines = (...l: string[]) => l.join("\n") + "\n";

  function describeResult(r: Execution): string {
    return JSON.stringify({
      status: r.status,
      exitCode: r.exitCode,
      error: r.error,
      stdout: r.stdout.slice(0, 300),
      stderr: r.stderr.slice(0, 600),
      timings: r.timings,
    });
  }

  async function timed(request: Record<string, unknown>, options?: Parameters<TestEngine["execute"]>[1]) {
    const t0 = performance.now();
    const result = await engine.execute(request, options);
    return { result, wallMs: performance.now() - t0 };
  }

  describe("timeoutMs", () => {
    const cases: Array<[name: string, language: Language, code: string]> = [
      ["python busy loop", "python", lines("while True:", "    pass")],
      ["python time.sleep", "python", lines("import time", "time.sleep(600)")],
      ["python long native call", "python", lines("sum(range(10**12))")],
      ["javascript busy loop", "javascript", lines("for (;;) {}")],
      ["javascript interval keeping the loop alive", "javascript", lines("await new Promise((r) => setInterval(() => {}, 1000));")],
      ["typescript busy loop", "typescript", lines("const spin = (): never => {", "  for (;;) {}", "};", "spin();")],
    ];

    it.each(cases)("stops a %s at the limit with status timeout", async (_name, language, code) => {
      const { result: r, wallMs } = await timed({ language, code, limits: { timeoutMs: TIMEOUT_MS } });
      expect(r.status, describeResult(r)).toBe("timeout");
      expect(r.exitCode).toBeNull();
      expect(r.error).not.toBeNull();
      expect(r.error!.name).toBe("TimeoutError");
      expect(r.error!.message).toContain("timeoutMs");
      expect(r.value).toBeNull();
      expect(r.files).toEqual([]);
      // Sandbox boot (startMs) is not part of the limit; everything after it is.
      expect(r.timings.totalMs - r.timings.startMs, describeResult(r)).toBeLessThan(TIMEOUT_BUDGET_MS);
      expect(wallMs - r.timings.startMs, `wall ${wallMs} ms`).toBeLessThan(TIMEOUT_BUDGET_MS);
      // …and the run was not stopped early.
      expect(wallMs - r.timings.startMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    });

    it.each([
      ["python", lines('print("before", flush=True)', "import time", "time.sleep(600)")],
      ["javascript", lines('console.log("before");', "for (;;) {}")],
    ] as Array<[Language, string]>)("keeps %s output written before the timeout", async (language, code) => {
      const streamed: string[] = [];
      const { result: r } = await timed(
        { language, code, limits: { timeoutMs: TIMEOUT_MS } },
        { onStdout: (t) => streamed.push(t) },
      );
      expect(r.status, describeResult(r)).toBe("timeout");
      expect(r.stdout).toContain("before");
      expect(r.output).toContain("before");
      expect(streamed.join("")).toContain("before");
    });
  });

  describe("memoryLimitBytes", () => {
    const cases: Array<[name: string, language: Language, code: string, memoryLimitBytes: number]> = [
      ["python list of growing bytearrays", "python", lines("chunks = []", "while True:", "    chunks.append(bytearray(1024 * 1024))"), 64 * MiB],
      // `s += s` alone builds a rope in QuickJS-ng (and a cons-string in V8): it hits the
      // engine's string length cap, not memory. Reading the string flattens it for real.
      ["javascript doubling string", "javascript", lines("let s = 'x';", "for (;;) {", "  s += s;", "  s.indexOf('y');", "}"), 32 * MiB],
      ["javascript array of buffers", "javascript", lines("const keep = [];", "for (;;) keep.push(new Uint8Array(1 << 20).fill(1));"), 32 * MiB],
    ];

    it.each(cases)("stops a %s with status memory_limit", async (_name, language, code, memoryLimitBytes) => {
      const { result: r } = await timed({ language, code, limits: { memoryLimitBytes, timeoutMs: 30_000 } });
      expect(r.status, describeResult(r)).toBe("memory_limit");
      expect(r.error).not.toBeNull();
      expect(r.error!.message, describeResult(r)).toContain("memoryLimitBytes");
      expect(r.value).toBeNull();
    });

    it.each([
      ["python", lines("block = bytearray(48 * 1024 * 1024)", "block[-1] = 1", "print(len(block))")],
      ["javascript", lines("const block = new Uint8Array(48 * 1024 * 1024).fill(1);", "console.log(block.length);")],
    ] as Array<[Language, string]>)("lets a %s run use memory within the default limit", async (language, code) => {
      const { result: r } = await timed({ language, code });
      expect(r.status, describeResult(r)).toBe("ok");
      expect(r.stdout).toBe(`${48 * MiB}\n`);
    });
  });

  describe("maxOutputBytes", () => {
    const CAP = 1000;
    const byteLength = (s: string) => Buffer.byteLength(s, "utf8");

    it.each([
      ["python", lines("while True:", '    print("0123456789")')],
      ["javascript", lines('for (;;) console.log("0123456789");')],
    ] as Array<[Language, string]>)("cuts a %s stdout flood at exactly the cap", async (language, code) => {
      const { result: r } = await timed({ language, code, limits: { maxOutputBytes: CAP, timeoutMs: 20_000 } });
      expect(r.status, describeResult(r)).toBe("output_limit");
      expect(r.exitCode).toBeNull();
      expect(r.error!.message).toContain("maxOutputBytes");
      expect(byteLength(r.stdout) + byteLength(r.stderr)).toBe(CAP);
      expect(r.stdout).toBe("0123456789\n".repeat(CAP / 10).slice(0, CAP));
      expect(r.stderr).toBe("");
      expect(r.output).toBe(r.stdout);
    });

    it.each([
      ["python", lines("import sys", "while True:", '    print("out-line")', '    print("err-line", file=sys.stderr)')],
      ["javascript", lines("for (;;) {", '  console.log("out-line");', '  console.error("err-line");', "}")],
    ] as Array<[Language, string]>)("cuts a %s stdout+stderr flood at the cap, keeping the interleaved prefix", async (language, code) => {
      const { result: r } = await timed({ language, code, limits: { maxOutputBytes: CAP, timeoutMs: 20_000 } });
      expect(r.status, describeResult(r)).toBe("output_limit");
      expect(byteLength(r.stdout) + byteLength(r.stderr)).toBe(CAP);
      expect(byteLength(r.output)).toBe(CAP);
      const full = "out-line\nerr-line\n".repeat(CAP);
      expect(full.startsWith(r.output), `output should be a prefix of the interleaved flood: ${JSON.stringify(r.output.slice(-40))}`).toBe(true);
      expect("out-line\n".repeat(CAP).startsWith(r.stdout)).toBe(true);
      expect("err-line\n".repeat(CAP).startsWith(r.stderr)).toBe(true);
    });

    it("never splits a multi-byte character at the cap", async () => {
      const cap = 1001; // not a multiple of the 6-byte unit below
      const { result: r } = await timed({
        language: "javascript",
        code: lines('for (;;) process.stdout.write("é🌍");'),
        limits: { maxOutputBytes: cap, timeoutMs: 20_000 },
      });
      expect(r.status, describeResult(r)).toBe("output_limit");
      expect(r.stdout).not.toContain("\uFFFD");
      expect(byteLength(r.stdout)).toBeLessThanOrEqual(cap);
      expect(byteLength(r.stdout)).toBeGreaterThan(cap - 4);
      expect("é🌍".repeat(cap).startsWith(r.stdout)).toBe(true);
    });
  });

  describe("AbortSignal", () => {
    it.each([
      ["python", lines("import time", 'print("started", flush=True)', "time.sleep(600)")],
      ["javascript", lines('console.log("started");', "for (;;) {}")],
    ] as Array<[Language, string]>)("ends a running %s guest with status killed", async (language, code) => {
      const controller = new AbortController();
      let abortedAt = 0;
      const { result: r } = await timed(
        { language, code, limits: { timeoutMs: 20_000 } },
        {
          signal: controller.signal,
          onStdout: (t) => {
            if (t.includes("started") && !abortedAt) {
              abortedAt = performance.now();
              controller.abort();
            }
          },
        },
      );
      const resolvedAfterAbortMs = performance.now() - abortedAt;
      expect(abortedAt, "the guest's first line should stream before the run ends").toBeGreaterThan(0);
      expect(r.status, describeResult(r)).toBe("killed");
      expect(r.exitCode).toBeNull();
      expect(r.error).not.toBeNull();
      expect(r.stdout).toContain("started");
      expect(resolvedAfterAbortMs).toBeLessThan(1000);
    });

    it("ends a run whose signal is already aborted without running it", async () => {
      const { result: r, wallMs } = await timed(
        { language: "javascript", code: lines('console.log("ran");', "for (;;) {}"), limits: { timeoutMs: 20_000 } },
        { signal: AbortSignal.abort() },
      );
      expect(r.status, describeResult(r)).toBe("killed");
      expect(r.exitCode).toBeNull();
      expect(r.stdout).toBe("");
      expect(wallMs).toBeLessThan(5000);
    });
  });

  describe("invalid requests", () => {
    const base = { language: "python", code: "print(1)" };

    async function expectInvalid(request: unknown): Promise<Error & { code: string; message: string }> {
      let thrown: unknown;
      try {
        await engine.execute(request);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, "execute should throw").toBeDefined();
      expect(isWasmboxError(thrown), `should be a WasmboxError: ${String(thrown)}`).toBe(true);
      const err = thrown as Error & { code: string };
      expect(err.code).toBe("INVALID_REQUEST");
      return err;
    }

    const cases: Array<[name: string, request: unknown, field: string]> = [
      ["an unknown top-level field", { ...base, bogus: 1 }, "bogus"],
      ["an unknown limits field", { ...base, limits: { timeoutMS: 5 } }, "timeoutMS"],
      ["a missing code", { language: "python" }, "code"],
      ["code of the wrong type", { ...base, code: 42 }, "code"],
      ["args of the wrong type", { ...base, args: "a b" }, "args"],
      ["an arg of the wrong type", { ...base, args: ["a", 2] }, "args.1"],
      ["an env value of the wrong type", { ...base, env: { A: 1 } }, "env.A"],
      ["stdin of the wrong type", { ...base, stdin: 5 }, "stdin"],
      ["file content of the wrong type", { ...base, files: { "a.txt": 5 } }, "files.a.txt"],
      ["an unknown language", { ...base, language: "ruby" }, "language"],
      ["timeoutMs of 0", { ...base, limits: { timeoutMs: 0 } }, "limits.timeoutMs"],
      ["timeoutMs as a string", { ...base, limits: { timeoutMs: "1000" } }, "limits.timeoutMs"],
      ["a fractional timeoutMs", { ...base, limits: { timeoutMs: 1.5 } }, "limits.timeoutMs"],
      ["memoryLimitBytes of 1", { ...base, limits: { memoryLimitBytes: 1 } }, "limits.memoryLimitBytes"],
      ["maxOutputBytes of 0", { ...base, limits: { maxOutputBytes: 0 } }, "limits.maxOutputBytes"],
      ["a file path with ..", { ...base, files: { "../x": "a" } }, "files"],
      ["a file path with .. inside", { ...base, files: { "a/../../x": "a" } }, "files"],
      ["an absolute file path", { ...base, files: { "/abs": "a" } }, "files"],
    ];

    it.each(cases)("rejects %s, naming the field", async (_name, request, field) => {
      const err = await expectInvalid(request);
      expect(err.message).toContain(field);
    });

    it("rejects a request that is not an object", async () => {
      await expectInvalid(null);
      await expectInvalid("print(1)");
    });

    it("says an unknown language's valid choices", async () => {
      const err = await expectInvalid({ ...base, language: "ruby" });
      expect(err.message).toContain("ruby");
      for (const l of ["python", "javascript", "typescript"]) expect(err.message).toContain(l);
    });

    it.each([
      ["code", { ...base, code: 42 }],
      ["env.A", { ...base, env: { A: 1 } }],
      ["limits.timeoutMs", { ...base, limits: { timeoutMs: "1000" } }],
    ] as Array<[string, unknown]>)("does not call %s missing when it is present with the wrong type", async (field, request) => {
      const err = await expectInvalid(request);
      expect(err.message).toContain(field);
      expect(err.message).not.toMatch(new RegExp(`${field.replace(/\./g, "\\.")}: is required`));
    });

    it.each([
      ["../x", /'\.\.'|parent/i],
      ["/abs", /relative|absolute/i],
    ] as Array<[string, RegExp]>)("says why file path %s is refused", async (path, reason) => {
      const err = await expectInvalid({ ...base, files: { [path]: "a" } });
      expect(err.message).toContain(path);
      expect(err.message).toMatch(reason);
    });
  });

  describe("after all of the above", () => {
    it.each([
      ["python", 'print("still here")'],
      ["javascript", 'console.log("still here")'],
      ["typescript", 'const s: string = "still here"; console.log(s)'],
    ] as Array<[Language, string]>)("the engine still answers a normal %s run", async (language, code) => {
      const { result: r } = await timed({ language, code });
      expect(r.status, describeResult(r)).toBe("ok");
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe("still here\n");
      expect(engine.stats().active).toBe(0);
    });
  });
});
