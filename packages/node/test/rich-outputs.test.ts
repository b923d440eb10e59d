/**
 * Rich outputs (`result.outputs`) from Python, through the real engine and sandboxes:
 * IPython's display protocol (`display()`, each `_repr_*_` method, `_repr_mimebundle_`), the
 * stand-in `IPython.display`, the last expression's rich form, matplotlib figures, the caps,
 * and the host refusing outputs a tampered runtime forged.
 *
 * matplotlib itself cannot be installed here (no network beyond npm and Debian), so its hook
 * is tested with a stand-in package the request carries in `files`: `matplotlib/` with the
 * pyplot functions the hook calls (get_fignums, figure, close) and a figure whose savefig
 * writes a real PNG made by pure-Python code. Real matplotlib is not run.
 *
 * Host-agnostic: run on every host in `hosts.ts` (sandbox processes, and Web Workers in real
 * Chromium), each with one engine for the file.
 */
import { inflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkOutcome, RICH_OUTPUT_CAPS, type RichOutput } from "@wasmbox/node";
import type { TestEngine } from "../../../test-support/browser-engine.js";
import { testHosts } from "./hosts.js";

const MiB = 1024 * 1024;
const LIMITS = { timeoutMs: 60_000, memoryLimitBytes: 512 * MiB, maxOutputBytes: 4 * MiB };

/** A PNG of w×h RGB pixels, written by pure Python (zlib and struct). */
const PNG_PY = String.raw`
import struct, zlib
def png(w, h, rgb=(200, 30, 60)):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    rows = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
`;

/** What a PNG's bytes say: its size from IHDR, after checking the signature and inflating the pixel rows. */
function decodePng(base64: string): { width: number; height: number } {
  const b = Buffer.from(base64, "base64");
  expect([...b.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(b.subarray(12, 16).toString("latin1")).toBe("IHDR");
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  const idat: Buffer[] = [];
  for (let at = 8; at < b.length; ) {
    const len = b.readUInt32BE(at);
    if (b.subarray(at + 4, at + 8).toString("latin1") === "IDAT") idat.push(b.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const rows = inflateSync(Buffer.concat(idat));
  expect(rows.length).toBe(height * (1 + width * 3));
  return { width, height };
}

/** The stand-in matplotlib: only what the hook calls, and a record of the backend it was given. */
const MATPLOTLIB_FILES = {
  "matplotlib/__init__.py": `import os\nBACKEND_AT_IMPORT = os.environ.get("MPLBACKEND")\n`,
  "matplotlib/pyplot.py": `${PNG_PY}
_figs = {}
class Figure:
    def __init__(self, num, size):
        self.number, self.size = num, size
    def savefig(self, f, format=None, **kw):
        assert format == "png", format
        f.write(png(*self.size, rgb=(10 * self.number, 100, 200)))
def figure(num=None, figsize=(32, 24)):
    if num in _figs:
        return _figs[num]
    num = num if num is not None else max(_figs, default=0) + 1
    _figs[num] = Figure(num, figsize)
    return _figs[num]
def get_fignums():
    return sorted(_figs)
def close(fig=None):
    _figs.pop(getattr(fig, "number", fig), None)
def show():
    print("the stand-in's own show() ran: the hook did not replace it")
`,
};

describe.each(testHosts())("on the $name host", (host) => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await host.createEngine({ pool: { python: 1, quickjs: 0, wasm: 0 } });
  }, 180_000);
  afterAll(async () => {
    await engine?.dispose();
  });

  const python = (code: string, extra: Record<string, unknown> = {}) => engine.execute({ language: "python", code, limits: LIMITS, ...extra });

  describe("display() and IPython's repr methods", () => {
    it("each _repr_*_ method, a mimebundle, an SVG and a PNG come back as outputs, in order, beside stdout", async () => {
      const r = await python(`${PNG_PY}
class Png:
    def _repr_png_(self): return png(7, 5)
class Jpeg:
    def _repr_jpeg_(self): return b"\\xff\\xd8\\xff\\xe0fakejpeg"
class Svg:
    def _repr_svg_(self):
        bars = "".join(f'<rect x="{i * 12}" y="{40 - h}" width="10" height="{h}"/>' for i, h in enumerate([5, 20, 35]))
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="36" height="40">{bars}</svg>'
class Html:
    def _repr_html_(self): return "<b>bold</b>"
    def __repr__(self): return "Html()"
class Md:
    def _repr_markdown_(self): return "# Title"
class Js:
    def _repr_json_(self): return {"a": [1, 2.5, None, True]}
class Tex:
    def _repr_latex_(self): return r"$x^2$"
class Bundle:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": "plain bundle", "application/vnd.custom+json": {"k": 1}, "text/csv": "a,b\\n1,2\\n"}
    def _repr_html_(self): return "<i>html from the method</i>"
class Broken:
    def _repr_html_(self): raise ValueError("no html today")
print("before")
display(Png())
print("between")
display(Jpeg(), Svg())
display(Html(), Md(), Js(), Tex(), Bundle(), Broken(), 42)
display({"text/plain": "raw", "text/html": "<p>raw</p>"}, raw=True)
print("after")
`);
      expect(r.status, r.stderr).toBe("ok");
      expect(r.stdout).toBe("before\nbetween\nafter\n");
      expect(r.stderr).toContain("Broken._repr_html_() raised ValueError: no html today");
      const o = r.outputs;
      expect(o.map((x) => x.kind)).toEqual(Array(11).fill("display"));
      expect(Object.keys(o[0]!.data).sort()).toEqual(["image/png", "text/plain"]);
      expect(decodePng(o[0]!.data["image/png"] as string)).toEqual({ width: 7, height: 5 });
      expect(Buffer.from(o[1]!.data["image/jpeg"] as string, "base64").subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(o[2]!.data["image/svg+xml"]).toBe('<svg xmlns="http://www.w3.org/2000/svg" width="36" height="40"><rect x="0" y="35" width="10" height="5"/><rect x="12" y="20" width="10" height="20"/><rect x="24" y="5" width="10" height="35"/></svg>');
      expect(o[3]!.data).toEqual({ "text/html": "<b>bold</b>", "text/plain": "Html()" });
      expect(o[4]!.data["text/markdown"]).toBe("# Title");
      expect(o[5]!.data["application/json"]).toEqual({ a: [1, 2.5, null, true] });
      expect(o[6]!.data["text/latex"]).toBe("$x^2$");
      expect(o[7]!.data).toEqual({ "text/plain": "plain bundle", "application/vnd.custom+json": { k: 1 }, "text/csv": "a,b\n1,2\n", "text/html": "<i>html from the method</i>" });
      expect(Object.keys(o[8]!.data)).toEqual(["text/plain"]);
      expect(o[9]!.data).toEqual({ "text/plain": "42" });
      expect(o[10]!.data).toEqual({ "text/plain": "raw", "text/html": "<p>raw</p>" });
      expect(r.value).toBeNull();
    });

    it("IPython.display's objects, from the stand-in (no IPython is installed), an Image from bytes and from a file", async () => {
      const r = await python(`${PNG_PY}
from IPython.display import display, HTML, Markdown, SVG, Image, JSON
import IPython
with open("chart.png", "wb") as f: f.write(png(3, 2))
display(HTML("<table><tr><td>1</td></tr></table>"), Markdown("**m**"), SVG('<svg xmlns="http://www.w3.org/2000/svg"/>'))
display(Image(data=png(4, 4)), Image(filename="chart.png"), Image("chart.png"), JSON({"x": [1]}))
IPython.display.display(HTML("<p>via the package</p>"))
print(IPython.display.HTML.__module__, type(IPython.display).__name__)
`);
      expect(r.status, r.stderr).toBe("ok");
      expect(r.stdout).toBe("IPython.display module\n");
      const o = r.outputs;
      expect(o).toHaveLength(8);
      expect(o[0]!.data["text/html"]).toBe("<table><tr><td>1</td></tr></table>");
      expect(o[1]!.data["text/markdown"]).toBe("**m**");
      expect(o[2]!.data["image/svg+xml"]).toBe('<svg xmlns="http://www.w3.org/2000/svg"/>');
      expect(decodePng(o[3]!.data["image/png"] as string)).toEqual({ width: 4, height: 4 });
      expect(decodePng(o[4]!.data["image/png"] as string)).toEqual({ width: 3, height: 2 });
      expect(decodePng(o[5]!.data["image/png"] as string)).toEqual({ width: 3, height: 2 });
      expect(o[6]!.data["application/json"]).toEqual({ x: [1] });
      expect(o[7]!.data["text/html"]).toBe("<p>via the package</p>");
    });

    it("the last expression's rich form is an output of kind result; its value stays as before; a plain value makes none", async () => {
      const r = await python(`
class Frame:
    """Like a pandas DataFrame: _repr_html_ and a repr."""
    def _repr_html_(self): return "<table><tr><th>a</th></tr><tr><td>1</td></tr></table>"
    def __repr__(self): return "   a\\n0  1"
display("first")
Frame()
`);
      expect(r.status, r.stderr).toBe("ok");
      expect(r.outputs).toEqual([
        { kind: "display", data: { "text/plain": "'first'" } },
        { kind: "result", data: { "text/html": "<table><tr><th>a</th></tr><tr><td>1</td></tr></table>", "text/plain": "   a\n0  1" } },
      ]);
      expect(r.value).toBe("   a\n0  1");
      const plain = await python("x = {'a': 1}\nx");
      expect(plain.value).toEqual({ a: 1 });
      expect(plain.outputs).toEqual([]);
      const quiet = await python("class H:\n    def _repr_html_(self): return '<b/>'\nH();");
      expect(quiet.outputs).toEqual([]);
    });

    it("outputs made before an exception are kept; the run's error stands", async () => {
      const r = await python(`display("shown")\nraise RuntimeError("boom")`);
      expect(r.status).toBe("error");
      expect(r.error?.name).toBe("RuntimeError");
      expect(r.outputs).toEqual([{ kind: "display", data: { "text/plain": "'shown'" } }]);
    });

    it("in a session, each run's outputs are its own", async () => {
      await using session = await engine.openSession({ language: "python" });
      const a = await session.execute({ code: "display('one')\n" });
      const b = await session.execute({ code: "display('two')\ndisplay('three')\n" });
      const c = await session.execute({ code: "1 + 1" });
      expect(a.outputs.map((o) => o.data["text/plain"])).toEqual(["'one'"]);
      expect(b.outputs.map((o) => o.data["text/plain"])).toEqual(["'two'", "'three'"]);
      expect(c.outputs).toEqual([]);
    });
  });

  describe("matplotlib (a stand-in package: real matplotlib cannot be installed here)", () => {
    it("the Agg backend is chosen before import, plt.show() makes one image/png per open figure and closes them, figures left open become outputs at the end", async () => {
      const r = await python(
        `
import os
print("MPLBACKEND before import:", os.environ.get("MPLBACKEND"))
import matplotlib
import matplotlib.pyplot as plt
print("backend at import:", matplotlib.BACKEND_AT_IMPORT)
plt.figure(figsize=(20, 10)); plt.figure(figsize=(30, 15))
plt.show()
print("open after show:", plt.get_fignums())
display("between")
plt.figure(figsize=(8, 6))
`,
        { files: MATPLOTLIB_FILES },
      );
      expect(r.status, r.stderr).toBe("ok");
      expect(r.stdout).toBe("MPLBACKEND before import: None\nbackend at import: Agg\nopen after show: []\n");
      expect(r.outputs.map((o) => Object.keys(o.data).sort().join(","))).toEqual(["image/png,text/plain", "image/png,text/plain", "text/plain", "image/png,text/plain"]);
      const sizes = r.outputs.filter((o) => "image/png" in o.data).map((o) => decodePng(o.data["image/png"] as string));
      expect(sizes).toEqual([
        { width: 20, height: 10 },
        { width: 30, height: 15 },
        { width: 8, height: 6 },
      ]);
    });

    it("a program that never imports matplotlib does not load it, and its environment is untouched; its own MPLBACKEND wins", async () => {
      const r = await python(`import os, sys\nprint("matplotlib" in sys.modules, os.environ.get("MPLBACKEND"))`, { files: MATPLOTLIB_FILES });
      expect(r.stdout).toBe("False None\n");
      const missing = await python(`import os\ntry:\n    import matplotlib\nexcept ImportError as e:\n    print(type(e).__name__, os.environ.get("MPLBACKEND"))`);
      expect(missing.stdout).toBe("ModuleNotFoundError None\n");
      const own = await python(`import matplotlib\nprint(matplotlib.BACKEND_AT_IMPORT)`, { files: MATPLOTLIB_FILES, env: { MPLBACKEND: "svg" } });
      expect(own.stdout).toBe("svg\n");
    });
  });

  describe("caps", () => {
    it(`at most ${RICH_OUTPUT_CAPS.maxOutputs} outputs; the rest are dropped and stderr says how many and which limit`, async () => {
      const r = await python(`for i in range(130): display(i)\nprint("done")`);
      expect(r.status).toBe("ok");
      expect(r.outputs).toHaveLength(100);
      expect(r.outputs.at(-1)!.data["text/plain"]).toBe("99");
      expect(r.stderr).toContain("wasmbox: 30 rich outputs were dropped (30 past the cap of 100 outputs a run may make)");
    });

    it(`at most ${RICH_OUTPUT_CAPS.maxTotalBytes} bytes in all: an output that does not fit is dropped, smaller ones after it kept`, async () => {
      const r = await python(`
display({"text/plain": "a" * (6 * 1024 * 1024)}, raw=True)
display({"text/plain": "b" * (6 * 1024 * 1024)}, raw=True)
display({"text/plain": "c" * (6 * 1024 * 1024)}, raw=True)
display("small")
`);
      expect(r.status).toBe("ok");
      expect(r.outputs.map((o) => (o.data["text/plain"] as string).slice(0, 3))).toEqual(["aaa", "bbb", "'sm"]);
      expect(r.stderr).toContain(`wasmbox: 1 rich output was dropped (1 that did not fit in the ${RICH_OUTPUT_CAPS.maxTotalBytes} bytes all outputs of a run may take)`);
    });
  });

  describe("the host refuses outputs a tampered runtime forged", () => {
    /**
     * Python that patches the JS realm it runs in, past the runtime's own caps, so the "done"
     * message carries the forged outputs instead of the runtime's. On Node, the sandbox's
     * JSON.stringify (its frames are JSON), patched with JS (\`js\`, a JS expression); in a
     * browser, whose CSP forbids eval, the worker's MessagePort.postMessage, patched from
     * Python (\`py\`, a Python expression).
     */
    const tamper = (forged: { js: string; py: string }) =>
      host.name === "browser"
        ? `
import js
from pyodide.ffi import create_proxy, to_js
# Printed first: output is posted from inside the write, which must not re-enter Python.
print("tampered", flush=True)
forged = to_js(${forged.py}, dict_converter=js.Object.fromEntries)
proto = js.MessagePort.prototype
post = proto.postMessage
def patched(this, m, *rest):
    if getattr(m, "t", None) == "done":
        proto.postMessage = post
        m.outcome.outputs = forged
    return post.call(this, m, *rest)
proto.postMessage = create_proxy(patched, capture_this=True)
display("honest")
`
        : `
from pyodide.code import run_js
run_js("""
const stringify = JSON.stringify;
JSON.stringify = function (v, ...rest) {
  if (v && v.t === "done" && v.outcome) { JSON.stringify = stringify; v.outcome.outputs = ${forged.js}; }
  return stringify.call(this, v, ...rest);
};
""")
display("honest")
print("tampered")
`;

    it("too many outputs, too many bytes, a MIME type out of rule, a PNG that is not base64: refused, none kept", async () => {
      const forged = [
        { js: `Array.from({ length: 150 }, () => ({ kind: "display", data: { "text/plain": "forged" } }))`, py: `[{"kind": "display", "data": {"text/plain": "forged"}}] * 150` },
        { js: `[{ kind: "display", data: { "text/plain": "x".repeat(20 * 1024 * 1024) } }]`, py: `[{"kind": "display", "data": {"text/plain": "x" * (20 * 1024 * 1024)}}]` },
        { js: `[{ kind: "display", data: { "Text/HTML<script>": "forged" } }]`, py: `[{"kind": "display", "data": {"Text/HTML<script>": "forged"}}]` },
        { js: `[{ kind: "display", data: { "image/png": "not base64!" } }]`, py: `[{"kind": "display", "data": {"image/png": "not base64!"}}]` },
        { js: `[{ kind: "ambient", data: {} }]`, py: `[{"kind": "ambient", "data": {}}]` },
        { js: `{ "0": "not a list" }`, py: `{"0": "not a list"}` },
      ];
      for (const outputs of forged) {
        const r = await python(tamper(outputs));
        expect(r.stdout, JSON.stringify([r.status, r.error])).toBe("tampered\n");
        expect(r.status, outputs.js).toBe("error");
        expect(r.error?.name).toBe("SandboxProtocolError");
        expect(r.error?.message).toMatch(/outputs|output \d/);
        expect(r.outputs).toEqual([]);
      }
    });
  });
});

describe("the outcome check by itself", () => {
  it("the outcome check by itself: the contract's shape, the caps, plain data only", () => {
    const limits = { timeoutMs: 1000, memoryLimitBytes: 64 * MiB, maxOutputBytes: 1024 };
    const base = { status: "ok", error: null, exitCode: 0, value: null, files: new Map() };
    const ok: RichOutput[] = [{ kind: "result", data: { "text/plain": "1", "application/json": { a: [1] }, "image/png": "iVBORw0KGgo=" } }];
    const good = checkOutcome({ ...base, outputs: ok }, limits);
    expect(good.violations).toEqual([]);
    expect(good.outcome.outputs).toEqual(ok);
    expect(Object.getPrototypeOf(good.outcome.outputs![0]!.data)).toBe(Object.prototype);
    expect(checkOutcome({ ...base, outputs: [{ kind: "display", data: { "text/plain": 5 } }] }, limits).violations[0]).toMatch(/not a string/);
    expect(checkOutcome({ ...base, outputs: [{ kind: "display", data: { "application/json": new Uint8Array(3) } }] }, limits).violations[0]).toMatch(/not JSON data/);
    expect(checkOutcome({ ...base, outputs: Array(101).fill({ kind: "display", data: {} }) }, limits).violations[0]).toMatch(/101 rich outputs/);
    const big = Array.from({ length: 3 }, () => ({ kind: "display", data: { "text/plain": "x".repeat(6 * MiB) } }));
    const over = checkOutcome({ ...base, outputs: big }, limits);
    expect(over.violations[0]).toMatch(/exceed 16777216 bytes/);
    expect(over.outcome.outputs).toEqual([]);
    expect(checkOutcome(base, limits).outcome.outputs).toEqual([]);
  });
});
