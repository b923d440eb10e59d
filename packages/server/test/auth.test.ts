/**
 * API keys and isolation between them: with keys present every /v1 route needs one;
 * a key sees, streams, downloads, cancels and uses only its own runs and sessions (another
 * key's look like they do not exist); only /healthz stays open (metrics, readiness and docs
 * need a key unless WASMBOX_PUBLIC_METRICS=1). Authentication is decided per request: a
 * server that has had a key never falls back to keyless, and a revoked key (revoked by the
 * CLI, in another process) stops working at once. And the server refuses to listen on a
 * public address without keys.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, KeyStore, openDatabase } from "@wasmbox/server";
import {
  api,
  collectEvents,
  errorBody,
  listAllRuns,
  newDataDir,
  openDb,
  openEvents,
  removeDataDirs,
  show,
  startServer,
  TEST_DEFAULTS,
  waitForRun,
  type Api,
  type TestServer,
} from "./helpers.js";

const CLI = fileURLToPath(new URL("../../cli/bin/wasmbox.js", import.meta.url));

/** `wasmbox keys …` as an operator runs it: another process, its own database connection. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, "keys", ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let t: TestServer;
let keyA: { id: string; key: string };
let keyB: { id: string; key: string };
let a: Api;
let b: Api;

beforeAll(async () => {
  t = await startServer({ poolPython: 0, poolJs: 1 });
  keyA = t.server.keys.create("alice");
  keyB = t.server.keys.create("bob");
  a = api(t.url, keyA.key);
  b = api(t.url, keyB.key);
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

describe("authentication", () => {
  const anonymous = () => api(t.url);

  it("no Authorization header → 401 UNAUTHORIZED with www-authenticate", async () => {
    for (const [method, path] of [
      ["GET", "/v1/runs"],
      ["POST", "/v1/execute"],
      ["POST", "/v1/runs"],
      ["GET", "/v1/runtimes"],
      ["POST", "/v1/sessions"],
      ["GET", "/v1/runs/run_00000000000000000000000000000000/events"],
    ] as const) {
      const res = await anonymous().request(method, path, method === "POST" ? { body: { language: "javascript", code: "1" } } : {});
      expect(res.status, `${method} ${path}: ${show(res)}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      expect(errorBody(res).code).toBe("UNAUTHORIZED");
      expect(errorBody(res).message).toMatch(/Authorization: Bearer/);
    }
  });

  it("an invalid, malformed or revoked key → 401", async () => {
    for (const header of ["Bearer wbx_not-a-real-key", "Basic dXNlcjpwYXNz", `Bearer ${keyA.key}x`, "Bearer", keyA.key]) {
      const res = await anonymous().get("/v1/runs", { headers: { authorization: header } });
      expect(res.status, `${header}: ${show(res)}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      expect(errorBody(res).code).toBe("UNAUTHORIZED");
    }
    const temp = t.server.keys.create("temporary");
    expect((await api(t.url, temp.key).get("/v1/runs")).status).toBe(200);
    expect(t.server.keys.revoke(temp.id)).toBe(true);
    const revoked = await api(t.url, temp.key).get("/v1/runs");
    expect(revoked.status, show(revoked)).toBe(401);
    expect(errorBody(revoked).message).toMatch(/not valid/);

    // Revoked by another process (the CLI's own connection): refused on the very next request.
    const other = t.server.keys.create("other-process");
    expect((await api(t.url, other.key).get("/v1/runs")).status).toBe(200);
    const r = cli("revoke", other.id, "--data-dir", t.dataDir);
    expect(r.status, r.stderr).toBe(0);
    expect((await api(t.url, other.key).get("/v1/runs")).status).toBe(401);
  });

  it("the scheme is case-insensitive (bearer …)", async () => {
    const res = await anonymous().get("/v1/runs", { headers: { authorization: `bearer ${keyA.key}` } });
    expect(res.status, show(res)).toBe(200);
  });

  it("only the liveness probe needs no key: metrics, readiness and docs answer 401 without one, 200 with one", async () => {
    expect((await anonymous().get("/healthz")).body).toEqual({ status: "ok" });
    for (const path of ["/readyz", "/metrics", "/docs/json", "/docs"]) {
      const res = await anonymous().get(path);
      expect(res.status, `${path}: ${show(res)}`).toBe(401);
      expect(errorBody(res).code).toBe("UNAUTHORIZED");
      const keyed = await a.get(path);
      expect(keyed.status, `${path} with a key: ${show(keyed)}`).toBe(200);
    }
    expect((await a.get("/metrics")).text).toContain("wasmbox_runs_total");
  });
});

describe("WASMBOX_PUBLIC_METRICS=1", () => {
  it("opens /metrics, /readyz and /docs on a keyed server, and nothing else", async () => {
    const s = await startServer({ poolPython: 0, poolJs: 0, publicMetrics: true });
    try {
      s.server.keys.create("k");
      const anonymous = api(s.url);
      for (const path of ["/healthz", "/readyz", "/metrics", "/docs/json"]) expect((await anonymous.get(path)).status, path).toBe(200);
      for (const path of ["/v1/runs", "/v1/runtimes"]) expect((await anonymous.get(path)).status, path).toBe(401);
    } finally {
      await s.stop();
    }
  });

  it("is read from the environment as 1/0", async () => {
    const { loadConfig } = await import("@wasmbox/server");
    expect(loadConfig({}, { WASMBOX_PUBLIC_METRICS: "1" }).publicMetrics).toBe(true);
    expect(loadConfig({}, { WASMBOX_PUBLIC_METRICS: "0" }).publicMetrics).toBe(false);
    expect(loadConfig({}, {}).publicMetrics).toBe(false);
    expect(() => loadConfig({}, { WASMBOX_PUBLIC_METRICS: "maybe" })).toThrow(/WASMBOX_PUBLIC_METRICS/);
  });
});

describe("authentication is decided per request, not at start", () => {
  /** Every kind of request a client could make, each expected to be refused with 401. */
  async function expectAllRefused(url: string, token: string | undefined, runId: string) {
    const client = api(url, token);
    const requests: Array<[string, () => Promise<{ status: number; text: string; body: unknown; headers: Headers }>]> = [
      ["GET /v1/runs", () => client.get("/v1/runs")],
      ["GET /v1/runs/:id", () => client.get(`/v1/runs/${runId}`)],
      ["POST /v1/execute", () => client.post("/v1/execute", { language: "javascript", code: "console.log('must not run')" })],
      ["POST /v1/runs", () => client.post("/v1/runs", { language: "javascript", code: "1" })],
      ["POST /v1/sessions", () => client.post("/v1/sessions", { language: "javascript" })],
      ["GET /v1/runtimes", () => client.get("/v1/runtimes")],
      ["GET /metrics", () => client.get("/metrics")],
      ["GET /readyz", () => client.get("/readyz")],
      ["GET /docs/json", () => client.get("/docs/json")],
    ];
    for (const [name, send] of requests) {
      const res = await send();
      expect(res.status, `${name} (${token ? "with the revoked key" : "without a key"}): ${res.status} ${res.text.slice(0, 300)}`).toBe(401);
      expect(errorBody(res as never).code).toBe("UNAUTHORIZED");
    }
    expect((await client.get("/healthz")).status).toBe(200);
  }

  it("on loopback: keyless until a key exists; revoking the last key (with the CLI) refuses everything, until a new key", async () => {
    const s = await startServer({ poolPython: 0, poolJs: 1 });
    try {
      const anonymous = api(s.url);
      // Keyless mode (chosen at start: loopback, no keys).
      const before = await anonymous.post("/v1/execute", { language: "javascript", code: "'keyless'" });
      expect(before.status, show(before)).toBe(200);

      // An operator creates a key with the CLI while the server runs: keys are required from the next request on.
      const created = cli("create", "--name", "ops", "--data-dir", s.dataDir);
      expect(created.status, created.stderr).toBe(0);
      const key = created.stdout.trim();
      const id = /created (key_\w+)/.exec(created.stderr)?.[1];
      expect(id, created.stderr).toBeDefined();
      expect((await anonymous.get("/v1/runs")).status).toBe(401);
      const mine = await api(s.url, key).post("/v1/execute", { language: "javascript", code: "'keyed'" });
      expect(mine.status, show(mine)).toBe(200);

      // The last key is revoked: nothing works, with or without it — the server does not go back to keyless.
      const revoked = cli("revoke", id!, "--data-dir", s.dataDir);
      expect(revoked.status, revoked.stderr).toBe(0);
      await expectAllRefused(s.url, undefined, before.body.id);
      await expectAllRefused(s.url, key, mine.body.id);
      const message = errorBody(await anonymous.get("/v1/runs")).message;
      expect(message).toMatch(/no active/);
      expect(message).toMatch(/wasmbox keys create/);

      // Nothing ran while refused.
      const db = openDb(s.dataDir, true);
      try {
        expect((db.prepare("SELECT COUNT(*) AS n FROM runs").get() as { n: number }).n).toBe(2);
      } finally {
        db.close();
      }

      // A new key works again (and only it).
      const fresh = s.server.keys.create("again");
      expect((await api(s.url, fresh.key).get("/v1/runs")).status).toBe(200);
      expect((await api(s.url, key).get("/v1/runs")).status).toBe(401);
      expect((await anonymous.get("/v1/runs")).status).toBe(401);
    } finally {
      await s.stop();
    }
  });

  it("on a non-loopback address: revoking the last key refuses everything at once", async () => {
    const dataDir = newDataDir();
    const db = openDatabase(dataDir);
    const { id, key } = new KeyStore(db).create("only");
    db.close();
    // Listens on every interface (a key is required); the test talks to it on 127.0.0.1 only.
    const server = await buildServer({ ...TEST_DEFAULTS, host: "0.0.0.0", dataDir, poolPython: 0, poolJs: 1 });
    try {
      const port = new URL(await server.listen()).port;
      const url = `http://127.0.0.1:${port}`;
      const ok = await api(url, key).post("/v1/execute", { language: "javascript", code: "1 + 1" });
      expect(ok.status, show(ok)).toBe(200);
      expect((await api(url).get("/v1/runs")).status).toBe(401);

      // Revoked through another connection to the database, as the CLI does from its own process.
      const other = openDatabase(dataDir);
      expect(new KeyStore(other).revoke(id)).toBe(true);
      other.close();
      await expectAllRefused(url, key, ok.body.id);
      await expectAllRefused(url, undefined, ok.body.id);
    } finally {
      await server.close();
    }
  });
});

describe("isolation between keys", () => {
  let runA: string;
  let syncRunA: string;

  beforeAll(async () => {
    const res = await a.post("/v1/runs", {
      language: "javascript",
      code: "require('fs').writeFileSync('secret.txt', 'alice only'); console.log('alice')",
    });
    expect(res.status, show(res)).toBe(202);
    runA = res.body.id;
    await waitForRun(a, runA, ["ok"]);
    const sync = await a.post("/v1/execute", { language: "javascript", code: "console.log('alice sync')" });
    syncRunA = sync.body.id;
    const resB = await b.post("/v1/execute", { language: "javascript", code: "console.log('bob')" });
    expect(resB.status).toBe(200);
  });

  it("the owner can read, stream and download its run", async () => {
    expect((await a.get(`/v1/runs/${runA}`)).body.status).toBe("ok");
    const file = await a.get(`/v1/runs/${runA}/files/secret.txt`);
    expect(file.status).toBe(200);
    expect(file.text).toBe("alice only");
    const stream = await openEvents(t.url, runA, { token: keyA.key });
    expect(stream.status).toBe(200);
    expect((await collectEvents(stream)).map((e) => e.event)).toEqual(["status", "status", "stdout", "result"]);
  });

  it("key B cannot GET, stream, download or DELETE key A's runs: 404 as if they did not exist", async () => {
    for (const id of [runA, syncRunA]) {
      const get = await b.get(`/v1/runs/${id}`);
      expect(get.status, show(get)).toBe(404);
      expect(errorBody(get).code).toBe("NOT_FOUND");
      expect(get.text).not.toContain("alice");

      const del = await b.del(`/v1/runs/${id}`);
      expect(del.status, show(del)).toBe(404);
      expect(errorBody(del).code).toBe("NOT_FOUND");

      const stream = await openEvents(t.url, id, { token: keyB.key });
      expect(stream.status).toBe(404);
      expect(errorBody(stream.error!).code).toBe("NOT_FOUND");
    }
    const file = await b.get(`/v1/runs/${runA}/files/secret.txt`);
    expect(file.status, show(file)).toBe(404);
    expect(file.text).not.toContain("alice only");
  });

  it("key B cannot cancel key A's running run", async () => {
    const res = await a.post("/v1/runs", { language: "javascript", code: "for (;;) {}", limits: { timeoutMs: 60_000 } });
    const id = res.body.id;
    await waitForRun(a, id, ["running"]);
    const del = await b.del(`/v1/runs/${id}`);
    expect(del.status, show(del)).toBe(404);
    expect((await a.get(`/v1/runs/${id}`)).body.status).toBe("running");
    expect((await a.del(`/v1/runs/${id}`)).status).toBe(202);
    expect((await waitForRun(a, id, ["killed", "ok", "error", "timeout"])).status).toBe("killed");
  });

  it("each key lists only its own runs", async () => {
    const listA = await listAllRuns(a);
    const listB = await listAllRuns(b);
    expect(listA.map((r) => r.id)).toEqual(expect.arrayContaining([runA, syncRunA]));
    expect(listB).toHaveLength(1);
    const idsA = new Set(listA.map((r) => r.id));
    for (const r of listB) expect(idsA.has(r.id)).toBe(false);
    const c = api(t.url, t.server.keys.create("carol").key);
    expect((await c.get("/v1/runs")).body).toEqual({ runs: [], nextCursor: null });
  });

  it("key A cannot see or use key B's session", async () => {
    const opened = await b.post("/v1/sessions", { language: "javascript" });
    expect(opened.status, show(opened)).toBe(201);
    const sid = opened.body.id;
    expect((await b.post(`/v1/sessions/${sid}/execute`, { code: "var mine = 'bob'" })).status).toBe(200);

    const exec = await a.post(`/v1/sessions/${sid}/execute`, { code: "mine" });
    expect(exec.status, show(exec)).toBe(404);
    expect(errorBody(exec).code).toBe("NOT_FOUND");
    expect((await a.get(`/v1/sessions/${sid}`)).status).toBe(404);
    expect((await a.del(`/v1/sessions/${sid}`)).status).toBe(404);

    // Still B's, untouched.
    const still = await b.post(`/v1/sessions/${sid}/execute`, { code: "mine" });
    expect(still.body).toMatchObject({ status: "ok", value: "bob" });
    expect((await b.del(`/v1/sessions/${sid}`)).status).toBe(204);
  });
});

describe("listening on a public address", () => {
  it("refuses 0.0.0.0 without API keys, with a message about API keys (and never binds)", async () => {
    const server = await buildServer({ ...TEST_DEFAULTS, host: "0.0.0.0", dataDir: newDataDir(), poolPython: 0, poolJs: 0 });
    try {
      await expect(server.listen()).rejects.toThrow(/API key/);
      expect(server.app.server.listening).toBe(false);
    } finally {
      await server.close();
    }
  });
});
