/**
 * JavaScript and TypeScript programs written for Node behave as under Node: each program
 * in the table runs through real Node (the Node 24 running this test) and through wasmbox
 * with the same stdin and files, and the stdout each prints must be the same bytes.
 *
 * The table is the class of program coding platforms and competitive programming feed in:
 * stdin read with readline, fs.readFileSync(0 | "/dev/stdin") and process.stdin events or
 * async iteration (empty stdin, no final newline, CRLF); Buffer; os, util, assert, events,
 * string_decoder; console.log of the values programs print (Node's util.inspect layout).
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "@wasmbox/core";
import { createEngine, type Engine } from "@wasmbox/node";

interface IdiomCase {
  name: string;
  code: string;
  stdin?: string;
  /** Text files beside the program (same paths in Node's temp dir and in the request). */
  files?: Record<string, string>;
  typescript?: boolean;
}

const NUMBERS_STDIN = "5\n3 1 4 1 5\n";
const MULTI_STDIN = "3\nalice 30\nbob 25\ncarol 35\n";

const CASES: IdiomCase[] = [
  // ---- stdin: readline ----
  {
    name: "readline on('line') / on('close') sums numbers",
    stdin: NUMBERS_STDIN,
    code: `const rl = require("readline").createInterface({ input: process.stdin });
const lines = [];
rl.on("line", (l) => lines.push(l));
rl.on("close", () => { const xs = lines[1].split(" ").map(Number); console.log(lines[0], xs.reduce((a, b) => a + b, 0)); });`,
  },
  {
    name: "readline without a final newline still emits the last line",
    stdin: "first\nsecond\nlast-without-newline",
    code: `const rl = require("node:readline").createInterface({ input: process.stdin, terminal: false });
rl.on("line", (l) => console.log(JSON.stringify(l))).on("close", () => console.log("closed"));`,
  },
  {
    name: "readline strips CRLF and keeps blank lines",
    stdin: "a\r\nb\r\n\r\nc\r\n",
    code: `const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (l) => console.log(JSON.stringify(l)));`,
  },
  {
    name: "readline over empty stdin: only close",
    stdin: "",
    code: `const rl = require("readline").createInterface({ input: process.stdin });
let n = 0; rl.on("line", () => n++); rl.on("close", () => console.log("lines:", n));`,
  },
  {
    name: "for await (const line of rl)",
    stdin: MULTI_STDIN,
    code: `const readline = require("readline");
async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const out = [];
  for await (const line of rl) out.push(line.toUpperCase());
  console.log(out);
}
main();`,
  },
  {
    name: "rl.question writes the prompt and gets the next line",
    stdin: "Ada\n42\n",
    code: `const rl = require("readline").createInterface({ input: process.stdin, output: process.stdout });
rl.question("Name? ", (name) => {
  rl.question("Age? ", (age) => { console.log(\`\\nHello \${name}, \${Number(age) + 1} next year\`); rl.close(); });
});`,
  },
  {
    name: "readline/promises question",
    stdin: "7\n",
    code: `const readline = require("node:readline/promises");
(async () => {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const n = await rl.question("n: ");
  console.log("square", Number(n) ** 2);
  rl.close();
})();`,
  },
  {
    name: "competitive-programming line iterator over readline",
    stdin: "2\n1 2\n3 4\n",
    code: `const lines = [];
require("readline").createInterface({ input: process.stdin }).on("line", (l) => lines.push(l)).on("close", () => {
  let i = 0; const t = +lines[i++]; const out = [];
  for (let k = 0; k < t; k++) { const [a, b] = lines[i++].split(" ").map(Number); out.push(a * b); }
  console.log(out.join("\\n"));
});`,
  },
  // ---- stdin: fs ----
  {
    name: "fs.readFileSync(0, 'utf8')",
    stdin: NUMBERS_STDIN,
    code: `const input = require("fs").readFileSync(0, "utf8").trim().split("\\n");
console.log(input.length, input[1].split(" ").map(Number).sort((a, b) => a - b).join(","));`,
  },
  {
    name: "fs.readFileSync('/dev/stdin') is a Buffer",
    stdin: "héllo\n",
    code: `const b = require("fs").readFileSync("/dev/stdin");
console.log(Buffer.isBuffer(b), b.length, b, b.toString().trim());`,
  },
  {
    name: "fs.readFileSync(0).toString() over empty stdin",
    stdin: "",
    code: `const s = require("fs").readFileSync(0).toString(); console.log(JSON.stringify(s), s.length);`,
  },
  // ---- stdin: process.stdin ----
  {
    name: "process.stdin on('data') / on('end') with setEncoding",
    stdin: MULTI_STDIN,
    code: `let data = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => { data += c; });
process.stdin.on("end", () => { const [n, ...rows] = data.trim().split("\\n"); console.log(n, rows.map((r) => r.split(" ")[0])); });`,
  },
  {
    name: "process.stdin.resume() + data chunks as Buffers",
    stdin: "abc\n",
    code: `process.stdin.resume();
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => { const all = Buffer.concat(chunks); console.log(typeof chunks[0], Buffer.isBuffer(chunks[0]), all.toString("hex")); });`,
  },
  {
    name: "for await (const chunk of process.stdin)",
    stdin: "x y z\n1 2 3\n",
    code: `(async () => {
  let s = "";
  for await (const chunk of process.stdin) s += chunk;
  console.log(s.split(/\\s+/).filter(Boolean));
})();`,
  },
  {
    name: "process.stdin over empty stdin emits only end",
    stdin: "",
    code: `let n = 0; process.stdin.on("data", () => n++); process.stdin.on("end", () => console.log("end after", n, "chunks"));`,
  },
  {
    name: "fs.createReadStream + readline over a request file",
    files: { "input.txt": "one\ntwo\nthree\n" },
    code: `const rl = require("readline").createInterface({ input: require("fs").createReadStream("input.txt") });
const got = []; rl.on("line", (l) => got.push(l)); rl.on("close", () => console.log(got.length, got));`,
  },
  // ---- stdout / stderr writes ----
  {
    name: "process.stdout.write returns true and calls back",
    code: `const r = process.stdout.write("a", () => console.log("callback"));
process.stdout.write("b\\n", "utf8");
process.stdout.write(Buffer.from("buf\\n"));
process.stdout.write(new Uint8Array([0x75, 0x38, 0x0a]));
console.log(r);`,
  },
  {
    name: "process.stdout.write with hex, base64, ascii and utf16le strings",
    code: `process.stdout.write("68690a", "hex");
process.stdout.write("aGV5Cg==", "base64");
process.stdout.write("ok\\n", "ascii");
process.stdout.write("w\\n", "utf16le".length ? "latin1" : "");
console.log(Buffer.from("hi", "utf16le"));`,
  },
  // ---- Buffer ----
  {
    name: "Buffer basics",
    code: `const b = Buffer.from("héllo wörld");
console.log(b.length, Buffer.byteLength("héllo"), b.toString("hex"), b.toString("base64"));
console.log(b.slice(0, 5).toString(), b.subarray(1, 3), b[0], b instanceof Uint8Array);
console.log(Buffer.alloc(4, 1), Buffer.concat([Buffer.from("ab"), Buffer.from([0x63])]).toString());
console.log(Buffer.from("abc").equals(Buffer.from("abc")), Buffer.compare(Buffer.from("a"), Buffer.from("b")));
const w = Buffer.alloc(8); w.writeUInt32BE(0xdeadbeef, 0); w.writeUInt16LE(513, 4); w.writeInt8(-2, 6);
console.log(w, w.readUInt32BE(0).toString(16), w.readUInt16LE(4), w.readInt8(6), JSON.stringify(Buffer.from([1, 2])));
console.log(Buffer.from("ff00", "hex"), Buffer.from([250, 251]).toString("latin1"), Buffer.from("€").toString("binary").length);
console.log([Buffer.from("x")], { b: Buffer.alloc(60) });`,
  },
  // ---- os / util / assert / events / string_decoder / path ----
  {
    name: "os.EOL and platform",
    code: `const os = require("os"); console.log(JSON.stringify(os.EOL), os.platform(), os.type(), os.endianness(), Array.isArray(os.cpus()) && os.cpus().length > 0);`,
  },
  {
    name: "util.format and util.inspect options",
    code: `const util = require("util");
console.log(util.format("%s=%d (%i) %f %j %%", "x", 42.9, 42.9, "1.5", { a: [1] }), util.format("a", 1, "b"));
console.log(util.inspect({ a: { b: { c: { d: 1 } } } }, { depth: 0 }), util.inspect({ a: { b: { c: { d: 1 } } } }, { depth: Infinity }));
console.log(util.inspect({ a: 1, b: "two" }, { compact: false }), util.inspect([1, 2, 3], { breakLength: 3 }));
console.log(util.inspect("str"), util.inspect(new Map([[{ k: 1 }, new Set([1])]]), { depth: 0 }));
class Temp { constructor() { this.c = 21; } [util.inspect.custom]() { return \`Temp<\${this.c}C>\`; } }
console.log(new Temp(), [new Temp()], util.isDeepStrictEqual({ a: [1, 2] }, { a: [1, 2] }), util.isDeepStrictEqual([1], ["1"]));
console.log(util.types.isDate(new Date()), util.types.isRegExp(/x/), util.types.isPromise(Promise.resolve()), typeof util.promisify, typeof util.TextEncoder);`,
  },
  {
    name: "util.promisify and events",
    code: `const util = require("util"); const EventEmitter = require("events");
const wait = util.promisify((ms, cb) => setTimeout(() => cb(null, ms * 2), ms));
class Bus extends EventEmitter {}
const bus = new Bus();
bus.once("x", (v) => console.log("once", v));
bus.on("x", (v) => console.log("on", v));
bus.emit("x", 1); bus.emit("x", 2);
console.log(bus.listenerCount("x"), bus.eventNames());
wait(5).then((v) => console.log("waited", v));
EventEmitter.once(bus, "y").then(([v]) => console.log("events.once", v));
bus.emit("y", "yes");`,
  },
  {
    name: "assert passes and its failure is an AssertionError",
    code: `const assert = require("assert");
assert.strictEqual(1, 1); assert.deepStrictEqual({ a: [1] }, { a: [1] }); assert.ok(true); assert(1);
assert.throws(() => { throw new TypeError("bad"); }, TypeError);
try { assert.strictEqual(1, 2); } catch (e) { console.log(e.name, e.code, e.actual, e.expected, e.operator); }
try { assert.deepStrictEqual([1, 2], [1, 3]); } catch (e) { console.log(e instanceof assert.AssertionError); }`,
  },
  {
    name: "string_decoder joins split UTF-8",
    code: `const { StringDecoder } = require("string_decoder");
const d = new StringDecoder("utf8"); const euro = Buffer.from("€");
console.log(JSON.stringify(d.write(euro.subarray(0, 1))), JSON.stringify(d.write(euro.subarray(1))), JSON.stringify(d.end()));`,
  },
  {
    name: "path parse and format",
    code: `const path = require("path"); console.log(path.parse("/home/u/file.tar.gz"), path.format({ dir: "/x", base: "y.txt" }), path.join("a", "..", "b"));`,
  },
  // ---- console.log formatting ----
  {
    name: "console.log of nested data, long arrays, depth",
    code: `console.log([1, 2, 3], { a: 1, b: "x", c: [1, { d: { e: { f: 1 } } }] });
console.log(Array.from({ length: 30 }, (_, i) => i));
console.log(Array.from({ length: 120 }, (_, i) => i * 7));
console.log(Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i).repeat(i % 5 + 1)));
console.log([[1, 2, [3, 4, [5, [6]]]], { x: { y: { z: { w: 1 } } } }]);
console.log(Object.fromEntries(Array.from({ length: 12 }, (_, i) => ["key" + i, i * 1.5])));
console.log({ matrix: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], name: "identity", tags: ["a", "b"] });
console.log([1.5, -0, 0, NaN, Infinity, 10n, "s", true, null, undefined]);`,
  },
  {
    name: "console.log of strings, quotes and escapes inside containers",
    code: `console.log(["plain", "it's", 'say "hi"', \`both ' and "\`, "tab\\tnew\\nline", "é ☃ 😀"]);
console.log({ "key with space": 1, valid_id: 2, "3d": 3, [Symbol("sym")]: 4, [Symbol.iterator]: 5 });
console.log("top-level string is raw: it's", 'x');
console.log({ long: "word ".repeat(30) });`,
  },
  {
    name: "console.log of Map, Set, class instances, null prototype, getters",
    code: `class Point { constructor(x, y) { this.x = x; this.y = y; } get len() { return 1; } }
class Empty {}
console.log(new Map([["a", 1], ["b", { c: [1, 2] }]]), new Set([1, "two", [3]]), new Map(), new Set());
console.log(new Point(1, 2), new Empty(), [new Point(3, 4)], Object.create(null), Object.assign(Object.create(null), { a: 1 }));
console.log({ get g() { return 1; }, set s(v) {}, get gs() { return 1; }, set gs(v) {} });
console.log(new Map([[{ k: 1 }, new Set([new Map([[1, 2]])])]]));
console.log([function named() {}, () => {}, class A {}, class B extends Point {}, async function af() {}, function* gen() {}, Math.max]);`,
  },
  {
    name: "console.log of typed arrays, Buffers, sparse arrays, circular, dates, regexps, boxed",
    code: `console.log(new Uint8Array([1, 2, 3]), new Float64Array(2), new Int32Array(0), Buffer.from([1, 2, 254]));
const sparse = [1, , 3]; sparse[10] = 4; console.log(sparse, new Array(5), [, ,]);
const a = { name: "a" }; const b = { a }; a.b = b; a.self = a; console.log(a, [a]);
console.log(new Date(86400000), [new Date(0)], /a+b/gi, [/x/]);
console.log(new Number(1), new String("s"), new Boolean(false), Object(1n), [new String("ab")]);
console.log(Array.from({ length: 101 }, () => 0).length, Array.from({ length: 101 }, (_, i) => i % 3 ? "s" + i : i));
console.log(new ArrayBuffer(3), new DataView(new ArrayBuffer(2)));`,
  },
  {
    name: "console.log of promises and arguments and -0 and keys after array items",
    code: `const arr = [1, 2]; arr.extra = "yes";
console.log(Promise.resolve({ v: 1 }), new Promise(() => {}), arr);
(function () { console.log(arguments); })(1, "x");
const p = Promise.reject(new Error("nope")); p.catch(() => {});
console.log([-0], -0, [0]);`,
  },
  {
    name: "format specifiers %s %d %i %f %j %o %O %c %%",
    code: `console.log("%s|%s|%s|%s", "str", 42, { a: 1 }, [1, [2, [3]]]);
console.log("%d|%d|%d|%i|%i", "42", 1.5, 10n, "3.9", -7.2);
console.log("%f|%f|%j|%j", "2.5abc", 1, { a: [1, "x"] }, "s");
console.log("%O", { a: { b: { c: { d: 1 } } } });
console.log("%o", [1, { a: 2 }]);
console.log("%c styled %c", "color: red", "x", "rest", 1);
console.log("100%% sure", "%s", "%x unknown", 5);
console.log("missing %s and %d");
const circ = { n: 1 }; circ.me = circ; console.log("%j", circ);`,
  },
  {
    name: "console.error/warn go to stderr; console.dir and console.group indent",
    code: `console.error("to stderr"); console.warn({ w: 1 });
console.dir({ a: { b: { c: { d: 1 } } } }, { depth: 0 });
console.group("Group"); console.log({ x: 1, y: [1, 2] }); console.group(); console.log("deeper\\nline"); console.groupEnd(); console.groupEnd();
console.log("after");`,
  },
  {
    name: "errors nested in objects print with their name and message",
    code: `const e = new RangeError("out of range");
const s = require("util").inspect({ err: e });
console.log(s.split("\\n")[0]);
console.log(String(e), e.message, e instanceof Error);
class MyError extends Error { constructor(m) { super(m); this.name = "MyError"; this.code = 42; } }
const m = new MyError("custom");
console.log(require("util").inspect(m).split("\\n")[0], require("util").inspect(m).split("\\n").pop());`,
  },
  // ---- TypeScript ----
  {
    name: "TypeScript: readline with types",
    typescript: true,
    stdin: "3\n10 20 30\n",
    code: `import * as readline from "node:readline";
interface Stats { count: number; total: number }
const rl = readline.createInterface({ input: process.stdin });
const lines: string[] = [];
rl.on("line", (l: string) => lines.push(l));
rl.on("close", () => {
  const xs: number[] = lines[1].split(" ").map(Number);
  const s: Stats = { count: xs.length, total: xs.reduce((a, b) => a + b, 0) };
  console.log(s, new Map<string, number[]>([["xs", xs]]));
});`,
  },
  {
    name: "TypeScript: fs stdin, Buffer and util",
    typescript: true,
    stdin: "typed input\n",
    code: `import { readFileSync } from "node:fs";
import { inspect, format } from "node:util";
const text: string = readFileSync(0, "utf8");
const buf: Buffer = Buffer.from(text.trim());
class Box<T> { value: T; constructor(value: T) { this.value = value; } }
console.log(format("%s has %d bytes", text.trim(), buf.length), inspect(new Box(buf.subarray(0, 5))), [new Box([1, 2])]);`,
  },
];

let engine: Engine;
let work: string;

beforeAll(() => {
  engine = createEngine({ pool: { python: 0, quickjs: 1 } });
  work = mkdtempSync(join(tmpdir(), "wasmbox-js-idioms-"));
});

afterAll(async () => {
  await engine?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the program with real Node in its own temp dir; returns stdout as bytes. */
function runNode(c: IdiomCase, index: number): { stdout: Buffer; stderr: string; status: number | null } {
  const dir = join(work, String(index));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, c.typescript ? "main.ts" : "main.js");
  writeFileSync(file, c.code);
  for (const [path, content] of Object.entries(c.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  // stdin from a file, as a judge redirects it (a pipe from spawnSync is a socket, which
  // /dev/stdin cannot open). Node 24 strips TypeScript types itself: both run the same .ts.
  const stdinPath = join(dir, "stdin.txt");
  writeFileSync(stdinPath, c.stdin ?? "");
  const stdinFd = openSync(stdinPath, "r");
  try {
    const r = spawnSync(process.execPath, ["--no-warnings", file], { cwd: dir, stdio: [stdinFd, "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } });
    return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
  } finally {
    closeSync(stdinFd);
  }
}

describe("JavaScript written for Node prints what Node prints", () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))("%s", async (_name, c, index) => {
    const node = runNode(c, index);
    expect(node.status, `node itself failed:\n${node.stderr}`).toBe(0);
    const r = await engine.execute({
      language: c.typescript ? "typescript" : "javascript",
      code: c.code,
      stdin: c.stdin ?? "",
      files: c.files ?? {},
    });
    expect(r.status, `${r.stderr}\n${JSON.stringify(r.error)}`).toBe("ok");
    expect(r.stdout).toBe(node.stdout.toString("utf8"));
  });

  it("stderr gets console.error/warn text as Node prints it", async () => {
    const c = CASES.find((x) => x.name.startsWith("console.error/warn"))!;
    const node = spawnSync(process.execPath, ["-e", c.code], { encoding: "utf8" });
    const r = await engine.execute({ language: "javascript", code: c.code });
    expect(r.stderr).toBe(node.stderr);
  });

  it("an error printed by console.log shows its name, message and stack frames", async () => {
    const r = await engine.execute({ language: "javascript", code: 'function f() { throw new TypeError("bad thing"); }\ntry { f(); } catch (e) { console.log(e); console.log({ e }); }' });
    expect(r.stdout).toMatch(/^TypeError: bad thing\n {4}at f \(main\.js:1:\d+\)\n/);
    expect(r.stdout).toMatch(/\n\{\n {2}e: TypeError: bad thing\n {6}at f \(main\.js:1:\d+\)\n/);
  });

  it("require of a module wasmbox does not provide names what it does provide", async () => {
    const r = await engine.execute({ language: "javascript", code: 'require("child_process")' });
    expect(r.status).toBe("error");
    expect(r.error?.message).toMatch(/Cannot find module 'child_process'.*readline.*no npm packages, network or child processes/);
  });

  it("each run of a session reads its own stdin", async () => {
    await using session = await engine.openSession({ language: "javascript" });
    const code = 'require("readline").createInterface({ input: process.stdin }).on("line", (l) => console.log("got", l));';
    const first = await session.execute({ code, stdin: "one\n" });
    const second = await session.execute({ code, stdin: "two\n" });
    expect([first.stdout, second.stdout]).toEqual(["got one\n", "got two\n"]);
  });

  it("the generated guest sources are up to date with guest/*.js", async () => {
    const generator = "../../core/src/runtimes/javascript/guest/generate.mjs";
    const { generatedSource, GENERATED_PATH } = (await import(generator)) as { generatedSource(): string; GENERATED_PATH: URL };
    expect(readFileSync(GENERATED_PATH, "utf8"), "run node packages/core/src/runtimes/javascript/guest/generate.mjs").toBe(generatedSource());
  });
});

/**
 * The bytes the QuickJS runtime hands to `io.write`, against Node's raw stdout. (Past the
 * runtime, the sandbox edge still decodes output as UTF-8 in this branch; the exact-bytes
 * pipeline is tested where it is built.)
 */
describe("process.stdout.write hands exact bytes to the output", () => {
  const BYTE_PROGRAMS: Record<string, string> = {
    latin1: 'process.stdout.write("caf\\xe9 \\xff\\n", "latin1"); process.stdout.write("\\xe9", "binary");',
    ascii: 'process.stdout.write("\\xe9\\u20ac\\n", "ascii");',
    "hex and base64": 'process.stdout.write("fffe00", "hex"); process.stdout.write("gICA", "base64");',
    "utf16le and ucs2": 'process.stdout.write("hé", "utf16le"); process.stdout.write("€", "ucs2");',
    "Buffer and Uint8Array chunks": "process.stdout.write(Buffer.from([0, 200, 255])); process.stdout.write(new Uint8Array([1, 2])); process.stdout.write(new Uint16Array([0x4142]));",
    "utf8 text, and a callback": 'process.stdout.write("ü\\n", "utf8", () => process.stdout.write(Buffer.from([0xc3]))); process.stderr.write("\\xff", "latin1");',
  };
  it.each(Object.entries(BYTE_PROGRAMS))("%s", async (_name, code) => {
    const { loadQuickJSRuntime } = await import("../../core/src/runtimes/javascript/quickjs-runtime.js");
    const runtime = await loadQuickJSRuntime({ assets: {} as never, interruptBuffer: new Int32Array(new SharedArrayBuffer(4)) });
    try {
      const out: Record<"stdout" | "stderr", Buffer[]> = { stdout: [], stderr: [] };
      const outcome = await runtime.run(
        {
          request: { language: "javascript", code },
          filename: "main.js",
          limits: { ...DEFAULT_LIMITS },
        },
        { write: (stream, data) => out[stream].push(typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data)) },
      );
      expect(outcome.status).toBe("ok");
      const node = spawnSync(process.execPath, ["-e", code]);
      expect(Buffer.concat(out.stdout).toString("hex")).toBe(node.stdout.toString("hex"));
      expect(Buffer.concat(out.stderr).toString("hex")).toBe(node.stderr.toString("hex"));
    } finally {
      runtime[Symbol.dispose]();
    }
  });
});
