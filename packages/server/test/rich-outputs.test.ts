/**
 * Rich outputs over HTTP, read with the real client from a real server: the result of
 * `POST /v1/execute`, of an async run's stream and of run history carries them, in order,
 * with images intact (`richOutputBytes`). They are kept in the stored result (not the blob
 * store): history gives back exactly what the run returned.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { richOutputBytes, WasmboxClient, type RichOutput } from "@wasmbox/client";
import { removeDataDirs, startServer, type TestServer } from "./helpers.js";

let t: TestServer;
let client: WasmboxClient;

beforeAll(async () => {
  t = await startServer({ poolPython: 1, poolJs: 0 });
  client = new WasmboxClient({ baseUrl: t.url });
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

const CODE = String.raw`
import struct, zlib
def png(w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = b"".join(b"\x00" + b"\x00\xff\x00" * w for _ in range(h))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
from IPython.display import Image, HTML
print("hello")
display(Image(data=png(5, 4)))
class Table:
    def _repr_html_(self): return "<table><tr><td>1</td></tr></table>"
    def __repr__(self): return "Table()"
Table()
`;

function expectOutputs(outputs: RichOutput[]): void {
  expect(outputs.map((o) => o.kind)).toEqual(["display", "result"]);
  const png = richOutputBytes(outputs[0]!, "image/png")!;
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect([view.getUint32(16), view.getUint32(20)]).toEqual([5, 4]);
  expect(outputs[1]!.data).toEqual({ "text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "Table()" });
  expect(new TextDecoder().decode(richOutputBytes(outputs[1]!, "text/html"))).toBe("<table><tr><td>1</td></tr></table>");
  expect(richOutputBytes(outputs[1]!, "image/png")).toBeUndefined();
}

it("POST /v1/execute returns the outputs, and run history keeps them", async () => {
  const result = await client.execute({ language: "python", code: CODE });
  expect(result.status, JSON.stringify(result.error)).toBe("ok");
  expect(result.stdout).toBe("hello\n");
  expectOutputs(result.outputs);
  const stored = await client.runs.get(result.id);
  expect(stored.result?.outputs).toEqual(result.outputs);
  const page = await client.runs.list({ limit: 5 });
  expect(page.runs.map((r) => r.id)).toContain(result.id);
});

it("an async run's result event carries them, and so does the stored run", async () => {
  const { id } = await client.runs.create({ language: "python", code: CODE });
  let fromStream: RichOutput[] | undefined;
  for await (const event of client.runs.events(id)) if (event.type === "result") fromStream = event.data.outputs;
  expectOutputs(fromStream!);
  expect((await client.runs.get(id)).result?.outputs).toEqual(fromStream);
});
