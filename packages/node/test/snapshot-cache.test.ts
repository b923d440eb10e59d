import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine } from "@wasmbox/node";

const dirs: string[] = [];
const freshDir = (mode = 0o755) => {
  const d = mkdtempSync(join(tmpdir(), "wasmbox-snap-"));
  chmodSync(d, mode);
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function runPython(cacheDir: string | false, code = "import statistics\nprint(statistics.median([3, 1, 2]))") {
  const engine = createEngine({ pool: { python: 0, quickjs: 0 }, cacheDir });
  try {
    return await engine.execute({ language: "python", code });
  } finally {
    await engine.dispose();
  }
}

const snapshotFile = (dir: string) => join(dir, readdirSync(dir).find((f) => f.endsWith(".snapshot"))!);

describe("Python baseline snapshot cache", () => {
  it("is built on first use, with a sha256 that matches its bytes, and then reused", async () => {
    const dir = freshDir();
    expect((await runPython(dir)).stdout).toBe("2\n");
    const file = snapshotFile(dir);
    const meta = JSON.parse(readFileSync(`${file}.json`, "utf8")) as { sha256: string; size: number };
    const bytes = readFileSync(file);
    expect(meta.size).toBe(bytes.byteLength);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(meta.sha256);
    const before = readFileSync(`${file}.json`, "utf8");
    expect((await runPython(dir)).stdout).toBe("2\n");
    expect(readFileSync(`${file}.json`, "utf8")).toBe(before); // reused, not rebuilt
  });

  it("is rebuilt, never crashes, when the cached file is corrupt", async () => {
    const dir = freshDir();
    await runPython(dir);
    const file = snapshotFile(dir);
    const bytes = readFileSync(file);
    bytes.fill(7, 1000, 2000);
    writeFileSync(file, bytes);
    const corrupt = createHash("sha256").update(bytes).digest("hex");
    const r = await runPython(dir);
    expect(r.status).toBe("ok");
    expect(r.stdout).toBe("2\n");
    // Rebuilt: the file matches its (new) recorded hash, and is no longer the corrupt one.
    const meta = JSON.parse(readFileSync(`${file}.json`, "utf8")) as { sha256: string };
    const now = createHash("sha256").update(readFileSync(file)).digest("hex");
    expect(now).toBe(meta.sha256);
    expect(now).not.toBe(corrupt);
  });

  it("still works when the sandbox's uid cannot read the cache (the bytes are handed over instead)", async () => {
    const dir = freshDir(0o700); // only the host's user can enter it
    const r = await runPython(dir);
    expect(r.status).toBe("ok");
    expect(r.stdout).toBe("2\n");
  });

  it("carries the driver compiled, out of the guest's sight, boots with no trace of its warm-up run, and reports errors the same as a boot from scratch", async () => {
    const dir = freshDir();
    const code = "import sys, linecache, os\nprint([m for m in sys.modules if 'wasmbox' in m], [k for k in linecache.cache if 'wasmbox' in k], sys.argv, os.listdir('.'))\ndef f():\n    raise ValueError('boom')\nf()";
    const [snap, scratch] = [await runPython(dir, code), await runPython(false, code)];
    expect(snap.stdout).toBe("[] [] ['main.py'] []\n");
    expect(snap.status).toBe("error");
    expect(snap.error?.name).toBe("ValueError");
    expect(snap.error?.line).toBe(4);
    expect({ stdout: snap.stdout, stderr: snap.stderr, error: snap.error }).toEqual({ stdout: scratch.stdout, stderr: scratch.stderr, error: scratch.error });
  });

  it("can be turned off: Python then boots from scratch", async () => {
    const r = await runPython(false, "print(6*7)");
    expect(r.stdout).toBe("42\n");
  });
});
