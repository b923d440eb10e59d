import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine } from "@wasmbox/node";
import { CompileCache, compileKey } from "../src/host/compile-cache.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "wasmbox-compile-cache-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const entry = (n: number) => ({ module: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, n]), diagnostics: [], output: `out ${n}` });

describe("CompileCache", () => {
  it("keys builds by everything that changes the module", () => {
    const base = { language: "c" as const, code: "int main(void){return 0;}" };
    const k = compileKey(base, "main.c", "clang 22");
    expect(compileKey({ ...base }, "main.c", "clang 22")).toBe(k);
    expect(compileKey({ ...base, code: base.code + " " }, "main.c", "clang 22")).not.toBe(k);
    expect(compileKey({ ...base, compile: { optimize: "0" } }, "main.c", "clang 22")).not.toBe(k);
    expect(compileKey({ ...base, compile: { flags: ["-Wall"] } }, "main.c", "clang 22")).not.toBe(k);
    expect(compileKey(base, "other.c", "clang 22")).not.toBe(k);
    expect(compileKey(base, "main.c", "clang 23")).not.toBe(k);
    expect(compileKey({ ...base, files: { "lib.h": "#define X 1" } }, "main.c", "clang 22")).not.toBe(k);
    // Data files do not take part in the build.
    expect(compileKey({ ...base, files: { "data.csv": "a,b" } }, "main.c", "clang 22")).toBe(k);
    expect(compileKey({ ...base, wasm: { invoke: { export: "f" } } }, "main.c", "clang 22")).not.toBe(k);
  });

  it("finds entries on disk from another instance, and treats a corrupt one as a miss", () => {
    const dir = tempDir();
    new CompileCache({ dir }).set("k1", entry(1));
    const fresh = new CompileCache({ dir });
    expect(fresh.get("k1")?.output).toBe("out 1");
    writeFileSync(join(dir, "modules", "k1.wasm"), "garbage");
    expect(new CompileCache({ dir }).get("k1")).toBeUndefined();
  });

  it("bounds memory (least recently used go) and disk", () => {
    const memoryOnly = new CompileCache({ dir: null, maxEntries: 2 });
    memoryOnly.set("a", entry(1));
    memoryOnly.set("b", entry(2));
    memoryOnly.get("a");
    memoryOnly.set("c", entry(3));
    expect(memoryOnly.get("b")).toBeUndefined();
    expect(memoryOnly.get("a")).toBeDefined();

    const dir = tempDir();
    const bounded = new CompileCache({ dir, maxDiskEntries: 3 });
    for (let i = 0; i < 40; i++) bounded.set(`k${i}`, entry(i));
    // Pruned every 32 writes: after write 33 three remain, then seven more were written.
    expect(readdirSync(join(dir, "modules")).filter((f) => f.endsWith(".wasm")).length).toBe(10);
    expect(new CompileCache({ dir }).get("k39")).toBeDefined();
  });
});

describe("the engine's compile cache", () => {
  it("survives the engine: a new engine on the same directory reuses the build; a corrupt file is rebuilt", async () => {
    const cacheDir = tempDir();
    const request = { language: "c", code: '#include <stdio.h>\nint main(void) { puts("cached?"); return 0; }\n' };
    {
      await using engine = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0 }, cacheDir });
      const first = await engine.execute(request);
      expect(first.stdout).toBe("cached?\n");
      expect(first.compile?.cached).toBe(false);
      expect((await engine.execute(request)).compile?.cached).toBe(true);
    }
    {
      await using engine = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0 }, cacheDir });
      const again = await engine.execute(request);
      expect(again.compile?.cached).toBe(true);
      expect(again.stdout).toBe("cached?\n");
    }
    for (const f of readdirSync(join(cacheDir, "modules"))) if (f.endsWith(".wasm")) writeFileSync(join(cacheDir, "modules", f), "not wasm");
    {
      await using engine = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0 }, cacheDir });
      const rebuilt = await engine.execute(request);
      expect(rebuilt.compile?.cached).toBe(false);
      expect(rebuilt.stdout).toBe("cached?\n");
    }
  }, 120_000);
});
