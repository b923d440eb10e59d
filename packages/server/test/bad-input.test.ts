/**
 * Bad input, each answered with a 4xx and the JSON error body `{ error: { code, message } }`
 * — never a 500 and never a stack trace — storing nothing; and afterwards the server still
 * serves a normal run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, errorBody, listAllRuns, openEvents, removeDataDirs, show, startServer, type Api, type ApiResponse, type TestServer } from "./helpers.js";

const BODY_LIMIT_BYTES = 2048;
const NO_RUN = "run_00000000000000000000000000000000";

let t: TestServer;
let client: Api;
let sessionId: string;

beforeAll(async () => {
  t = await startServer({ poolPython: 0, poolJs: 1, bodyLimitBytes: BODY_LIMIT_BYTES });
  client = api(t.url);
  const res = await client.post("/v1/sessions", { language: "javascript" });
  expect(res.status, show(res)).toBe(201);
  sessionId = res.body.id;
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

/** A 4xx with the standard error body, no stack trace; returns the error. */
function expectClientError(res: ApiResponse, status: number, code: string, message?: RegExp): void {
  expect(res.status, show(res)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const err = errorBody(res);
  expect(err.code, show(res)).toBe(code);
  expect(err.message.length).toBeGreaterThan(0);
  if (message) expect(err.message, show(res)).toMatch(message);
  expect(Object.keys(res.body)).toEqual(["error"]);
  expect(res.text).not.toMatch(/\n\s+at |node_modules|\.[jt]s:\d+/); // no stack trace
}

type Case = [name: string, send: () => Promise<ApiResponse>, status: number, code: string, message?: RegExp];

const js = { language: "javascript", code: "1" };
const raw = (path: string, body: string, contentType?: string) => () =>
  client.request("POST", path, { headers: contentType ? { "content-type": contentType } : {}, ...(body === "" && !contentType ? {} : { body }) });

const bodyCases = (path: string): Case[] => [
  ["malformed JSON", raw(path, '{"language": "javascript", "code": '), 400, "INVALID_JSON", /not valid JSON/],
  ["an empty body with content-type JSON", () => client.request("POST", path, { headers: { "content-type": "application/json" }, body: "" }), 400, "INVALID_JSON"],
  ["no body at all", () => client.request("POST", path), 400, "INVALID_REQUEST"],
  ["a text/plain body (even if it is JSON)", raw(path, JSON.stringify(js), "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE", /application\/json/],
  ["a form body", raw(path, "language=javascript&code=1", "application/x-www-form-urlencoded"), 415, "UNSUPPORTED_MEDIA_TYPE"],
  ["a JSON array", () => client.post(path, [js]), 400, "INVALID_REQUEST"],
  ["JSON null", () => client.post(path, "null"), 400, "INVALID_REQUEST"],
  ["an unknown language", () => client.post(path, { language: "cobol", code: "1" }), 400, "INVALID_REQUEST", /language/],
  ["a missing language", () => client.post(path, { code: "1" }), 400, "INVALID_REQUEST", /language/],
  ["a missing code", () => client.post(path, { language: "javascript" }), 400, "INVALID_REQUEST", /code/],
  ["code of the wrong type", () => client.post(path, { language: "javascript", code: 42 }), 400, "INVALID_REQUEST", /code/],
  ["args of the wrong type", () => client.post(path, { ...js, args: "x" }), 400, "INVALID_REQUEST", /args/],
  ["limits of the wrong type", () => client.post(path, { ...js, limits: "fast" }), 400, "INVALID_REQUEST", /limits/],
  ["a string timeoutMs", () => client.post(path, { ...js, limits: { timeoutMs: "1000" } }), 400, "INVALID_REQUEST", /timeoutMs/],
  ["timeoutMs 0", () => client.post(path, { ...js, limits: { timeoutMs: 0 } }), 400, "INVALID_REQUEST", /timeoutMs/],
  ["timeoutMs too large", () => client.post(path, { ...js, limits: { timeoutMs: 10 ** 9 } }), 400, "INVALID_REQUEST", /timeoutMs/],
  ["memoryLimitBytes too small", () => client.post(path, { ...js, limits: { memoryLimitBytes: 1 } }), 400, "INVALID_REQUEST", /memoryLimitBytes/],
  ["a negative maxOutputBytes", () => client.post(path, { ...js, limits: { maxOutputBytes: -1 } }), 400, "INVALID_REQUEST", /maxOutputBytes/],
  ["an unknown limit", () => client.post(path, { ...js, limits: { cpuShares: 2 } }), 400, "INVALID_REQUEST", /cpuShares/],
  ["an unknown field", () => client.post(path, { ...js, priority: "high" }), 400, "INVALID_REQUEST", /priority/],
  ["a file path with ..", () => client.post(path, { ...js, files: { "../etc/passwd": "x" } }), 400, "INVALID_REQUEST", /\.\./],
  ["a file of the wrong type", () => client.post(path, { ...js, files: { "a.txt": 5 } }), 400, "INVALID_REQUEST", /files/],
  ["a bad env name", () => client.post(path, { ...js, env: { "1BAD": "x" } }), 400, "INVALID_REQUEST", /env/],
  ["a body over bodyLimitBytes", () => client.post(path, { ...js, code: "x".repeat(BODY_LIMIT_BYTES * 2) }), 413, "BODY_TOO_LARGE", /bytes/],
];

describe("bad input", () => {
  describe.each(["/v1/execute", "/v1/runs"])("POST %s", (path) => {
    it.each(bodyCases(path))("%s", async (_name, send, status, code, message) => {
      expectClientError(await send(), status, code, message);
    });
  });

  describe("POST /v1/sessions", () => {
    const cases: Case[] = [
      ["an unknown language", () => client.post("/v1/sessions", { language: "cobol" }), 400, "INVALID_REQUEST", /language/],
      ["limits out of range", () => client.post("/v1/sessions", { language: "javascript", limits: { timeoutMs: -5 } }), 400, "INVALID_REQUEST", /timeoutMs/],
      ["an unknown field", () => client.post("/v1/sessions", { language: "javascript", code: "1" }), 400, "INVALID_REQUEST", /code/],
      ["malformed JSON", raw("/v1/sessions", "{"), 400, "INVALID_JSON"],
      ["a text/plain body", raw("/v1/sessions", '{"language":"javascript"}', "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"],
      ["no body", () => client.request("POST", "/v1/sessions"), 400, "INVALID_REQUEST"],
    ];
    it.each(cases)("%s", async (_name, send, status, code, message) => {
      expectClientError(await send(), status, code, message);
    });
  });

  describe("POST /v1/sessions/:id/execute", () => {
    const path = () => `/v1/sessions/${sessionId}/execute`;
    const cases: Case[] = [
      ["code of the wrong type", () => client.post(path(), { code: 1 }), 400, "INVALID_REQUEST", /code/],
      ["another language than the session's", () => client.post(path(), { language: "python", code: "1" }), 400, "INVALID_REQUEST", /language/],
      ["a JSON array", () => client.post(path(), [1]), 400, "INVALID_REQUEST"],
      ["limits out of range", () => client.post(path(), { code: "1", limits: { timeoutMs: 0 } }), 400, "INVALID_REQUEST", /timeoutMs/],
      ["malformed JSON", () => client.post(path(), "{oops"), 400, "INVALID_JSON"],
      ["an unknown session", () => client.post("/v1/sessions/ses_nope/execute", { code: "1" }), 404, "NOT_FOUND", /session/],
    ];
    it.each(cases)("%s", async (_name, send, status, code, message) => {
      expectClientError(await send(), status, code, message);
    });
  });

  describe("unknown ids and query parameters", () => {
    const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const cases: Case[] = [
      ["GET an unknown run", () => client.get(`/v1/runs/${NO_RUN}`), 404, "NOT_FOUND", /run/],
      ["DELETE an unknown run", () => client.del(`/v1/runs/${NO_RUN}`), 404, "NOT_FOUND"],
      ["a file of an unknown run", () => client.get(`/v1/runs/${NO_RUN}/files/a.txt`), 404, "NOT_FOUND"],
      ["GET an unknown session", () => client.get("/v1/sessions/ses_nope"), 404, "NOT_FOUND", /session/],
      ["DELETE an unknown session", () => client.del("/v1/sessions/ses_nope"), 404, "NOT_FOUND"],
      ["an unknown route", () => client.get("/v1/nothing-here"), 404, "NOT_FOUND", /route/],
      ["a wrong method", () => client.request("PUT", "/v1/execute", { body: js }), 404, "NOT_FOUND"],
      ["a cursor that is not base64 JSON", () => client.get("/v1/runs?cursor=!!!not-a-cursor"), 400, "INVALID_CURSOR"],
      ["a cursor with the wrong shape", () => client.get(`/v1/runs?cursor=${cursor({ createdAt: 1 })}`), 400, "INVALID_CURSOR"],
      ["a cursor with the wrong types", () => client.get(`/v1/runs?cursor=${cursor(["1", 2])}`), 400, "INVALID_CURSOR"],
      ["limit=0", () => client.get("/v1/runs?limit=0"), 400, "INVALID_QUERY", /limit/],
      ["limit=201", () => client.get("/v1/runs?limit=201"), 400, "INVALID_QUERY", /limit/],
      ["limit=abc", () => client.get("/v1/runs?limit=abc"), 400, "INVALID_QUERY", /limit/],
      ["limit=1.5", () => client.get("/v1/runs?limit=1.5"), 400, "INVALID_QUERY", /limit/],
      ["limit given twice", () => client.get("/v1/runs?limit=1&limit=2"), 400, "INVALID_QUERY", /limit/],
      ["an unknown status", () => client.get("/v1/runs?status=finished"), 400, "INVALID_QUERY", /status/],
      ["an unknown language", () => client.get("/v1/runs?language=cobol"), 400, "INVALID_QUERY", /language/],
      ["an unknown query parameter", () => client.get("/v1/runs?sort=asc"), 400, "INVALID_QUERY", /sort/],
    ];
    it.each(cases)("%s", async (_name, send, status, code, message) => {
      expectClientError(await send(), status, code, message);
    });

    it("an SSE request for an unknown run", async () => {
      const conn = await openEvents(t.url, NO_RUN);
      expectClientError(conn.error!, 404, "NOT_FOUND");
    });
  });

  it("none of the rejected requests stored a run", async () => {
    expect(await listAllRuns(client)).toEqual([]);
  });
});

describe("after all of that", () => {
  let runId: string;

  it("the server still serves a normal run", async () => {
    const res = await client.post("/v1/execute", { language: "javascript", code: "console.log('fine'); 40 + 2" });
    expect(res.status, show(res)).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", stdout: "fine\n", value: 42 });
    runId = res.body.id;
    const session = await client.post(`/v1/sessions/${sessionId}/execute`, { code: "'session fine'" });
    expect(session.body).toMatchObject({ status: "ok", value: "session fine" });
    expect(await listAllRuns(client)).toHaveLength(2);
  });

  it.each(["abc", "-1", "1.5", "1e999"])("a bad Last-Event-ID (%s) → 400 INVALID_LAST_EVENT_ID", async (value) => {
    const conn = await openEvents(t.url, runId, { lastEventId: value });
    expect(conn.status).toBe(400);
    expectClientError(conn.error!, 400, "INVALID_LAST_EVENT_ID");
    const viaQuery = await openEvents(t.url, runId, { query: `?lastEventId=${encodeURIComponent(value)}` });
    expectClientError(viaQuery.error!, 400, "INVALID_LAST_EVENT_ID");
  });
});
