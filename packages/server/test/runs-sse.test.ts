/**
 * GET /v1/runs/:id/events — Server-Sent Events, read off the real fetch body stream:
 * order and ids, live streaming (stdout arrives while the run is still going), resume with
 * Last-Event-ID, replay of a finished run, and events synthesized for a synchronous run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, collectEvents, errorBody, lines, openEvents, removeDataDirs, show, startServer, type Api, type SseEvent, type TestServer } from "./helpers.js";

let t: TestServer;
let client: Api;

beforeAll(async () => {
  t = await startServer({ poolPython: 0, poolJs: 1 });
  client = api(t.url);
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

/** Prints tick0..tick{n-1}, `gapMs` apart. */
const ticker = (n: number, gapMs: number) =>
  lines(`for (let i = 0; i < ${n}; i++) {`, "  console.log('tick' + i);", `  await new Promise((r) => setTimeout(r, ${gapMs}));`, "}", "console.error('bye');");

const kinds = (events: SseEvent[]) => events.map((e) => (e.event === "status" ? `status:${JSON.parse(e.data).status}` : e.event));
const ids = (events: SseEvent[]) => events.map((e) => Number(e.id));

function expectIncreasingIds(events: SseEvent[]): void {
  const seq = ids(events);
  for (const id of seq) expect(Number.isInteger(id)).toBe(true);
  for (let i = 1; i < seq.length; i++) expect(seq[i]!, `ids ${seq.join(",")}`).toBeGreaterThan(seq[i - 1]!);
}

async function startTicker(n: number, gapMs: number): Promise<string> {
  const res = await client.post("/v1/runs", { language: "javascript", code: ticker(n, gapMs) });
  expect(res.status, show(res)).toBe(202);
  return res.body.id;
}

describe("live stream", () => {
  it("sends status(queued) → status(running) → stdout… → result, ids strictly increasing, stdout before the run finishes", async () => {
    const id = await startTicker(3, 400);
    const conn = await openEvents(t.url, id);
    expect(conn.status).toBe(200);
    expect(conn.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(conn.headers.get("cache-control")).toBe("no-cache");

    const events: SseEvent[] = [];
    let statusWhenFirstStdout: string | undefined;
    for await (const e of conn.events) {
      events.push(e);
      if (e.event === "stdout" && statusWhenFirstStdout === undefined) {
        // The run is still going when its first line reaches us.
        statusWhenFirstStdout = (await client.get(`/v1/runs/${id}`)).body.status;
      }
    }

    expect(kinds(events)).toEqual(["status:queued", "status:running", "stdout", "stdout", "stdout", "stderr", "result"]);
    expectIncreasingIds(events);
    expect(ids(events)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(events.filter((e) => e.event === "stdout").map((e) => JSON.parse(e.data).text)).toEqual(["tick0\n", "tick1\n", "tick2\n"]);
    expect(JSON.parse(events[5]!.data)).toEqual({ text: "bye\n" });
    expect(statusWhenFirstStdout).toBe("running");

    // Streamed, not buffered: the lines arrive about 400 ms apart, the first well before the result.
    const stdout = events.filter((e) => e.event === "stdout");
    const result = events.at(-1)!;
    expect(result.receivedAt - stdout[0]!.receivedAt).toBeGreaterThanOrEqual(600);
    expect(stdout[2]!.receivedAt - stdout[0]!.receivedAt).toBeGreaterThanOrEqual(500);

    const final = JSON.parse(result.data);
    expect(final).toMatchObject({ status: "ok", stdout: "tick0\ntick1\ntick2\n", stderr: "bye\n", exitCode: 0 });
    const stored = await client.get(`/v1/runs/${id}`);
    expect(stored.body.status).toBe("ok");
  });

  it("resumes with Last-Event-ID mid-run: only events after it, nothing lost or repeated", async () => {
    const id = await startTicker(4, 300);
    const first = await openEvents(t.url, id);
    const part1: SseEvent[] = [];
    for await (const e of first.events) {
      part1.push(e);
      if (e.event === "stdout") break; // drop the connection after the first line
    }
    first.close();
    const lastId = part1.at(-1)!.id!;
    expect(kinds(part1)).toEqual(["status:queued", "status:running", "stdout"]);

    const second = await openEvents(t.url, id, { lastEventId: lastId });
    expect(second.status).toBe(200);
    const part2 = await collectEvents(second);
    expect(Math.min(...ids(part2))).toBeGreaterThan(Number(lastId));
    const all = [...part1, ...part2];
    expectIncreasingIds(all);
    expect(ids(all)).toEqual(all.map((_, i) => i + 1));
    expect(kinds(all)).toEqual(["status:queued", "status:running", "stdout", "stdout", "stdout", "stdout", "stderr", "result"]);
  });
});

describe("finished runs", () => {
  let id: string;
  let full: SseEvent[];

  beforeAll(async () => {
    id = await startTicker(2, 150);
    full = await collectEvents(await openEvents(t.url, id));
    expect(kinds(full)).toEqual(["status:queued", "status:running", "stdout", "stdout", "stderr", "result"]);
  });

  it("connecting after the run finished replays every event, then closes the stream", async () => {
    const t0 = Date.now();
    const replay = await collectEvents(await openEvents(t.url, id), 5000);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(replay.map((e) => [e.id, e.event, e.data])).toEqual(full.map((e) => [e.id, e.event, e.data]));
  });

  it("Last-Event-ID: n replays only events with id > n", async () => {
    for (const n of [1, 3, 5]) {
      const replay = await collectEvents(await openEvents(t.url, id, { lastEventId: n }), 5000);
      expect(replay.map((e) => e.id)).toEqual(full.filter((e) => Number(e.id) > n).map((e) => e.id));
    }
    // Also as a query parameter (for EventSource clients that cannot set headers).
    const viaQuery = await collectEvents(await openEvents(t.url, id, { query: "?lastEventId=4" }), 5000);
    expect(viaQuery.map((e) => e.id)).toEqual(["5", "6"]);
    // Past the last event: nothing, and the stream still ends.
    const none = await collectEvents(await openEvents(t.url, id, { lastEventId: 6 }), 5000);
    expect(none).toEqual([]);
  });

  it("a synchronous run's events are synthesized from its result", async () => {
    const res = await client.post("/v1/execute", { language: "javascript", code: lines("console.log('out');", "console.error('err');", "1 + 1") });
    expect(res.status, show(res)).toBe(200);
    const events = await collectEvents(await openEvents(t.url, res.body.id), 5000);
    expect(kinds(events)).toEqual(["status:running", "stdout", "stderr", "result"]);
    expectIncreasingIds(events);
    expect(JSON.parse(events[1]!.data)).toEqual({ text: "out\n" });
    expect(JSON.parse(events[2]!.data)).toEqual({ text: "err\n" });
    expect(JSON.parse(events[3]!.data)).toMatchObject({ status: "ok", value: 2, stdout: "out\n", stderr: "err\n", files: [] });

    const resumed = await collectEvents(await openEvents(t.url, res.body.id, { lastEventId: 2 }), 5000);
    expect(kinds(resumed)).toEqual(["stderr", "result"]);
  });

  it("a failing run ends with a result event carrying the error", async () => {
    const res = await client.post("/v1/runs", { language: "javascript", code: "throw new TypeError('bad thing')" });
    const events = await collectEvents(await openEvents(t.url, res.body.id));
    const result = JSON.parse(events.at(-1)!.data);
    expect(events.at(-1)!.event).toBe("result");
    expect(result).toMatchObject({ status: "error", error: { name: "TypeError", message: "bad thing" } });
  });

  it("an unknown run answers 404 JSON, not a stream", async () => {
    const conn = await openEvents(t.url, "run_00000000000000000000000000000000");
    expect(conn.status).toBe(404);
    expect(errorBody(conn.error!).code).toBe("NOT_FOUND");
  });
});
