/**
 * Every endpoint of the HTTP API, as a user sees it over real HTTP: status codes, bodies,
 * headers, what run history keeps (and what it must not keep), pagination, cancellation,
 * output files, probes, metrics and the OpenAPI docs.
 */
import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, errorBody, lines, listAllRuns, openDb, rawStoreBytes, removeDataDirs, show, sleep, startServer, waitFor, waitForRun, type Api, type ApiResponse, type TestServer } from "./helpers.js";

const MAX_STORED_FILE_BYTES = 64;

let t: TestServer;
let client: Api;

beforeAll(async () => {
  // One execution slot, so a second run visibly waits in the queue.
  t = await startServer({ maxStoredFileBytes: MAX_STORED_FILE_BYTES, maxConcurrentRuns: 1 });
  client = api(t.url);
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

const sha256 = (b: string | Uint8Array) => createHash("sha256").update(b).digest("hex");

async function scrapeRunsTotal(language: string, status: string): Promise<number> {
  const res = await client.get("/metrics");
  expect(res.status).toBe(200);
  const line = res.text.split("\n").find((l) => l.startsWith(`wasmbox_runs_total{language="${language}",status="${status}"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("POST /v1/execute", () => {
  it("runs JavaScript and answers with the result and the run id", async () => {
    const res = await client.post("/v1/execute", {
      language: "javascript",
      code: lines("console.log('hello', [1, 2].map((x) => x * 2));", "console.error('warn');", "6 * 7"),
    });
    expect(res.status, show(res)).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const r = res.body;
    expect(r.id).toMatch(/^run_[0-9a-f]{32}$/);
    expect(r).toMatchObject({ status: "ok", stdout: "hello [ 2, 4 ]\n", stderr: "warn\n", output: "hello [ 2, 4 ]\nwarn\n", error: null, exitCode: 0, value: 42, files: [] });
    expect(Object.keys(r.timings).sort()).toEqual(["executionTimeMs", "queuedMs", "startMs", "totalMs"]);
    expect(r.timings.totalMs).toBeGreaterThan(0);

    // The same run is in history, finished, with its result.
    const stored = await client.get(`/v1/runs/${r.id}`);
    expect(stored.status, show(stored)).toBe(200);
    expect(stored.body).toMatchObject({ id: r.id, status: "ok", language: "javascript", mode: "sync", sessionId: null });
    expect(stored.body.result).toMatchObject({ status: "ok", stdout: "hello [ 2, 4 ]\n", value: 42, exitCode: 0 });
    expect(new Date(stored.body.finishedAt).getTime()).toBeGreaterThanOrEqual(new Date(stored.body.startedAt).getTime());
  });

  it("runs Python (stdout, last-expression value, guest errors as a status, not an HTTP error)", async () => {
    const ok = await client.post("/v1/execute", { language: "python", code: lines("import sys", "print(sys.version_info[0])", "6 * 7") });
    expect(ok.status, show(ok)).toBe(200);
    expect(ok.body).toMatchObject({ status: "ok", stdout: "3\n", value: 42, exitCode: 0, error: null });
    expect(ok.body.id).toMatch(/^run_/);

    const failed = await client.post("/v1/execute", { language: "python", code: lines("x = 1", "raise ValueError('nope')") });
    expect(failed.status, show(failed)).toBe(200);
    expect(failed.body.status).toBe("error");
    expect(failed.body.error).toMatchObject({ name: "ValueError", message: "nope", line: 2 });
  });

  it("compiles and runs C: the result carries the compile info, history keeps the build options", async () => {
    // A comment unique to this test run: the compile cache outlives test runs.
    const code = lines(`// ${randomUUID()}`, "#include <stdio.h>", "int main(void) {", "  int unused;", '  printf("%d\\n", 6 * 7);', "  return 0;", "}");
    const res = await client.post("/v1/execute", { language: "c", code, compile: { optimize: "1", flags: ["-Wall"] } });
    expect(res.status, show(res)).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", stdout: "42\n", exitCode: 0 });
    expect(res.body.compile).toMatchObject({ compiler: expect.stringMatching(/^clang /), cached: false });
    expect(res.body.compile.diagnostics).toContainEqual(expect.objectContaining({ severity: "warning", line: 4, message: expect.stringMatching(/unused variable/) }));
    const stored = await client.get(`/v1/runs/${res.body.id}`);
    expect(stored.body.request).toMatchObject({ language: "c", compile: { optimize: "1", flags: ["-Wall"] } });
    expect(stored.body.result.compile.compiler).toBe(res.body.compile.compiler);

    const broken = await client.post("/v1/execute", { language: "c", code: "int main(void) { return x; }" });
    expect(broken.status, show(broken)).toBe(200);
    expect(broken.body.status).toBe("compile_error");
    expect(broken.body.compile.diagnostics[0]).toMatchObject({ line: 1, severity: "error", message: expect.stringMatching(/undeclared identifier 'x'/) });
  }, 60_000);

  it("runs a WebAssembly text module with a granted host import; refuses flags and sessions it cannot honour", async () => {
    const wat = '(module (import "env" "log_i32" (func $log (param i32))) (func (export "add_and_log") (param i32 i32) (result i32) (local i32) local.get 0 local.get 1 i32.add local.tee 2 call $log local.get 2))';
    const res = await client.post("/v1/execute", { language: "wasm", code: wat, wasm: { invoke: { export: "add_and_log", args: [7, 5] }, imports: ["env.log_i32"] } });
    expect(res.status, show(res)).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", stdout: "12\n", value: 12 });

    const badFlag = await client.post("/v1/execute", { language: "c", code: "int main(void){return 0;}", compile: { flags: ["-fplugin=/tmp/x.so"] } });
    expect(badFlag.status).toBe(400);
    expect(errorBody(badFlag).message).toMatch(/compile\.flags\.0: flag "-fplugin=\/tmp\/x\.so" is not allowed/);

    const badImport = await client.post("/v1/execute", { language: "wasm", code: wat, wasm: { imports: ["env.system"] } });
    expect(badImport.status).toBe(400);
    expect(errorBody(badImport).message).toMatch(/unknown host function "env\.system"/);

    const session = await client.post("/v1/sessions", { language: "wasm" });
    expect(session.status).toBe(400);
    expect(errorBody(session).message).toMatch(/sessions run python, javascript or typescript/);
  }, 60_000);

  it("reports a guest time-out as a result status", async () => {
    const res = await client.post("/v1/execute", { language: "javascript", code: "for (;;) {}", limits: { timeoutMs: 300 } });
    expect(res.status, show(res)).toBe(200);
    expect(res.body).toMatchObject({ status: "timeout", exitCode: null });
    expect(res.body.error.message).toContain("timeoutMs");
  });
});

describe("POST /v1/runs and GET /v1/runs/:id", () => {
  it("answers 202 with an id at once, shows queued → running → finished", async () => {
    // The first run takes the only execution slot; the second waits in the queue.
    const first = await client.post("/v1/runs", { language: "javascript", code: "await new Promise((r) => setTimeout(r, 1500)); console.log('first')" });
    expect(first.status, show(first)).toBe(202);
    expect(first.body).toEqual({ id: expect.stringMatching(/^run_[0-9a-f]{32}$/) });
    const second = await client.post("/v1/runs", { language: "javascript", code: "console.log('second')" });
    expect(second.status, show(second)).toBe(202);

    const running = await waitForRun(client, first.body.id, ["running"]);
    expect(running).toMatchObject({ mode: "async", result: null, finishedAt: null });
    expect(running.startedAt).not.toBeNull();

    const queued = await client.get(`/v1/runs/${second.body.id}`);
    expect(queued.body, "the second run waits for the only slot").toMatchObject({ status: "queued", startedAt: null, finishedAt: null, result: null });

    const done1 = await waitForRun(client, first.body.id, ["ok", "error", "killed", "timeout"]);
    expect(done1.status).toBe("ok");
    expect(done1.result.stdout).toBe("first\n");
    const done2 = await waitForRun(client, second.body.id, ["ok", "error", "killed", "timeout"]);
    expect(done2).toMatchObject({ status: "ok", result: { stdout: "second\n" } });
    expect(new Date(done2.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(done1.finishedAt).getTime() - 50);
  });

  it("stores the request with code, file names and hashes, and env NAMES only — never env values", async () => {
    const secret = `s3cr3t-${Math.random().toString(36).slice(2)}-value`;
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    const request = {
      language: "javascript",
      code: lines("const fs = require('fs');", "console.log(process.env.API_TOKEN.length, fs.readFileSync('data/in.txt', 'utf8'));"),
      files: { "data/in.txt": "hello", "blob.bin": { encoding: "base64", content: binary.toString("base64") } },
      env: { API_TOKEN: secret, MODE: "prod-mode-value" },
      args: ["--flag"],
      stdin: "input",
      limits: { timeoutMs: 5000 },
    };
    const res = await client.post("/v1/runs", request);
    expect(res.status, show(res)).toBe(202);
    const run = await waitForRun(client, res.body.id, ["ok", "error"]);
    expect(run.status, JSON.stringify(run.result)).toBe("ok");
    expect(run.result.stdout).toBe(`${secret.length} hello\n`);

    expect(run.request).toEqual({
      language: "javascript",
      code: request.code,
      filename: null,
      files: [
        { path: "data/in.txt", size: 5, sha256: sha256("hello") },
        { path: "blob.bin", size: binary.length, sha256: sha256(binary) },
      ],
      stdin: "input",
      args: ["--flag"],
      envNames: ["API_TOKEN", "MODE"],
      limits: { timeoutMs: 5000 },
    });
    const body = JSON.stringify(run);
    expect(body).not.toContain(secret);
    expect(body).not.toContain("prod-mode-value");

    // Not in the SQLite file either (database and WAL, read raw), nor in any column.
    const raw = rawStoreBytes(t.dataDir);
    expect(raw.includes(Buffer.from(secret))).toBe(false);
    expect(raw.includes(Buffer.from("prod-mode-value"))).toBe(false);
    const db = openDb(t.dataDir, true);
    try {
      const row = db.prepare("SELECT request_json FROM runs WHERE id = ?").get(run.id) as { request_json: string };
      expect(JSON.parse(row.request_json).envNames).toEqual(["API_TOKEN", "MODE"]);
      expect(row.request_json).not.toContain(secret);
      const leaks = db.prepare("SELECT COUNT(*) AS n FROM run_events WHERE data LIKE ?").get(`%${secret}%`) as { n: number };
      expect(leaks.n).toBe(0);
    } finally {
      db.close();
    }
  });

  it("answers 404 NOT_FOUND for an unknown run id", async () => {
    const res = await client.get("/v1/runs/run_00000000000000000000000000000000");
    expect(res.status).toBe(404);
    expect(errorBody(res).code).toBe("NOT_FOUND");
  });
});

describe("GET /v1/runs", () => {
  it("pages through every run with nextCursor, newest first, without duplicates or gaps; filters work", async () => {
    // A few more runs: JavaScript ok and error, so filters have something to separate.
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      const code = i % 3 === 2 ? `throw new Error("boom ${i}")` : `console.log(${i})`;
      const res = await client.post("/v1/execute", { language: "javascript", code });
      expect(res.status, show(res)).toBe(200);
      made.push(res.body.id);
    }
    const everything = await listAllRuns(client);
    expect(everything.length).toBeGreaterThanOrEqual(made.length + 5);
    for (const id of made) expect(everything.map((r) => r.id)).toContain(id);

    // Walk pages of 3.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: ApiResponse = await client.get(`/v1/runs?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status, show(res)).toBe(200);
      expect(res.body.runs.length).toBeLessThanOrEqual(3);
      for (const r of res.body.runs) {
        expect(Object.keys(r).sort()).toEqual(["api", "createdAt", "finishedAt", "id", "language", "mode", "sessionId", "status"]);
        seen.push(r.id);
      }
      cursor = res.body.nextCursor;
      if (cursor) expect(res.body.runs.length).toBe(3);
      pages++;
    } while (cursor && pages < 100);
    expect(pages).toBe(Math.ceil(everything.length / 3));
    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    expect(seen).toEqual(everything.map((r) => r.id)); // none missing, same order
    const created = everything.map((r) => new Date(r.createdAt).getTime());
    expect([...created].sort((a, b) => b - a)).toEqual(created); // newest first
    expect(seen.indexOf(made[5]!)).toBeLessThan(seen.indexOf(made[0]!));

    // Filters, also across pages.
    const errors = await listAllRuns(client, "status=error");
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.every((r) => r.status === "error")).toBe(true);
    expect(errors.map((r) => r.id)).toEqual(expect.arrayContaining([made[2], made[5]]));

    const python = await listAllRuns(client, "language=python");
    expect(python.length).toBeGreaterThanOrEqual(2);
    expect(python.every((r) => r.language === "python")).toBe(true);

    const jsOk: string[] = [];
    cursor = null;
    do {
      const res: ApiResponse = await client.get(`/v1/runs?language=javascript&status=ok&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status, show(res)).toBe(200);
      for (const r of res.body.runs) {
        expect(r).toMatchObject({ language: "javascript", status: "ok" });
        jsOk.push(r.id);
      }
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(jsOk).toEqual(everything.filter((r) => r.language === "javascript" && r.status === "ok").map((r) => r.id));

    const none = await client.get("/v1/runs?status=memory_limit");
    expect(none.body).toEqual({ runs: [], nextCursor: null });
  });
});

describe("DELETE /v1/runs/:id", () => {
  it("cancels a running infinite loop: it ends killed; a second DELETE answers 409 ALREADY_FINISHED", async () => {
    const res = await client.post("/v1/runs", { language: "javascript", code: "for (;;) {}", limits: { timeoutMs: 120_000 } });
    expect(res.status, show(res)).toBe(202);
    const id = res.body.id;
    await waitForRun(client, id, ["running"]);
    await sleep(200);

    const cancel = await client.del(`/v1/runs/${id}`);
    expect(cancel.status, show(cancel)).toBe(202);
    expect(cancel.body).toEqual({ id, cancelled: true });

    const run = await waitForRun(client, id, ["killed", "ok", "error", "timeout"], 10_000);
    expect(run.status).toBe("killed");
    expect(run.result).toMatchObject({ status: "killed", exitCode: null });
    expect(run.finishedAt).not.toBeNull();

    const again = await client.del(`/v1/runs/${id}`);
    expect(again.status, show(again)).toBe(409);
    expect(errorBody(again).code).toBe("ALREADY_FINISHED");
    expect(errorBody(again).message).toContain("killed");

    const missing = await client.del("/v1/runs/run_00000000000000000000000000000000");
    expect(missing.status).toBe(404);
    expect(errorBody(missing).code).toBe("NOT_FOUND");
  });
});

describe("GET /v1/runs/:id/files/<path>", () => {
  let runId: string;
  const csv = "trip,speed\na,52.5\n";
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

  beforeAll(async () => {
    const res = await client.post("/v1/execute", {
      language: "javascript",
      code: lines(
        "const fs = require('fs');",
        "fs.mkdirSync('out/deep', { recursive: true });",
        `fs.writeFileSync('out/a.csv', ${JSON.stringify(csv)});`,
        `fs.writeFileSync('out/deep/pic.png', new Uint8Array(${JSON.stringify([...png])}));`,
        "fs.writeFileSync('report.json', JSON.stringify({ ok: true }));",
        "fs.writeFileSync('my report.txt', 'spaced');",
        `fs.writeFileSync('big.txt', 'x'.repeat(${MAX_STORED_FILE_BYTES + 1}));`,
      ),
    });
    expect(res.status, show(res)).toBe(200);
    expect(res.body.status, JSON.stringify(res.body.error)).toBe("ok");
    runId = res.body.id;
    expect(res.body.files.map((f: { path: string }) => f.path).sort()).toEqual(["big.txt", "my report.txt", "out/a.csv", "out/deep/pic.png", "report.json"]);
  });

  it("returns the bytes with the file's content type, for nested paths too", async () => {
    const cases: Array<[path: string, mime: RegExp, bytes: Buffer]> = [
      ["out/a.csv", /^text\/csv/, Buffer.from(csv)],
      ["out/deep/pic.png", /^image\/png$/, png],
      ["report.json", /^application\/json/, Buffer.from('{"ok":true}')],
    ];
    for (const [path, mime, bytes] of cases) {
      const res = await fetch(`${t.url}/v1/runs/${runId}/files/${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toMatch(mime);
      expect(res.headers.get("etag")).toBe(`"${sha256(bytes)}"`);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes), path).toBe(true);
    }
  });

  it("names the file in content-disposition (a space stays a space)", async () => {
    const res = await fetch(`${t.url}/v1/runs/${runId}/files/my%20report.txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("spaced");
    const cd = res.headers.get("content-disposition") ?? "";
    expect(cd).toContain('filename="my report.txt"');
    expect(cd).toContain("filename*=UTF-8''my%20report.txt");
  });

  it("answers 404 NOT_FOUND for a file the run did not produce", async () => {
    const res = await client.get(`/v1/runs/${runId}/files/out/missing.csv`);
    expect(res.status, show(res)).toBe(404);
    expect(errorBody(res).code).toBe("NOT_FOUND");
    const noRun = await client.get("/v1/runs/run_00000000000000000000000000000000/files/out/a.csv");
    expect(noRun.status).toBe(404);
  });

  it("answers 404 FILE_NOT_STORED for a file over maxStoredFileBytes (still listed in the result)", async () => {
    const res = await client.get(`/v1/runs/${runId}/files/big.txt`);
    expect(res.status, show(res)).toBe(404);
    expect(errorBody(res).code).toBe("FILE_NOT_STORED");
    const run = await client.get(`/v1/runs/${runId}`);
    expect(run.body.result.files).toContainEqual(expect.objectContaining({ path: "big.txt", size: MAX_STORED_FILE_BYTES + 1 }));
  });
});

describe("system endpoints", () => {
  it("GET /v1/runtimes lists the languages and the isolation in force", async () => {
    const res = await client.get("/v1/runtimes");
    expect(res.status).toBe(200);
    expect(res.body.runtimes.map((r: { language: string }) => r.language)).toEqual(["python", "javascript", "typescript", "c", "cpp", "assemblyscript", "wasm"]);
    for (const r of res.body.runtimes) {
      expect(typeof r.version).toBe("string");
      expect(typeof r.runtime).toBe("string");
      expect(Array.isArray(r.extensions)).toBe(true);
    }
    expect(typeof res.body.isolation).toBe("object");
  });

  it("GET /healthz and /readyz", async () => {
    const health = await client.get("/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: "ok" });
    const ready = await client.get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", queued: expect.any(Number), active: expect.any(Number) });
  });

  it("GET /metrics is Prometheus text, and wasmbox_runs_total goes up after runs", async () => {
    const res = await client.get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.text).toContain("# TYPE wasmbox_runs_total counter");
    expect(res.text).toContain("# TYPE wasmbox_run_duration_seconds histogram");
    expect(res.text).toMatch(/^wasmbox_runs_in_flight \d+$/m);

    const okBefore = await scrapeRunsTotal("javascript", "ok");
    const errBefore = await scrapeRunsTotal("javascript", "error");
    expect((await client.post("/v1/execute", { language: "javascript", code: "1" })).body.status).toBe("ok");
    expect((await client.post("/v1/execute", { language: "javascript", code: "throw new Error('x')" })).body.status).toBe("error");
    expect(await scrapeRunsTotal("javascript", "ok")).toBe(okBefore + 1);
    expect(await scrapeRunsTotal("javascript", "error")).toBe(errBefore + 1);
    expect(await scrapeRunsTotal("python", "ok")).toBeGreaterThanOrEqual(1);
  });

  it("GET /docs serves the HTML docs, and /docs/json the OpenAPI document with every route", async () => {
    const docs = await fetch(`${t.url}/docs`, { redirect: "follow" });
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await docs.text()).toMatch(/<html/i);

    const spec = await client.get("/docs/json");
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(spec.body.info.title).toBe("wasmbox");
    const paths = Object.keys(spec.body.paths);
    for (const p of ["/v1/execute", "/v1/runs", "/v1/runs/{id}", "/v1/runs/{id}/events", "/v1/sessions", "/v1/sessions/{id}/execute", "/v1/runtimes", "/healthz"]) {
      expect(paths, p).toContain(p);
    }
    expect(spec.body.paths["/v1/execute"].post.requestBody.content["application/json"].schema.properties).toHaveProperty("code");
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await client.get("/v1/nope");
    expect(res.status).toBe(404);
    expect(errorBody(res).code).toBe("NOT_FOUND");
  });

  it("the server still answers after all of the above", async () => {
    await waitFor("readyz", async () => ((await client.get("/readyz")).status === 200 ? true : undefined));
    const res = await client.post("/v1/execute", { language: "javascript", code: "'still here'" });
    expect(res.body).toMatchObject({ status: "ok", value: "still here" });
  });
});
