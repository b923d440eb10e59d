/**
 * API keys and isolation between them: with keys present every /v1 route needs one;
 * a key sees, streams, downloads, cancels and uses only its own runs and sessions (another
 * key's look like they do not exist); probes, metrics and docs stay public. And the server
 * refuses to listen on a public address without keys.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "@wasmbox/server";
import { api, collectEvents, errorBody, listAllRuns, newDataDir, openEvents, removeDataDirs, show, startServer, TEST_DEFAULTS, waitForRun, type Api, type TestServer } from "./helpers.js";

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
  });

  it("the scheme is case-insensitive (bearer …)", async () => {
    const res = await anonymous().get("/v1/runs", { headers: { authorization: `bearer ${keyA.key}` } });
    expect(res.status, show(res)).toBe(200);
  });

  it("probes, metrics and docs need no key", async () => {
    for (const path of ["/healthz", "/readyz", "/metrics", "/docs/json"]) {
      const res = await anonymous().get(path);
      expect(res.status, path).toBe(200);
    }
    expect((await fetch(`${t.url}/docs`)).status).toBe(200);
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
