import { randomUUID } from "node:crypto";
import { parseSessionOptions, WasmboxError, type Engine, type Session, type SessionInfo } from "@wasmbox/node";
import type { ServerConfig } from "./config.js";
import { notFound } from "./http-error.js";
import { tenantOf } from "./run-service.js";

interface Entry {
  id: string;
  keyId: string | null;
  session: Session;
  createdAt: number;
  /** True while a run is executing in the session: it is not idle, and cannot take a second run. */
  busy: boolean;
}

/** A session that ended on its own (a limit stopped its sandbox, or it expired): answers 410, not 404. */
interface Ended {
  keyId: string | null;
  reason: string;
  at: number;
}

/** How long an ended session keeps answering 410 SESSION_CLOSED before its id is forgotten (404). */
const ENDED_MEMORY_MS = 3600_000;

export type { SessionInfo };

/** Stateful sessions, each with its own sandbox; idle ones expire after `sessionTtlMs`. */
export class SessionService {
  readonly #sessions = new Map<string, Entry>();
  readonly #ended = new Map<string, Ended>();
  /** Sessions being opened, per key: they count against maxSessionsPerKey while their sandbox starts. */
  readonly #opening = new Map<string | null, number>();
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly engine: Engine,
    private readonly config: ServerConfig,
  ) {
    this.#sweeper = setInterval(() => void this.sweep(), Math.min(10_000, Math.max(250, config.sessionTtlMs / 4)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  async open(keyId: string | null, body: unknown): Promise<SessionInfo> {
    const b = (typeof body === "object" && body !== null ? body : {}) as { language?: unknown; limits?: unknown };
    const unknown = Object.keys(b).filter((k) => k !== "language" && k !== "limits");
    if (unknown.length) throw new WasmboxError("INVALID_REQUEST", `invalid request: (request): unknown field ${unknown.map((k) => JSON.stringify(k)).join(", ")}`);
    // Validate language and limits with the contract's schemas.
    const probe = parseSessionOptions({ language: b.language, ...(b.limits === undefined ? {} : { limits: b.limits }) });
    const mine = [...this.#sessions.values()].filter((e) => e.keyId === keyId).length + (this.#opening.get(keyId) ?? 0);
    if (mine >= this.config.maxSessionsPerKey) {
      throw new WasmboxError(
        "TOO_MANY_SESSIONS",
        `this API key already has ${mine} open sessions (WASMBOX_MAX_SESSIONS_PER_KEY=${this.config.maxSessionsPerKey}); delete one first`,
      );
    }
    const all = this.#sessions.size + [...this.#opening.values()].reduce((a, b) => a + b, 0);
    if (all >= this.config.maxSessions) {
      throw new WasmboxError(
        "SESSIONS_FULL",
        `the server has ${all} sessions open, its limit (WASMBOX_MAX_SESSIONS=${this.config.maxSessions}); retry when one closes or expires, or the operator can raise WASMBOX_MAX_SESSIONS`,
        { retryAfterSeconds: Math.max(1, Math.ceil(Math.min(this.config.sessionTtlMs, 60_000) / 1000)) },
      );
    }
    // Reserve the slot before the (slow) sandbox start, so concurrent opens cannot overshoot the limit.
    this.#opening.set(keyId, (this.#opening.get(keyId) ?? 0) + 1);
    let session: Session;
    try {
      session = await this.engine.openSession({ language: probe.language, tenant: tenantOf(keyId), ...(probe.limits ? { limits: probe.limits } : {}) });
    } finally {
      const n = (this.#opening.get(keyId) ?? 1) - 1;
      if (n > 0) this.#opening.set(keyId, n);
      else this.#opening.delete(keyId);
    }
    // Created when its idle clock started: expiresAt is then never less than createdAt + the TTL.
    const entry: Entry = { id: `ses_${randomUUID().replaceAll("-", "")}`, keyId, session, createdAt: session.lastUsedAt, busy: false };
    this.#sessions.set(entry.id, entry);
    return this.#info(entry);
  }

  /** The session if this key owns it and it is still alive. */
  get(id: string, keyId: string | null): Entry {
    const entry = this.#sessions.get(id);
    if (!entry || entry.keyId !== keyId) {
      const ended = this.#ended.get(id);
      if (ended && ended.keyId === keyId) throw new WasmboxError("SESSION_CLOSED", `the session has ended (${ended.reason}); open a new one`);
      throw notFound("session", id);
    }
    if (!entry.session.alive) {
      this.#end(entry, "its sandbox was stopped by a limit");
      void entry.session.dispose();
      throw new WasmboxError("SESSION_CLOSED", "the session has ended (its sandbox was stopped by a limit); open a new one");
    }
    return entry;
  }

  /**
   * Run `fn` (one execute) in the session: one run at a time, and a session with a run in
   * progress is never idle, however long the run takes.
   */
  async use<T>(entry: Entry, fn: () => Promise<T>): Promise<T> {
    if (entry.busy) {
      throw new WasmboxError("SESSION_BUSY", "the session is already running a program (a session runs one at a time); retry when it finishes", { retryAfterSeconds: 1 });
    }
    entry.busy = true;
    try {
      return await fn();
    } finally {
      entry.busy = false;
    }
  }

  info(id: string, keyId: string | null): SessionInfo {
    return this.#info(this.get(id, keyId));
  }

  async close(id: string, keyId: string | null): Promise<void> {
    const entry = this.#sessions.get(id);
    if (!entry || entry.keyId !== keyId) throw notFound("session", id);
    this.#sessions.delete(id);
    await entry.session.dispose();
  }

  /** Close sessions idle longer than the TTL (and forget dead ones). */
  async sweep(now = Date.now()): Promise<void> {
    for (const [id, ended] of this.#ended) if (now - ended.at > ENDED_MEMORY_MS) this.#ended.delete(id);
    for (const entry of [...this.#sessions.values()]) {
      // Closed (DELETE) while this sweep awaited another session's dispose: not ours to end.
      if (this.#sessions.get(entry.id) !== entry) continue;
      if (!entry.session.alive) {
        this.#end(entry, "its sandbox was stopped by a limit");
        await entry.session.dispose();
      } else if (!entry.busy && now - entry.session.lastUsedAt > this.config.sessionTtlMs) {
        this.#end(entry, `it was idle for longer than ${this.config.sessionTtlMs} ms (WASMBOX_SESSION_TTL_MS)`);
        await entry.session.dispose();
      }
    }
  }

  #end(entry: Entry, reason: string): void {
    this.#sessions.delete(entry.id);
    this.#ended.set(entry.id, { keyId: entry.keyId, reason, at: Date.now() });
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    this.#ended.clear();
    await Promise.all(all.map((e) => e.session.dispose()));
  }

  #info(e: Entry): SessionInfo {
    return {
      id: e.id,
      language: e.session.language,
      createdAt: new Date(e.createdAt).toISOString(),
      expiresAt: new Date(e.session.lastUsedAt + this.config.sessionTtlMs).toISOString(),
      alive: e.session.alive,
    };
  }
}
