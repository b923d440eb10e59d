/**
 * `wasmbox packages fetch|list` and `wasmbox run --package`, spawning the real binary against a
 * test distribution of real wheels (see test-support/wheels.ts).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultCacheDir } from "@wasmbox/node";
import { testPackages, writeDistribution } from "../../../test-support/wheels.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "wasmbox.js");
const root = mkdtempSync(join(tmpdir(), "wasmbox-cli-packages-"));
const cacheDir = join(root, "cache");
const distribution = join(root, "dist");

function wasmbox(args: string[], input = "") {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: root, input, env: { ...process.env, WASMBOX_CACHE_DIR: cacheDir, NO_COLOR: "1" }, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  writeDistribution(distribution, testPackages());
  // Reuse this machine's Python baseline snapshot, if it has one, instead of building it again.
  const home = defaultCacheDir();
  if (existsSync(home)) for (const f of readdirSync(home)) if (/^python-[0-9a-f]+\.snapshot(\.json)?$/.test(f)) copyFileSync(join(home, f), join(mkdir(cacheDir), f));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function mkdir(dir: string): string {
  spawnSync("mkdir", ["-p", dir]);
  return dir;
}

describe("wasmbox packages", () => {
  it("fetches with dependencies, lists, and runs with --package offline", () => {
    const fetched = wasmbox(["packages", "fetch", "wbx-report", "--from", distribution]);
    expect(fetched.stderr).toMatch(/fetched wbx-units 1\.2\.0 .*sha256 verified/);
    expect(fetched.stderr).toMatch(/3 fetched, 0 already present/);
    expect(fetched.code).toBe(0);
    const list = wasmbox(["packages", "list"]);
    expect(list.stdout.split("\n").filter(Boolean).map((l) => l.split(/\s+/).slice(0, 2).join(" "))).toEqual(["wbx-geo 0.3.1", "wbx-report 2.0.0", "wbx-units 1.2.0"]);
    const run = wasmbox(["run", "--package", "wbx-report", "--json", "-l", "python", "-"], "import wbx_report\nprint(wbx_report.line('Lyon', 391.5))\n");
    expect(run.stdout, run.stderr).not.toBe("");
    const result = JSON.parse(run.stdout) as { stdout: string; packages: { name: string; version: string }[] };
    expect(result.stdout).toBe("Lyon: 391.5 km\n");
    expect(result.packages.map((p) => `${p.name}==${p.version}`)).toEqual(["wbx-units==1.2.0", "wbx-geo==0.3.1", "wbx-report==2.0.0"]);
  });

  it("fails a run whose package is not fetched, naming the command", () => {
    const run = wasmbox(["run", "--package", "numpy", "-l", "python", "-"], "import numpy\n");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/numpy 2\.4\.6: not in the package store yet.*wasmbox packages fetch numpy/);
  });

  it("refuses a tampered distribution and a bad name with exit codes a script can branch on", () => {
    const bad = join(root, "bad-dist");
    writeDistribution(bad, testPackages(), { lockSha256: { "wbx-geo": "f".repeat(64) } });
    const refused = wasmbox(["packages", "fetch", "wbx-geo", "--from", bad, "--cache-dir", join(root, "other-cache")]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused wbx_geo-0\.3\.1-py3-none-any\.whl: its sha256 is [0-9a-f]{64}, the lock file pins f{64}/);
    const name = wasmbox(["packages", "fetch", "../etc"]);
    expect(name.code).toBe(2);
    expect(name.stderr).toMatch(/"\.\.\/etc": a package name is letters, digits/);
  });
});
