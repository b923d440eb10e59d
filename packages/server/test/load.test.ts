/**
 * Load and fairness: per-key concurrency (429 TOO_MANY_RUNS), per-key request rate
 * (429 RATE_LIMITED), a full queue (503 QUEUE_FULL) — each with Retry-After, and each
 * rejected request storing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, collectEvents, errorBody, listAllRuns, openDb, openEvents, removeDataDirs, show, startServer, type TestServer } from "./helpers.js";

const RATE_LIMIT_PER_MINUTE = 10;

let t: TestServer;

beforeAll(async () => {
  t = await startServer({
    poolPython: 0,
    poolJs: 1,
    maxConcurrentRunsPerKey: 1,
    rateLimitPerMinute: RATE_LIMIT_PER_MINUTE,
    // One execution slot and no waiting room: a run that cannot start at once is refused.
    maxConcurrentRuns: 1,
    maxQueuedRuns: 0,
  });
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

function storedRunsOf(keyId: string): number {
  const db = openDb(t.dataDir, true);
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM runs WHERE key_id = ?").get(keyId) as { n: number }).n;
  } finally {
    db.close();
  }
}

// Every key below makes fewer requests than the rate limit, except where that is the point.

describe("per-key concurrency and a full queue", () => {
  it("a second concurrent run of the same key → 429 TOO_MANY_RUNS; another key's run with no free slot → 503 QUEUE_FULL; both with Retry-After, nothing stored", async () => {
    const keyA = t.server.keys.create("a");
    const keyC = t.server.keys.create("c");
    const a = api(t.url, keyA.key);
    const c = api(t.url, keyC.key);

    const first = await a.post("/v1/runs", { language: "javascript", code: "await new Promise((r) => setTimeout(r, 3000)); console.log('first')" });
    expect(first.status, show(first)).toBe(202);

    for (const path of ["/v1/runs", "/v1/execute"]) {
      const again = await a.post(path, { language: "javascript", code: "console.log('second')" });
      expect(again.status, show(again)).toBe(429);
      expect(errorBody(again).code).toBe("TOO_MANY_RUNS");
      expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(0);
    }

    // The only execution slot is taken and maxQueuedRuns is 0: another key's run cannot wait.
    const full = await c.post("/v1/execute", { language: "javascript", code: "1" });
    expect(full.status, show(full)).toBe(503);
    expect(errorBody(full).code).toBe("QUEUE_FULL");
    expect(Number(full.headers.get("retry-after"))).toBeGreaterThan(0);

    // Only the accepted run is in history.
    expect((await listAllRuns(a)).map((r) => r.id)).toEqual([first.body.id]);
    expect(storedRunsOf(keyC.id)).toBe(0);

    // Once it finishes, both keys can run again: a free slot is never a full queue.
    const events = await collectEvents(await openEvents(t.url, first.body.id, { token: keyA.key }));
    expect(JSON.parse(events.at(-1)!.data).status).toBe("ok");
    const next = await a.post("/v1/execute", { language: "javascript", code: "'a again'" });
    expect(next.status, show(next)).toBe(200);
    expect(next.body.value).toBe("a again");
    const other = await c.post("/v1/execute", { language: "javascript", code: "'c now'" });
    expect(other.status, show(other)).toBe(200);
    expect(other.body.value).toBe("c now");
    expect(await listAllRuns(a)).toHaveLength(2);
    expect(storedRunsOf(keyC.id)).toBe(1);
  });
});

describe("rate limit", () => {
  it(`after ${RATE_LIMIT_PER_MINUTE} requests in a minute a key gets 429 RATE_LIMITED with Retry-After, and its run is not stored`, async () => {
    const keyB = t.server.keys.create("b");
    const b = api(t.url, keyB.key);
    for (let i = 0; i < RATE_LIMIT_PER_MINUTE; i++) {
      const res = await b.get("/v1/runtimes");
      expect(res.status, `request ${i + 1}: ${show(res)}`).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBe(String(RATE_LIMIT_PER_MINUTE));
      expect(res.headers.get("x-ratelimit-remaining")).toBe(String(RATE_LIMIT_PER_MINUTE - i - 1));
    }
    const limited = await b.post("/v1/execute", { language: "javascript", code: "console.log('should not run')" });
    expect(limited.status, show(limited)).toBe(429);
    expect(errorBody(limited).code).toBe("RATE_LIMITED");
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await b.post("/v1/runs", { language: "javascript", code: "1" })).status).toBe(429);
    expect(storedRunsOf(keyB.id)).toBe(0);

    // Per key: another key is not limited; probes and metrics are never limited.
    const d = api(t.url, t.server.keys.create("d").key);
    expect((await d.get("/v1/runtimes")).status).toBe(200);
    expect((await b.get("/healthz")).status).toBe(200);
    expect((await b.get("/metrics")).status).toBe(200);
  });
});
