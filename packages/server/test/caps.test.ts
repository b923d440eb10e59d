/**
 * Global caps, each with its clear error: total stored bytes (expired runs go first, then
 * files are not kept and new runs get 507 STORAGE_FULL), total sessions (503 SESSIONS_FULL),
 * open event streams per key (429 TOO_MANY_STREAMS). And the data on disk is the server
 * user's only: the directory 0700, the database (with its WAL/SHM) and blobs 0600.
 */
import { chmodSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { api, errorBody, listAllRuns, newDataDir, openDb, openEvents, removeDataDirs, show, startServer, waitFor, type SseConnection } from "./helpers.js";

afterAll(() => {
  removeDataDirs();
});

/** Bytes of history in the database file, as the server counts them (pages in use). */
function historyBytes(dataDir: string): number {
  const db = openDb(dataDir, true);
  try {
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    return ((db.pragma("page_count", { simple: true }) as number) - (db.pragma("freelist_count", { simple: true }) as number)) * pageSize;
  } finally {
    db.close();
  }
}

describe("WASMBOX_MAX_STORED_BYTES", () => {
  it("expired runs go first; then files are listed but not kept, and new runs get 507 STORAGE_FULL naming the setting", async () => {
    const dataDir = newDataDir();
    await (await startServer({ dataDir, poolPython: 0, poolJs: 0 })).stop(); // creates the schema
    const empty = historyBytes(dataDir);

    // A run finished 40 days ago (past the 30-day retention), with a 300 kB result: the store starts over its cap.
    const old = "run_expired000000000000000000000000";
    const db = openDb(dataDir);
    try {
      const request = JSON.stringify({ language: "javascript", code: "1", filename: null, files: [], stdin: "", args: [], envNames: [], limits: {} });
      const at = Date.now() - 40 * 86_400_000;
      db.prepare(
        `INSERT INTO runs (id, key_id, session_id, mode, language, status, request_json, result_json, created_at, started_at, finished_at)
         VALUES (?, NULL, NULL, 'sync', 'javascript', 'ok', ?, ?, ?, ?, ?)`,
      ).run(old, request, JSON.stringify({ status: "ok", stdout: "o".repeat(300_000) }), at, at, at);
    } finally {
      db.close();
    }
    const cap = empty + 160_000;
    expect(historyBytes(dataDir)).toBeGreaterThan(cap);

    const t = await startServer({ dataDir, poolPython: 0, poolJs: 1, maxStoredBytes: cap, retentionDays: 30 });
    try {
      const client = api(t.url);
      // Over the cap, but an expired run can go: it is deleted and this run is taken.
      const first = await client.post("/v1/execute", { language: "javascript", code: "require('fs').writeFileSync('a.bin', 'a'.repeat(100000))" });
      expect(first.status, show(first)).toBe(200);
      expect((await client.get(`/v1/runs/${old}`)).status).toBe(404);
      const a = await client.get(`/v1/runs/${first.body.id}/files/a.bin`);
      expect(a.status, show(a)).toBe(200);
      expect(a.text).toHaveLength(100_000);

      // Another 100 kB file would pass the cap: the run is fine, the file is listed but not kept.
      const second = await client.post("/v1/execute", { language: "javascript", code: "require('fs').writeFileSync('b.bin', 'b'.repeat(100000))" });
      expect(second.status, show(second)).toBe(200);
      expect(second.body.status).toBe("ok");
      expect(second.body.files).toContainEqual(expect.objectContaining({ path: "b.bin", size: 100_000 }));
      const b = await client.get(`/v1/runs/${second.body.id}/files/b.bin`);
      expect(b.status, show(b)).toBe(404);
      expect(errorBody(b).code).toBe("FILE_NOT_STORED");
      expect(errorBody(b).message).toMatch(/WASMBOX_MAX_STORED_BYTES/);

      // History itself grows past the cap (a run's output is kept in full)...
      const third = await client.post("/v1/execute", { language: "javascript", code: "console.log('z'.repeat(40000))" });
      expect(third.status, show(third)).toBe(200);
      // ...and then no new run is taken, in any mode, with a message naming what to change.
      for (const [path, body] of [
        ["/v1/execute", { language: "javascript", code: "console.log('no room')" }],
        ["/v1/runs", { language: "javascript", code: "console.log('no room')" }],
      ] as const) {
        const full = await client.post(path, body);
        expect(full.status, show(full)).toBe(507);
        expect(errorBody(full).code).toBe("STORAGE_FULL");
        expect(errorBody(full).message).toMatch(/WASMBOX_MAX_STORED_BYTES/);
        expect(errorBody(full).message).toMatch(/WASMBOX_RETENTION_DAYS/);
      }
      // What is stored stays readable, and nothing was stored for the refused runs.
      expect((await listAllRuns(client)).map((r) => r.id).sort()).toEqual([first.body.id, second.body.id, third.body.id].sort());
      expect((await client.get(`/v1/runs/${third.body.id}`)).body.result.stdout).toHaveLength(40_001);
    } finally {
      await t.stop();
    }
  });
});

describe("WASMBOX_MAX_SESSIONS", () => {
  it("past the server-wide cap any key gets 503 SESSIONS_FULL (not its own 429); closing one frees a place", async () => {
    const t = await startServer({ poolPython: 0, poolJs: 2, maxSessions: 2, maxSessionsPerKey: 5 });
    try {
      const a = api(t.url, t.server.keys.create("a").key);
      const b = api(t.url, t.server.keys.create("b").key);
      const sa = await a.post("/v1/sessions", { language: "javascript" });
      expect(sa.status, show(sa)).toBe(201);
      expect((await b.post("/v1/sessions", { language: "javascript" })).status).toBe(201);
      for (const client of [a, b]) {
        const full = await client.post("/v1/sessions", { language: "javascript" });
        expect(full.status, show(full)).toBe(503);
        expect(errorBody(full).code).toBe("SESSIONS_FULL");
        expect(errorBody(full).message).toMatch(/WASMBOX_MAX_SESSIONS=2/);
        expect(Number(full.headers.get("retry-after"))).toBeGreaterThan(0);
      }
      expect((await a.del(`/v1/sessions/${sa.body.id}`)).status).toBe(204);
      const again = await b.post("/v1/sessions", { language: "javascript" });
      expect(again.status, show(again)).toBe(201);
      const used = await b.post(`/v1/sessions/${again.body.id}/execute`, { code: "6 * 7" });
      expect(used.body).toMatchObject({ status: "ok", value: 42 });
    } finally {
      await t.stop();
    }
  });
});

describe("WASMBOX_MAX_EVENT_STREAMS_PER_KEY", () => {
  it("one stream past the cap gets 429 TOO_MANY_STREAMS; other keys are unaffected; a closed stream frees its place", async () => {
    const t = await startServer({ poolPython: 0, poolJs: 2, maxEventStreamsPerKey: 2 });
    const open: SseConnection[] = [];
    try {
      const keyA = t.server.keys.create("a");
      const keyB = t.server.keys.create("b");
      const a = api(t.url, keyA.key);
      const b = api(t.url, keyB.key);
      const code = "await new Promise((r) => setTimeout(r, 20000))";
      const runA = (await a.post("/v1/runs", { language: "javascript", code })).body.id;
      const runB = (await b.post("/v1/runs", { language: "javascript", code })).body.id;

      for (let i = 0; i < 2; i++) {
        const conn = await openEvents(t.url, runA, { token: keyA.key });
        expect(conn.status).toBe(200);
        open.push(conn);
      }
      const third = await openEvents(t.url, runA, { token: keyA.key });
      expect(third.status).toBe(429);
      expect(errorBody(third.error!).code).toBe("TOO_MANY_STREAMS");
      expect(errorBody(third.error!).message).toMatch(/WASMBOX_MAX_EVENT_STREAMS_PER_KEY=2/);

      const other = await openEvents(t.url, runB, { token: keyB.key });
      expect(other.status).toBe(200);
      open.push(other);

      open.shift()!.close();
      const reopened = await waitFor("a place to free up", async () => {
        const conn = await openEvents(t.url, runA, { token: keyA.key });
        if (conn.status === 200) return conn;
        expect(conn.status).toBe(429);
        return undefined;
      }, 5000);
      open.push(reopened);
      expect((await a.del(`/v1/runs/${runA}`)).status).toBe(202);
      expect((await b.del(`/v1/runs/${runB}`)).status).toBe(202);
    } finally {
      for (const c of open) c.close();
      await t.stop();
    }
  });
});

describe("data on disk", () => {
  const mode = (p: string) => statSync(p).mode & 0o777;

  function expectOwnerOnly(dataDir: string) {
    expect(mode(dataDir).toString(8), dataDir).toBe("700");
    for (const f of ["wasmbox.sqlite", "wasmbox.sqlite-wal", "wasmbox.sqlite-shm"]) expect(mode(join(dataDir, f)).toString(8), f).toBe("600");
    const blobs = join(dataDir, "blobs");
    expect(mode(blobs).toString(8)).toBe("700");
    const subdirs = readdirSync(blobs);
    expect(subdirs.length).toBeGreaterThan(0);
    for (const sub of subdirs) {
      expect(mode(join(blobs, sub)).toString(8), sub).toBe("700");
      for (const f of readdirSync(join(blobs, sub))) expect(mode(join(blobs, sub, f)).toString(8), f).toBe("600");
    }
  }

  it("a new data directory is 0700, its database, WAL, SHM and stored files 0600; an older, looser one is tightened", async () => {
    const dataDir = join(newDataDir(), "nested", "data");
    let t = await startServer({ dataDir, poolPython: 0, poolJs: 1 });
    try {
      const res = await api(t.url).post("/v1/runs", { language: "javascript", code: "require('fs').writeFileSync('out.txt', 'private')" });
      expect(res.status, show(res)).toBe(202);
      await waitFor("the run to finish", async () => ((await api(t.url).get(`/v1/runs/${res.body.id}`)).body.status === "ok" ? true : undefined));
      expectOwnerOnly(dataDir);
    } finally {
      await t.stop();
    }

    // As an older version left it: readable by everyone.
    chmodSync(dataDir, 0o755);
    for (const f of ["wasmbox.sqlite", "wasmbox.sqlite-wal", "wasmbox.sqlite-shm"]) {
      try {
        chmodSync(join(dataDir, f), 0o644);
      } catch {
        // WAL/SHM are removed on a clean close
      }
    }
    const blobs = join(dataDir, "blobs");
    chmodSync(blobs, 0o755);
    for (const sub of readdirSync(blobs)) {
      chmodSync(join(blobs, sub), 0o755);
      for (const f of readdirSync(join(blobs, sub))) chmodSync(join(blobs, sub, f), 0o644);
    }
    t = await startServer({ dataDir, poolPython: 0, poolJs: 1 });
    try {
      expect((await api(t.url).post("/v1/execute", { language: "javascript", code: "1" })).status).toBe(200);
      expectOwnerOnly(dataDir);
    } finally {
      await t.stop();
    }
  });
});
