/**
 * Python packages over HTTP, with the real client: `/v1/runtimes` lists the store's packages,
 * a run names them, history records what it loaded (names, versions, sha256), and a missing
 * package is a run that failed with a message naming it and its command.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WasmboxClient } from "@wasmbox/client";
import { createEngine, openPackageStore, type Engine } from "@wasmbox/node";
import { testPackages, writeDistribution } from "../../../test-support/wheels.js";
import { removeDataDirs, startServer, type TestServer } from "./helpers.js";

const root = mkdtempSync(join(tmpdir(), "wasmbox-server-packages-"));
let engine: Engine;
let t: TestServer;
let client: WasmboxClient;

beforeAll(async () => {
  const cacheDir = join(root, "cache");
  writeDistribution(join(root, "dist"), testPackages());
  await openPackageStore(cacheDir).fetch(["wbx-geo"], { distribution: join(root, "dist") });
  engine = createEngine({ cacheDir, pool: { python: 1, quickjs: 0, wasm: 0 } });
  t = await startServer({ engine });
  client = new WasmboxClient({ baseUrl: t.url });
});

afterAll(async () => {
  await t?.stop();
  await engine?.dispose();
  removeDataDirs();
  rmSync(root, { recursive: true, force: true });
});

describe("packages over HTTP", () => {
  it("lists the store's packages in /v1/runtimes", async () => {
    const info = await client.runtimes();
    expect(info.packages).toEqual([
      { name: "wbx-geo", version: "0.3.1", source: "distribution" },
      { name: "wbx-units", version: "1.2.0", source: "distribution" },
    ]);
  });

  it("runs with packages and keeps what was loaded in the run's record", async () => {
    const result = await client.execute({ language: "python", packages: ["wbx-geo"], code: "import wbx_geo\nprint(wbx_geo.haversine_km((0, 0), (0, 1)) > 111)" });
    expect(result.stdout).toBe("True\n");
    const run = await client.runs.get(result.id);
    expect(run.request.packages).toEqual(["wbx-geo"]);
    expect(run.result?.packages?.map((p) => `${p.name}==${p.version}`)).toEqual(["wbx-units==1.2.0", "wbx-geo==0.3.1"]);
    expect(run.result?.packages?.[0]?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("fails a run whose package is missing, and refuses a malformed name with the field's message", async () => {
    const missing = await client.execute({ language: "python", packages: ["wbx-report"], code: "import wbx_report" });
    expect(missing.status).toBe("error");
    expect(missing.error?.name).toBe("PackageNotFound");
    expect(missing.stderr).toMatch(/wbx-report 2\.0\.0: not in the package store yet.*wasmbox packages fetch wbx-report/);
    const bad = await fetch(`${t.url}/v1/execute`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ language: "python", code: "", packages: ["numpy; rm -rf /"] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/packages\.0: a package name is letters, digits/);
  });
});
