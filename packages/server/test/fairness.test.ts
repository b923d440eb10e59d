/**
 * Fair sharing of execution slots between keys: one key's queue of long runs can neither
 * hold every slot nor make another key's run wait behind all of it. Both keys progress,
 * and nothing is lost: every accepted run ends with exactly one final stored status (a run
 * cancelled while it waited for a slot too).
 */
import { afterAll, describe, expect, it } from "vitest";
import { api, errorBody, openDb, removeDataDirs, show, startServer, waitForRun, type Api, type Json, type TestServer } from "./helpers.js";

afterAll(() => {
  removeDataDirs();
});

const RUN_MS = 1000;
const longRun = (label: string) => ({ language: "javascript", code: `await new Promise((r) => setTimeout(r, ${RUN_MS})); console.log(${JSON.stringify(label)})` });
const FINAL = ["ok", "error", "timeout", "memory_limit", "output_limit", "compile_error", "killed"];

async function submit(client: Api, label: string): Promise<string> {
  const res = await client.post("/v1/runs", longRun(label));
  expect(res.status, show(res)).toBe(202);
  return res.body.id as string;
}

/** Every run is final, once: a status, a result, a finish time, and (async) exactly one result event, the last one. */
function expectNothingLost(t: TestServer, accepted: string[]) {
  const db = openDb(t.dataDir, true);
  try {
    const rows = db.prepare("SELECT id, status, result_json, finished_at FROM runs").all() as Array<{ id: string; status: string; result_json: string | null; finished_at: number | null }>;
    expect(rows.map((r) => r.id).sort()).toEqual([...accepted].sort());
    for (const r of rows) {
      expect(FINAL, r.id).toContain(r.status);
      expect(r.result_json, r.id).not.toBeNull();
      expect((JSON.parse(r.result_json!) as { status: string }).status).toBe(r.status);
      expect(r.finished_at, r.id).not.toBeNull();
      const results = db.prepare("SELECT seq FROM run_events WHERE run_id = ? AND type = 'result'").all(r.id) as Array<{ seq: number }>;
      const last = db.prepare("SELECT MAX(seq) AS seq FROM run_events WHERE run_id = ?").get(r.id) as { seq: number };
      expect(results, r.id).toHaveLength(1);
      expect(results[0]!.seq).toBe(last.seq);
    }
  } finally {
    db.close();
  }
}

const ms = (iso: string) => Date.parse(iso);

describe("two keys competing for two slots", () => {
  it("by default one key holds at most all slots but one: another key's run starts at once, and both keys' runs all finish", async () => {
    const t = await startServer({ poolPython: 0, poolJs: 2, maxConcurrentRuns: 2, maxConcurrentRunsPerKey: 8, maxQueuedRuns: 16 });
    try {
      const a = api(t.url, t.server.keys.create("a").key);
      const b = api(t.url, t.server.keys.create("b").key);
      const runsA = [await submit(a, "a1"), await submit(a, "a2"), await submit(a, "a3")];
      const runB = await submit(b, "b1");
      const doneB = await waitForRun(b, runB, FINAL);
      const doneA: Json[] = [];
      for (const id of runsA) doneA.push(await waitForRun(a, id, FINAL));

      for (const r of [...doneA, doneB]) expect(r.status, JSON.stringify(r.result?.error)).toBe("ok");
      // B did not wait behind A's queue: a slot was kept free of A.
      expect(doneB.result.timings.queuedMs).toBeLessThan(RUN_MS / 2);
      // A's runs went one at a time (never both slots), so they took three run-lengths in all.
      expect(ms(doneA[2].finishedAt) - ms(doneA[0].startedAt)).toBeGreaterThanOrEqual(3 * RUN_MS - 100);
      expect(doneA[1].result.timings.queuedMs).toBeGreaterThanOrEqual(RUN_MS - 100);
      expectNothingLost(t, [...runsA, runB]);
    } finally {
      await t.stop();
    }
  });

  it("with WASMBOX_MAX_SLOTS_PER_KEY=2 a key may use both slots, but a freed slot goes to the other key's run before the rest of its own queue", async () => {
    const t = await startServer({ poolPython: 0, poolJs: 2, maxConcurrentRuns: 2, maxSlotsPerKey: 2, maxConcurrentRunsPerKey: 8, maxQueuedRuns: 16 });
    try {
      const a = api(t.url, t.server.keys.create("a").key);
      const b = api(t.url, t.server.keys.create("b").key);
      const runsA = [await submit(a, "a1"), await submit(a, "a2"), await submit(a, "a3"), await submit(a, "a4")];
      await waitForRun(a, runsA[1]!, ["running", ...FINAL]); // A holds both slots
      const runB = await submit(b, "b1");
      // One more of A's, cancelled while it waits for a slot: recorded as killed, nothing ran.
      const cancelled = await submit(a, "a5");
      const del = await a.del(`/v1/runs/${cancelled}`);
      expect(del.status, show(del)).toBe(202);

      const doneB = await waitForRun(b, runB, FINAL);
      const doneA: Json[] = [];
      for (const id of runsA) doneA.push(await waitForRun(a, id, FINAL));
      const killed = await waitForRun(a, cancelled, FINAL);

      for (const r of [...doneA, doneB]) expect(r.status, JSON.stringify(r.result?.error)).toBe("ok");
      expect(ms(doneA[1].startedAt)).toBeLessThan(ms(doneA[0].finishedAt)); // both slots were A's
      // B waited for one of A's runs, not for A's whole queue: it got a slot before A's fourth run.
      expect(doneB.result.timings.queuedMs).toBeLessThan(doneA[3].result.timings.queuedMs);
      expect(doneB.result.timings.queuedMs).toBeLessThan(1.7 * RUN_MS);
      expect(killed).toMatchObject({ status: "killed", startedAt: null, result: { stdout: "" } });
      expect(killed.result.error.message).toMatch(/waited in the queue/);
      expectNothingLost(t, [...runsA, runB, cancelled]);
    } finally {
      await t.stop();
    }
  });

  it("the queue caps still apply: a run that cannot start and finds the queue full gets 503 QUEUE_FULL", async () => {
    const t = await startServer({ poolPython: 0, poolJs: 2, maxConcurrentRuns: 2, maxQueuedRuns: 1, maxConcurrentRunsPerKey: 8 });
    try {
      const a = api(t.url, t.server.keys.create("a").key);
      const b = api(t.url, t.server.keys.create("b").key);
      const first = await submit(a, "a1"); // A's one slot
      const second = await submit(a, "a2"); // waits (A is at its share): the queue is now full
      const full = await a.post("/v1/runs", longRun("a3"));
      expect(full.status, show(full)).toBe(503);
      expect(errorBody(full).code).toBe("QUEUE_FULL");
      // B still has a free slot: a full queue does not refuse a run that starts at once.
      const runB = await submit(b, "b1");
      for (const [client, id] of [[a, first], [a, second], [b, runB]] as const) expect((await waitForRun(client, id, FINAL)).status).toBe("ok");
      expectNothingLost(t, [first, second, runB]);
    } finally {
      await t.stop();
    }
  });
});
