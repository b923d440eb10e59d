/**
 * Validate once: `parseExecuteRequest` returns a branded, frozen value that the engine (and a
 * session) runs without parsing again, while anything else — a plain object, or one cast to the
 * brand — is still parsed. The `@ts-expect-error` lines are checked by `npm run typecheck`: a
 * plain object is not a `ParsedExecuteRequest`.
 */
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine, isParsedExecuteRequest, parseExecuteRequest, withDefaultLimits, type ParsedExecuteRequest } from "@wasmbox/node";

const engine = createEngine({ pool: { python: 0, quickjs: 1, wasm: 0 } });
afterAll(() => engine.dispose());

const nativeNode = (code: string) => execFileSync(process.execPath, ["-e", code], { encoding: "utf8" });

describe("a request parsed once", () => {
  it("runs as parsed, with the output native node gives", async () => {
    const code = "console.log([1, 2, 3].map((x) => x * 7).join(' '))";
    const parsed = parseExecuteRequest({ language: "javascript", code });
    expect(isParsedExecuteRequest(parsed)).toBe(true);
    expect(parseExecuteRequest(parsed)).toBe(parsed);
    const result = await engine.execute(parsed);
    expect(result.status).toBe("ok");
    expect(result.stdout).toBe(nativeNode(code));
  });

  it("is frozen, so what was checked is what runs", () => {
    const parsed = parseExecuteRequest({ language: "javascript", code: "1", limits: { timeoutMs: 1000 }, args: ["a"] });
    expect(() => {
      (parsed.limits as { timeoutMs: number }).timeoutMs = 10 ** 9;
    }).toThrow(TypeError);
    expect(() => (parsed.args as string[]).push("b")).toThrow(TypeError);
    expect(parsed.limits?.timeoutMs).toBe(1000);
  });

  it("a plain object cast to the brand is still validated by the engine", async () => {
    const forged = { language: "javascript", code: "1", limits: { timeoutMs: -5 } } as unknown as ParsedExecuteRequest;
    expect(isParsedExecuteRequest(forged)).toBe(false);
    await expect(engine.execute(forged)).rejects.toMatchObject({ code: "INVALID_REQUEST", message: expect.stringContaining("limits.timeoutMs") });
  });

  it("a session gives a parsed request its default limits", async () => {
    await using session = await engine.openSession({ language: "javascript", limits: { timeoutMs: 300 } });
    const result = await session.execute(parseExecuteRequest({ language: "javascript", code: "for (;;) {}" }));
    expect(result.status).toBe("timeout");
    expect(result.error?.message).toContain("timeoutMs (300 ms)");
    // The request's own limit wins over the session's.
    const own = withDefaultLimits(parseExecuteRequest({ language: "javascript", code: "1", limits: { timeoutMs: 700 } }), { timeoutMs: 300, maxOutputBytes: 4096 });
    expect(own.limits).toEqual({ timeoutMs: 700, maxOutputBytes: 4096 });
    expect(isParsedExecuteRequest(own)).toBe(true);
  });

  it("the brand is a compile-time requirement", () => {
    const plain = { language: "javascript" as const, code: "1" };
    // @ts-expect-error a plain object is not a ParsedExecuteRequest
    const branded: ParsedExecuteRequest = plain;
    // @ts-expect-error withDefaultLimits takes only a parsed request
    expect(() => withDefaultLimits(plain, { timeoutMs: 10 ** 9 })).toThrow(/limits|timeoutMs/);
    expect(isParsedExecuteRequest(branded)).toBe(false);
  });
});
