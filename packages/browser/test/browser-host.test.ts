/**
 * The browser host beyond the shared conformance suite (which runs Python, JavaScript and
 * TypeScript on it: packages/node/test/conformance.test.ts with the `browser` test host):
 * WebAssembly text, C and C++ compiled by clang in the browser, sessions, the one-call
 * `executeCode`, what the host says about its walls, and clear errors for what cannot run.
 * Real Chromium, real wasmbox server serving the SDK and the runtime files.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBrowserStack, type BrowserStack } from "../../../test-support/browser-stack.js";
import { ChromiumEngine } from "../../../test-support/browser-engine.js";
import { chromiumSkipReason } from "../../../test-support/chromium.js";

const skip = chromiumSkipReason();

describe.skipIf(skip !== undefined)(`the browser host${skip ? ` (${skip})` : ""}`, () => {
  let engine: ChromiumEngine;
  let stack: BrowserStack;
  let page: Page;

  beforeAll(async () => {
    engine = await ChromiumEngine.start({ pool: { python: 1, quickjs: 1, wasm: 1 } });
    stack = await startBrowserStack();
    page = await stack.harness();
  }, 180_000);

  afterAll(async () => {
    await engine?.dispose();
    await stack?.close();
  });

  it("runs WebAssembly text with WASI output", async () => {
    const wat = `(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "hello from wat\\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 15))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;
    const r = await engine.execute({ language: "wasm", code: wat });
    expect(r.status, JSON.stringify(r.error)).toBe("ok");
    expect(r.stdout).toBe("hello from wat\n");
  });

  it("compiles and runs C with clang in the browser: hello world, then a program reading a request file", async () => {
    const hello = await engine.execute({ language: "c", code: '#include <stdio.h>\nint main(void) { puts("hello, c"); return 0; }\n' });
    expect(hello.status, JSON.stringify(hello.error)).toBe("ok");
    expect(hello.stdout).toBe("hello, c\n");
    expect(hello.compile?.compiler).toMatch(/clang/);

    const reader = await engine.execute({
      language: "c",
      code: [
        "#include <stdio.h>",
        "int main(void) {",
        '  FILE *f = fopen("data/trips.csv", "r");',
        '  if (!f) { perror("fopen"); return 1; }',
        "  char line[256]; int rows = 0; double total = 0, km;",
        "  fgets(line, sizeof line, f);",
        '  while (fscanf(f, "%*[^,],%lf\\n", &km) == 1) { rows++; total += km; }',
        '  printf("%d trips, %.1f km\\n", rows, total);',
        "  return 0;",
        "}",
      ].join("\n"),
      files: { "data/trips.csv": "trip,distance_km\nT1,12.5\nT2,7.25\nT3,3.0\n" },
    });
    expect(reader.status, JSON.stringify(reader.error)).toBe("ok");
    expect(reader.stdout).toBe("3 trips, 22.8 km\n");
  }, 240_000);

  it("compiles C++ and reports a compile error with its line", async () => {
    const ok = await engine.execute({ language: "cpp", code: "#include <iostream>\n#include <vector>\nint main() { std::vector<int> v{1, 2, 3}; int s = 0; for (int x : v) s += x; std::cout << s << std::endl; }\n" });
    expect(ok.status, JSON.stringify(ok.error)).toBe("ok");
    expect(ok.stdout).toBe("6\n");
    const bad = await engine.execute({ language: "c", code: "int main(void) {\n  return missing;\n}\n" });
    expect(bad.status).toBe("compile_error");
    expect(bad.error?.line).toBe(2);
  }, 240_000);

  it("keeps a Python session's state across runs", async () => {
    const session = await engine.openSession({ language: "python" });
    try {
      expect((await session.execute({ code: "counter = 41" })).status).toBe("ok");
      const r = await session.execute({ code: "counter += 1\nprint(counter)" });
      expect(r.stdout).toBe("42\n");
    } finally {
      await session.dispose();
    }
  });

  it("answers a malformed request with INVALID_REQUEST naming the field, and keeps serving", async () => {
    await expect(engine.execute({ language: "python", code: 5 })).rejects.toMatchObject({ code: "INVALID_REQUEST", message: expect.stringContaining("code") });
    expect((await engine.execute({ language: "python", code: "print('still here')" })).stdout).toBe("still here\n");
  });

  it("says AssemblyScript runs on a server, not in the browser (yet)", async () => {
    await expect(engine.execute({ language: "assemblyscript", code: "export function _start(): void {}" })).rejects.toMatchObject({ message: expect.stringContaining("AssemblyScript does not run in the browser") });
  });

  it("executeCode(code, language, timeoutMs) gives output, error and execution time", async () => {
    const answer = await page.evaluate(async () => {
      const w = window as unknown as { wasmbox: { executeCode(c: string, l: string, t?: number): Promise<{ output: string; error: string | null; executionTime: number }> } };
      return [await w.wasmbox.executeCode("console.log('one call')", "javascript"), await w.wasmbox.executeCode("1 / 0", "python", 5000), await w.wasmbox.executeCode("while True: pass", "python", 300)];
    });
    expect(answer[0]).toMatchObject({ output: "one call\n", error: null });
    expect(answer[0]!.executionTime).toBeGreaterThan(0);
    expect(answer[1]!.error).toMatch(/^ZeroDivisionError: /);
    expect(answer[2]!.error).toMatch(/^TimeoutError: /);
  }, 120_000);

  it("tells its walls: an opaque-origin frame, no connections, a worker per sandbox", async () => {
    const isolation = await page.evaluate(async () => {
      const w = window as unknown as { wasmbox: { createSandbox(o?: unknown): { execute(r: unknown): Promise<unknown>; isolation: { mode: string; weak: boolean; walls: { name: string; inForce: boolean }[] }; dispose(): Promise<void> } } };
      const e = w.wasmbox.createSandbox({ pool: { python: 0, quickjs: 0, wasm: 0 } });
      await e.execute({ language: "javascript", code: "1" });
      const i = e.isolation;
      await e.dispose();
      return i;
    });
    expect(isolation.mode).toBe("browser");
    expect(isolation.weak).toBe(false);
    expect(Object.fromEntries(isolation.walls.map((w) => [w.name, w.inForce]))).toMatchObject({ "opaque-origin frame": true, "no connections": true, "a worker per sandbox": true, "cooperative interrupt": true });
  });

  it("gives a clear error when the runtime files cannot be found", async () => {
    const message = await page.evaluate(async () => {
      const w = window as unknown as { wasmbox: { createSandbox(o?: unknown): { execute(r: unknown): Promise<unknown>; dispose(): Promise<void> } } };
      const e = w.wasmbox.createSandbox({ assetsBaseUrl: "/nowhere/", pool: { python: 0, quickjs: 0, wasm: 0 } });
      try {
        await e.execute({ language: "javascript", code: "1" });
        return "ran";
      } catch (err) {
        return String((err as Error).message);
      } finally {
        await e.dispose();
      }
    });
    expect(message).toMatch(/manifest/);
    expect(message).toMatch(/assetsBaseUrl/);
  });

  it("stops runs on a page that is not cross-origin isolated (no shared memory: the worker is terminated)", async () => {
    const plain = await stack.harness({ isolated: false });
    const result = await plain.evaluate(async () => {
      const w = window as unknown as { wasmbox: { createSandbox(o?: unknown): { execute(r: unknown, o?: unknown): Promise<{ status: string; timings: { executionTimeMs: number } }>; dispose(): Promise<void> } } };
      const e = w.wasmbox.createSandbox({ preload: ["javascript"] });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 1500);
      const killed = await e.execute({ language: "javascript", code: "for (;;) {}" }, { signal: controller.signal });
      const timedOut = await e.execute({ language: "javascript", code: "for (;;) {}", limits: { timeoutMs: 500 } });
      const after = await e.execute({ language: "javascript", code: "console.log('fine')" });
      await e.dispose();
      return { isolated: crossOriginIsolated, killed: killed.status, timedOut: timedOut.status, after: after.status };
    });
    expect(result).toEqual({ isolated: false, killed: "killed", timedOut: "timeout", after: "ok" });
  }, 120_000);
});
