/**
 * Large output through the whole path (guest → shared ring → frames → host → result), with
 * the OS sandbox in force: tens of megabytes arrive byte-exact in every language, binary
 * included; stdout and stderr keep their write order; a flood past `maxOutputBytes` is still
 * cut at the cap with `output_limit`; output written before a guest hangs still arrives.
 * (How fast is the bench's business: `node bench/engine.bench.js --only output`.)
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine, type Execution } from "@wasmbox/node";

let engine: Engine;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "wasmbox-output-"));
  engine = createEngine({ pool: { python: 1, quickjs: 1, wasm: 1, clang: 1, asc: 0 }, cacheDir: join(work, "cache") });
});

afterAll(async () => {
  await engine?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const big = { maxOutputBytes: 48 * MiB, timeoutMs: 60_000, memoryLimitBytes: 512 * MiB };
const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

function bytesOf(result: Execution, stream: "stdout" | "stderr" | "output"): Buffer {
  const base64 = result[`${stream}Base64`];
  return base64 === undefined ? Buffer.from(result[stream], "utf8") : Buffer.from(base64, "base64");
}

/** The bytes the C programs below write: byte i of the stream is (i * 7 + 128) mod 256. */
function pattern(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + 128) & 255;
  return out;
}

describe("large output arrives whole", () => {
  it("25 MB of binary (non-UTF-8) C stdout, written in odd-sized pieces, byte-exact in stdoutBase64 and outputBase64", async () => {
    const n = 25_000_000;
    const code = `#include <stdio.h>
static unsigned char b[1 << 20];
int main(void) {
  long n = ${n}, at = 0; int i = 0;
  for (long k = 0; k < (long)sizeof b; k++) b[k] = 0;
  while (at < n) {
    long piece = (long[]){ 1, 4093, 65536, 700001, 17 }[i++ % 5];
    if (piece > n - at) piece = n - at;
    for (long k = 0; k < piece; k++) b[k] = (unsigned char)((at + k) * 7 + 128);
    fwrite(b, 1, piece, stdout);
    at += piece;
  }
  return 0;
}
`;
    const r = await engine.execute({ language: "c", code, limits: big });
    expect(r.status).toBe("ok");
    expect(r.stdoutBase64).toBeDefined();
    const expected = sha256(pattern(n));
    expect(sha256(bytesOf(r, "stdout"))).toBe(expected);
    expect(sha256(bytesOf(r, "output"))).toBe(expected);
    expect(r.stderr).toBe("");
  }, 120_000);

  it("25 MB of Python print and 8 MiB of sys.stdout.buffer bytes, exact", async () => {
    const text = await engine.execute({ language: "python", code: 'line = "x" * 999\nfor i in range(25000):\n    print(line)\n', limits: big });
    expect(text.status).toBe("ok");
    expect(text.stdout.length).toBe(25_000_000);
    expect(sha256(text.stdout)).toBe(sha256(`${"x".repeat(999)}\n`.repeat(25000)));
    const binary = await engine.execute({ language: "python", code: "import sys\nsys.stdout.buffer.write(bytes((i * 7 + 128) & 255 for i in range(8 * 1024 * 1024)))\n", limits: big });
    expect(binary.status).toBe("ok");
    expect(sha256(bytesOf(binary, "stdout"))).toBe(sha256(pattern(8 * MiB)));
  }, 120_000);

  it("a 20 MB JavaScript console.log and many multi-byte lines, exact", async () => {
    const one = await engine.execute({ language: "javascript", code: 'console.log("é€".repeat(4_000_000) + "x".repeat(1_000_000));', limits: big });
    expect(one.status).toBe("ok");
    expect(one.stdout).toBe(`${"é€".repeat(4_000_000)}${"x".repeat(1_000_000)}\n`);
    const lines = await engine.execute({ language: "javascript", code: 'for (let i = 0; i < 20000; i++) console.log(i + " ünïcödé 🙂 " + "y".repeat(i % 300));', limits: big });
    expect(lines.status).toBe("ok");
    expect(lines.stdout).toBe(Array.from({ length: 20000 }, (_, i) => `${i} ünïcödé 🙂 ${"y".repeat(i % 300)}\n`).join(""));
  }, 120_000);
});

describe("order, caps and hangs", () => {
  it("keeps stdout and stderr in write order: thousands of alternating lines and megabyte blocks between them", async () => {
    const code = `#include <stdio.h>
#include <string.h>
static char block[300000];
int main(void) {
  memset(block, 'b', sizeof block);
  for (int i = 0; i < 3000; i++) { printf("o%d\\n", i); fprintf(stderr, "e%d\\n", i); }
  for (int i = 0; i < 20; i++) { fwrite(block, 1, sizeof block, stdout); fflush(stdout); fprintf(stderr, "E%d\\n", i); }
  return 0;
}
`;
    const r = await engine.execute({ language: "c", code, limits: big });
    expect(r.status).toBe("ok");
    const block = "b".repeat(300000);
    const lines = Array.from({ length: 3000 }, (_, i) => `o${i}\ne${i}\n`).join("");
    const blocks = Array.from({ length: 20 }, (_, i) => `${block}E${i}\n`).join("");
    expect(r.output).toBe(lines + blocks);
    expect(r.stdout).toBe(Array.from({ length: 3000 }, (_, i) => `o${i}\n`).join("") + block.repeat(20));
    expect(r.stderr).toBe(Array.from({ length: 3000 }, (_, i) => `e${i}\n`).join("") + Array.from({ length: 20 }, (_, i) => `E${i}\n`).join(""));
  }, 120_000);

  it("cuts a C flood past maxOutputBytes at exactly the cap with output_limit, and the next run is served", async () => {
    const cap = 3 * MiB + 17;
    const code = "#include <stdio.h>\n#include <string.h>\nstatic char b[65536];\nint main(void){memset(b,'z',sizeof b);for(;;)fwrite(b,1,sizeof b,stdout);}\n";
    const r = await engine.execute({ language: "c", code, limits: { maxOutputBytes: cap, timeoutMs: 20_000 } });
    expect(r.status).toBe("output_limit");
    expect(r.error?.name).toBe("OutputLimitError");
    expect(r.stdout.length).toBe(cap);
    expect(r.stdout).toBe("z".repeat(cap));
    const next = await engine.execute({ language: "c", code: '#include <stdio.h>\nint main(void){puts("still here");return 0;}\n' });
    expect(next.stdout).toBe("still here\n");
  }, 120_000);

  it("delivers what a C program printed before it hung, with status timeout", async () => {
    // It hangs only when told to on stdin: the first run compiles it (a compile counts against timeoutMs).
    const code = '#include <stdio.h>\nint main(void){puts("before the loop");fprintf(stderr,"err too\\n");if(getchar()!=\'h\')return 0;volatile unsigned long n=0;for(;;)n++;}\n';
    expect((await engine.execute({ language: "c", code, limits: { timeoutMs: 60_000 } })).status).toBe("ok");
    const r = await engine.execute({ language: "c", code, stdin: "h", limits: { timeoutMs: 1500 } });
    expect(r.compile?.cached).toBe(true);
    expect(r.status).toBe("timeout");
    expect(r.output).toBe("before the loop\nerr too\n");
  }, 60_000);
});
