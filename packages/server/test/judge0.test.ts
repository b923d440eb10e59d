/**
 * The Judge0 CE drop-in over HTTP against a real server on a real port, replaying Judge0's
 * documented requests (its API docs' examples, with Judge0 CE's ids for the languages
 * wasmbox runs): a submission and its token, `wait=true`, `base64_encoded=true`, batch create
 * and batch get with `fields`, `expected_output` giving 3 Accepted / 4 Wrong Answer, a
 * compile error, a time limit; then bad input in Judge0's shapes (422 field errors, 400
 * `{ error }`), the server still serving, and the key as `X-Auth-Token`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, listAllRuns, removeDataDirs, show, startServer, waitFor, type Api, type Json, type TestServer } from "./helpers.js";

let t: TestServer;
let client: Api;

beforeAll(async () => {
  t = await startServer({ poolPython: 1, poolJs: 1 });
  client = api(t.url);
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const C_HELLO = '#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf("%s", name);\n  printf("hello, %s\\n", name);\n  return 0;\n}';

/** Poll a submission until Judge0 would say it is done (status past 1 In Queue / 2 Processing). */
async function finished(token: string, query = "base64_encoded=false"): Promise<Json> {
  return waitFor(`submission ${token}`, async () => {
    const res = await client.get(`/submissions/${token}?${query}`);
    expect(res.status, show(res)).toBe(200);
    return res.body.status.id > 2 ? res.body : undefined;
  }, 60_000, 100);
}

describe("Judge0's documented requests", () => {
  it("GET /statuses and /languages: Judge0's ids, named for what runs them", async () => {
    const statuses = (await client.get("/statuses")).body;
    expect(statuses[2]).toEqual({ id: 3, description: "Accepted" });
    expect(statuses.map((s: { id: number }) => s.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    const languages = (await client.get("/languages")).body as Array<{ id: number; name: string }>;
    const byId = new Map(languages.map((l) => [l.id, l.name]));
    for (const id of [50, 54, 63, 71, 74]) expect(byId.has(id), String(id)).toBe(true);
    expect(byId.get(71)).toMatch(/^Python \(3\.\d+\.\d+, Pyodide/);
    expect(byId.get(63)).toMatch(/QuickJS/);
    expect(byId.get(50)).toMatch(/clang/);
    expect(Object.keys(languages[0]!)).toEqual(["id", "name"]);
    const one = await client.get("/languages/71");
    expect(one.body).toMatchObject({ id: 71, is_archived: false, source_file: "script.py" });
  });

  it("POST /submissions answers a token; GET /submissions/:token the result (C, stdin)", async () => {
    const created = await client.post("/submissions/?base64_encoded=false&wait=false", { source_code: C_HELLO, language_id: 50, stdin: "world" });
    expect(created.status, show(created)).toBe(201);
    expect(Object.keys(created.body)).toEqual(["token"]);
    const done = await finished(created.body.token);
    expect(done).toMatchObject({ stdout: "hello, world\n", stderr: null, compile_output: null, message: null, status: { id: 3, description: "Accepted" }, token: created.body.token });
    expect(Object.keys(done).sort()).toEqual(["compile_output", "memory", "message", "status", "stderr", "stdout", "time", "token"]);
    expect(done.time).toMatch(/^\d+\.\d{3}$/);
    expect(done.memory).toBeGreaterThan(0);
  });

  it("wait=true answers the finished submission at once, with ?fields", async () => {
    const res = await client.post("/submissions?base64_encoded=false&wait=true&fields=stdout,status_id,language_id,exit_code,wall_time", {
      source_code: "import sys\nprint(sys.argv[1:], input())",
      language_id: 71,
      stdin: "from stdin",
      command_line_arguments: "one 'two words'",
    });
    expect(res.status, show(res)).toBe(201);
    expect(res.body).toMatchObject({ stdout: "['one', 'two words'] from stdin\n", status_id: 3, language_id: 71, exit_code: 0 });
    expect(Object.keys(res.body).sort()).toEqual(["exit_code", "language_id", "status_id", "stdout", "wall_time"]);
  });

  it("base64_encoded=true: source, stdin and expected_output in base64; outputs answered in base64", async () => {
    const res = await client.post("/submissions?base64_encoded=true&wait=true&fields=*", {
      source_code: b64("console.log('¡hola ' + require('fs').readFileSync(0, 'utf8').trim())"),
      language_id: 63,
      stdin: b64("mundo"),
      expected_output: b64("¡hola mundo"),
    });
    expect(res.status, show(res)).toBe(201);
    expect(Buffer.from(res.body.stdout, "base64").toString("utf8")).toBe("¡hola mundo\n");
    expect(res.body.status).toEqual({ id: 3, description: "Accepted" });
    expect(res.body.source_code).toBe(b64("console.log('¡hola ' + require('fs').readFileSync(0, 'utf8').trim())"));
    const again = await client.get(`/submissions/${res.body.token}?base64_encoded=false&fields=stdout,stdin`);
    expect(again.body).toEqual({ stdout: "¡hola mundo\n", stdin: "mundo" });
  });

  it("expected_output: 3 Accepted when it matches (trailing whitespace aside), 4 Wrong Answer when not", async () => {
    const run = (expected_output: string) =>
      client.post("/submissions?wait=true&fields=status,stdout", { source_code: "print('a  ')\nprint('b')", language_id: 71, expected_output });
    expect((await run("a\nb\n\n")).body.status).toEqual({ id: 3, description: "Accepted" });
    const wrong = await run("a\nc");
    expect(wrong.body.status).toEqual({ id: 4, description: "Wrong Answer" });
    expect(wrong.body.stdout).toBe("a  \nb\n");
  });

  it("a compile error is 6 with the compiler's output; a loop past cpu_time_limit is 5", async () => {
    const ce = await client.post("/submissions?wait=true", { source_code: "int main(void) { return nope; }", language_id: 50 });
    expect(ce.body.status).toEqual({ id: 6, description: "Compilation Error" });
    expect(ce.body.compile_output).toMatch(/undeclared identifier 'nope'/);
    expect(ce.body.stdout).toBeNull();
    const tle = await client.post("/submissions?wait=true&fields=status,time,wall_time,message", { source_code: "while True: pass", language_id: 71, cpu_time_limit: 0.5 });
    expect(tle.body.status).toEqual({ id: 5, description: "Time Limit Exceeded" });
    // CPU time on a shared machine may be well under the wall time; the limit is wall time.
    expect(Number(tle.body.time)).toBeGreaterThan(0);
    expect(Number(tle.body.wall_time)).toBeGreaterThanOrEqual(0.5);
    expect(tle.body.message).toMatch(/timeoutMs \(500 ms\)/);
    const nzec = await client.post("/submissions?wait=true&fields=status,exit_code,stderr", { source_code: "raise SystemExit(4)", language_id: 71 });
    expect(nzec.body).toMatchObject({ status: { id: 11, description: "Runtime Error (NZEC)" }, exit_code: 4 });
  });

  it("batch: POST answers one token (or field errors) per submission; GET ?tokens= answers them in order", async () => {
    const created = await client.post("/submissions/batch?base64_encoded=false", {
      submissions: [
        { language_id: 46, source_code: "echo hello from Bash" },
        { language_id: 71, source_code: 'print("hello from Python")' },
        { language_id: 63, source_code: 'console.log("hello from JavaScript")' },
      ],
    });
    expect(created.status, show(created)).toBe(201);
    expect(created.body[0]).toEqual({ language_id: [expect.stringMatching(/^language with id 46 doesn't exist/)] });
    const tokens = [created.body[1].token, created.body[2].token] as string[];
    for (const token of tokens) await finished(token);
    const got = await client.get(`/submissions/batch?tokens=${tokens.join(",")},run_unknown&base64_encoded=false&fields=token,stdout,status_id,language_id`);
    expect(got.status, show(got)).toBe(200);
    expect(got.body.submissions).toEqual([
      { token: tokens[0], stdout: "hello from Python\n", status_id: 3, language_id: 71 },
      { token: tokens[1], stdout: "hello from JavaScript\n", status_id: 3, language_id: 63 },
      null,
    ]);
  });
});

describe("bad input, in Judge0's shapes", () => {
  it("field errors: 422 { field: [messages] }", async () => {
    const res = await client.post("/submissions?wait=true", { language_id: 9999, memory_limit: 1, cpu_time_limit: "x", enable_network: true });
    expect(res.status, show(res)).toBe(422);
    expect(res.body.cpu_time_limit).toEqual(["is not valid"]);
    const res2 = await client.post("/submissions?wait=true", { language_id: 9999, memory_limit: 1, enable_network: true });
    expect(res2.status, show(res2)).toBe(422);
    expect(res2.body).toEqual({
      source_code: ["can't be blank"],
      language_id: [expect.stringMatching(/^language with id 9999 doesn't exist/)],
      memory_limit: ["must be greater than or equal to 16384"],
      enable_network: ["enabling network is not allowed"],
    });
  });

  it("400 { error }: invalid fields, an empty batch, malformed JSON; 404 for an unknown token", async () => {
    expect((await client.post("/submissions?fields=token,nonsense", { source_code: "1", language_id: 71 })).body).toEqual({ error: "invalid fields: [nonsense]" });
    const empty = await client.post("/submissions/batch", { submissions: [] });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ error: "there should be at least one submission in a batch" });
    const noTokens = await client.get("/submissions/batch?tokens=");
    expect(noTokens.status).toBe(400);
    const bad = await client.request("POST", "/submissions", { headers: { "content-type": "application/json" }, body: "{nope" });
    expect(bad.status, show(bad)).toBe(400);
    expect(Object.keys(bad.body)).toEqual(["error"]);
    expect(bad.text).not.toMatch(/\n\s+at |node_modules/);
    const missing = await client.get("/submissions/run_00000000000000000000000000000000");
    expect(missing.status).toBe(404);
    expect(Object.keys(missing.body)).toEqual(["error"]);
    // A wasmbox run is no Judge0 submission.
    const own = await client.post("/v1/execute", { language: "python", code: "print(1)" });
    expect((await client.get(`/submissions/${own.body.id}`)).status).toBe(404);
  });

  it("the server keeps serving; history says the runs came through Judge0; the key may come as X-Auth-Token", async () => {
    const ok = await client.post("/submissions?wait=true", { source_code: "print(6 * 7)", language_id: 71 });
    expect(ok.body.stdout).toBe("42\n");
    const runs = await listAllRuns(client);
    expect(runs.find((r: Json) => r.id === ok.body.token)).toMatchObject({ api: "judge0", language: "python", status: "ok" });
    const key = t.server.keys.create("judge0-user");
    const refused = await client.post("/submissions?wait=true", { source_code: "print(1)", language_id: 71 });
    expect(refused.status, show(refused)).toBe(401);
    expect(Object.keys(refused.body)).toEqual(["error"]);
    const viaHeader = await client.post("/submissions?wait=true", { source_code: "print(1)", language_id: 71 }, { headers: { "x-auth-token": key.key } });
    expect(viaHeader.status, show(viaHeader)).toBe(201);
    expect(viaHeader.body.stdout).toBe("1\n");
    // The submission belongs to that key: another caller does not see it.
    expect((await client.get(`/submissions/${viaHeader.body.token}`, { headers: { "x-auth-token": key.key } })).status).toBe(200);
    const other = t.server.keys.create("someone-else");
    expect((await client.get(`/submissions/${viaHeader.body.token}`, { token: other.key })).status).toBe(404);
  });
});

describe("the rate limit covers the drop-in APIs", () => {
  it("past WASMBOX_RATE_LIMIT_PER_MINUTE: 429 with Retry-After, in each API's shape", async () => {
    const limited = await startServer({ poolPython: 0, poolJs: 0, rateLimitPerMinute: 2 });
    try {
      const c = api(limited.url);
      expect((await c.get("/statuses")).status).toBe(200);
      expect((await c.get("/api/v2/runtimes")).status).toBe(200);
      const judge0 = await c.get("/languages");
      expect(judge0.status, show(judge0)).toBe(429);
      expect(judge0.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(Object.keys(judge0.body)).toEqual(["error"]);
      const pistonAnswer = await c.get("/api/v2/runtimes");
      expect(pistonAnswer.status).toBe(429);
      expect(pistonAnswer.body.message).toMatch(/rate limit of 2 requests per minute/);
    } finally {
      await limited.stop();
    }
  });
});
