/**
 * `usage` (CPU time, wall time, peak memory), measured by the host from outside the guest,
 * as a user of the API sees it: on the result of `/v1/execute`, in run history, for C's
 * compile as `compile.usage`, and plausible — a CPU-bound loop uses CPU time within what its
 * wall time allows on this machine's cores, and a Python program holding 200 MB peaks higher
 * than `print(1)`.
 */
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, removeDataDirs, show, startServer, type Api, type Json, type TestServer } from "./helpers.js";

let t: TestServer;
let client: Api;

beforeAll(async () => {
  t = await startServer({ poolPython: 1, poolJs: 1 });
  client = api(t.url);
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

const MB = 1024 * 1024;

async function run(body: Json): Promise<Json> {
  const res = await client.post("/v1/execute", body);
  expect(res.status, show(res)).toBe(200);
  return res.body;
}

describe("usage", () => {
  it("a CPU-bound loop: cpuTimeMs > 0 and at most wallTimeMs × cores; peak memory > 0; kept in history", async () => {
    const result = await run({ language: "javascript", code: "let s = 0; for (let i = 0; i < 3e6; i++) s += i % 7; console.log(s > 0)" });
    expect(result.stdout).toBe("true\n");
    const { cpuTimeMs, wallTimeMs, peakMemoryBytes } = result.usage;
    expect(wallTimeMs).toBeGreaterThan(0);
    expect(cpuTimeMs).toBeGreaterThan(0);
    // /proc counts CPU in 10 ms ticks: allow one tick per core above the wall clock.
    expect(cpuTimeMs).toBeLessThanOrEqual(wallTimeMs * availableParallelism() + 10 * availableParallelism());
    expect(peakMemoryBytes).toBeGreaterThan(MB);
    const stored = await client.get(`/v1/runs/${result.id}`);
    expect(stored.body.result.usage).toEqual(result.usage);
  });

  it("Python holding 200 MB peaks higher than print(1), by most of those 200 MB", async () => {
    const small = await run({ language: "python", code: "print(1)" });
    const big = await run({ language: "python", code: "b = b'x' * (200 * 1024 * 1024)\nprint(len(b))", limits: { memoryLimitBytes: 512 * MB } });
    expect(big.stdout).toBe(`${200 * MB}\n`);
    expect(small.usage.peakMemoryBytes).toBeGreaterThan(0);
    expect(big.usage.peakMemoryBytes - small.usage.peakMemoryBytes).toBeGreaterThan(150 * MB);
  });

  it("C: the run's usage, and the compile's own as compile.usage (none when the build came from the cache)", async () => {
    // A program no earlier test run built: the compile cache lives on past one server.
    const code = `// ${randomUUID()}\n` + '#include <stdio.h>\nint main(void) { volatile long s = 0; for (long i = 0; i < 10000000; i++) s += i & 1; printf("%ld\\n", s > 0); }';
    const first = await run({ language: "c", code });
    expect(first.stdout).toBe("1\n");
    expect(first.compile.cached).toBe(false);
    expect(first.compile.usage.cpuTimeMs).toBeGreaterThan(0);
    expect(first.compile.usage.peakMemoryBytes).toBeGreaterThan(MB);
    expect(first.usage.wallTimeMs).toBeGreaterThan(0);
    expect(first.usage).not.toEqual(first.compile.usage);
    const again = await run({ language: "c", code });
    expect(again.compile.cached).toBe(true);
    expect(again.compile.usage).toBeUndefined();
    expect(again.usage.peakMemoryBytes).toBeGreaterThan(0);
  });

  it("a run stopped by its time limit still reports what it used", async () => {
    const result = await run({ language: "python", code: "while True: pass", limits: { timeoutMs: 500 } });
    expect(result.status).toBe("timeout");
    expect(result.usage.wallTimeMs).toBeGreaterThanOrEqual(500);
    expect(result.usage.cpuTimeMs).toBeGreaterThan(0);
  });
});
