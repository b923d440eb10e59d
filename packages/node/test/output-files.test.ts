/**
 * Files a run hands back (`result.files`, `fileContents`): one rule for every runtime
 * (collectChangedFiles in core/guest/files.ts). The same two programs run in Python,
 * JavaScript (QuickJS) and C (WASI); each must hand back exactly the same files.
 *
 * - "tree": nested directories, 1005 new files (over the 1000-file cap), request files left
 *   as they were, rewritten with the same bytes, and rewritten with other bytes.
 * - "bytes": files that together exceed the 64 MiB cap, one of them over it on its own.
 *
 * The many files have short names (`many/f0000.txt`): an honest outcome with a thousand of them
 * once tripped the channel's cap on JSON containers per header byte (sandbox/framing.ts).
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, OUTPUT_FILE_CAPS, type Engine, type Execution } from "@wasmbox/node";

const MiB = 1024 * 1024;
const LIMITS = { timeoutMs: 60_000, memoryLimitBytes: 1024 * MiB };

/** Request files for "tree": one left alone, one rewritten with the same bytes, one changed. */
const TREE_INPUTS = { "in/keep.txt": "kept", "in/same.txt": "same bytes", "in/edit.txt": "old" };
const MANY = 1005;

/** "bytes": in path order. Over the cap alone; fits; would pass the cap; fits; brings the total to the cap exactly. */
const BIG_FILES: ReadonlyArray<{ path: string; size: number; fill: number }> = [
  { path: "a.bin", size: 64 * MiB + 1, fill: 0x61 },
  { path: "b.bin", size: 40 * MiB, fill: 0x62 },
  { path: "c.bin", size: 30 * MiB, fill: 0x63 },
  { path: "d.txt", size: 5, fill: 0x64 },
  { path: "e.bin", size: 24 * MiB - 5, fill: 0x65 },
];

const PROGRAMS: Record<"python" | "javascript" | "c", { tree: string; bytes: string }> = {
  python: {
    tree: `import os
with open("in/same.txt", "w") as f: f.write("same bytes")
with open("in/edit.txt", "w") as f: f.write("new")
os.makedirs("deep/a/b/c")
with open("deep/a/b/c/d.txt", "w") as f: f.write("deep")
os.makedirs("many")
for i in reversed(range(${MANY})):
    with open(f"many/f{i:04d}.txt", "w") as f: f.write(str(i))
`,
    bytes: `for path, size, fill in ${JSON.stringify(BIG_FILES.map((f) => [f.path, f.size, f.fill]))}:
    with open(path, "wb") as f: f.write(bytes([fill]) * size)
`,
  },
  javascript: {
    tree: `const fs = require("fs");
fs.writeFileSync("in/same.txt", "same bytes");
fs.writeFileSync("in/edit.txt", "new");
fs.mkdirSync("deep/a/b/c", { recursive: true });
fs.writeFileSync("deep/a/b/c/d.txt", "deep");
fs.mkdirSync("many");
for (let i = ${MANY} - 1; i >= 0; i--) fs.writeFileSync("many/f" + String(i).padStart(4, "0") + ".txt", String(i));
`,
    bytes: `const fs = require("fs");
for (const [path, size, fill] of ${JSON.stringify(BIG_FILES.map((f) => [f.path, f.size, f.fill]))}) fs.writeFileSync(path, new Uint8Array(size).fill(fill));
`,
  },
  c: {
    tree: String.raw`#include <stdio.h>
#include <sys/stat.h>

static int put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) { perror(path); return 1; }
  fputs(text, f);
  return fclose(f);
}

int main(void) {
  int bad = put("in/same.txt", "same bytes") | put("in/edit.txt", "new");
  bad |= mkdir("deep", 0755) | mkdir("deep/a", 0755) | mkdir("deep/a/b", 0755) | mkdir("deep/a/b/c", 0755);
  bad |= put("deep/a/b/c/d.txt", "deep") | mkdir("many", 0755);
  for (int i = ${MANY} - 1; i >= 0; i--) {
    char path[64], text[8];
    snprintf(path, sizeof path, "many/f%04d.txt", i);
    snprintf(text, sizeof text, "%d", i);
    bad |= put(path, text);
  }
  return bad;
}
`,
    bytes: String.raw`#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *path; size_t size; int fill; } FILES[] = {
${BIG_FILES.map((f) => `  { "${f.path}", ${f.size}u, ${f.fill} },`).join("\n")}
};

int main(void) {
  for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++) {
    char *bytes = malloc(FILES[i].size);
    if (!bytes) return 2;
    memset(bytes, FILES[i].fill, FILES[i].size);
    FILE *f = fopen(FILES[i].path, "wb");
    if (!f || fwrite(bytes, 1, FILES[i].size, f) != FILES[i].size || fclose(f)) { perror(FILES[i].path); return 1; }
    free(bytes);
  }
  return 0;
}
`,
  },
};

/** What every runtime must hand back for "tree": the first 1000 changed files in path order. */
const TREE_EXPECTED = [
  "deep/a/b/c/d.txt",
  "in/edit.txt",
  ...Array.from({ length: OUTPUT_FILE_CAPS.maxFiles - 2 }, (_, i) => `many/f${String(i).padStart(4, "0")}.txt`),
];

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const text = (r: Execution, path: string) => Buffer.from(r.fileContents.get(path) ?? []).toString("utf8");

let engine: Engine;

beforeAll(() => {
  engine = createEngine({ pool: { python: 2, quickjs: 1, wasm: 1, clang: 1 } });
});

afterAll(async () => {
  await engine?.dispose();
});

describe.each(Object.keys(PROGRAMS) as Array<keyof typeof PROGRAMS>)("output files: %s", (language) => {
  it("hands back the first 1000 new or changed files in path order, nested paths included, never an untouched input", async () => {
    const r = await engine.execute({ language, code: PROGRAMS[language].tree, files: TREE_INPUTS, limits: LIMITS });
    expect(r.status, r.stderr).toBe("ok");
    expect(r.files.map((f) => f.path)).toEqual(TREE_EXPECTED);
    expect([...r.fileContents.keys()].sort()).toEqual(TREE_EXPECTED);
    expect(text(r, "in/edit.txt")).toBe("new");
    expect(text(r, "deep/a/b/c/d.txt")).toBe("deep");
    expect(text(r, "many/f0997.txt")).toBe("997");
    expect(r.files.find((f) => f.path === "many/f0000.txt")).toMatchObject({ size: 1, mime: "text/plain", sha256: sha256(Buffer.from("0")) });
  });

  it("leaves out a file that does not fit in the 64 MiB left, and still takes the smaller ones after it", async () => {
    const r = await engine.execute({ language, code: PROGRAMS[language].bytes, limits: LIMITS });
    expect(r.status, r.stderr).toBe("ok");
    const kept = BIG_FILES.filter((f) => ["b.bin", "d.txt", "e.bin"].includes(f.path));
    expect(kept.reduce((n, f) => n + f.size, 0)).toBe(OUTPUT_FILE_CAPS.maxTotalBytes);
    expect(r.files).toEqual(
      kept.map((f) => ({ path: f.path, size: f.size, sha256: sha256(Buffer.alloc(f.size, f.fill)), mime: f.path.endsWith(".txt") ? "text/plain" : "application/octet-stream" })),
    );
    expect(text(r, "d.txt")).toBe("ddddd");
  });
});
