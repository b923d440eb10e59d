import type { ExecuteResult, Language, OutputFile, RunApi, RunMode, RunState, StoredRequest } from "@wasmbox/node";

export type { RunApi, RunMode, RunState, StoredRequest };
import type { Db } from "./database.js";
import { GroupCommit, type GroupCommitOptions } from "./group-commit.js";

export interface RunRecord {
  id: string;
  keyId: string | null;
  sessionId: string | null;
  mode: RunMode;
  /** The API the run came through. */
  api: RunApi;
  language: Language;
  status: RunState;
  request: StoredRequest;
  result: Omit<ExecuteResult, "files"> | null;
  files: OutputFile[];
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

interface RunRow {
  id: string;
  key_id: string | null;
  session_id: string | null;
  mode: RunMode;
  api: RunApi;
  language: Language;
  status: RunState;
  request_json: string;
  result_json: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface RunEvent {
  seq: number;
  type: string;
  data: string;
}

export interface ListQuery {
  keyId: string | null;
  status?: RunState | undefined;
  language?: Language | undefined;
  limit: number;
  after?: { createdAt: number; id: string } | undefined;
}

/**
 * Run history: every run with its request, result, timings and the key that made it.
 *
 * A run's row is inserted at once (it exists before anyone hears of the run: a 202, a Judge0
 * submission row, a GET right after); what happens to it later (running, its events, its
 * result) is group-committed: many runs' writes share one transaction, and each promise
 * settles once its write committed. Every read commits what is queued first, so reads see
 * every write made before them.
 */
export class RunStore {
  readonly #writer: GroupCommit;
  readonly #insert;
  readonly #start;
  readonly #finish;
  readonly #get;
  readonly #event;
  readonly #events;
  readonly #file;
  readonly #files;

  constructor(
    private readonly db: Db,
    options: GroupCommitOptions = {},
  ) {
    this.#writer = new GroupCommit(db, options);
    this.#insert = db.prepare(
      `INSERT INTO runs (id, key_id, session_id, mode, api, language, status, request_json, created_at)
       VALUES (@id, @keyId, @sessionId, @mode, @api, @language, 'queued', @requestJson, @createdAt)`,
    );
    this.#start = db.prepare(`UPDATE runs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'`);
    this.#finish = db.prepare(`UPDATE runs SET status = ?, result_json = ?, finished_at = ? WHERE id = ?`);
    this.#get = db.prepare(`SELECT * FROM runs WHERE id = ?`);
    this.#event = db.prepare(`INSERT INTO run_events (run_id, seq, type, data) VALUES (?, ?, ?, ?)`);
    this.#events = db.prepare(`SELECT seq, type, data FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq`);
    this.#file = db.prepare(`INSERT INTO run_files (run_id, path, sha256, size, mime, stored) VALUES (?, ?, ?, ?, ?, ?)`);
    this.#files = db.prepare(`SELECT path, sha256, size, mime, stored FROM run_files WHERE run_id = ? ORDER BY path`);
  }

  /**
   * Insert a run's row. An async run's commits at once (its 202, and rows that refer to it,
   * come right after); a run whose client waits for its answer (`grouped`) commits with this
   * turn's other writes, while its sandbox already works, and before the answer, which waits
   * for the result's commit after it.
   */
  create(run: { id: string; keyId: string | null; sessionId: string | null; mode: RunMode; api: RunApi; request: StoredRequest; createdAt: number }, { grouped = false } = {}): void {
    const row = {
      id: run.id,
      keyId: run.keyId,
      sessionId: run.sessionId,
      mode: run.mode,
      api: run.api,
      language: run.request.language,
      requestJson: JSON.stringify(run.request),
      createdAt: run.createdAt,
    };
    // A grouped insert that fails leaves no row: its result's UPDATE then finds none and fails the answer.
    if (grouped) this.#writer.write(() => this.#insert.run(row)).catch(() => {});
    else this.#insert.run(row);
  }

  /**
   * Lazy: it commits with the run's next write (its result, an event) or before the next read,
   * whichever comes first, so reads always see it. Lost in a crash, the run reads `queued`
   * instead of `running`, and is recovered as killed all the same.
   */
  markRunning(id: string, at: number): void {
    this.#writer.write(() => this.#start.run(at, id), { lazy: true }).catch(() => {});
  }

  /**
   * Record the final status and result (`resultJson`: the result without its files, which
   * are listed separately), in one transaction with
   * other runs' writes. Resolves once committed: answer with the result only after that.
   */
  finish(id: string, status: ExecuteResult["status"], resultJson: string, files: readonly OutputFile[], storedPaths: ReadonlySet<string>, at: number): Promise<void> {
    return this.#writer.write(() => {
      if (this.#finish.run(status, resultJson, at, id).changes !== 1) throw new Error(`run ${id} is not in history: its result cannot be recorded`);
      for (const f of files) this.#file.run(id, f.path, f.sha256, f.size, f.mime, storedPaths.has(f.path) ? 1 : 0);
    });
  }

  /** Store a run's event (async runs, for SSE resume); resolves once committed. */
  appendEvent(id: string, seq: number, type: string, data: string): Promise<void> {
    return this.#writer.write(() => this.#event.run(id, seq, type, data));
  }

  /** Commit every queued write now (reads do this themselves; shutdown does it before closing). */
  flush(): void {
    this.#writer.flush();
  }

  /** Transactions the group commit made and the writes they carried. */
  get commitStats(): { commits: number; writes: number; commitMs: number; pending: number } {
    return { ...this.#writer.stats, pending: this.#writer.pending };
  }

  events(id: string, afterSeq: number): RunEvent[] {
    this.#writer.flush();
    return this.#events.all(id, afterSeq) as RunEvent[];
  }

  /** A run, only if `keyId` owns it (each key sees only its own runs). */
  get(id: string, keyId: string | null): RunRecord | undefined {
    this.#writer.flush();
    const row = this.#get.get(id) as RunRow | undefined;
    if (!row || row.key_id !== keyId) return undefined;
    return this.#toRecord(row);
  }

  /** Whether the stored file of a run exists, with its blob hash. */
  file(id: string, path: string): { sha256: string; size: number; mime: string; stored: boolean } | undefined {
    this.#writer.flush();
    const row = this.db.prepare(`SELECT sha256, size, mime, stored FROM run_files WHERE run_id = ? AND path = ?`).get(id, path) as
      | { sha256: string; size: number; mime: string; stored: number }
      | undefined;
    return row ? { ...row, stored: row.stored === 1 } : undefined;
  }

  list(q: ListQuery): RunRecord[] {
    this.#writer.flush();
    const where = ["key_id IS ?"];
    const params: unknown[] = [q.keyId];
    if (q.status) {
      where.push("status = ?");
      params.push(q.status);
    }
    if (q.language) {
      where.push("language = ?");
      params.push(q.language);
    }
    if (q.after) {
      where.push("(created_at < ? OR (created_at = ? AND id < ?))");
      params.push(q.after.createdAt, q.after.createdAt, q.after.id);
    }
    const rows = this.db
      .prepare(`SELECT * FROM runs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(...params, q.limit) as RunRow[];
    return rows.map((r) => this.#toRecord(r));
  }

  /** Runs a crash left queued or running are marked `killed`, not lost. Returns how many. */
  recoverInterrupted(at: number): number {
    this.#writer.flush();
    const message = "the server stopped before this run finished";
    const stuck = this.db.prepare(`SELECT id, result_json FROM runs WHERE status IN ('queued', 'running')`).all() as Array<{ id: string }>;
    const mark = this.db.prepare(`UPDATE runs SET status = 'killed', result_json = ?, finished_at = ? WHERE id = ?`);
    const lastSeq = this.db.prepare(`SELECT MAX(seq) AS seq FROM run_events WHERE run_id = ?`);
    this.db.transaction(() => {
      for (const { id } of stuck) {
        const result = killedResult(message);
        mark.run(JSON.stringify(result), at, id);
        // A run with stored events (async) also gets its final `result` event, so an SSE
        // replay ends the way every finished run's does instead of stopping mid-stream.
        const { seq } = lastSeq.get(id) as { seq: number | null };
        if (seq !== null) this.#event.run(id, seq + 1, "result", JSON.stringify({ ...result, files: [] }));
      }
    })();
    return stuck.length;
  }

  /** Delete runs finished before `before` (ms since epoch). Returns the blob hashes no run refers to any more. */
  deleteFinishedBefore(before: number): { deleted: number; orphanedBlobs: string[] } {
    this.#writer.flush();
    return this.db.transaction(() => {
      const hashes = this.db
        .prepare(`SELECT DISTINCT f.sha256 FROM run_files f JOIN runs r ON r.id = f.run_id WHERE r.finished_at < ?`)
        .all(before) as Array<{ sha256: string }>;
      const deleted = this.db.prepare(`DELETE FROM runs WHERE finished_at < ?`).run(before).changes;
      const still = this.db.prepare(`SELECT 1 FROM run_files WHERE sha256 = ? LIMIT 1`);
      return { deleted, orphanedBlobs: hashes.map((h) => h.sha256).filter((h) => !still.get(h)) };
    })();
  }

  #toRecord(row: RunRow): RunRecord {
    const files = (this.#files.all(row.id) as Array<{ path: string; sha256: string; size: number; mime: string }>).map(
      ({ path, sha256, size, mime }) => ({ path, sha256, size, mime }),
    );
    return {
      id: row.id,
      keyId: row.key_id,
      sessionId: row.session_id,
      mode: row.mode,
      api: row.api,
      language: row.language,
      status: row.status,
      request: JSON.parse(row.request_json) as StoredRequest,
      // Runs recorded before results carried rich outputs read as having none.
      result: row.result_json ? withOutputs(JSON.parse(row.result_json) as Omit<ExecuteResult, "files" | "outputs"> & Partial<Pick<ExecuteResult, "outputs">>) : null,
      files,
      createdAt: row.created_at,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    };
  }
}

function withOutputs<T extends Partial<Pick<ExecuteResult, "outputs">>>(result: T): T & Pick<ExecuteResult, "outputs"> {
  return { ...result, outputs: result.outputs ?? [] };
}

/** The result recorded for a run that was stopped from outside before it could finish. */
export function killedResult(message: string): Omit<ExecuteResult, "files"> {
  return {
    status: "killed",
    stdout: "",
    stderr: "",
    output: "",
    error: { name: "Killed", message, traceback: "", line: null },
    exitCode: null,
    value: null,
    outputs: [],
    timings: { queuedMs: 0, startMs: 0, executionTimeMs: 0, totalMs: 0 },
  };
}
