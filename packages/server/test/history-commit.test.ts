/**
 * Run history is group-committed (many runs' writes in one SQLite transaction) and loses
 * nothing for it: writes queued together commit together and a failing one spoils no other;
 * a result whose run row is missing is refused, not silently dropped;
 * many concurrent runs all land in history with their own results, readable right after
 * their answers; and a server killed (SIGKILL) right after answering still has every run it
 * answered, and every run it accepted with 202, even with a batch window long enough that
 * answering before the commit would lose them.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroupCommit, openDatabase } from "@wasmbox/server";
import { killedResult, RunStore } from "../src/store/runs.js";
import { api, newDataDir, removeDataDirs, show, startServer, waitFor, type TestServer } from "./helpers.js";

afterAll(() => {
  removeDataDirs();
});

describe("GroupCommit over a real SQLite file", () => {
  const db = openDatabase(newDataDir());
  const insertKey = db.prepare("INSERT INTO api_keys (id, name, hash, created_at) VALUES (?, ?, ?, ?)");
  const count = () => (db.prepare("SELECT COUNT(*) AS n FROM api_keys").get() as { n: number }).n;
  afterAll(() => db.close());

  it("writes queued in one turn share one transaction, and each resolves once committed", async () => {
    const writer = new GroupCommit(db);
    const before = count();
    const writes = Array.from({ length: 100 }, (_, i) => writer.write(() => insertKey.run(`k_turn_${i}`, "n", `h_turn_${i}`, i)));
    expect(count()).toBe(before); // nothing committed within the turn
    await Promise.all(writes);
    expect(count()).toBe(before + 100);
    expect(writer.stats).toMatchObject({ commits: 1, writes: 100 });
  });

  it("a write that fails is refused alone; the rest of its batch commits", async () => {
    const writer = new GroupCommit(db);
    const before = count();
    const ok1 = writer.write(() => insertKey.run("k_fail_1", "n", "h_fail_1", 1));
    const bad = writer.write(() => insertKey.run("k_fail_1", "n", "h_fail_dup", 2)); // same primary key
    const ok2 = writer.write(() => insertKey.run("k_fail_2", "n", "h_fail_2", 3));
    await expect(bad).rejects.toThrow(/UNIQUE|PRIMARY KEY/);
    await Promise.all([ok1, ok2]);
    expect(count()).toBe(before + 2);
  });

  it("commits at maxBatch writes without waiting, and flush() commits a delayed batch at once", async () => {
    const writer = new GroupCommit(db, { maxBatch: 4, maxDelayMs: 60_000 });
    const before = count();
    const writes = Array.from({ length: 10 }, (_, i) => writer.write(() => insertKey.run(`k_batch_${i}`, "n", `h_batch_${i}`, i)));
    expect(count()).toBe(before + 8); // two full batches committed at once
    expect(writer.pending).toBe(2);
    let lazyDone = false;
    const lazy = writer.write(() => insertKey.run("k_lazy", "n", "h_lazy", 0), { lazy: true }).then(() => (lazyDone = true));
    writer.flush(); // what a read does first
    expect(count()).toBe(before + 11);
    await Promise.all([...writes, lazy]);
    expect(lazyDone).toBe(true);
    expect(writer.stats).toMatchObject({ commits: 3, writes: 11 });
  });
});

describe("RunStore's grouped writes", () => {
  const db = openDatabase(newDataDir());
  const runs = new RunStore(db);
  afterAll(() => db.close());
  const request = { language: "javascript" as const, code: "1", filename: null, files: [], stdin: "", args: [], envNames: [], limits: {} };
  const base = { keyId: null, sessionId: null, mode: "sync" as const, api: "wasmbox" as const, request, createdAt: Date.now() };

  it("a grouped insert is readable before its commit was due, and its result commits after it", async () => {
    runs.create({ ...base, id: "run_grouped_1" }, { grouped: true });
    runs.markRunning("run_grouped_1", Date.now());
    expect(runs.get("run_grouped_1", null)?.status).toBe("running"); // the read flushed both
    await runs.finish("run_grouped_1", "ok", JSON.stringify({ ...killedResult("x"), status: "ok" }), [], new Set(), Date.now());
    expect(runs.get("run_grouped_1", null)).toMatchObject({ status: "ok", result: { status: "ok" } });
  });

  it("a result for a run that is not in history fails, and does not spoil the writes beside it", async () => {
    runs.create({ ...base, id: "run_grouped_2" }, { grouped: true });
    const lost = runs.finish("run_missing", "ok", "{}", [], new Set(), Date.now());
    const kept = runs.finish("run_grouped_2", "ok", JSON.stringify({ status: "ok" }), [], new Set(), Date.now());
    await expect(lost).rejects.toThrow(/run_missing is not in history/);
    await kept;
    expect(runs.get("run_grouped_2", null)?.status).toBe("ok");
  });
});

describe("many concurrent runs through the server", () => {
  let t: TestServer;
  beforeAll(async () => {
    // A 30 ms batch window: many runs share each commit, and every answer waits for its own.
    t = await startServer({ poolJs: 2, poolPython: 0, maxConcurrentRunsPerKey: 64, maxQueuedRuns: 128, rateLimitPerMinute: 100_000, historyBatch: { maxDelayMs: 30 } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("all land in history with their own results, readable right after each answer", async () => {
    const client = api(t.url);
    const commits0 = t.server.runs.commitStats;
    const sync = Array.from({ length: 30 }, async (_, i) => {
      const res = await client.post("/v1/execute", { language: "javascript", code: `console.log("sync ${i}")` });
      expect(res.status, show(res)).toBe(200);
      expect(res.body.stdout).toBe(`sync ${i}\n`);
      // Read back at once: the answer came after its commit.
      const stored = await client.get(`/v1/runs/${res.body.id}`);
      expect(stored.status, show(stored)).toBe(200);
      expect(stored.body).toMatchObject({ status: "ok", mode: "sync", result: { status: "ok", stdout: `sync ${i}\n` } });
      // The answer (built from the JSON history stored) is exactly the stored result.
      expect(res.body).toEqual({ id: res.body.id, ...stored.body.result });
      return res.body.id as string;
    });
    const accepted = Array.from({ length: 10 }, async (_, i) => {
      const res = await client.post("/v1/runs", { language: "javascript", code: `console.log("async ${i}")` });
      expect(res.status, show(res)).toBe(202);
      const stored = await client.get(`/v1/runs/${res.body.id}`);
      expect(stored.status, show(stored)).toBe(200);
      return { id: res.body.id as string, i };
    });
    const syncIds = await Promise.all(sync);
    const asyncRuns = await Promise.all(accepted);
    for (const { id, i } of asyncRuns) {
      const run = await waitFor(`async run ${i}`, async () => {
        const r = await client.get(`/v1/runs/${id}`);
        return r.body.finishedAt ? r.body : undefined;
      });
      expect(run).toMatchObject({ status: "ok", mode: "async", result: { stdout: `async ${i}\n` } });
      // Its stored events end with the result, as an SSE replay needs.
      const events = t.server.runs.events(id, 0);
      expect(events.map((e) => e.type)).toEqual(["status", "status", "stdout", "result"]);
    }
    const all = await client.get("/v1/runs?limit=200");
    const ids = new Set(all.body.runs.map((r: { id: string }) => r.id));
    for (const id of [...syncIds, ...asyncRuns.map((r) => r.id)]) expect(ids.has(id)).toBe(true);
    expect(all.body.runs.filter((r: { status: string }) => r.status !== "ok")).toEqual([]);
    // And they were group-committed: fewer transactions than writes.
    const commits1 = t.server.runs.commitStats;
    expect(commits1.writes - commits0.writes).toBeGreaterThanOrEqual(40 + 10 * 4);
    expect(commits1.commits - commits0.commits).toBeLessThan(commits1.writes - commits0.writes);
    expect(commits1.pending).toBe(0);
  });
});

describe("a server killed right after answering", () => {
  it("keeps every run it answered and every run it accepted with 202", async () => {
    const dataDir = newDataDir();
    // 400 ms batches: a run answered before its commit would be lost by the kill below.
    const script = [
      'import { buildServer } from "@wasmbox/server";',
      `const server = await buildServer({ dataDir: process.argv[1], port: 0, host: "127.0.0.1", logLevel: "silent", poolPython: 0, poolJs: 2, maxConcurrentRunsPerKey: 64, historyBatch: { maxDelayMs: 400 } });`,
      "console.log(await server.listen());",
    ].join("\n");
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, dataDir], {
      cwd: fileURLToPath(new URL(".", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += String(d)));
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.once("data", (d: Buffer) => resolve(String(d).trim()));
        child.once("exit", (code) => reject(new Error(`the server process exited (${code}): ${stderr}`)));
      });
      const client = api(url);
      // Warm: both sandboxes ready, so the answers below come close together.
      expect((await client.post("/v1/execute", { language: "javascript", code: "1" })).status).toBe(200);
      const accepted = await client.post("/v1/runs", { language: "javascript", code: "await new Promise((r) => setTimeout(r, 30000))" });
      expect(accepted.status, show(accepted)).toBe(202);

      const answered: Array<{ id: string; stdout: string }> = [];
      let killed = false;
      const requests = Array.from({ length: 12 }, (_, i) =>
        client
          .post("/v1/execute", { language: "javascript", code: `console.log("answered ${i}")` })
          .then((res) => {
            if (killed || res.status !== 200) return;
            answered.push({ id: res.body.id, stdout: res.body.stdout });
            // Kill the moment the third answer arrives: later runs are still queued or running.
            if (answered.length === 3) {
              killed = true;
              child.kill("SIGKILL");
            }
          })
          .catch(() => {}), // connections cut by the kill
      );
      await Promise.all(requests);
      await exited;
      expect(killed).toBe(true);
      expect(answered.length).toBeGreaterThanOrEqual(3);

      const t = await startServer({ dataDir, poolPython: 0, poolJs: 0 });
      try {
        const after = api(t.url);
        for (const a of answered) {
          const run = await after.get(`/v1/runs/${a.id}`);
          expect(run.status, `answered run ${a.id} lost: ${show(run)}`).toBe(200);
          expect(run.body).toMatchObject({ status: "ok", result: { status: "ok", stdout: a.stdout } });
        }
        const async = await after.get(`/v1/runs/${accepted.body.id}`);
        expect(async.status, show(async)).toBe(200);
        expect(async.body).toMatchObject({ status: "killed", mode: "async" });
        // Nothing is left looking alive.
        expect((await after.get("/v1/runs?status=running")).body.runs).toEqual([]);
        expect((await after.get("/v1/runs?status=queued")).body.runs).toEqual([]);
      } finally {
        await t.stop();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
