/**
 * How a result becomes a tool result, on results as the engine makes them (rich outputs are
 * the guest's bytes: checked before they become image content).
 */
import { describe, expect, it } from "vitest";
import type { ExecuteResult } from "@wasmbox/core";
import { cut } from "../src/results.js";
import { fileUri, formatResult } from "../src/index.js";
import { PNG_1X1 } from "./helpers.js";

const base: ExecuteResult = {
  status: "ok",
  stdout: "",
  stderr: "",
  output: "",
  error: null,
  exitCode: 0,
  value: null,
  files: [],
  outputs: [],
  timings: { queuedMs: 0, startMs: 1, executionTimeMs: 2, totalMs: 3 },
};

describe("formatResult", () => {
  it("turns display outputs into image content, and refuses what is not base64", () => {
    const png = PNG_1X1.toString("base64");
    const r = formatResult("run_1", {
      ...base,
      outputs: [
        { kind: "display", data: { "text/plain": "<Dot>", "image/png": png } },
        { kind: "display", data: { "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'/>" } },
        { kind: "display", data: { "image/png": "not base64 <script>" } },
        { kind: "display", data: { "text/plain": "just text" } },
      ],
    }, { maxTextChars: 1000 });
    const kinds = r.content.map((c) => (c.type === "image" ? `image ${c.mimeType}` : c.type === "text" ? `text ${c.text.split("\n").at(-1)}` : c.type));
    expect(kinds).toEqual(["text status: ok · exit code 0 · 3 ms", "image image/png", "image image/svg+xml", "text [an image too large to include was left out]", "text just text"]);
    expect(r.content[1]).toEqual({ type: "image", data: png, mimeType: "image/png" });
    expect(r.isError).toBe(false);
  });

  it("links produced files by run id and path", () => {
    const r = formatResult("run_9", { ...base, files: [{ path: "out/a b.csv", size: 3, sha256: "ab", mime: "text/csv" }] }, { maxTextChars: 1000 });
    expect(r.content[1]).toMatchObject({ type: "resource_link", uri: "wasmbox://runs/run_9/files/out/a%20b.csv", name: "out/a b.csv", mimeType: "text/csv", size: 3 });
    expect(fileUri("run_9", "x/y.txt")).toBe("wasmbox://runs/run_9/files/x/y.txt");
  });

  it("puts a limit's message, naming the option, on the first line", () => {
    const r = formatResult("run_2", {
      ...base,
      status: "memory_limit",
      exitCode: null,
      error: { name: "MemoryLimitError", message: "the run used more than memoryLimitBytes=16777216; raise limits.memoryLimitBytes", traceback: "", line: null },
    }, { maxTextChars: 1000 });
    expect(r.isError).toBe(true);
    expect((r.content[0] as { text: string }).text.split("\n").slice(0, 2)).toEqual(["status: memory_limit · 3 ms", "the run used more than memoryLimitBytes=16777216; raise limits.memoryLimitBytes"]);
  });
});

describe("cut", () => {
  it("keeps the start and the end, saying how many bytes and lines were dropped", () => {
    const text = Array.from({ length: 1000 }, (_, i) => `línea ${i}`).join("\n");
    const out = cut(text, "stdout", 200);
    expect(out.startsWith("línea 0\n")).toBe(true);
    expect(out.endsWith("línea 999")).toBe(true);
    const m = /\[… (\d+) bytes \((\d+) lines\) of stdout dropped here/.exec(out)!;
    const kept = out.replace(/\n\[…[^\]]*\]\n/, "");
    expect(Number(m[1])).toBe(Buffer.byteLength(text) - Buffer.byteLength(kept));
    expect(cut("short", "stdout", 200)).toBe("short");
  });
});
