/**
 * @wasmbox/client against a real wasmbox server (Fastify + SQLite + real sandboxes) on a free
 * loopback port. JavaScript guests only: they start in well under a second.
 *
 * Needs a build first (`npm run build`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, type WasmboxServer } from "@wasmbox/server";
import { isWasmboxApiError, WasmboxApiError, WasmboxClient, type RunEvent } from "@wasmbox/client";

let dataDir: string;
let server: WasmboxServer;
let url: string;
let client: WasmboxClient;

/** A JavaScript program that writes to both streams with pauses, so events arrive one by one. */
const CHATTY = [
  'console.log("one");',
  "await new Promise((r) => setTimeout(r, 50));",
  'console.error("two");',
  "await new Promise((r) => setTimeout(r, 50));",
  'console.log("three");',
  "",
].join("\n");

const SPIN = 'console.log("started");\nfor (;;) {}\n';

async function collect(iterable: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const e of iterable) events.push(e);
  return events;
}

/** Resolves with the error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<WasmboxApiError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(WasmboxApiError);
    return e as WasmboxApiError;
  }
  throw new Error("expected the call to fail");
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "wasmbox-client-test-"));
  server = await buildServer({ dataDir, port: 0, logLevel: "silent", poolPython: 0, poolJs: 1 });
  url = await server.listen();
  client = new WasmboxClient({ baseUrl: url });
});

afterAll(async () => {
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("system", () => {
  it("health() answers ok", async () => {
    expect(await client.health()).toEqual({ status: "ok" });
  });

  it("runtimes() lists the languages and the isolation in force", async () => {
    const info = await client.runtimes();
    expect(info.runtimes.map((r) => r.language)).toEqual(expect.arrayContaining(["python", "javascript", "typescript"]));
    expect(info.runtimes.find((r) => r.language === "javascript")?.extensions).toContain(".js");
    expect(info.isolation.walls.find((w) => w.name === "node-permission")?.inForce).toBe(true);
    expect(typeof info.isolation.weak).toBe("boolean");
  });

  it("normalises the base URL and rejects one that is not http(s)", async () => {
    expect(new WasmboxClient({ baseUrl: `${url}//` }).baseUrl).toBe(url);
    expect(await new WasmboxClient({ baseUrl: `${url}/` }).health()).toEqual({ status: "ok" });
    expect(() => new WasmboxClient({ baseUrl: "127.0.0.1:8787" })).toThrow(TypeError);
    expect(() => new WasmboxClient({ baseUrl: "ftp://example.com" })).toThrow(/http or https/);
    expect(() => new WasmboxClient({ baseUrl: "nonsense" })).toThrow(/absolute http\(s\) URL/);
  });

  it("uses the fetch it is given", async () => {
    const seen: string[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push(`${init?.method} ${String(input)}`);
      return fetch(input, init);
    };
    const custom = new WasmboxClient({ baseUrl: url, fetch: spy });
    await custom.health();
    await custom.runs.list({ limit: 1 });
    expect(seen).toEqual([`GET ${url}/healthz`, `GET ${url}/v1/runs?limit=1`]);
  });
});

describe("execute", () => {
  it("runs code and answers with the result and the run's id", async () => {
    const result = await client.execute({
      language: "javascript",
      code: 'const fs = require("fs");\nconsole.log(process.argv[2], process.env.WHO);\nfs.writeFileSync("out.txt", fs.readFileSync("in.txt", "utf8").toUpperCase());\n6 * 7;\n',
      args: ["hi"],
      env: { WHO: "there" },
      files: { "in.txt": "shout" },
      limits: { timeoutMs: 10_000 },
    });
    expect(result.id).toMatch(/^run_/);
    expect(result.status).toBe("ok");
    expect(result.stdout).toBe("hi there\n");
    expect(result.value).toBe(42);
    expect(result.exitCode).toBe(0);
    expect(result.files).toEqual([expect.objectContaining({ path: "out.txt", size: 5, mime: "text/plain" })]);
    expect(result.timings.totalMs).toBeGreaterThan(0);

    const run = await client.runs.get(result.id);
    expect(run).toMatchObject({ id: result.id, status: "ok", mode: "sync", language: "javascript", sessionId: null });
    expect(run.request.envNames).toEqual(["WHO"]);
    expect(run.result?.stdout).toBe("hi there\n");
  });

  it("returns guest failures as results, not errors", async () => {
    const result = await client.execute({ language: "javascript", code: 'throw new Error("kaboom");\n' });
    expect(result.status).toBe("error");
    expect(result.error).toMatchObject({ name: "Error", message: "kaboom", line: 1 });
  });

  it("runs TypeScript", async () => {
    const result = await client.execute({ language: "typescript", code: "const n: number = 21;\nconsole.log(n * 2);\n" });
    expect(result).toMatchObject({ status: "ok", stdout: "42\n" });
  });
});

describe("runs", () => {
  it("create() answers at once with an id; get() follows the run to its result", async () => {
    const { id } = await client.runs.create({ language: "javascript", code: CHATTY });
    expect(id).toMatch(/^run_/);
    const first = await client.runs.get(id);
    expect(["queued", "running", "ok"]).toContain(first.status);
    expect(first.mode).toBe("async");
    let run = first;
    for (let i = 0; i < 200 && run.result === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      run = await client.runs.get(id);
    }
    expect(run.status).toBe("ok");
    expect(run.result?.output).toBe("one\ntwo\nthree\n");
    expect(run.finishedAt).not.toBeNull();
  });

  it("events() streams status, output in write order, then the result, and ends", async () => {
    const { id } = await client.runs.create({ language: "javascript", code: CHATTY });
    const events = await collect(client.runs.events(id));
    const types = events.map((e) => e.type);
    expect(types.at(-1)).toBe("result");
    expect(types.filter((t) => t === "result")).toHaveLength(1);
    expect(events.filter((e) => e.type === "status").map((e) => e.data)).toEqual([{ status: "queued" }, { status: "running" }]);
    expect(types.indexOf("status")).toBe(0);
    const output = events.map((e) => (e.type === "stdout" || e.type === "stderr" ? `${e.type}:${e.data.text}` : "")).join("");
    expect(output).toBe("stdout:one\nstderr:two\nstdout:three\n");
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1)); // 1, 2, 3, … in order, none skipped
    const result = events.at(-1)!;
    expect(result.type === "result" && result.data.status).toBe("ok");
  });

  it("events() replays a finished run, and resumes after lastEventId", async () => {
    const { id } = await client.runs.create({ language: "javascript", code: CHATTY });
    const all = await collect(client.runs.events(id));
    const replay = await collect(client.runs.events(id));
    expect(replay).toEqual(all);
    const third = all[2]!;
    const rest = await collect(client.runs.events(id, { lastEventId: third.id }));
    expect(rest).toEqual(all.slice(3));
    expect(await collect(client.runs.events(id, { lastEventId: Number(all.at(-1)!.id) }))).toEqual([]);
  });

  it("events() resumes a live run: break after the first output, reconnect with its id, miss nothing", async () => {
    const code = 'console.log("a");\nawait new Promise((r) => setTimeout(r, 300));\nconsole.log("b");\n';
    const { id } = await client.runs.create({ language: "javascript", code });
    const before: RunEvent[] = [];
    for await (const e of client.runs.events(id)) {
      before.push(e);
      if (e.type === "stdout") break; // closes the connection
    }
    const after = await collect(client.runs.events(id, { lastEventId: before.at(-1)!.id }));
    const all = [...before, ...after];
    expect(all.map((e) => Number(e.id))).toEqual(all.map((_, i) => i + 1));
    expect(all.filter((e) => e.type === "stdout").map((e) => e.type === "stdout" && e.data.text)).toEqual(["a\n", "b\n"]);
    expect(all.at(-1)?.type).toBe("result");
  });

  it("events() reconnects by itself when the connection breaks mid-stream, resuming from the last event", async () => {
    const { id } = await client.runs.create({ language: "javascript", code: CHATTY });
    const expected = await collect(client.runs.events(id));
    const lastEventIds: Array<string | null> = [];
    let broken = false;
    // A fetch whose first event stream dies in the middle of its third event.
    const flaky: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith("/events")) return response;
      lastEventIds.push(new Headers(init?.headers).get("last-event-id"));
      if (broken) return response;
      broken = true;
      const text = await response.text();
      const cut = text.split("\n\n").slice(0, 2).join("\n\n").length + 12;
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent) return controller.error(new TypeError("terminated"));
          sent = true;
          controller.enqueue(new TextEncoder().encode(text.slice(0, cut)));
        },
      });
      return new Response(body, { status: 200, headers: response.headers });
    };
    const resumed = await collect(new WasmboxClient({ baseUrl: url, fetch: flaky }).runs.events(id));
    expect(resumed).toEqual(expected);
    expect(lastEventIds).toEqual([null, "2"]);
  });

  it("events() stops with the signal's reason when aborted", async () => {
    const { id } = await client.runs.create({ language: "javascript", code: SPIN, limits: { timeoutMs: 20_000 } });
    const controller = new AbortController();
    const seen: string[] = [];
    const failure = (async () => {
      for await (const e of client.runs.events(id, { signal: controller.signal })) {
        seen.push(e.type);
        if (e.type === "stdout") controller.abort(new Error("enough"));
      }
    })();
    await expect(failure).rejects.toThrow("enough");
    expect(seen).toContain("stdout");
    await client.runs.cancel(id);
  });

  it("cancel() stops a running run: it ends as killed; cancelling it again is 409 ALREADY_FINISHED", async () => {
    const { id } = await client.runs.create({ language: "javascript", code: SPIN, limits: { timeoutMs: 20_000 } });
    const events: RunEvent[] = [];
    for await (const e of client.runs.events(id)) {
      events.push(e);
      if (e.type === "stdout") expect(await client.runs.cancel(id)).toEqual({ id, cancelled: true });
    }
    const result = events.at(-1)!;
    expect(result.type).toBe("result");
    expect(result.type === "result" && result.data.status).toBe("killed");
    expect((await client.runs.get(id)).status).toBe("killed");
    const again = await rejection(client.runs.cancel(id));
    expect(again).toMatchObject({ status: 409, code: "ALREADY_FINISHED" });
  });

  it("list() filters by status and language and pages with cursor", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await client.execute({ language: "javascript", code: `${i}` })).id);
    const failed = await client.execute({ language: "javascript", code: "throw 1" });

    const first = await client.runs.list({ limit: 2 });
    expect(first.runs).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await client.runs.list({ limit: 2, cursor: first.nextCursor! });
    expect(second.runs.map((r) => r.id)).not.toContain(first.runs[0]!.id);
    expect(first.runs[0]!.id).toBe(failed.id); // newest first
    expect(first.runs[1]!.createdAt >= second.runs[0]!.createdAt).toBe(true);

    const errors = await client.runs.list({ status: "error", language: "javascript", limit: 200 });
    expect(errors.runs.map((r) => r.id)).toContain(failed.id);
    expect(errors.runs.every((r) => r.status === "error" && r.language === "javascript")).toBe(true);
    expect((await client.runs.list({ language: "python" })).runs).toEqual([]);

    const everything: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.runs.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      everything.push(...page.runs.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(everything).size).toBe(everything.length);
    for (const id of ids) expect(everything).toContain(id);
  });

  it("list() passes the server's query errors on", async () => {
    expect(await rejection(client.runs.list({ limit: 500 }))).toMatchObject({ status: 400, code: "INVALID_QUERY" });
    expect(await rejection(client.runs.list({ cursor: "bogus" }))).toMatchObject({ status: 400, code: "INVALID_CURSOR" });
  });

  it("file() downloads produced files byte for byte with their content type, also under odd paths", async () => {
    const code = [
      'const fs = require("fs");',
      'fs.mkdirSync("out/deep dir", { recursive: true });',
      'fs.writeFileSync("out/deep dir/notes #1 & ü.txt", "héllo\\n");',
      "fs.writeFileSync(\"out/all.bin\", new Uint8Array(Array.from({ length: 256 }, (_, i) => 255 - i)));",
      'fs.writeFileSync("page.html", "<p>hi</p>");',
      "",
    ].join("\n");
    const result = await client.execute({ language: "javascript", code });
    expect(result.status).toBe("ok");
    expect(result.files.map((f) => f.path).sort()).toEqual(["out/all.bin", "out/deep dir/notes #1 & ü.txt", "page.html"]);

    const text = await client.runs.file(result.id, "out/deep dir/notes #1 & ü.txt");
    expect(new TextDecoder().decode(text.bytes)).toBe("héllo\n");
    expect(text.contentType).toMatch(/^text\/plain/);
    const bin = await client.runs.file(result.id, "out/all.bin");
    expect(bin.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(bin.bytes)).toEqual(Array.from({ length: 256 }, (_, i) => 255 - i));
    expect((await client.runs.file(result.id, "page.html")).contentType).toMatch(/^text\/html/);

    expect(await rejection(client.runs.file(result.id, "missing.txt"))).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });
});

describe("sessions", () => {
  it("create → execute (state persists) → get → delete", async () => {
    const session = await client.sessions.create({ language: "javascript", limits: { timeoutMs: 5000 } });
    expect(session).toMatchObject({ id: expect.stringMatching(/^ses_/), language: "javascript", alive: true });
    const first = await client.sessions.execute(session.id, { code: "var counter = 20;\ncounter" });
    expect(first).toMatchObject({ status: "ok", value: 20, id: expect.stringMatching(/^run_/) });
    const second = await client.sessions.execute(session.id, { code: 'counter += 22;\nconsole.log("now", counter);\ncounter' });
    expect(second).toMatchObject({ status: "ok", value: 42, stdout: "now 42\n" });
    expect((await client.runs.get(second.id)).sessionId).toBe(session.id);
    expect(await client.sessions.get(session.id)).toMatchObject({ id: session.id, alive: true });

    await expect(client.sessions.delete(session.id)).resolves.toBeUndefined();
    expect(await rejection(client.sessions.execute(session.id, { code: "1" }))).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(await rejection(client.sessions.delete(session.id))).toMatchObject({ status: 404 });
  });

  it("rejects an invalid session request naming the field", async () => {
    const e = await rejection(client.sessions.create({ language: "cobol" as "javascript" }));
    expect(e).toMatchObject({ status: 400, code: "INVALID_REQUEST" });
    expect(e.message).toMatch(/language/);
  });
});

describe("errors", () => {
  it("an invalid request is WasmboxApiError 400 INVALID_REQUEST naming the field", async () => {
    const e = await rejection(client.execute({ language: "javascript", code: "1", limits: { timeoutMs: -5 } }));
    expect(e).toMatchObject({ name: "WasmboxApiError", status: 400, code: "INVALID_REQUEST", method: "POST", url: `${url}/v1/execute` });
    expect(e.message).toMatch(/timeoutMs/);
    expect(e.isClientError).toBe(true);
    expect(e.retryAfterMs).toBeUndefined();
    expect(isWasmboxApiError(e, "INVALID_REQUEST")).toBe(true);
    expect(isWasmboxApiError(e, "NOT_FOUND")).toBe(false);
    expect(isWasmboxApiError(new Error("x"))).toBe(false);
  });

  it("an unknown id is 404 NOT_FOUND, for every run method", async () => {
    for (const call of [
      client.runs.get("run_nope"),
      client.runs.cancel("run_nope"),
      client.runs.file("run_nope", "a.txt"),
      collect(client.runs.events("run_nope")),
      client.sessions.get("ses_nope"),
    ]) {
      const e = await rejection(call);
      expect(e).toMatchObject({ status: 404, code: "NOT_FOUND" });
      expect(e.message).toMatch(/_nope/);
    }
  });

  it("an unreachable server is NETWORK_ERROR naming the URL", async () => {
    const port = await closedPort();
    const offline = new WasmboxClient({ baseUrl: `http://127.0.0.1:${port}` });
    const e = await rejection(offline.execute({ language: "javascript", code: "1" }));
    expect(e).toMatchObject({ status: 0, code: "NETWORK_ERROR" });
    expect(e.message).toContain(`http://127.0.0.1:${port}/v1/execute`);
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.isClientError).toBe(false);
    const streamError = await rejection(collect(offline.runs.events("run_x")));
    expect(streamError.code).toBe("NETWORK_ERROR");
  });

  it("a call slower than timeoutMs is TIMEOUT", async () => {
    const impatient = new WasmboxClient({ baseUrl: url, timeoutMs: 300 });
    const started = Date.now();
    const e = await rejection(impatient.execute({ language: "javascript", code: SPIN, limits: { timeoutMs: 3000 } }));
    expect(e).toMatchObject({ status: 0, code: "TIMEOUT" });
    expect(e.message).toMatch(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2500);
    // A per-call timeoutMs overrides the client's.
    expect(await impatient.health({ timeoutMs: 0 })).toEqual({ status: "ok" });
  });

  it("a call aborted by its signal rejects with the signal's reason", async () => {
    const controller = new AbortController();
    const call = client.execute({ language: "javascript", code: SPIN, limits: { timeoutMs: 3000 } }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 100);
    await expect(call).rejects.toThrow("stop");
    const aborted = AbortSignal.abort(new Error("already"));
    await expect(client.health({ signal: aborted })).rejects.toThrow("already");
  });
});

describe("with API keys", () => {
  let keyed: WasmboxServer;
  let keyedUrl: string;
  let keyedDir: string;
  let key: string;

  beforeAll(async () => {
    keyedDir = mkdtempSync(join(tmpdir(), "wasmbox-client-keys-"));
    keyed = await buildServer({ dataDir: keyedDir, port: 0, logLevel: "silent", poolPython: 0, poolJs: 0, maxConcurrentRunsPerKey: 1 });
    key = keyed.keys.create("a").key;
    keyedUrl = await keyed.listen();
  });

  afterAll(async () => {
    await keyed?.close();
    if (keyedDir) rmSync(keyedDir, { recursive: true, force: true });
  });

  it("a missing or wrong key is 401 UNAUTHORIZED; health needs none", async () => {
    const anonymous = new WasmboxClient({ baseUrl: keyedUrl });
    const missing = await rejection(anonymous.runtimes());
    expect(missing).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    expect(missing.message).toMatch(/Authorization: Bearer/);
    expect(await rejection(new WasmboxClient({ baseUrl: keyedUrl, apiKey: "wbx_wrong" }).runtimes())).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    expect(await anonymous.health()).toEqual({ status: "ok" });
  });

  it("the right key works, and a Retry-After answer carries retryAfterMs", async () => {
    const authed = new WasmboxClient({ baseUrl: keyedUrl, apiKey: key });
    expect((await authed.runtimes()).runtimes.length).toBeGreaterThan(0);
    const { id } = await authed.runs.create({ language: "javascript", code: SPIN, limits: { timeoutMs: 20_000 } });
    try {
      const busy = await rejection(authed.runs.create({ language: "javascript", code: "1" }));
      expect(busy).toMatchObject({ status: 429, code: "TOO_MANY_RUNS", retryAfterMs: 1000 });
      expect(busy.isClientError).toBe(false);
    } finally {
      await authed.runs.cancel(id);
    }
    const events = await collect(authed.runs.events(id));
    expect(events.at(-1)?.type).toBe("result");
  });
});
