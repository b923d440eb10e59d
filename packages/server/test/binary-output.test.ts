/**
 * Output is bytes, over HTTP too: a result carries `*Base64` beside a lossy text where the
 * bytes are not UTF-8, the stored run gives back the same, and streamed events carry
 * `base64` on pieces whose bytes text cannot hold. Read with the real client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outputBytes, WasmboxClient, type OutputPiece } from "@wasmbox/client";
import { removeDataDirs, startServer, type TestServer } from "./helpers.js";

let t: TestServer;
let client: WasmboxClient;

beforeAll(async () => {
  t = await startServer({ poolPython: 0, poolJs: 1 });
  client = new WasmboxClient({ baseUrl: t.url });
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

/** A module that writes each of `pieces` (bytes) to stdout with its own fd_write, 10 ms apart. */
function writer(pieces: number[][]): string {
  const escape = (bytes: number[]) => bytes.map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
  let at = 512;
  const data: string[] = [];
  const calls: string[] = [];
  for (const piece of pieces) {
    data.push(`(data (i32.const ${at}) "${escape(piece)}")`);
    calls.push(
      `(i32.store (i32.const 0) (i32.const ${at})) (i32.store (i32.const 4) (i32.const ${piece.length}))`,
      "(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))",
      "(drop (call $sleep (i32.const 128) (i32.const 192) (i32.const 1) (i32.const 240)))",
    );
    at += piece.length + 8;
  }
  // poll_oneoff with one subscription (at 128): the monotonic clock, 10 ms from now. Output
  // goes out between the pieces.
  return `(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "poll_oneoff" (func $sleep (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 144) "\\01\\00\\00\\00\\00\\00\\00\\00\\80\\96\\98\\00\\00\\00\\00\\00")
    ${data.join("\n    ")}
    (func (export "_start") ${calls.join(" ")}))`;
}

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => i);

describe("binary output over the API", () => {
  it("a synchronous run returns stdoutBase64 with the exact bytes, and history keeps them", async () => {
    const result = await client.execute({ language: "wasm", code: writer([ALL_BYTES]) });
    expect(result.status).toBe("ok");
    expect(Buffer.from(outputBytes(result, "stdout")).equals(Buffer.from(ALL_BYTES))).toBe(true);
    expect(result.stdout).toContain("\ufffd");
    expect(result.stderrBase64).toBeUndefined();
    const stored = await client.runs.get(result.id);
    expect(stored.result?.stdoutBase64).toBe(result.stdoutBase64);
  });

  it("streamed pieces give back the exact bytes; a character split across writes arrives whole as text", async () => {
    const pieces = [[0x61, 0xc3], [0xa9, 0x0a], [0xff, 0x62], [0xe2, 0x9c], [0x93]];
    const { id } = await client.runs.create({ language: "wasm", code: writer(pieces) });
    const streamed: OutputPiece[] = [];
    let result;
    for await (const event of client.runs.events(id)) {
      if (event.type === "stdout") streamed.push(event.data);
      if (event.type === "result") result = event.data;
    }
    const bytes = Buffer.concat(streamed.map((p) => outputBytes(p)));
    expect(bytes.equals(Buffer.from(pieces.flat()))).toBe(true);
    // "é" was cut between two writes: no piece shows it broken.
    expect(streamed.filter((p) => p.base64 === undefined).map((p) => p.text).join("")).toContain("é\n");
    expect(streamed.some((p) => p.base64 !== undefined)).toBe(true);
    expect(Buffer.from(outputBytes(result!, "stdout")).equals(Buffer.from(pieces.flat()))).toBe(true);
  });

  it("valid UTF-8 output has no base64 anywhere", async () => {
    const result = await client.execute({ language: "javascript", code: 'console.log("héllo ✓"); console.error("wörld")' });
    expect(result).toMatchObject({ stdout: "héllo ✓\n", stderr: "wörld\n" });
    expect(result).not.toHaveProperty("stdoutBase64");
    expect(result).not.toHaveProperty("stderrBase64");
    expect(result).not.toHaveProperty("outputBase64");
  });
});
