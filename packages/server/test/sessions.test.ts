/**
 * Sessions over HTTP: state that persists between calls (Python and JavaScript), closing,
 * idle expiry, a session ended by a hard kill, one run at a time, and the per-key limit.
 * Each test uses its own API key, so per-key counts never mix.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, errorBody, lines, listAllRuns, removeDataDirs, show, sleep, startServer, type Api, type TestServer } from "./helpers.js";

const SESSION_TTL_MS = 1500;
const MAX_SESSIONS_PER_KEY = 2;

/** Short idle expiry, for the expiry tests. */
let t: TestServer;
/** Default idle expiry (minutes), for tests whose sessions must not expire on a slow machine. */
let longLived: TestServer;

beforeAll(async () => {
  t = await startServer({ sessionTtlMs: SESSION_TTL_MS, maxSessionsPerKey: MAX_SESSIONS_PER_KEY });
  longLived = await startServer({ poolPython: 0, maxSessionsPerKey: MAX_SESSIONS_PER_KEY });
});

afterAll(async () => {
  await Promise.all([t?.stop(), longLived?.stop()]);
  removeDataDirs();
});

/** A client with a brand-new API key. */
const freshClient = (name: string, on: TestServer = t): Api => api(on.url, on.server.keys.create(name).key);

async function open(client: Api, body: Record<string, unknown>): Promise<string> {
  const res = await client.post("/v1/sessions", body);
  expect(res.status, show(res)).toBe(201);
  return res.body.id;
}

async function exec(client: Api, sessionId: string, body: Record<string, unknown>) {
  const res = await client.post(`/v1/sessions/${sessionId}/execute`, body);
  expect(res.status, show(res)).toBe(200);
  return res.body;
}

describe("state persists between calls", () => {
  it("JavaScript: variables, required modules, globals and files", async () => {
    const client = freshClient("js-state");
    const res = await client.post("/v1/sessions", { language: "javascript", limits: { timeoutMs: 5000 } });
    expect(res.status, show(res)).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^ses_[0-9a-f]{32}$/),
      language: "javascript",
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      alive: true,
    });
    const id = res.body.id;
    expect(new Date(res.body.expiresAt).getTime() - new Date(res.body.createdAt).getTime()).toBeGreaterThanOrEqual(SESSION_TTL_MS - 50);

    const info = await client.get(`/v1/sessions/${id}`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ id, language: "javascript", alive: true });

    const first = await exec(client, id, {
      code: lines("const path = require('path');", "const fs = require('fs');", "var counter = 41;", "globalThis.greeting = 'hi';", "fs.writeFileSync('notes.txt', 'kept');", "'first'"),
    });
    expect(first).toMatchObject({ status: "ok", value: "first" });
    expect(first.id).toMatch(/^run_/);

    const second = await exec(client, id, { code: "[counter + 1, greeting, path.join('a', 'b'), fs.readFileSync('notes.txt', 'utf8')]" });
    expect(second).toMatchObject({ status: "ok", value: [42, "hi", "a/b", "kept"] });

    // Session runs are in history, tied to the session.
    const runs = await listAllRuns(client);
    expect(runs.map((r) => r.id)).toEqual([second.id, first.id]);
    for (const r of runs) expect(r).toMatchObject({ mode: "session", sessionId: id, language: "javascript", status: "ok" });
  });

  it("Python: variables, imports and files", async () => {
    const client = freshClient("py-state");
    const id = await open(client, { language: "python" });
    const first = await exec(client, id, { code: lines("import json", "x = 41", "with open('data.txt', 'w') as f:", "    f.write('from call 1')") });
    expect(first.status, JSON.stringify(first.error)).toBe("ok");
    const second = await exec(client, id, { code: lines("print(json.dumps({'x': x + 1}))", "open('data.txt').read()") });
    expect(second).toMatchObject({ status: "ok", stdout: '{"x": 42}\n', value: "from call 1" });
    // A guest error does not end the session.
    const failed = await exec(client, id, { code: "1 / 0" });
    expect(failed.status).toBe("error");
    expect(failed.error.name).toBe("ZeroDivisionError");
    expect((await exec(client, id, { code: "x" })).value).toBe(41);
    expect((await client.del(`/v1/sessions/${id}`)).status).toBe(204);
  });
});

describe("closing and ending", () => {
  it("DELETE answers 204; afterwards the session is 404 for execute, GET and DELETE", async () => {
    const client = freshClient("delete");
    const id = await open(client, { language: "javascript" });
    await exec(client, id, { code: "1" });
    const del = await client.del(`/v1/sessions/${id}`);
    expect(del.status, show(del)).toBe(204);
    expect(del.text).toBe("");

    const after = await client.post(`/v1/sessions/${id}/execute`, { code: "1" });
    expect(after.status, show(after)).toBe(404);
    expect(errorBody(after).code).toBe("NOT_FOUND");
    expect((await client.get(`/v1/sessions/${id}`)).status).toBe(404);
    expect((await client.del(`/v1/sessions/${id}`)).status).toBe(404);
  });

  it("an idle session expires after sessionTtlMs: execute then answers 410 SESSION_CLOSED", async () => {
    const client = freshClient("idle");
    const id = await open(client, { language: "javascript" });
    await exec(client, id, { code: "var kept = 1" });
    await sleep(SESSION_TTL_MS + 1000);
    const res = await client.post(`/v1/sessions/${id}/execute`, { code: "kept" });
    expect([404, 410], show(res)).toContain(res.status);
    expect(res.status, show(res)).toBe(410);
    expect(errorBody(res).code).toBe("SESSION_CLOSED");
    expect(errorBody(res).message).toMatch(/idle/);
    expect((await client.get(`/v1/sessions/${id}`)).status).toBe(410);
  });

  it("a run longer than sessionTtlMs does not expire its own session", async () => {
    const client = freshClient("long-run");
    const id = await open(client, { language: "javascript" });
    const long = await exec(client, id, { code: `globalThis.before = 'set'; await new Promise((r) => setTimeout(r, ${SESSION_TTL_MS + 1000})); console.log('woke')` });
    expect(long.status, JSON.stringify(long.error)).toBe("ok");
    expect(long.stdout).toBe("woke\n");
    const after = await exec(client, id, { code: "before" });
    expect(after).toMatchObject({ status: "ok", value: "set" });
  });

  it("a session whose sandbox was hard-killed (Python time.sleep past timeoutMs) answers 410 SESSION_CLOSED afterwards", async () => {
    const client = freshClient("hard-kill");
    const id = await open(client, { language: "python", limits: { timeoutMs: 1000 } });
    const slept = await exec(client, id, { code: lines("import time", "time.sleep(60)") });
    expect(slept.status).toBe("timeout");
    expect(slept.error.message).toContain("timeoutMs");

    const res = await client.post(`/v1/sessions/${id}/execute`, { code: "1" });
    expect(res.status, show(res)).toBe(410);
    expect(errorBody(res).code).toBe("SESSION_CLOSED");
    // Still 410 later (after the idle sweeper has run), not a confusing 404.
    await sleep(800);
    const later = await client.post(`/v1/sessions/${id}/execute`, { code: "1" });
    expect(later.status, show(later)).toBe(410);
    expect(errorBody(later).code).toBe("SESSION_CLOSED");
  });
});

describe("one run at a time, and per-key limits", () => {
  it("a second execute while one is running answers 409 SESSION_BUSY and stores nothing", async () => {
    const client = freshClient("busy", longLived);
    const id = await open(client, { language: "javascript" });
    const slow = client.post(`/v1/sessions/${id}/execute`, { code: "await new Promise((r) => setTimeout(r, 1000)); 'slow'" });
    await sleep(300);
    const busy = await client.post(`/v1/sessions/${id}/execute`, { code: "'fast'" });
    expect(busy.status, show(busy)).toBe(409);
    expect(errorBody(busy).code).toBe("SESSION_BUSY");
    expect(busy.headers.get("retry-after")).toBe("1");
    const done = await slow;
    expect(done.status, show(done)).toBe(200);
    expect(done.body.status).toBe("ok");
    expect((await listAllRuns(client)).map((r) => r.id)).toEqual([done.body.id]);
    // Free again.
    expect((await exec(client, id, { code: "'fast'" })).value).toBe("fast");
  });

  it("maxSessionsPerKey: one more answers 429 TOO_MANY_SESSIONS; closing one frees a place", async () => {
    const client = freshClient("limit", longLived);
    const ids: string[] = [];
    for (let i = 0; i < MAX_SESSIONS_PER_KEY; i++) ids.push(await open(client, { language: "javascript" }));
    const over = await client.post("/v1/sessions", { language: "javascript" });
    expect(over.status, show(over)).toBe(429);
    expect(errorBody(over).code).toBe("TOO_MANY_SESSIONS");

    // Another key is not affected.
    const other = freshClient("limit-other", longLived);
    const otherId = await open(other, { language: "javascript" });
    expect((await other.del(`/v1/sessions/${otherId}`)).status).toBe(204);

    expect((await client.del(`/v1/sessions/${ids[0]}`)).status).toBe(204);
    ids[0] = await open(client, { language: "javascript" });
    for (const id of ids) expect((await client.del(`/v1/sessions/${id}`)).status).toBe(204);
  });

  it("concurrent opens cannot exceed maxSessionsPerKey", async () => {
    const client = freshClient("limit-race", longLived);
    const answers = await Promise.all([0, 1, 2, 3].map(() => client.post("/v1/sessions", { language: "javascript" })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses, answers.map(show).join("\n")).toEqual([201, 201, 429, 429]);
    for (const a of answers.filter((x) => x.status === 201)) expect((await client.del(`/v1/sessions/${a.body.id}`)).status).toBe(204);
  });
});
