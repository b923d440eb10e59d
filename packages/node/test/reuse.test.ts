import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "@wasmbox/node";

// JavaScript sandboxes are reused: each run gets a brand-new QuickJS wasm instance inside a
// sandbox process that serves many runs. These tests hold that reuse to "nothing crosses runs".
let engine: Engine;
beforeAll(() => {
  engine = createEngine({ pool: { python: 0, quickjs: 1 }, maxConcurrentRuns: 2 });
});
afterAll(async () => {
  await engine.dispose();
});

const js = (code: string, extra: Record<string, unknown> = {}) => engine.execute({ language: "javascript", code, ...extra });

describe("reused JavaScript sandboxes", () => {
  it("serve many runs without starting a process per run", async () => {
    await js("1");
    const before = engine.stats().sandboxStarts;
    for (let i = 0; i < 20; i++) expect((await js(`console.log(${i})`)).stdout).toBe(`${i}\n`);
    expect(engine.stats().sandboxStarts - before).toBeLessThanOrEqual(3);
  });

  it("let nothing cross from one run to the next: globals, vars, patched builtins, files, timers", async () => {
    const first = await js(
      [
        "globalThis.leak = 'g'; var v = 'v';",
        "JSON.stringify = () => 'patched'; Array.prototype.map = null;",
        "require('fs').writeFileSync('left-behind.txt', 'x');",
        "setInterval(() => console.log('ghost'), 1);",
        "process.exit(0);",
      ].join("\n"),
    );
    expect(first.status).toBe("ok");
    const second = await js(
      "console.log(typeof leak, typeof v, JSON.stringify({a:1}), typeof [].map, require('fs').existsSync('left-behind.txt'))",
    );
    expect(second.stdout).toBe('undefined undefined {"a":1} function false\n');
    expect(second.output).not.toContain("ghost");
  });

  it("give a session opened on a reused sandbox a clean interpreter, then keep its state", async () => {
    await js("var fromAnotherRequest = 'secret'");
    await using session = await engine.openSession({ language: "javascript" });
    expect((await session.execute({ code: "typeof fromAnotherRequest" })).value).toBe("undefined");
    await session.execute({ code: "var counter = 20" });
    expect((await session.execute({ code: "counter + 22" })).value).toBe(42);
  });

  it("survive a guest stopped by its time limit, and the next run is clean and fast", async () => {
    const starts = engine.stats().sandboxStarts;
    const loop = await js("globalThis.mark = 1; for (;;) {}", { limits: { timeoutMs: 300 } });
    expect(loop.status).toBe("timeout");
    const next = await js("console.log(typeof mark)");
    expect(next.stdout).toBe("undefined\n");
    expect(engine.stats().sandboxStarts - starts).toBeLessThanOrEqual(1);
  });
});
