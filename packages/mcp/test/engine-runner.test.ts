/**
 * The local runner behind `wasmbox mcp`: sessions expire when idle and are capped, one run
 * at a time per session, and produced files are kept for reading back within a byte budget.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createEngine, isWasmboxError } from "@wasmbox/node";
import { engineRunner } from "../src/index.js";

const engine = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0, clang: 0, asc: 0 } });
afterAll(async () => {
  await engine.dispose();
});

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return isWasmboxError(e) ? `${e.code}: ${e.message}` : String(e);
  }
};

describe("engineRunner", () => {
  it("closes a session idle past sessionTtlMs and says why; caps open sessions; runs one at a time", async () => {
    await using runner = engineRunner(engine, { sessionTtlMs: 1000, maxSessions: 1 });
    const s = await runner.openSession({ language: "javascript" });
    expect(await codeOf(runner.openSession({ language: "javascript" }))).toMatch(/^TOO_MANY_SESSIONS: 1 sessions are open/);
    const slow = runner.executeInSession(s.id, { code: "const t = Date.now(); while (Date.now() - t < 1500) {}" });
    expect(await codeOf(runner.executeInSession(s.id, { code: "1" }))).toMatch(/^SESSION_BUSY/);
    expect((await slow).result.status).toBe("ok"); // busy longer than the TTL: not idle, not expired
    await new Promise((r) => setTimeout(r, 2500));
    expect(await codeOf(runner.executeInSession(s.id, { code: "1" }))).toMatch(/^SESSION_CLOSED: the session ses_\w+ has ended \(it was idle for longer than 1000 ms\)/);
    expect(await codeOf(runner.executeInSession("ses_unknown", { code: "1" }))).toMatch(/^NOT_FOUND/);
  });

  it("keeps produced files within keptFileBytes, dropping the oldest runs' first", async () => {
    await using runner = engineRunner(engine, { keptFileBytes: 1500 });
    const write = (bytes: number) => runner.execute({ language: "javascript", code: `require("fs").writeFileSync("f.txt", "x".repeat(${bytes}))` });
    const a = await write(1000);
    expect((await runner.readRunFile(a.runId, "f.txt"))?.bytes.byteLength).toBe(1000);
    const b = await write(1000);
    expect(await runner.readRunFile(a.runId, "f.txt")).toBeUndefined();
    expect((await runner.readRunFile(b.runId, "f.txt"))?.mime).toBe("text/plain");
    const big = await write(2000);
    expect(big.result.files).toHaveLength(1);
    expect(await runner.readRunFile(big.runId, "f.txt")).toBeUndefined();
    expect(await runner.readRunFile(b.runId, "f.txt")).toBeDefined();
  });
});
