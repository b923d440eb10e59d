/**
 * The host's side of the sandbox channel, fed hostile bytes directly: the frame decoder's
 * caps and the outcome check. (walls.test.ts replays the same classes end to end, from
 * guest code.)
 */
import { describe, expect, it } from "vitest";
import { encodeFrame, FrameDecoder, FrameError } from "../src/sandbox/framing.js";
import { checkOutcome, isOutputPath } from "@wasmbox/core";

const CAPS = { maxHeaderBytes: 1024 * 1024, maxBodyBytes: 8 * 1024 * 1024 };
const LIMITS = { timeoutMs: 1000, memoryLimitBytes: 64 * 1024 * 1024, maxOutputBytes: 1024 };

function prefix(header: number, body: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, header);
  new DataView(b.buffer).setUint32(4, body);
  return b;
}

describe("frame decoder", () => {
  it("round-trips messages with bytes and maps, split at every byte boundary", () => {
    const message = { t: "done", nonce: "n", outcome: { status: "ok", files: new Map([["a.bin", new Uint8Array([0, 255, 128])]]), value: [1, "x", null] } };
    const frame = encodeFrame(message);
    const decoder = new FrameDecoder(CAPS);
    const out: unknown[] = [];
    for (let i = 0; i < frame.byteLength; i++) out.push(...decoder.push(frame.subarray(i, i + 1)));
    expect(out).toHaveLength(1);
    const got = out[0] as { outcome: { files: Map<string, Uint8Array>; value: unknown } };
    expect([...got.outcome.files.get("a.bin")!]).toEqual([0, 255, 128]);
    expect(got.outcome.value).toEqual([1, "x", null]);
  });

  it("refuses a frame that announces more than its cap before buffering it", () => {
    const decoder = new FrameDecoder(CAPS);
    expect(() => decoder.push(prefix(8, 2 ** 31))).toThrow(FrameError);
    expect(() => new FrameDecoder(CAPS).push(prefix(2 ** 31, 0))).toThrow(/header/);
  });

  it("refuses garbage, bad JSON, references past the body and deep nesting", () => {
    expect(() => new FrameDecoder(CAPS).push(new TextEncoder().encode("garbage from a guest\n"))).toThrow(FrameError);
    const bad = new TextEncoder().encode("{nope");
    expect(() => new FrameDecoder(CAPS).push(new Uint8Array([...prefix(bad.byteLength, 0), ...bad]))).toThrow(/JSON/);
    const ref = new TextEncoder().encode(JSON.stringify({ t: "x", b: { $b: [0, 100] } }));
    expect(() => new FrameDecoder(CAPS).push(new Uint8Array([...prefix(ref.byteLength, 4), ...ref, 1, 2, 3, 4]))).toThrow(/past its body/);
    const deep = new TextEncoder().encode("[".repeat(200) + "]".repeat(200));
    expect(() => new FrameDecoder(CAPS).push(new Uint8Array([...prefix(deep.byteLength, 0), ...deep]))).toThrow(/deeper/);
  });

  it("refuses, before parsing, a header with more arrays and objects than its size allows", () => {
    const many = new TextEncoder().encode(JSON.stringify({ t: "out", x: Array.from({ length: 200_000 }, () => []) }));
    expect(() => new FrameDecoder(CAPS).push(new Uint8Array([...prefix(many.byteLength, 0), ...many]))).toThrow(/more arrays and objects/);
    // What honest runs send passes: an outcome listing 1000 short-named files, a value of 5000 empty arrays.
    const files = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, { $b: [0, 0] }]));
    const honest = new TextEncoder().encode(JSON.stringify({ t: "done", outcome: { files, value: Array.from({ length: 5000 }, () => []) } }));
    expect(new FrameDecoder(CAPS).push(new Uint8Array([...prefix(honest.byteLength, 0), ...honest]))).toHaveLength(1);
    // Brackets inside strings are text, not structure.
    const text = new TextEncoder().encode(JSON.stringify({ t: "out", s: "[[[[{{{{".repeat(10_000) }));
    expect(new FrameDecoder(CAPS).push(new Uint8Array([...prefix(text.byteLength, 0), ...text]))).toHaveLength(1);
  });

  it("decodes objects without prototypes: __proto__ keys are data", () => {
    const json = new TextEncoder().encode('{"t":"out","__proto__":{"polluted":1}}');
    const [m] = new FrameDecoder(CAPS).push(new Uint8Array([...prefix(json.byteLength, 0), ...json])) as Record<string, unknown>[];
    expect(Object.getPrototypeOf(m)).toBe(null);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("outcome check", () => {
  it("keeps a well-formed outcome as it is", () => {
    const files = new Map([["out/plot.png", new Uint8Array([1, 2])]]);
    const r = checkOutcome({ status: "ok", error: null, exitCode: 0, value: { a: [1, 2] }, files }, LIMITS);
    expect(r.violations).toEqual([]);
    expect(r.outcome.value).toEqual({ a: [1, 2] });
    expect([...r.outcome.files.keys()]).toEqual(["out/plot.png"]);
  });

  it("drops file paths the request rules refuse, and says so", () => {
    const bad = ["../../etc/x", "/etc/passwd", "a\r\nb", "a\\b", "a//b", "./a", "a/..", "", "x".repeat(513), "tab\there", "nel\u0085x", "csi\u009b2J", "rtl\u202egnp.exe", "ls\u2028x", "lone\ud800"];
    const files = new Map<string, Uint8Array>([...bad.map((p) => [p, new Uint8Array(1)] as const), ["ok.txt", new Uint8Array(1)]]);
    const r = checkOutcome({ status: "ok", error: null, exitCode: 0, value: null, files }, LIMITS);
    expect([...r.outcome.files.keys()]).toEqual(["ok.txt"]);
    expect(r.violations).toHaveLength(bad.length);
    for (const p of bad) expect(isOutputPath(p)).toBe(false);
  });

  it("enforces the file count and byte caps whatever the sandbox claims", () => {
    const many = new Map(Array.from({ length: 3000 }, (_, i) => [`f${i}`, new Uint8Array(1)] as const));
    expect(checkOutcome({ status: "ok", exitCode: 0, files: many }, LIMITS).outcome.files.size).toBe(0);
    const big = new Map([
      ["a", new Uint8Array(40 * 1024 * 1024)],
      ["b", new Uint8Array(40 * 1024 * 1024)],
    ]);
    const r = checkOutcome({ status: "ok", exitCode: 0, files: big }, LIMITS);
    expect(r.outcome.files.size).toBe(0);
    expect(r.violations.join()).toMatch(/bytes in all/);
  });

  it("caps error text by the output limit and refuses statuses only the host decides", () => {
    const r = checkOutcome({ status: "error", exitCode: 1, error: { name: "Error", message: "A".repeat(1 << 20), traceback: "B".repeat(1 << 20), line: 3 } }, LIMITS);
    expect(r.outcome.error!.message.length).toBeLessThan(2048);
    expect(r.outcome.error!.traceback.length).toBeLessThan(2048);
    for (const status of ["timeout", "killed", "output_limit", "anything"]) {
      const forged = checkOutcome({ status, exitCode: 0 }, LIMITS);
      expect(forged.outcome.status).toBe("error");
      expect(forged.violations.length).toBeGreaterThan(0);
    }
  });

  it("counts a value larger than the output cap as over the limit, and refuses non-JSON values", () => {
    expect(checkOutcome({ status: "ok", exitCode: 0, value: "x".repeat(5000) }, LIMITS).valueOverLimit).toBe(true);
    const nested = checkOutcome({ status: "ok", exitCode: 0, value: { v: new Uint8Array(3) } }, LIMITS);
    expect(nested.outcome.value).toBe(null);
    expect(nested.violations).toHaveLength(1);
  });

  it("survives outcomes that are not objects at all", () => {
    for (const raw of [null, 42, "done", [], { files: "nope" }, { status: "ok", exitCode: "0", files: new Map([[1, 2]]) }]) {
      const r = checkOutcome(raw, LIMITS);
      expect(["ok", "error"]).toContain(r.outcome.status);
      expect(r.outcome.files.size).toBe(0);
    }
  });
});
