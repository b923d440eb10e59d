import { randomUUID } from "node:crypto";
import { parseExecuteRequest, type Engine, type Language, type Limits, type Session } from "@wasmbox/node";
import type { ServerConfig } from "./config.js";
import { HttpError, notFound } from "./http-error.js";

interface Entry {
  id: string;
  keyId: string | null;
  session: Session;
  createdAt: number;
}

export interface SessionInfo {
  id: string;
  language: Language;
  createdAt: string;
  expiresAt: string;
  alive: boolean;
}

/** Stateful sessions, each with its own sandbox; idle ones expire after `sessionTtlMs`. */
export class SessionService {
  readonly #sessions = new Map<string, Entry>();
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
    if (unknown.length) throw new HttpError(400, "INVALID_REQUEST", `invalid request: (request): unknown field ${unknown.map((k) => JSON.stringify(k)).join(", ")}`);
    // Validate language and limits with the one request schema.
    const probe = parseExecuteRequest({ language: b.language, code: "", ...(b.limits === undefined ? {} : { limits: b.limits }) });
    const mine = [...this.#sessions.values()].filter((e) => e.keyId === keyId).length;
    if (mine >= this.config.maxSessionsPerKey) {
      throw new HttpError(
        429,
        "TOO_MANY_SESSIONS",
        `this API key already has ${mine} open sessions (WASMBOX_MAX_SESSIONS_PER_KEY=${this.config.maxSessionsPerKey}); delete one first`,
      );
    }
    const session = await this.engine.openSession({ language: probe.language, ...(probe.limits ? { limits: probe.limits as Limits } : {}) });
    const entry: Entry = { id: `ses_${randomUUID().replaceAll("-", "")}`, keyId, session, createdAt: Date.now() };
    this.#sessions.set(entry.id, entry);
    return this.#info(entry);
  }

  /** The session if this key owns it and it is still alive. */
  get(id: string, keyId: string | null): Entry {
    const entry = this.#sessions.get(id);
    if (!entry || entry.keyId !== keyId) throw notFound("session", id);
    if (!entry.session.alive) {
      this.#sessions.delete(id);
      throw new HttpError(410, "SESSION_CLOSED", "the session has ended (its sandbox was stopped by a limit); open a new one");
    }
    return entry;
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
    for (const entry of [...this.#sessions.values()]) {
      if (!entry.session.alive || now - entry.session.lastUsedAt > this.config.sessionTtlMs) {
        this.#sessions.delete(entry.id);
        await entry.session.dispose();
      }
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
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
