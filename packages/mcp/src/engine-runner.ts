/**
 * A {@link CodeRunner} over a local engine (`wasmbox mcp`): sessions by id with idle expiry
 * and a cap, one run at a time per session, and the files of recent runs kept in memory
 * (bounded) so resource links can be read back.
 */
import { randomUUID } from "node:crypto";
import { mimeTypeFor, parseSessionOptions, WasmboxError, type Engine, type Execution, type Language, type Limits, type Session, type SessionInfo } from "@wasmbox/core";
import type { CodeRunner, RunFile, RunOptions, RunOutcome } from "./runner.js";

export interface EngineRunnerOptions {
  /** A session idle this long is closed, in milliseconds. Default 600000 (10 minutes), as the server's WASMBOX_SESSION_TTL_MS. */
  sessionTtlMs?: number;
  /** Sessions open at once. Default 8, as the server's WASMBOX_MAX_SESSIONS_PER_KEY. */
  maxSessions?: number;
  /** Bytes of produced files kept for reading back (oldest runs' files are dropped first). Default 64 MiB. */
  keptFileBytes?: number;
}

interface Entry {
  id: string;
  session: Session;
  createdAt: number;
  busy: boolean;
}

/**
 * A runner over a local engine. It owns its sessions only: the engine is the caller's to
 * dispose; `close()` (or `await using`) ends the sessions.
 * @example
 * await using engine = createEngine();
 * await using runner = engineRunner(engine);
 * await serveStdio(runner);
 */
export function engineRunner(engine: Engine, options: EngineRunnerOptions = {}): CodeRunner & AsyncDisposable & { close(): Promise<void> } {
  const ttlMs = options.sessionTtlMs ?? 600_000;
  const maxSessions = options.maxSessions ?? 8;
  const keptFileBytes = options.keptFileBytes ?? 64 * 1024 * 1024;
  const sessions = new Map<string, Entry>();
  const ended = new Map<string, string>();
  /** Run id → its files, oldest first (a Map keeps insertion order). */
  const kept = new Map<string, ReadonlyMap<string, Uint8Array>>();
  let keptBytes = 0;

  const keep = (execution: Execution): RunOutcome => {
    const runId = `run_${randomUUID().replaceAll("-", "")}`;
    const { fileContents, ...result } = execution;
    const size = [...fileContents.values()].reduce((n, b) => n + b.byteLength, 0);
    if (fileContents.size && size <= keptFileBytes) {
      kept.set(runId, fileContents);
      keptBytes += size;
      for (const [id, files] of kept) {
        if (keptBytes <= keptFileBytes) break;
        kept.delete(id);
        for (const b of files.values()) keptBytes -= b.byteLength;
      }
    }
    return { runId, result };
  };

  const endSession = (entry: Entry, reason: string) => {
    sessions.delete(entry.id);
    ended.set(entry.id, reason);
    void entry.session.dispose();
  };
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const entry of [...sessions.values()]) {
      if (!entry.session.alive) endSession(entry, "its sandbox was stopped (a limit, or its run was cancelled)");
      else if (!entry.busy && now - entry.session.lastUsedAt > ttlMs) endSession(entry, `it was idle for longer than ${ttlMs} ms`);
    }
  }, Math.min(10_000, Math.max(250, ttlMs / 4)));
  sweeper.unref();

  const get = (id: string): Entry => {
    const entry = sessions.get(id);
    if (!entry) {
      const reason = ended.get(id);
      if (reason) throw new WasmboxError("SESSION_CLOSED", `the session ${id} has ended (${reason}); open a new one with open_session`);
      throw new WasmboxError("NOT_FOUND", `no session ${JSON.stringify(id)}; open_session gives an id`);
    }
    if (!entry.session.alive) {
      endSession(entry, "its sandbox was stopped (a limit, or its run was cancelled)");
      return get(id);
    }
    return entry;
  };

  const info = (e: Entry): SessionInfo => ({
    id: e.id,
    language: e.session.language,
    createdAt: new Date(e.createdAt).toISOString(),
    expiresAt: new Date(e.session.lastUsedAt + ttlMs).toISOString(),
    alive: e.session.alive,
  });

  let opening = 0;
  return {
    runtimes: () => engine.runtimes(),

    async execute(request: unknown, runOptions: RunOptions = {}) {
      return keep(await engine.execute(request, engineOptions(runOptions)));
    },

    async openSession(o: { language: Language; limits?: Limits }) {
      const probe = parseSessionOptions(o);
      if (sessions.size + opening >= maxSessions) {
        throw new WasmboxError("TOO_MANY_SESSIONS", `${sessions.size} sessions are open, the most this server keeps; close one with close_session first`);
      }
      opening++;
      let session: Session;
      try {
        session = await engine.openSession({ language: probe.language, ...(probe.limits ? { limits: probe.limits } : {}) });
      } finally {
        opening--;
      }
      const entry: Entry = { id: `ses_${randomUUID().replaceAll("-", "")}`, session, createdAt: Date.now(), busy: false };
      sessions.set(entry.id, entry);
      return info(entry);
    },

    async executeInSession(id: string, request: Record<string, unknown>, runOptions: RunOptions = {}) {
      const entry = get(id);
      if (entry.busy) throw new WasmboxError("SESSION_BUSY", "the session is already running a program (a session runs one at a time); retry when it finishes");
      entry.busy = true;
      try {
        // Anything: the session parses it with the contract's schema.
        return keep(await entry.session.execute(request as Parameters<Session["execute"]>[0], engineOptions(runOptions)));
      } finally {
        entry.busy = false;
      }
    },

    sessionInfo: (id: string) => info(get(id)),

    async closeSession(id: string) {
      const entry = sessions.get(id);
      if (!entry) throw new WasmboxError("NOT_FOUND", `no open session ${JSON.stringify(id)}`);
      sessions.delete(id);
      await entry.session.dispose();
    },

    async readRunFile(runId: string, path: string): Promise<RunFile | undefined> {
      const bytes = kept.get(runId)?.get(path);
      return bytes ? { bytes, mime: mimeTypeFor(path) } : undefined;
    },

    close,
    [Symbol.asyncDispose]: close,
  };

  async function close(): Promise<void> {
    clearInterval(sweeper);
    const all = [...sessions.values()];
    sessions.clear();
    await Promise.all(all.map((e) => e.session.dispose()));
  }
}

function engineOptions(o: RunOptions) {
  const onOutput = o.onOutput;
  return {
    ...(o.signal ? { signal: o.signal } : {}),
    ...(onOutput ? { onStdout: (t: string) => onOutput("stdout", t), onStderr: (t: string) => onOutput("stderr", t) } : {}),
  };
}
