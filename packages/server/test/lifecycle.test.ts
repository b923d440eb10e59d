/**
 * Lifecycle: graceful shutdown lets in-flight runs finish (and answers their requests), a
 * short grace cancels them (stored as killed); after a crash, runs left queued or running
 * read as killed on restart, and their event streams end with a result; close() is safe
 * to call twice.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { api, collectEvents, newDataDir, openDb, openEvents, removeDataDirs, show, startServer, waitFor, waitForRun } from "./helpers.js";

afterAll(() => {
  removeDataDirs();
});

interface StoredRun {
  status: string;
  result: { status: string; stdout: string; error: { message: string } | null } | null;
  finishedAt: number | null;
  lastEvent: string | undefined;
}

function readRun(dataDir: string, id: string): StoredRun {
  const db = openDb(dataDir, true);
  try {
    const row = db.prepare("SELECT status, result_json, finished_at FROM runs WHERE id = ?").get(id) as
      | { status: string; result_json: string | null; finished_at: number | null }
      | undefined;
    if (!row) throw new Error(`run ${id} is not in the database`);
    const last = db.prepare("SELECT type FROM run_events WHERE run_id = ? ORDER BY seq DESC LIMIT 1").get(id) as { type: string } | undefined;
    return { status: row.status, result: row.result_json ? JSON.parse(row.result_json) : null, finishedAt: row.finished_at, lastEvent: last?.type };
  } finally {
    db.close();
  }
}

describe("graceful shutdown", () => {
  it("with a long grace, in-flight runs finish: the async run is stored ok, the sync request gets its answer", async () => {
    const t = await startServer({ poolPython: 0, poolJs: 1, shutdownGraceMs: 30_000 });
    const client = api(t.url);
    const res = await client.post("/v1/runs", {
      language: "javascript",
      code: "await new Promise((r) => setTimeout(r, 2000)); require('fs').writeFileSync('result.txt', 'finished'); console.log('done')",
    });
    expect(res.status, show(res)).toBe(202);
    const id = res.body.id;
    await waitForRun(client, id, ["running"]);
    const sync = client.post("/v1/execute", { language: "javascript", code: "await new Promise((r) => setTimeout(r, 1000)); console.log('sync done')" });
    await waitFor("the sync run to start", async () => {
      const list = await client.get("/v1/runs?status=running");
      return list.body.runs.length === 2 ? true : undefined;
    });
    const session = await client.post("/v1/sessions", { language: "javascript" });
    expect(session.status).toBe(201);
    // A client following the run's events while the server shuts down.
    const stream = await openEvents(t.url, id);
    const streamed = collectEvents(stream);

    const t0 = Date.now();
    await t.server.close();
    const closeMs = Date.now() - t0;

    const answer = await sync;
    expect(answer.status, show(answer)).toBe(200);
    expect(answer.body).toMatchObject({ status: "ok", stdout: "sync done\n" });

    const events = await streamed;
    expect(events.at(-1)?.event).toBe("result");
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ status: "ok", stdout: "done\n" });

    const stored = readRun(t.dataDir, id);
    expect(stored.status).toBe("ok");
    expect(stored.result).toMatchObject({ status: "ok", stdout: "done\n" });
    expect(stored.finishedAt).not.toBeNull();
    expect(stored.lastEvent).toBe("result");
    // Not held open by the keep-alive connections of the requests that were in flight.
    expect(closeMs).toBeLessThan(10_000);

    // The server is gone: new connections are refused.
    await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();

    // And everything is still there after a restart on the same data directory.
    const again = await startServer({ dataDir: t.dataDir, poolPython: 0, poolJs: 0 });
    try {
      const c2 = api(again.url);
      const run = await c2.get(`/v1/runs/${id}`);
      expect(run.body).toMatchObject({ status: "ok", result: { stdout: "done\n" } });
      const file = await c2.get(`/v1/runs/${id}/files/result.txt`);
      expect(file.status, show(file)).toBe(200);
      expect(file.text).toBe("finished");
    } finally {
      await again.stop();
    }
  });

  it("with a short grace, a run that would never finish is cancelled and stored as killed", async () => {
    const t = await startServer({ poolPython: 0, poolJs: 1, shutdownGraceMs: 300 });
    const client = api(t.url);
    const res = await client.post("/v1/runs", { language: "javascript", code: "for (;;) {}", limits: { timeoutMs: 120_000 } });
    expect(res.status, show(res)).toBe(202);
    const id = res.body.id;
    await waitForRun(client, id, ["running"]);

    const t0 = Date.now();
    await t.server.close();
    expect(Date.now() - t0).toBeLessThan(10_000);

    const stored = readRun(t.dataDir, id);
    expect(stored.status).toBe("killed");
    expect(stored.result?.status).toBe("killed");
    expect(stored.finishedAt).not.toBeNull();
    expect(stored.lastEvent).toBe("result");
  });

  it("close() is safe to call twice, also at the same time", async () => {
    const t = await startServer({ poolPython: 0, poolJs: 1 });
    expect((await api(t.url).get("/healthz")).status).toBe(200);
    await Promise.all([t.server.close(), t.server.close()]);
    await t.server.close();
    await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
  });
});

describe("restart recovery", () => {
  it("runs a previous process left running or queued (rows written straight into SQLite) read as killed", async () => {
    const dataDir = newDataDir();
    // Create the schema, then stop.
    const first = await startServer({ dataDir, poolPython: 0, poolJs: 0 });
    await first.stop();

    const now = Date.now();
    const request = JSON.stringify({ language: "javascript", code: "for (;;) {}", filename: null, files: [], stdin: "", args: [], envNames: [], limits: {} });
    const db = openDb(dataDir);
    try {
      const insert = db.prepare(
        `INSERT INTO runs (id, key_id, session_id, mode, language, status, request_json, result_json, created_at, started_at, finished_at)
         VALUES (?, NULL, NULL, ?, 'javascript', ?, ?, NULL, ?, ?, NULL)`,
      );
      insert.run("run_crashedrunning0000000000000000", "async", "running", request, now - 2000, now - 1900);
      insert.run("run_crashedqueued00000000000000000", "sync", "queued", request, now - 1000, null);
      const event = db.prepare("INSERT INTO run_events (run_id, seq, type, data) VALUES (?, ?, ?, ?)");
      event.run("run_crashedrunning0000000000000000", 1, "status", JSON.stringify({ status: "queued" }));
      event.run("run_crashedrunning0000000000000000", 2, "status", JSON.stringify({ status: "running" }));
      event.run("run_crashedrunning0000000000000000", 3, "stdout", JSON.stringify({ text: "partial\n" }));
    } finally {
      db.close();
    }

    const t = await startServer({ dataDir, poolPython: 0, poolJs: 0 });
    try {
      const client = api(t.url);
      for (const id of ["run_crashedrunning0000000000000000", "run_crashedqueued00000000000000000"]) {
        const res = await client.get(`/v1/runs/${id}`);
        expect(res.status, show(res)).toBe(200);
        expect(res.body.status).toBe("killed");
        expect(res.body.result).toMatchObject({ status: "killed", exitCode: null });
        expect(res.body.result.error.message).toMatch(/server stopped/);
        expect(res.body.finishedAt).not.toBeNull();
        expect((await client.del(`/v1/runs/${id}`)).status).toBe(409);
      }
      expect((await client.get("/v1/runs?status=running")).body.runs).toEqual([]);
      expect((await client.get("/v1/runs?status=queued")).body.runs).toEqual([]);
      expect((await client.get("/v1/runs?status=killed")).body.runs).toHaveLength(2);

      // The stream of the interrupted async run replays what was stored and ends with a result.
      const events = await collectEvents(await openEvents(t.url, "run_crashedrunning0000000000000000"), 5000);
      expect(events.map((e) => e.event)).toEqual(["status", "status", "stdout", "result"]);
      expect(events.map((e) => e.id)).toEqual(["1", "2", "3", "4"]);
      expect(JSON.parse(events[3]!.data).status).toBe("killed");
      const sync = await collectEvents(await openEvents(t.url, "run_crashedqueued00000000000000000"), 5000);
      expect(sync.at(-1)?.event).toBe("result");
      expect(JSON.parse(sync.at(-1)!.data).status).toBe("killed");
    } finally {
      await t.stop();
    }
  });

  it("after a real crash (the server process SIGKILLed mid-run), the run reads as killed on restart", async () => {
    const dataDir = newDataDir();
    const script = [
      'import { buildServer } from "@wasmbox/server";',
      `const server = await buildServer({ dataDir: process.argv[1], port: 0, host: "127.0.0.1", logLevel: "silent", poolPython: 0, poolJs: 1 });`,
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
      const res = await client.post("/v1/runs", { language: "javascript", code: "console.log('before crash'); await new Promise((r) => setTimeout(r, 10000))" });
      expect(res.status, show(res)).toBe(202);
      // Wait until its first line is stored, then crash.
      const live = await openEvents(url, res.body.id);
      for await (const e of live.events) if (e.event === "stdout") break;
      live.close();
      child.kill("SIGKILL");
      await exited;

      const t = await startServer({ dataDir, poolPython: 0, poolJs: 0 });
      try {
        const run = await api(t.url).get(`/v1/runs/${res.body.id}`);
        expect(run.body).toMatchObject({ status: "killed", result: { status: "killed" } });
        const events = await collectEvents(await openEvents(t.url, res.body.id), 5000);
        expect(events.map((e) => e.event)).toEqual(["status", "status", "stdout", "result"]);
        expect(JSON.parse(events[2]!.data)).toEqual({ text: "before crash\n" });
      } finally {
        await t.stop();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
