/**
 * `wasmbox run --out-dir` with rich outputs: the real binary, the real engine, locally and
 * against a real server (`--server`). Image outputs (PNG, JPEG, SVG) become files whose paths
 * go to stderr; `--json` carries every output.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildServer, type WasmboxServer } from "@wasmbox/server";

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../bin/wasmbox.js");

const PROGRAM = String.raw`
import struct, zlib
def png(w, h):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = b"".join(b"\x00" + b"\x10\x80\xf0" * w for _ in range(h))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
from IPython.display import HTML, SVG, Image
with open("output-1.png", "w") as f: f.write("a file the program made, not an output")
display(Image(data=png(6, 3)))
display(HTML("<b>not an image</b>"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>'))
print("done")
`;

let work: string;
let dataDir: string;
let server: WasmboxServer;
let url: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "wasmbox-cli-rich-"));
  writeFileSync(join(work, "plot.py"), PROGRAM);
  dataDir = mkdtempSync(join(tmpdir(), "wasmbox-cli-rich-server-"));
  server = await buildServer({ dataDir, port: 0, logLevel: "silent", poolPython: 0, poolJs: 0 });
  url = await server.listen();
});
afterAll(async () => {
  await server?.close();
  for (const dir of [work, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The CLI as a child process, without blocking this process (the server lives in it). */
function wasmbox(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

it("--out-dir writes each image output as a file and says where on stderr; --json carries the outputs", () => {
  const r = spawnSync(process.execPath, [BIN, "run", "plot.py", "--out-dir", "out", "--json"], { cwd: work, encoding: "utf8", timeout: 50_000 });
  expect(r.status, r.stderr).toBe(0);
  const result = JSON.parse(r.stdout) as { stdout: string; outputs: { kind: string; data: Record<string, unknown> }[] };
  expect(result.stdout).toBe("done\n");
  expect(result.outputs.map((o) => Object.keys(o.data).sort())).toEqual([["image/png", "text/plain"], ["text/html", "text/plain"], ["image/svg+xml", "text/plain"]]);
  const out = join(work, "out");
  // output 1's name was taken by a file the program produced: the image gets a suffix.
  expect(readdirSync(out).sort()).toEqual(["output-1-2.png", "output-1.png", "output-3.svg"]);
  expect(r.stderr).toContain(`wasmbox: image output written to ${join("out", "output-1-2.png")}\n`);
  expect(r.stderr).toContain(`wasmbox: image output written to ${join("out", "output-3.svg")}\n`);
  const png = readFileSync(join(out, "output-1-2.png"));
  expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([6, 3]);
  expect(png.equals(Buffer.from(result.outputs[0]!.data["image/png"] as string, "base64"))).toBe(true);
  expect(readFileSync(join(out, "output-3.svg"), "utf8")).toBe('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>');
  expect(readFileSync(join(out, "output-1.png"), "utf8")).toBe("a file the program made, not an output");
});

it("--server: the same files, from the result the server returned", async () => {
  const r = await wasmbox(["run", "plot.py", "--server", url, "--out-dir", "remote"]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe("done\n");
  const out = join(work, "remote");
  // The program's own output-1.png came from the server's file store; the image still gets a name of its own.
  expect(readdirSync(out).sort()).toEqual(["output-1-2.png", "output-1.png", "output-3.svg"]);
  expect(r.stderr).toContain(`wasmbox: image output written to ${join("remote", "output-1-2.png")}\n`);
  const png = readFileSync(join(out, "output-1-2.png"));
  expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([6, 3]);
  expect(readFileSync(join(out, "output-1.png"), "utf8")).toBe("a file the program made, not an output");
});
