/**
 * The Python package store, end to end with real wheels the tests build (Pyodide's own
 * wheels need its full distribution, which these machines cannot download): fetch from a
 * folder, from a mirror over HTTP and from a simple index; sha256 verification (a tampered
 * wheel is refused, at fetch and at rest); dependency resolution; runs that load packages
 * offline, by name or by import; the error that names a missing package and its command;
 * and a package set's pool, booted from a snapshot with the set already imported.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, openPackageStore, type Engine } from "@wasmbox/node";
import { buildWheel, testPackages, wheelFromDebian, writeDistribution, type BuiltWheel } from "../../../test-support/wheels.js";

const root = mkdtempSync(join(tmpdir(), "wasmbox-packages-"));
const distribution = join(root, "dist");
const wheels = testPackages();
let http: Server;
let baseUrl = "";

beforeAll(async () => {
  writeDistribution(distribution, wheels);
  // A mirror of the same distribution, and a PEP 503 simple index with one package outside it.
  const outside = buildWheel({ name: "wbx-fmt", version: "0.9.0", requires: ["wbx-units", "wbx-colors ; extra == 'color'"], files: { "wbx_fmt.py": "from wbx_units import km\ndef fmt(m):\n    return f'{km(m):.2f} km'\n" } });
  const files = new Map<string, Uint8Array>(wheels.map((w) => [`/dist/${w.fileName}`, w.bytes]));
  files.set("/dist/pyodide-lock.json", readFileSync(join(distribution, "pyodide-lock.json")));
  files.set(`/files/${outside.fileName}`, outside.bytes);
  const index = (w: BuiltWheel) => `<html><body><a href="../../files/${w.fileName}#sha256=${w.sha256}">${w.fileName}</a></body></html>`;
  http = createServer((req, res) => {
    const path = req.url ?? "/";
    if (path === "/simple/wbx-fmt/") return void res.writeHead(200, { "content-type": "text/html" }).end(index(outside));
    // A hostile index: a file name that climbs out of the store, a file:// link, a wheel with no hash.
    if (path === "/simple/wbx-evil/") {
      return void res.writeHead(200, { "content-type": "text/html" }).end(
        `<a href="../../files/x.whl#sha256=${"a".repeat(64)}">wbx_evil-1.0-py3/../../../../tmp/evil-none-any.whl</a><a href="file:///etc/passwd#sha256=${"b".repeat(64)}">wbx_evil-1.1-py3-none-any.whl</a>`,
      );
    }
    if (path === "/simple/wbx-nohash/") return void res.writeHead(200, { "content-type": "text/html" }).end(`<a href="../../files/${outside.fileName}">wbx_nohash-1.0-py3-none-any.whl</a>`);
    const body = files.get(path);
    if (!body) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const address = http.address();
  baseUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((r) => http.close(() => r()));
  rmSync(root, { recursive: true, force: true });
});

describe("wasmbox packages fetch", () => {
  it("fetches a package and its dependencies from a folder, verified, and lists them", async () => {
    const store = openPackageStore(join(root, "cache-folder"));
    const report = await store.fetch(["WBX_Report"], { distribution });
    expect(report.fetched.map((p) => `${p.name} ${p.version}`).sort()).toEqual(["wbx-geo 0.3.1", "wbx-report 2.0.0", "wbx-units 1.2.0"]);
    expect(store.list().map((p) => [p.name, p.version, p.sha256])).toEqual(
      [...wheels].sort((a, b) => a.name.localeCompare(b.name)).map((w) => [w.name, w.version, w.sha256]),
    );
    const again = await store.fetch(["wbx-report"], { distribution });
    expect(again.fetched).toEqual([]);
    expect(again.alreadyPresent).toHaveLength(3);
  });

  it("fetches from a mirror over HTTP", async () => {
    const store = openPackageStore(join(root, "cache-http"));
    const report = await store.fetch(["wbx-geo"], { distribution: `${baseUrl}/dist/` });
    expect(report.fetched.map((p) => p.name).sort()).toEqual(["wbx-geo", "wbx-units"]);
  });

  it("refuses a wheel whose sha256 is not the lock file's, and stores nothing of it", async () => {
    const bad = join(root, "dist-tampered");
    writeDistribution(bad, wheels, { lockSha256: { "wbx-units": "0".repeat(64) } });
    const cache = join(root, "cache-tampered");
    const store = openPackageStore(cache);
    await expect(store.fetch(["wbx-geo"], { distribution: bad })).rejects.toThrow(/refused wbx_units-1\.2\.0-py3-none-any\.whl \(needed by wbx-geo\): its sha256 is [0-9a-f]{64}, the lock file pins 0{64}/);
    expect(existsSync(join(cache, "packages", "wheels", "wbx_units-1.2.0-py3-none-any.whl"))).toBe(false);
  });

  it("fetches a pure-Python package outside the distribution from a simple index, with its dependency from the distribution", async () => {
    const store = openPackageStore(join(root, "cache-index"));
    const report = await store.fetch(["wbx-fmt"], { distribution, indexUrl: `${baseUrl}/simple/` });
    expect(report.fetched.map((p) => `${p.name}:${p.source}`).sort()).toEqual(["wbx-fmt:index", "wbx-units:distribution"]);
  });

  it("takes nothing from a hostile index: no path out of the store, no file:// link, no wheel without a hash", async () => {
    const cache = join(root, "cache-hostile");
    const store = openPackageStore(cache);
    await expect(store.fetch(["wbx-evil"], { indexUrl: `${baseUrl}/simple/` })).rejects.toThrow(/no pure-Python wheel of wbx-evil in the index/);
    await expect(store.fetch(["wbx-nohash"], { indexUrl: `${baseUrl}/simple/` })).rejects.toThrow(/refused wbx_nohash-1\.0-py3-none-any\.whl: the index states no sha256/);
    expect(existsSync(join(root, "tmp"))).toBe(false);
    expect(store.list()).toEqual([]);
  });

  it("says what it cannot find, and where it looked", async () => {
    const store = openPackageStore(join(root, "cache-unknown"));
    await expect(store.fetch(["no-such-pkg"], { distribution })).rejects.toThrow(/no pure-Python wheel of no-such-pkg in the distribution's lock file/);
    await expect(store.fetch(["numpy"], {})).rejects.toThrow(/numpy 2\.4\.6 is in Pyodide's lock file but not in the store: name the distribution to fetch it from/);
  });
});

describe("runs with packages", () => {
  const cacheDir = join(root, "cache-runs");
  let engine: Engine;

  beforeAll(async () => {
    await openPackageStore(cacheDir).fetch(["wbx-report", "wbx-fmt"], { distribution, indexUrl: `${baseUrl}/simple/` });
    // The distribution and the index go away: runs read the store alone.
    engine = createEngine({ cacheDir, pool: { python: 1, quickjs: 0, wasm: 0 }, packages: { preload: [["wbx-report"]] } });
  });
  afterAll(() => engine?.dispose());

  it("loads a requested package and its dependencies, and records their versions", async () => {
    const result = await engine.execute({ language: "python", packages: ["wbx-geo"], code: "import wbx_geo\nprint(round(wbx_geo.haversine_km((52.52, 13.405), (48.8566, 2.3522))))" });
    expect(result.error).toBeNull();
    expect(result.stdout).toBe("877\n");
    expect(result.packages).toEqual([
      { name: "wbx-units", version: "1.2.0", sha256: wheels[0]!.sha256 },
      { name: "wbx-geo", version: "0.3.1", sha256: wheels[1]!.sha256 },
    ]);
  });

  it("loads what the code imports when the request names no packages", async () => {
    const result = await engine.execute({ language: "python", code: "from wbx_fmt import fmt\nimport json, wbx_units as u\nprint(fmt(10), u.KM_PER_MILE)" });
    expect(result.stdout).toBe("16.09 km 1.609344\n");
    expect(result.packages?.map((p) => p.name).sort()).toEqual(["wbx-fmt", "wbx-units"]);
  });

  it("fails a run that names a package the store lacks, naming it and the command that fetches it", async () => {
    const result = await engine.execute({ language: "python", packages: ["numpy"], code: "import numpy" });
    expect(result.status).toBe("error");
    expect(result.error?.name).toBe("PackageNotFound");
    expect(result.error?.message).toMatch(/numpy 2\.4\.6: not in the package store yet.*`wasmbox packages fetch numpy`/);
    const unknown = await engine.execute({ language: "python", packages: ["wbx-nope"], code: "pass" });
    expect(unknown.error?.message).toMatch(/wbx-nope: no such package/);
  });

  it("says which package provides a module the program could not import, and how to get it", async () => {
    const result = await engine.execute({ language: "python", code: "import sys\nimport numpy as np" });
    expect(result.error?.name).toBe("ModuleNotFoundError");
    expect(result.error?.line).toBe(2);
    expect(result.error?.message).toBe("No module named 'numpy' (numpy is in package numpy 2.4.6, which is not in the package store yet: an operator fetches it with `wasmbox packages fetch numpy`)");
  });

  it("refuses a stored wheel changed on disk", async () => {
    const file = join(cacheDir, "packages", "wheels", "wbx_fmt-0.9.0-py3-none-any.whl");
    const original = readFileSync(file);
    writeFileSync(file, Buffer.concat([original, Buffer.from("tampered")]));
    try {
      const result = await engine.execute({ language: "python", packages: ["wbx-fmt"], code: "import wbx_fmt" });
      expect(result.error?.name).toBe("PackageNotFound");
      expect(result.error?.message).toMatch(/wbx-fmt 0\.9\.0: its wheel in the package store does not match the sha256/);
    } finally {
      writeFileSync(file, original);
    }
  });

  it("serves a preloaded set from its own pool, booted from a snapshot with the set imported", async () => {
    const code = "import sys\nalready = 'wbx_report' in sys.modules\nimport wbx_report, wbx_geo.extra\nprint(already, wbx_report.line('Berlin', wbx_geo.extra.twice(439.2)))";
    const result = await engine.execute({ language: "python", packages: ["wbx-report"], code });
    expect(result.error).toBeNull();
    expect(result.stdout).toBe("True Berlin: 878.4 km\n");
    expect(result.packages?.map((p) => p.name)).toEqual(["wbx-units", "wbx-geo", "wbx-report"]);
    const snapshots = readdirSync(cacheDir).filter((f) => f.endsWith(".snapshot"));
    expect(snapshots).toHaveLength(2);
    // A plain run is not served by the set's pool: nothing is imported ahead.
    const plain = await engine.execute({ language: "python", code: "import sys\nprint('wbx_report' in sys.modules)" });
    expect(plain.stdout).toBe("False\n");
  });

  it("keeps packages loaded in a session", async () => {
    await using session = await engine.openSession({ language: "python" });
    await session.execute({ code: "import wbx_units" , packages: ["wbx-units"] });
    const second = await session.execute({ code: "print(wbx_units.km(1))" });
    expect(second.stdout).toBe("1.609344\n");
  });

  it("runs a real third-party package (Debian's pure-Python pyparsing) as native Python does", async () => {
    const wheelsDir = join(root, "debian-wheels");
    const wheel = wheelFromDebian("pyparsing", "3.0.9", ["pyparsing"]);
    mkdirSync(wheelsDir, { recursive: true });
    writeFileSync(join(wheelsDir, wheel.fileName), wheel.bytes);
    await openPackageStore(cacheDir).fetch(["pyparsing"], { wheelsDir });
    const code = [
      "import pyparsing as pp",
      "integer = pp.Word(pp.nums).set_parse_action(lambda t: int(t[0]))",
      "expr = pp.infix_notation(integer, [(pp.one_of('* /'), 2, pp.OpAssoc.LEFT), (pp.one_of('+ -'), 2, pp.OpAssoc.LEFT)])",
      "for text in ['1 + 2 * 3', '(1 + 2) * 3 - 4 / 2', '7 * (8 + 9 * (10 - 1))']:",
      "    print(expr.parse_string(text, parse_all=True).as_list())",
      "print(pp.__version__)",
    ].join("\n");
    const result = await engine.execute({ language: "python", code });
    // The same pyparsing natively: Debian's copy first on the path.
    const native = spawnSync("python3", ["-c", code], { encoding: "utf8", env: { ...process.env, PYTHONPATH: "/usr/lib/python3/dist-packages" } });
    expect(native.status).toBe(0);
    expect(result.error).toBeNull();
    expect(result.stdout).toBe(native.stdout);
    expect(result.packages?.map((p) => p.name)).toEqual(["pyparsing"]);
  });

  it("refuses packages for other languages", async () => {
    await expect(engine.execute({ language: "javascript", packages: ["wbx-units"], code: "1" })).rejects.toThrow(/packages apply to python, not javascript/);
  });
});
