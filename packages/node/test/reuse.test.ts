// Host-agnostic: written against core's `Engine`, run on every host in `hosts.ts`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestEngine } from "../../../test-support/browser-engine.js";
import { testHosts } from "./hosts.js";

// JavaScript sandbox processes are reused (for one tenant): each run gets a brand-new QuickJS
// wasm instance inside a process that serves many runs. Python sandboxes are not reused: each
// run has a process of its own. These tests hold both to "nothing crosses runs".
describe.each(testHosts())("on the $name host", (host) => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await host.createEngine({ pool: { python: 1, quickjs: 1, wasm: 0 }, maxConcurrentRuns: 2 });
  }, 180_000);
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

    // Each fresh run starts from a pristine image of an interpreter's memory, restored in place
    // (a sandbox keeps two interpreters and restores one while the other serves).
    // `performance.timeOrigin` is the image's (when its context was made): a later run with
    // the polluter's origin ran in the polluter's own instance, restored, so these tests hold
    // the restore itself to "nothing crosses", not a new instance.
    it("restore the pristine image for each run: nothing a run does to globals, prototypes, built-ins, modules or the heap is seen by the next", async () => {
      const polluter = await js(
        [
          "import fs from 'node:fs';",
          "fs.readFileSync = () => 'patched';",
          "process.stdout.write(String(performance.timeOrigin));",
          "Object.prototype.polluted = 'yes'; Math.max = () => -1; delete globalThis.console.log; globalThis.Buffer = null;",
          "globalThis.heap = Array.from({ length: 50000 }, (_, i) => ({ i, s: 'x'.repeat(20) }));",
          "new Promise(() => {}); setTimeout(() => globalThis.late = 1, 5);",
          "Array.prototype.push = function () { throw new Error('patched push'); };",
        ].join("\n"),
      );
      expect(polluter.status).toBe("ok");
      const origins: string[] = [];
      for (let i = 0; i < 3; i++) {
        const next = await js(
          [
            "import fs from 'node:fs';",
            "const seen = [typeof fs.readFileSync, ({}).polluted, [1].push(2), Math.max(1, 2), typeof globalThis.heap, typeof globalThis.late, typeof Buffer.from];",
            "console.log(performance.timeOrigin + ' ' + JSON.stringify(seen));",
          ].join("\n"),
        );
        expect(next.status).toBe("ok");
        const [origin, seen] = next.stdout.trim().split(" ");
        expect(seen).toBe('["function",null,2,2,"undefined","undefined","function"]');
        origins.push(origin!);
      }
      expect(origins).toContain(polluter.stdout);
    });

    it("give each restored run its own Math.random sequence", async () => {
      const draws: string[][] = [];
      for (let i = 0; i < 4; i++) draws.push((await js("console.log(performance.timeOrigin, Math.random(), Math.random())")).stdout.trim().split(" "));
      // Runs from the same image (the same origin) drew different numbers: each was reseeded.
      const origins = draws.map((d) => d[0]);
      expect(new Set(origins).size).toBeLessThan(origins.length);
      expect(new Set(draws.flatMap((d) => d.slice(1))).size).toBe(8);
    });

    it("give a run after one that grew the interpreter's memory a new pristine instance", async () => {
      const grower = await js("globalThis.big = Array.from({ length: 3_000_000 }, (_, i) => i * 1.5); console.log(big.length)");
      expect(grower.stdout).toBe("3000000\n");
      const next = await js("console.log(typeof big, [1, 2, 3].map((x) => x * 2).join())");
      expect(next.stdout).toBe("undefined 2,4,6\n");
    });

    it("give a session opened on a reused sandbox a clean interpreter, then keep its state", async () => {
      await js("var fromAnotherRequest = 'secret'");
      await using session = await engine.openSession({ language: "javascript" });
      expect((await session.execute({ code: "typeof fromAnotherRequest" })).value).toBe("undefined");
      await session.execute({ code: "var counter = 20" });
      expect((await session.execute({ code: "counter + 22" })).value).toBe(42);
    });

    it("discard a sandbox whose guest was stopped by its time limit (its runtime may be left inconsistent); the next run is clean", async () => {
      const starts = engine.stats().sandboxStarts;
      const loop = await js("globalThis.mark = 1; for (;;) {}", { limits: { timeoutMs: 300 } });
      expect(loop.status).toBe("timeout");
      const next = await js("console.log(typeof mark)");
      expect(next.stdout).toBe("undefined\n");
      expect(engine.stats().sandboxStarts - starts).toBeGreaterThanOrEqual(1);
    });
  });

  const py = (code: string, extra: Record<string, unknown> = {}) => engine.execute({ language: "python", code, ...extra });

  describe("reused Python sandboxes", () => {
    it("are not reused: each run gets a process of its own (Python guests reach the process's realm)", async () => {
      await py("1");
      const before = engine.stats().sandboxStarts;
      for (let i = 0; i < 4; i++) expect((await py(`print(${i})`)).stdout).toBe(`${i}\n`);
      // One start per run, made ahead of the next run by the pool.
      expect(engine.stats().sandboxStarts - before).toBeGreaterThanOrEqual(4);
    }, 60_000);

    it("let nothing cross from one run to the next: globals, patched modules and builtins, files, env, the JS realm", async () => {
      const first = await py(
        [
          "import builtins, json, os, sys, js",
          "leak = 'g'",
          "builtins.print = lambda *a, **k: None",
          "json.dumps = lambda *a, **k: 'patched'",
          "sys.modules['secret_mod'] = type(sys)('secret_mod')",
          "open('left-behind.txt', 'w').write('x')",
          "os.environ['LEAKED'] = '1'",
          "js.globalThis.leakedFromPython = 1",
          // Patch the realm and keep a timer alive in it (without eval: the browser's CSP forbids it).
          "from pyodide.ffi import create_proxy",
          "js.globalThis.fetchOrig = js.globalThis.setTimeout",
          "js.setInterval(create_proxy(lambda: None), 1)",
        ].join("\n"),
      );
      expect(first.status, JSON.stringify(first.error)).toBe("ok");
      const second = await py(
        [
          "import json, os, sys, js",
          "print('leak' in globals(), json.dumps({'a': 1}), 'secret_mod' in sys.modules,",
          "      os.path.exists('left-behind.txt'), os.environ.get('LEAKED'), hasattr(js.globalThis, 'leakedFromPython'))",
        ].join("\n"),
      );
      expect(second.stdout).toBe('False {"a": 1} False False None False\n');
    }, 60_000);

    it("survive a guest stopped by its time limit; the next run is clean", async () => {
      const loop = await py("mark = 1\nwhile True: pass", { limits: { timeoutMs: 500 } });
      expect(loop.status).toBe("timeout");
      const next = await py("print('mark' in globals())");
      expect(next.stdout).toBe("False\n");
    }, 60_000);

    it("report a program that breaks the JSON encoder as its own error, and keep serving", async () => {
      const broken = await py("import json\njson.JSONEncoder.encode = lambda self, o: 'not json'\njson.encoder.c_make_encoder = None\n40 + 2");
      expect(["ok", "error"]).toContain(broken.status);
      if (broken.status === "error") expect(broken.error?.name).toBe("RuntimeTampered");
      expect((await py("print(6 * 7)")).stdout).toBe("42\n");
    }, 60_000);
  });
});
