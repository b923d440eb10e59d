/**
 * One list of languages: the CLI's choice of language from a file name, `wasmbox runtimes`
 * and `/v1/runtimes` (the engine's `runtimes()`) all read the runtime descriptors in core.
 * These tests fail when any of them keeps a list of its own that disagrees.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine, describeRuntimes, LANGUAGES, languageDescription, locateAssets, supportsSessions } from "@wasmbox/node";
import { languageForPath, main } from "../src/index.js";

const described = describeRuntimes(locateAssets().versions);
const dir = mkdtempSync(join(tmpdir(), "wasmbox-languages-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the CLI in-process; what it printed and its exit code. */
async function wasmbox(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => new Writable({ write: (chunk: Buffer, _e, done) => (into.push(chunk.toString("utf8")), done()) });
  const code = await main(argv, { stdout: sink(out), stderr: sink(err) });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("languages: one list", () => {
  it("describes every language once, in the order of LANGUAGES, no extension claimed twice", () => {
    expect(described.map((r) => r.language)).toEqual([...LANGUAGES]);
    const all = described.flatMap((r) => r.extensions);
    expect(new Set(all).size).toBe(all.length);
    for (const e of all) expect(e).toMatch(/^\.[a-z0-9+.]+$/);
  });

  it("the CLI infers, for every extension the runtime list shows, the language it lists it under (any case, any directory)", () => {
    for (const { language, extensions } of described) {
      for (const e of extensions) {
        expect(languageForPath(`prog${e}`), e).toBe(language);
        expect(languageForPath(`some/dir/PROG${e.toUpperCase()}`), e).toBe(language);
      }
    }
  });

  it("the CLI infers nothing from an ending no runtime lists, nor from a hidden file", () => {
    for (const name of ["prog.h", "prog.hpp", "prog.txt", "prog", "prog.pyc", "prog.tsx", ".py", "dir/.js", "prog.ts.bak"]) expect(languageForPath(name), name).toBeUndefined();
    expect(languageForPath("prog.as.ts")).toBe("assemblyscript");
    expect(languageForPath("prog.ts")).toBe("typescript");
  });

  it("the engine's runtimes() (what `wasmbox runtimes` and /v1/runtimes show) is the descriptors' list: versions, runtimes and extensions", async () => {
    await using engine = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0, clang: 0, asc: 0 } });
    expect(engine.runtimes()).toEqual(described);
    expect(described.find((r) => r.language === "python")!.version).toMatch(/^3\.\d+\.\d+$/);
  });

  it("sessions run the interpreted languages only", () => {
    expect(LANGUAGES.filter(supportsSessions)).toEqual(["python", "javascript", "typescript"]);
    expect(languageDescription("c").sessions).toBe(false);
  });

  it("`wasmbox run --help` lists every extension", async () => {
    const r = await wasmbox(["run", "--help"]);
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, " ");
    for (const e of described.flatMap((d) => d.extensions)) expect(help).toContain(e);
  });

  it("a .c++ file runs as C++ (as g++ builds it) and a .cts file as TypeScript", async () => {
    const cpp = join(dir, "version.c++");
    writeFileSync(cpp, '#include <cstdio>\nint main() { std::printf("%ld\\n", __cplusplus); }\n');
    execFileSync("g++", ["-std=c++17", "-x", "c++", cpp, "-o", join(dir, "native")]);
    const native = execFileSync(join(dir, "native"), { encoding: "utf8" });
    const r = await wasmbox(["run", cpp]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(native);
    const cts = join(dir, "typed.cts");
    writeFileSync(cts, "const n: number = 41;\nconsole.log(n + 1);\n");
    expect(await wasmbox(["run", cts])).toEqual({ code: 0, stdout: "42\n", stderr: "" });
  });
});
