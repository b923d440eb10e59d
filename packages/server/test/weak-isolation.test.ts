/**
 * A server whose sandboxes have no OS sandbox (no bubblewrap) serves this machine and one key
 * only, unless the operator accepts the risk with WASMBOX_ALLOW_WEAK_ISOLATION=1.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createEngine } from "@wasmbox/node";
import { buildServer } from "@wasmbox/server";
import { api, newDataDir, removeDataDirs, TEST_DEFAULTS } from "./helpers.js";

const weakEngine = () => createEngine({ pool: { python: 0, quickjs: 0, wasm: 0 }, isolation: { osSandbox: "off", cgroups: "off" } });

afterAll(() => removeDataDirs());

describe("weak isolation", () => {
  it("refuses to listen beyond loopback, naming the fix", async () => {
    const engine = weakEngine();
    expect(engine.isolation.weak).toBe(true);
    const server = await buildServer({ ...TEST_DEFAULTS, host: "0.0.0.0", dataDir: newDataDir(), engine });
    try {
      server.keys.create("only");
      await expect(server.listen()).rejects.toThrow(/weak isolation.*bubblewrap.*WASMBOX_ALLOW_WEAK_ISOLATION/s);
    } finally {
      await server.close();
    }
  });

  it("serves one key on loopback, and refuses every request once a second key exists", async () => {
    const engine = weakEngine();
    const server = await buildServer({ ...TEST_DEFAULTS, dataDir: newDataDir(), engine });
    try {
      const first = server.keys.create("first");
      const url = await server.listen();
      const run = (key: string) => api(url, key).post("/v1/execute", { language: "javascript", code: "console.log(1)" });
      expect((await run(first.key)).status).toBe(200);
      const second = server.keys.create("second");
      const refused = await run(second.key);
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe("WEAK_ISOLATION");
      expect(refused.body.error.message).toMatch(/WASMBOX_ALLOW_WEAK_ISOLATION/);
      expect((await run(first.key)).status).toBe(503);
    } finally {
      await server.close();
    }
  });

  it("serves several keys when the operator allows it", async () => {
    const engine = weakEngine();
    const server = await buildServer({ ...TEST_DEFAULTS, dataDir: newDataDir(), engine, allowWeakIsolation: true });
    try {
      const a = server.keys.create("a");
      server.keys.create("b");
      const url = await server.listen();
      const r = await api(url, a.key).post("/v1/execute", { language: "javascript", code: "console.log(1)" });
      expect(r.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
