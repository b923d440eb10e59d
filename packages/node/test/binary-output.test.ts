/**
 * Output is bytes. In every language a program's stdout/stderr reach the result exactly as
 * written: text when they are valid UTF-8, otherwise a lossy text plus `*Base64` with the
 * bytes. Each program runs natively too (gcc, g++, python3, node) and the bytes must match.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine, type ExecuteRequestInput, type Execution } from "@wasmbox/node";

let engine: Engine;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "wasmbox-binary-"));
  engine = createEngine({ pool: { python: 1, quickjs: 1, wasm: 1, clang: 1, asc: 0 }, cacheDir: join(work, "cache") });
});

afterAll(async () => {
  await engine?.dispose();
  rmSync(work, { recursive: true, force: true });
});

type Native = "c" | "cpp" | "python" | "javascript";

/** Run `code` natively (compiled with gcc/g++ first), with stderr joined to stdout in write order as `output`. */
function runNative(language: Native, code: string, stdin = ""): { stdout: Buffer; stderr: Buffer; output: Buffer; status: number | null } {
  const dir = mkdtempSync(join(work, "native-"));
  const source = join(dir, { c: "main.c", cpp: "main.cpp", python: "main.py", javascript: "main.js" }[language]);
  writeFileSync(source, code);
  let command: string[];
  if (language === "c" || language === "cpp") {
    const compiled = spawnSync(language === "c" ? "gcc" : "g++", ["-O2", "-o", join(dir, "main"), source, "-lm"], { encoding: "utf8" });
    if (compiled.status !== 0) throw new Error(`native compile failed: ${compiled.stderr}`);
    command = [join(dir, "main")];
  } else command = language === "python" ? ["python3", source] : [process.execPath, source];
  const split = spawnSync(command[0]!, command.slice(1), { cwd: dir, input: stdin });
  // Both streams into one pipe, as a terminal sees them: the order the program wrote.
  const joined = spawnSync("sh", ["-c", '"$@" 2>&1', "sh", ...command], { cwd: dir, input: stdin });
  return { stdout: split.stdout, stderr: split.stderr, output: joined.stdout, status: split.status };
}

function bytesOf(result: Execution, stream: "stdout" | "stderr" | "output"): Buffer {
  const base64 = result[`${stream}Base64`];
  return base64 === undefined ? Buffer.from(result[stream], "utf8") : Buffer.from(base64, "base64");
}

async function same(language: Native, code: string, extra: Partial<ExecuteRequestInput> = {}): Promise<Execution> {
  const native = runNative(language, code, extra.stdin ?? "");
  const result = await engine.execute({ language, code, ...extra });
  expect(result.error).toBeNull();
  expect(bytesOf(result, "stdout").toString("hex")).toBe(native.stdout.toString("hex"));
  expect(bytesOf(result, "stderr").toString("hex")).toBe(native.stderr.toString("hex"));
  expect(bytesOf(result, "output").toString("hex")).toBe(native.output.toString("hex"));
  expect(result.exitCode).toBe(native.status);
  return result;
}

/** Writes every byte value, then a line of text, on stdout; a line on stderr between, flushed so the order is fixed. */
const PROGRAMS: Record<Native, string> = {
  c: [
    "#include <stdio.h>",
    "int main(void) {",
    "  putchar(0xff); putchar(0x80); putchar(0x41); fflush(stdout);",
    '  fputs("é on stderr\\n", stderr);',
    "  for (int i = 0; i < 256; i++) putchar(i);",
    '  printf("\\nend\\n");',
    "  return 0;",
    "}",
  ].join("\n"),
  cpp: [
    "#include <iostream>",
    "int main() {",
    '  const char bytes[] = {char(0xff), char(0x80), char(0x41)};',
    "  std::cout.write(bytes, 3) << std::flush;",
    '  std::cerr << "é on stderr\\n";',
    "  for (int i = 0; i < 256; i++) std::cout.put(char(i));",
    '  std::cout << "\\nend\\n";',
    "}",
  ].join("\n"),
  python: [
    "import sys",
    'sys.stdout.buffer.write(b"\\xff\\x80A"); sys.stdout.flush()',
    'print("é on stderr", file=sys.stderr); sys.stderr.flush()',
    "sys.stdout.buffer.write(bytes(range(256)))",
    'print("\\nend")',
  ].join("\n"),
  javascript: [
    "process.stdout.write(Buffer.from([0xff, 0x80, 0x41]));",
    'process.stderr.write("é on stderr\\n");',
    "process.stdout.write(new Uint8Array(Array.from({ length: 256 }, (_, i) => i)));",
    'process.stdout.write("\\nend\\n");',
  ].join("\n"),
};

describe("binary output is exact in every language", () => {
  for (const language of ["c", "cpp", "python", "javascript"] as const) {
    it(`${language}: every byte value, interleaved with text on stderr, as natively`, async () => {
      const result = await same(language, PROGRAMS[language]);
      expect(result.status).toBe("ok");
      // The text fields stay usable: a lossy decoding, with the valid parts intact.
      expect(result.stdout.startsWith("\ufffd\ufffdA")).toBe(true);
      expect(result.stdout.endsWith("\nend\n")).toBe(true);
      expect(result.stderr).toBe("é on stderr\n");
      expect(result.stderrBase64).toBeUndefined();
    });
  }

  it("javascript: process.stdout.write honours latin1, binary, ascii, hex, base64 and utf16le as Node does", async () => {
    await same(
      "javascript",
      [
        'process.stdout.write("\\u00ff\\u0080A", "latin1");',
        'process.stdout.write("\\u00fe", "binary");',
        'process.stdout.write("ok\\u00e9", "ascii");',
        'process.stdout.write("ff00c3", "hex");',
        'process.stdout.write("/4BB", "base64");',
        'process.stdout.write("hi", "utf16le");',
        'process.stdout.write("\\n", "utf8", () => process.stdout.write("callback ran\\n"));',
      ].join("\n"),
    );
  });

  it("c: a PBM image written to stdout keeps its size and bytes (the Benchmarks Game's mandelbrot)", async () => {
    // Writes a binary P4 bitmap, the shape of the Benchmarks Game's mandelbrot output.
    const code = [
      "#include <stdio.h>",
      "#include <stdlib.h>",
      "int main(int argc, char **argv) {",
      "  int w = atoi(argv[1]), h = w, bit = 0; unsigned char byte = 0;",
      '  printf("P4\\n%d %d\\n", w, h);',
      "  for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {",
      "    double cr = 2.0 * x / w - 1.5, ci = 2.0 * y / h - 1.0, zr = 0, zi = 0, tr, ti; int i = 0;",
      "    for (; i < 50 && (tr = zr * zr) + (ti = zi * zi) <= 4.0; i++) { zi = 2.0 * zr * zi + ci; zr = tr - ti + cr; }",
      "    byte = (byte << 1) | (i == 50); bit++;",
      "    if (bit == 8 || x == w - 1) { byte <<= (8 - bit); putchar(byte); byte = 0; bit = 0; }",
      "  }",
      "  return 0;",
      "}",
    ].join("\n");
    const native = runNative("c", code.replace("atoi(argv[1])", "200"));
    const result = await engine.execute({ language: "c", code, args: ["200"] });
    expect(result.status).toBe("ok");
    expect(result.stdoutBase64).toBeDefined();
    expect(bytesOf(result, "stdout").byteLength).toBe(native.stdout.byteLength);
    expect(bytesOf(result, "stdout").equals(native.stdout)).toBe(true);
  });

  it("wasm: bytes a module writes with fd_write arrive unchanged", async () => {
    const wat = `(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "\\ff\\00\\80\\fe\\41")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 5))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;
    const result = await engine.execute({ language: "wasm", code: wat });
    expect(result.status).toBe("ok");
    expect(bytesOf(result, "stdout").toString("hex")).toBe("ff0080fe41");
    expect(result.stdout).toBe("\ufffd\u0000\ufffd\ufffdA");
  });

  it("valid UTF-8 stays text only, a leading BOM included", async () => {
    const result = await same("python", 'import sys\nsys.stdout.write("\\ufeffhé ✓ 😀\\n")');
    expect(result.stdout).toBe("\ufeffhé ✓ 😀\n");
    expect(result.stdoutBase64).toBeUndefined();
    expect(result.outputBase64).toBeUndefined();
  });

  it("a character written in two pieces streams whole and stays text", async () => {
    const pieces: string[] = [];
    const result = await engine.execute(
      { language: "python", code: 'import sys\nsys.stdout.buffer.write(b"\\xc3"); sys.stdout.flush()\nsys.stdout.buffer.write(b"\\xa9\\n"); sys.stdout.flush()' },
      { onStdout: (text) => pieces.push(text) },
    );
    expect(result.stdout).toBe("é\n");
    expect(result.stdoutBase64).toBeUndefined();
    expect(pieces.join("")).toBe("é\n");
    expect(pieces.some((p) => p.includes("\ufffd"))).toBe(false);
  });

  it("onOutput sees the exact bytes in write order; onStdout a lossy text of them", async () => {
    const bytes: Array<[string, string]> = [];
    const text: string[] = [];
    const result = await engine.execute(
      { language: "c", code: '#include <stdio.h>\nint main(void){fputs("a", stdout); fflush(stdout); fputs("b", stderr); putchar(0xfe); return 0;}' },
      { onOutput: (stream, chunk) => bytes.push([stream, Buffer.from(chunk).toString("hex")]), onStdout: (t) => text.push(t) },
    );
    expect(result.status).toBe("ok");
    expect(bytes).toEqual([["stdout", "61"], ["stderr", "62"], ["stdout", "fe"]]);
    expect(text.join("")).toBe("a\ufffd");
    expect(bytesOf(result, "output").toString("hex")).toBe("6162fe");
  });

  it("maxOutputBytes cuts binary output at the byte limit", async () => {
    const result = await engine.execute({
      language: "python",
      code: "import sys\nsys.stdout.buffer.write(bytes([0xff]) * 5000)\nsys.stdout.flush()",
      limits: { maxOutputBytes: 1000 },
    });
    expect(result.status).toBe("output_limit");
    expect(bytesOf(result, "stdout").byteLength).toBe(1000);
    expect(bytesOf(result, "stdout").every((b) => b === 0xff)).toBe(true);
  });
});
