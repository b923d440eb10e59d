/**
 * Engine options are checked once, when the engine is made: a wrong value or an unknown name
 * throws `INVALID_OPTIONS` naming the option, what it allows and what it got — before any
 * sandbox starts (pool sizes 0 here: nothing boots until the one run at the end).
 */
import { execFileSync } from "node:child_process";
import { Engine as CoreEngine } from "@wasmbox/core";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine, isWasmboxError, NodeSandboxHost, type Engine, type WasmboxError } from "@wasmbox/node";

const NO_POOL = { python: 0, quickjs: 0, wasm: 0, clang: 0, asc: 0 };

/** The error `createEngine(options)` throws (options as a caller without types would pass them). */
function refusal(options: unknown): WasmboxError {
  let engine: Engine | undefined;
  try {
    engine = createEngine(options as Parameters<typeof createEngine>[0]);
  } catch (e) {
    if (isWasmboxError(e)) return e;
    throw e;
  }
  void engine.dispose();
  throw new Error(`createEngine accepted ${JSON.stringify(options)}`);
}

describe("a wrong engine option", () => {
  it.each([
    [{ pool: { ...NO_POOL, python: -1 } }, "engine option pool.python must be a whole number from 0 to 64 (got -1)"],
    [{ pool: { ...NO_POOL, quickjs: 1.5 } }, "engine option pool.quickjs must be a whole number from 0 to 64 (got 1.5)"],
    [{ pool: { ...NO_POOL, wasm: "2" } }, 'engine option pool.wasm must be a whole number from 0 to 64 (got "2")'],
    [{ pool: { ...NO_POOL, clang: 65 } }, "engine option pool.clang must be a whole number from 0 to 64 (got 65)"],
    [{ pool: 3 }, "engine option pool must be an object (got 3)"],
    [{ pool: NO_POOL, maxConcurrentRuns: 0 }, "engine option maxConcurrentRuns must be a whole number from 1 to 1024 (got 0)"],
    [{ pool: NO_POOL, maxConcurrentRuns: Number.NaN }, "engine option maxConcurrentRuns must be a whole number from 1 to 1024 (got NaN)"],
    [{ pool: NO_POOL, maxQueuedRuns: -5 }, "engine option maxQueuedRuns must be a whole number from 0 to 1000000 (got -5)"],
    [{ pool: NO_POOL, compileLimits: { timeoutMs: 0 } }, "engine option compileLimits.timeoutMs must be a whole number of milliseconds from 1 to 3600000 (got 0)"],
    [{ pool: NO_POOL, compileLimits: { memoryLimitBytes: 1024 } }, "engine option compileLimits.memoryLimitBytes must be a whole number of bytes from 16777216 to 4294967296 (got 1024)"],
    [{ pool: NO_POOL, startTimeoutMs: "60s" }, 'engine option startTimeoutMs must be a whole number of milliseconds from 1 to 3600000 (got "60s")'],
    [{ pool: NO_POOL, cacheDir: "" }, 'engine option cacheDir must be a directory path (a non-empty string) or false (got "")'],
    [{ pool: NO_POOL, cacheDir: true }, "engine option cacheDir must be a directory path (a non-empty string) or false (got true)"],
    [{ pool: NO_POOL, precompiledHeaders: "yes" }, 'engine option precompiledHeaders must be true or false (got "yes")'],
    [{ pool: NO_POOL, isolation: { osSandbox: "on" } }, 'engine option isolation.osSandbox must be one of "auto", "require", "off" (got "on")'],
    [{ pool: NO_POOL, isolation: { uid: 0 } }, "engine option isolation.uid must be a whole number from 1 to 4294967294 (got 0)"],
  ])("%j is refused: %s", (options, message) => {
    const e = refusal(options);
    expect(e.code).toBe("INVALID_OPTIONS");
    expect(e.httpStatus).toBe(400);
    expect(e.message).toBe(message);
  });

  it("an unknown option name is refused, naming the known ones", () => {
    expect(refusal({ pools: NO_POOL }).message).toBe(
      "unknown engine option pools (known: pool, maxConcurrentRuns, maxQueuedRuns, compileLimits, isolation, startTimeoutMs, cacheDir, precompiledHeaders, packages)",
    );
    expect(refusal({ pool: { ...NO_POOL, js: 1 } }).message).toBe(
      "unknown engine option pool.js (known: pool.python, pool.quickjs, pool.wasm, pool.clang, pool.asc)",
    );
    expect(refusal({ pool: NO_POOL, isolation: { bubblewrap: "off" } }).message).toBe(
      "unknown engine option isolation.bubblewrap (known: isolation.osSandbox, isolation.cgroups, isolation.networkNamespace, isolation.dropPrivileges, isolation.uid, isolation.gid)",
    );
  });

  it("several wrong options are all named, and listed in details", () => {
    const e = refusal({ pool: { ...NO_POOL, python: -1 }, maxConcurrentRuns: 0 });
    expect(e.message).toBe(
      "engine option pool.python must be a whole number from 0 to 64 (got -1); engine option maxConcurrentRuns must be a whole number from 1 to 1024 (got 0)",
    );
    expect(e.details).toEqual([
      { path: "pool.python", message: "engine option pool.python must be a whole number from 0 to 64 (got -1)" },
      { path: "maxConcurrentRuns", message: "engine option maxConcurrentRuns must be a whole number from 1 to 1024 (got 0)" },
    ]);
  });

  it("options that are not an object are refused", () => {
    expect(refusal(null).message).toBe("engine options must be an object (got null)");
    expect(refusal("fast").message).toBe('engine options must be an object (got "fast")');
  });

  it("core's engine checks its own options for a host that does not check them first", () => {
    const host = new NodeSandboxHost({ cacheDir: false });
    expect(() => new CoreEngine(host, { pool: NO_POOL, maxConcurrentRuns: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTIONS", message: "engine option maxConcurrentRuns must be a whole number from 1 to 1024 (got -1)" }),
    );
    // Core knows only its own options: a Node option passed to core's engine is unknown there.
    expect(() => new CoreEngine(host, { pool: NO_POOL, cacheDir: false } as object)).toThrow(/^unknown engine option cacheDir \(known: pool, maxConcurrentRuns, maxQueuedRuns, compileLimits\)$/);
  });
});

describe("good engine options", () => {
  let engine: Engine;
  afterAll(() => engine?.dispose());

  it("are taken as before: the engine is made and runs a program, with the output native node gives", async () => {
    engine = createEngine({
      pool: NO_POOL,
      maxConcurrentRuns: 1,
      maxQueuedRuns: 0,
      compileLimits: { timeoutMs: 30_000, memoryLimitBytes: 1024 * 1024 * 1024, minMemoryLimitBytes: 0 },
      startTimeoutMs: 60_000,
      cacheDir: false,
      isolation: { osSandbox: "auto", cgroups: "auto", networkNamespace: "auto", dropPrivileges: "auto", uid: 65534, gid: 65534 },
    });
    expect(engine.stats().pool.python).toEqual({ ready: 0, starting: 0 });
    const result = await engine.execute({ language: "javascript", code: "console.log(1)" });
    expect(result.status).toBe("ok");
    expect(result.stdout).toBe(execFileSync(process.execPath, ["-e", "console.log(1)"], { encoding: "utf8" }));
  });
});
