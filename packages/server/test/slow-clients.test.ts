/**
 * Slow and idle clients cost nothing: a body or headers trickled in are cut at their
 * timeouts (here ~1 s) with 408 REQUEST_TIMEOUT; a connection that sends nothing, or sits
 * idle after its answer, is closed; a flood of idle connections from one address is capped
 * (429 TOO_MANY_CONNECTIONS) while another client is still served, and the server-wide cap
 * answers 503 SERVER_BUSY; a body past the limit is cut as it arrives. A run that takes
 * longer than the idle timeout is not "idle". All over raw TCP to 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, collectEvents, connectRaw, openEvents, parseRawAnswer, rawRequest, removeDataDirs, show, sleep, startServer, within, type RawConnection, type TestServer } from "./helpers.js";

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 1500;
const KEEP_ALIVE_TIMEOUT_MS = 500;
const IDLE_TIMEOUT_MS = 1000;
const PER_CLIENT = 6;
const BODY_LIMIT = 4096;
/** How late a timeout may fire: Node checks them every connectionsCheckingInterval (≤ 250 ms here), plus a busy CI machine. */
const SLACK_MS = 1500;

let t: TestServer;

beforeAll(async () => {
  t = await startServer({
    poolPython: 0,
    poolJs: 1,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
    idleTimeoutMs: IDLE_TIMEOUT_MS,
    maxConnectionsPerClient: PER_CLIENT,
    maxConnections: 100,
    bodyLimitBytes: BODY_LIMIT,
  });
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

/** Write `piece` every `everyMs` until the connection closes (bounded: at most `max` times). */
function trickle(conn: RawConnection, piece: string, everyMs: number, max = 200): () => number {
  let sent = 0;
  const timer = setInterval(() => {
    if (conn.socket.destroyed || sent >= max) return clearInterval(timer);
    conn.socket.write(piece);
    sent++;
  }, everyMs);
  void conn.closed.then(() => clearInterval(timer));
  return () => sent;
}

describe("timeouts", () => {
  it("a client trickling its headers is cut at WASMBOX_HEADERS_TIMEOUT_MS with 408 REQUEST_TIMEOUT", async () => {
    const conn = await connectRaw(t.url);
    conn.socket.write(`GET /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    trickle(conn, "X-Slow: 1\r\n", 100);
    const ms = await within(conn.closed, HEADERS_TIMEOUT_MS + SLACK_MS + 3000, -1);
    expect(ms, "the connection was still open").toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    const answer = parseRawAnswer(conn.received());
    expect(answer.status, conn.received()).toBe(408);
    expect(answer.error?.code).toBe("REQUEST_TIMEOUT");
    expect(answer.error?.message).toMatch(/WASMBOX_HEADERS_TIMEOUT_MS/);
  });

  it("a client trickling its body (1 byte every 100 ms) is cut at WASMBOX_REQUEST_TIMEOUT_MS, and its run never starts", async () => {
    const before = (await api(t.url).get("/v1/runs")).body.runs.length;
    const conn = await connectRaw(t.url);
    const body = JSON.stringify({ language: "javascript", code: "console.log('slow')" });
    conn.socket.write(`POST /v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    let i = 0;
    const timer = setInterval(() => (i < body.length - 1 && !conn.socket.destroyed ? conn.socket.write(body[i++]!) : clearInterval(timer)), 100);
    try {
      const ms = await within(conn.closed, REQUEST_TIMEOUT_MS + SLACK_MS + 3000, -1);
      expect(ms, "the connection was still open").toBeGreaterThan(0);
      expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
      const answer = parseRawAnswer(conn.received());
      expect(answer.status, conn.received()).toBe(408);
      expect(answer.error?.code).toBe("REQUEST_TIMEOUT");
      expect(answer.error?.message).toMatch(/WASMBOX_REQUEST_TIMEOUT_MS/);
    } finally {
      clearInterval(timer);
    }
    expect((await api(t.url).get("/v1/runs")).body.runs).toHaveLength(before);
  });

  it("a connection that sends nothing is closed at the headers timeout; one idle after its answer at the keep-alive timeout", async () => {
    const silent = await connectRaw(t.url);
    const keepAlive = await connectRaw(t.url);
    keepAlive.socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const [silentMs, keepAliveMs] = await Promise.all([
      within(silent.closed, HEADERS_TIMEOUT_MS + SLACK_MS + 3000, -1),
      within(keepAlive.closed, KEEP_ALIVE_TIMEOUT_MS + 1000 + SLACK_MS + 3000, -1), // Node 24 adds a 1 s keep-alive buffer
    ]);
    expect(silentMs, "the silent connection was still open").toBeGreaterThan(0);
    expect(silentMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    expect(keepAlive.received()).toMatch(/^HTTP\/1\.1 200/);
    expect(keepAliveMs, "the idle keep-alive connection was still open").toBeGreaterThan(0);
    expect(keepAliveMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 1000 + SLACK_MS);
  });

  it("a run longer than the idle timeout is answered (the client waiting is not idle), and its event stream stays open", async () => {
    const code = "await new Promise((r) => setTimeout(r, 2500)); console.log('late')";
    const res = await api(t.url).post("/v1/execute", { language: "javascript", code });
    expect(res.status, show(res)).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", stdout: "late\n" });

    const started = await api(t.url).post("/v1/runs", { language: "javascript", code });
    expect(started.status, show(started)).toBe(202);
    const events = await collectEvents(await openEvents(t.url, started.body.id), 15_000);
    expect(events.at(-1)?.event).toBe("result");
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ status: "ok", stdout: "late\n" });
  });
});

describe("connection caps", () => {
  it(`a flood of idle connections from one address is capped at ${PER_CLIENT} (429 TOO_MANY_CONNECTIONS), while another client is served`, async () => {
    const flood: RawConnection[] = [];
    try {
      for (let i = 0; i < PER_CLIENT + 4; i++) flood.push(await connectRaw(t.url, "127.0.0.2"));
      // The ones over the cap are answered and closed at once, without sending anything.
      const refused = flood.slice(PER_CLIENT);
      const closedMs = await Promise.all(refused.map((c) => within(c.closed, 3000, -1)));
      for (const [i, c] of refused.entries()) {
        expect(closedMs[i], "a connection over the cap was left open").toBeGreaterThanOrEqual(0);
        const answer = parseRawAnswer(c.received());
        expect(answer.status, c.received()).toBe(429);
        expect(answer.error?.code).toBe("TOO_MANY_CONNECTIONS");
        expect(answer.error?.message).toMatch(/WASMBOX_MAX_CONNECTIONS_PER_CLIENT/);
      }
      // Those within the cap are still open (nothing received yet)...
      for (const c of flood.slice(0, PER_CLIENT)) expect(c.socket.destroyed).toBe(false);
      // ...and another client (127.0.0.1) is served meanwhile.
      const res = await rawRequest(t.url, { method: "POST", path: "/v1/execute", body: { language: "javascript", code: "'served'" }, localAddress: "127.0.0.1" });
      expect(res.status, res.text).toBe(200);
      expect(res.body.value).toBe("served");
      // The flooding address itself can connect again once its idle connections are cut (headers timeout).
      await Promise.all(flood.slice(0, PER_CLIENT).map((c) => within(c.closed, HEADERS_TIMEOUT_MS + SLACK_MS + 3000, -1)));
      for (const c of flood.slice(0, PER_CLIENT)) expect(c.socket.destroyed, "an idle flood connection outlived the headers timeout").toBe(true);
      const again = await rawRequest(t.url, { path: "/healthz", localAddress: "127.0.0.2" });
      expect(again.status).toBe(200);
    } finally {
      for (const c of flood) c.socket.destroy();
    }
  });

  it("past WASMBOX_MAX_CONNECTIONS a new connection gets 503 SERVER_BUSY; once some close, clients are served again", async () => {
    const s = await startServer({ poolPython: 0, poolJs: 0, maxConnections: 4, maxConnectionsPerClient: 100 });
    const held: RawConnection[] = [];
    try {
      for (let i = 0; i < 4; i++) held.push(await connectRaw(s.url, "127.0.0.2"));
      await sleep(50);
      const other = await connectRaw(s.url, "127.0.0.3");
      expect(await within(other.closed, 3000, -1)).toBeGreaterThanOrEqual(0);
      const answer = parseRawAnswer(other.received());
      expect(answer.status, other.received()).toBe(503);
      expect(answer.error?.code).toBe("SERVER_BUSY");
      expect(answer.error?.message).toMatch(/WASMBOX_MAX_CONNECTIONS/);
      expect(answer.headers).toContain("retry-after:");
      for (const c of held) c.socket.destroy();
      await Promise.all(held.map((c) => c.closed));
      await sleep(50);
      const res = await rawRequest(s.url, { path: "/healthz", localAddress: "127.0.0.3" });
      expect(res.status).toBe(200);
    } finally {
      for (const c of held) c.socket.destroy();
      await s.stop();
    }
  });
});

describe("bodies past the limit", () => {
  it("a chunked body is cut with 413 BODY_TOO_LARGE as soon as it passes the limit, and the connection closed", async () => {
    const conn = await connectRaw(t.url);
    conn.socket.write("POST /v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    const chunk = "x".repeat(1024);
    const sent = trickle(conn, `${chunk.length.toString(16)}\r\n${chunk}\r\n`, 50, 100);
    const ms = await within(conn.closed, 5000, -1);
    expect(ms, "the connection was still open").toBeGreaterThan(0);
    const answer = parseRawAnswer(conn.received());
    expect(answer.status, conn.received()).toBe(413);
    expect(answer.error?.code).toBe("BODY_TOO_LARGE");
    expect(answer.error?.message).toMatch(/WASMBOX_BODY_LIMIT_BYTES/);
    // Cut a little past 4 KiB, not after the 100 KiB the client meant to send.
    expect(sent()).toBeLessThan(10);
  });

  it("a declared Content-Length past the limit is refused before any of the body is sent", async () => {
    const conn = await connectRaw(t.url);
    conn.socket.write(`POST /v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${32 * 1024 * 1024}\r\n\r\n`);
    const ms = await within(conn.closed, 3000, -1);
    expect(ms, "the connection was still open").toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(1000);
    expect(parseRawAnswer(conn.received()).error?.code).toBe("BODY_TOO_LARGE");
  });

  it("a refusal sent before the body was read (415 here) closes the connection instead of reading on", async () => {
    const conn = await connectRaw(t.url);
    conn.socket.write("POST /v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 4000\r\n\r\nabc");
    const sent = trickle(conn, "a", 50, 100);
    const ms = await within(conn.closed, 3000, -1);
    expect(ms, "the connection was still open").toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(1000);
    expect(parseRawAnswer(conn.received()).error?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(sent()).toBeLessThan(20);
  });
});
