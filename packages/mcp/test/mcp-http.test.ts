/**
 * `/mcp` on a real `wasmbox serve` (a real Fastify server on a real port), driven by the
 * official SDK client over streamable HTTP: API keys, the Host/Origin guard, runs in the
 * server's history, sessions that are the server's, cancellation, two clients at once and a
 * client that vanishes mid-run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { api, rawRequest, removeDataDirs, startServer, waitFor, type Api, type TestServer } from "../../server/test/helpers.js";
import { call, textOf } from "./helpers.js";

let server: TestServer;
let key: string;
let otherKey: string;
let rest: Api;
const clients: Client[] = [];

async function connect(token: string | undefined, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "wasmbox-http-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  server = await startServer({ maxConcurrentRuns: 2, maxSessionsPerKey: 2 });
  key = server.server.keys.create("mcp-a").key;
  otherKey = server.server.keys.create("mcp-b").key;
  rest = api(server.url, key);
});
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await server?.stop();
  removeDataDirs();
});

describe("/mcp over streamable HTTP", () => {
  it("refuses a missing or wrong Bearer key", async () => {
    await expect(connect(undefined)).rejects.toThrow(/401|UNAUTHORIZED|API key/);
    await expect(connect("wbx_not-a-key")).rejects.toThrow(/401|UNAUTHORIZED|not valid/);
  });

  it("refuses a Host it does not answer for and a foreign Origin (DNS rebinding, cross-site pages)", async () => {
    const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } };
    const headers = { authorization: `Bearer ${key}`, accept: "application/json, text/event-stream" };
    const host = await rawRequest(server.url, { method: "POST", path: "/mcp", headers: { ...headers, host: "evil.example" }, body: init });
    expect(host.status).toBe(403);
    expect(host.body.error.code).toBe("HOST_NOT_ALLOWED");
    const origin = await rawRequest(server.url, { method: "POST", path: "/mcp", headers: { ...headers, origin: "http://evil.example" }, body: init });
    expect(origin.status).toBe(403);
    expect(origin.body.error.code).toBe("ORIGIN_NOT_ALLOWED");
  });

  it("lists tools and runs Python and JavaScript (C is in the stdio tests); each run is in the key's run history", async () => {
    const client = await connect(key);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("run_code");
    const py = await call(client, "run_code", { language: "python", code: "print('from python', 6 * 7)" });
    expect(textOf(py)).toContain("from python 42");
    expect(textOf(await call(client, "run_code", { language: "javascript", code: "console.log('from js')" }))).toContain("from js");
    const history = await rest.get("/v1/runs?language=python");
    expect(history.body.runs.some((r: { status: string }) => r.status === "ok")).toBe(true);
    // Another key sees none of them.
    expect((await api(server.url, otherKey).get("/v1/runs")).body.runs).toEqual([]);
  });

  it("gives an error as isError with its traceback, and a timeout naming timeoutMs", async () => {
    const client = await connect(key);
    const err = await call(client, "run_code", { language: "python", code: "x = {}\nx['missing']\n" });
    expect(err.isError).toBe(true);
    expect(textOf(err)).toMatch(/KeyError: 'missing'/);
    expect(textOf(err)).toMatch(/line 2/);
    const slow = await call(client, "run_code", { language: "javascript", code: "for (;;) {}", limits: { timeoutMs: 500 } });
    expect(slow.isError).toBe(true);
    expect(textOf(slow)).toMatch(/status: timeout[\s\S]*timeoutMs/);
  });

  it("maps sessions to the server's sessions, with files as resources of the key's runs", async () => {
    const client = await connect(key);
    const opened = await call(client, "open_session", { language: "python" });
    const id = (opened.structuredContent as { session_id: string }).session_id;
    // The same session the REST API knows, owned by the same key only.
    expect((await rest.get(`/v1/sessions/${id}`)).body).toMatchObject({ id, language: "python", alive: true });
    expect((await api(server.url, otherKey).get(`/v1/sessions/${id}`)).status).toBe(404);
    await call(client, "run_in_session", { session_id: id, code: "words = ['a', 'b']" });
    const r = await call(client, "run_in_session", { session_id: id, code: "open('words.txt', 'w').write(','.join(words * 2))" });
    const link = r.content.find((c) => c.type === "resource_link") as { uri: string } | undefined;
    expect(link?.uri).toMatch(/^wasmbox:\/\/runs\/run_[0-9a-f]+\/files\/words\.txt$/);
    expect((await client.readResource({ uri: link!.uri })).contents[0]).toMatchObject({ text: "a,b,a,b" });
    // Another key's client cannot read it.
    const other = await connect(otherKey);
    await expect(other.readResource({ uri: link!.uri })).rejects.toThrow(/no such file/);
    expect(textOf(await call(other, "run_in_session", { session_id: id, code: "words" }))).toMatch(/NOT_FOUND/);
    // Nor use the first key's MCP session (its Mcp-Session-Id) with its own key.
    const mcpSession = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const hijack = await rawRequest(server.url, {
      method: "POST",
      path: "/mcp",
      headers: { authorization: `Bearer ${otherKey}`, accept: "application/json, text/event-stream", "mcp-session-id": mcpSession, "mcp-protocol-version": "2025-06-18" },
      body: { jsonrpc: "2.0", id: 5, method: "tools/list" },
    });
    expect(hijack.status).toBe(404);
    expect(hijack.body.error.message).toMatch(/no MCP session/);
    expect(textOf(await call(client, "read_file", { session_id: id, path: "words.txt" }))).toBe("a,b,a,b");
    await call(client, "close_session", { session_id: id });
    expect((await rest.get(`/v1/sessions/${id}`)).status).toBe(404);
  });

  it("holds MCP sessions to the key's session cap (WASMBOX_MAX_SESSIONS_PER_KEY)", async () => {
    const client = await connect(key);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(((await call(client, "open_session", { language: "javascript" })).structuredContent as { session_id: string }).session_id);
    const third = await call(client, "open_session", { language: "javascript" });
    expect(third.isError).toBe(true);
    expect(textOf(third)).toMatch(/TOO_MANY_SESSIONS: .*WASMBOX_MAX_SESSIONS_PER_KEY=2/);
    // The other key has its own.
    const other = await connect(otherKey);
    const theirs = await call(other, "open_session", { language: "javascript" });
    expect(theirs.isError).toBeFalsy();
    for (const id of ids) await call(client, "close_session", { session_id: id });
    await call(other, "close_session", { session_id: (theirs.structuredContent as { session_id: string }).session_id });
  });

  it("serves two clients at once", async () => {
    const [a, b] = await Promise.all([connect(key), connect(otherKey)]);
    const [ra, rb] = await Promise.all([
      call(a, "run_code", { language: "python", code: "import time; time.sleep(0.5); print('a done')" }),
      call(b, "run_code", { language: "python", code: "import time; time.sleep(0.5); print('b done')" }),
    ]);
    expect(textOf(ra)).toContain("a done");
    expect(textOf(rb)).toContain("b done");
  });

  it("streams progress and cancels the run when the client cancels; the run is recorded killed", async () => {
    const client = await connect(key);
    const abort = new AbortController();
    const progress: string[] = [];
    const pending = call(
      client,
      "run_code",
      { language: "python", code: "import time\nprint('marker-cancel', flush=True)\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.1)\n", limits: { timeoutMs: 60_000 } },
      { signal: abort.signal, onprogress: (p) => void (progress.push(p.message ?? ""), abort.abort()) },
    );
    await expect(pending).rejects.toThrow(/abort/i);
    expect(progress.length).toBeGreaterThan(0);
    const killed = await waitFor("the cancelled run in history", async () => {
      const runs = (await rest.get("/v1/runs?status=killed")).body.runs as { id: string }[];
      for (const run of runs) {
        const detail = (await rest.get(`/v1/runs/${run.id}`)).body;
        if (detail.request.code.includes("marker-cancel")) return detail;
      }
      return undefined;
    }, 15_000);
    expect(killed.result.timings.totalMs).toBeLessThan(30_000);
  });

  it("keeps serving after a client vanishes mid-run, and cancels that client's run", async () => {
    const client = await connect(key);
    const transport = client.transport as StreamableHTTPClientTransport;
    const sessionId = transport.sessionId!;
    // A raw POST of a tools/call on that MCP session, whose connection is then dropped.
    const abort = new AbortController();
    const started = fetch(`${server.url}/mcp`, {
      method: "POST",
      signal: abort.signal,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 99, method: "tools/call", params: { name: "run_code", arguments: { language: "python", code: "import time\nprint('marker-vanish')\ntime.sleep(60)", limits: { timeoutMs: 90_000 } } } }),
    }).catch(() => undefined);
    await waitFor("the run to start", async () => ((await rest.get("/v1/runs?status=running")).body.runs.length > 0 ? true : undefined), 15_000);
    abort.abort();
    await started;
    const killed = await waitFor("the vanished client's run to be cancelled", async () => {
      const runs = (await rest.get("/v1/runs?status=killed")).body.runs as { id: string }[];
      for (const run of runs) if ((await rest.get(`/v1/runs/${run.id}`)).body.request.code.includes("marker-vanish")) return run;
      return undefined;
    }, 15_000);
    expect(killed).toBeDefined();
    const after = await connect(key);
    expect(textOf(await call(after, "run_code", { language: "javascript", code: "console.log('still serving')" }))).toContain("still serving");
  });
});
