/**
 * Where HTTP requests become runs: admission (per-key concurrency, queue capacity, stored
 * bytes), fair sharing of execution slots between keys, history (every run stored with its
 * request, result and key), live events for SSE, cancellation, and output files into the
 * blob store.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  isWasmboxError,
  WasmboxError,
  parseExecuteRequest,
  Utf8ChunkDecoder,
  type Engine,
  type ExecuteRequest,
  type ExecuteResult,
  type RunResult,
  type ParsedExecuteRequest,
  type Execution,
  type ExecuteOptions,
  type OutputText,
  type RunEvent,
  type Session,
} from "@wasmbox/node";
import type { ServerConfig } from "./config.js";
import type { Metrics } from "./metrics.js";
import type { FairScheduler } from "./scheduler.js";
import type { Storage } from "./storage.js";
import { BlobStore } from "./store/blobs.js";
import { killedResult, type RunApi, type RunMode, type RunStore, type StoredRequest } from "./store/runs.js";

export interface LiveEvent {
  seq: number;
  type: RunEvent["type"];
  /** The event's `data` (the contract's `RunEvent`), as JSON. */
  data: string;
}

interface LiveRun {
  keyId: string | null;
  abort: AbortController;
  seq: number;
  listeners: Set<(e: LiveEvent) => void>;
  done: Promise<void>;
  /** Persist each event (async runs, for SSE resume); sync runs keep their output in the result. */
  persist: boolean;
}


/** The tenant of a keyless server's runs and sessions: the engine never shares a sandbox between tenants. */
export const ANONYMOUS_TENANT = "anonymous";

/** The engine tenant (sandbox-sharing boundary) of an API key. */
export const tenantOf = (keyId: string | null): string => keyId ?? ANONYMOUS_TENANT;

export class RunService {
  readonly #live = new Map<string, LiveRun>();
  /** A result's JSON as history stored it (without `files`), to build its answer from. */
  readonly #storedJson = new WeakMap<ExecuteResult, string>();
  /** Answers already serialized: the result is turned into JSON once, for history and answer alike. */
  readonly #answers = new WeakMap<RunResult, string>();
  readonly #perKey = new Map<string | null, number>();
  #closing = false;

  constructor(
    private readonly engine: Engine,
    private readonly runs: RunStore,
    private readonly blobs: BlobStore,
    private readonly metrics: Metrics,
    private readonly config: ServerConfig,
    private readonly scheduler: FairScheduler,
    private readonly storage: Storage,
  ) {}

  get activeCount(): number {
    return this.#live.size;
  }

  /**
   * POST /v1/execute: run and wait. Aborting `signal` (the client went away) cancels the run;
   * `onEvent` sees its live events (output as it streams: MCP's progress notifications); `api`
   * is the API the request came through (the drop-in adapters), kept in the run's record.
   */
  async executeSync(keyId: string | null, body: unknown, signal?: AbortSignal, extra: { onEvent?: ((e: LiveEvent) => void) | undefined; api?: RunApi } = {}): Promise<RunResult> {
    const request = this.#validate(body);
    const { id, done } = this.#start(keyId, request, "sync", null, extra);
    this.#cancelOnAbort(id, keyId, done, signal);
    const result = await done;
    const answer = { id, ...result };
    const stored = this.#storedJson.get(result);
    // The same text JSON.stringify(answer) gives, with `files` last, from the stored JSON.
    if (stored) this.#answers.set(answer, `{"id":${JSON.stringify(id)},${stored.slice(1, -1)},"files":${JSON.stringify(result.files)}}`);
    return answer;
  }

  /** The answer's JSON, when it was built from what history stored (POST /v1/execute sends it as is). */
  answerJson(answer: RunResult): string | undefined {
    return this.#answers.get(answer);
  }

  /** POST /v1/runs: accept, answer with the id at once, run in the background. */
  createAsync(keyId: string | null, body: unknown, api: RunApi = "wasmbox"): { id: string } {
    const request = this.#validate(body);
    const { id, done } = this.#start(keyId, request, "async", null, { api });
    done.catch(() => {}); // recorded in history; nobody awaits it
    return { id };
  }

  /** A session's execute: same history and limits, in the session's own sandbox. */
  async executeInSession(
    keyId: string | null,
    sessionId: string,
    session: Session,
    body: unknown,
    follow: { signal?: AbortSignal; onEvent?: (e: LiveEvent) => void } = {},
  ): Promise<RunResult> {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new WasmboxError("INVALID_REQUEST", "invalid request: (request): expected a JSON object");
    }
    const request = this.#validate({ language: session.language, ...body });
    // Checked here, not left to the session: its refusal would be recorded as a killed run
    // (stored, under the wrong language) and answered 200 instead of 400.
    if (request.language !== session.language) {
      throw new WasmboxError("INVALID_REQUEST", `invalid request: language: this session runs ${session.language}, not ${request.language}`);
    }
    const { id, done } = this.#start(keyId, request, "session", { sessionId, session }, { onEvent: follow.onEvent });
    this.#cancelOnAbort(id, keyId, done, follow.signal);
    const result = await done;
    return { id, ...result };
  }

  #cancelOnAbort(id: string, keyId: string | null, done: Promise<unknown>, signal: AbortSignal | undefined): void {
    if (!signal) return;
    const onAbort = () => this.cancel(id, keyId);
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener("abort", onAbort, { once: true });
      void done.finally(() => signal.removeEventListener("abort", onAbort)).catch(() => {});
    }
  }

  /** Cancel a queued or running run of this key. False if it is not live (already finished). */
  cancel(id: string, keyId: string | null): boolean {
    const live = this.#live.get(id);
    if (!live || live.keyId !== keyId) return false;
    live.abort.abort();
    return true;
  }

  /** Live events of a run still in progress, or undefined once it finished. */
  subscribe(id: string, listener: (e: LiveEvent) => void): (() => void) | undefined {
    const live = this.#live.get(id);
    if (!live) return undefined;
    live.listeners.add(listener);
    return () => live.listeners.delete(listener);
  }

  /** Shutdown: refuse new runs, give in-flight ones `graceMs`, then cancel them (recorded as killed). */
  async drain(graceMs: number): Promise<void> {
    this.#closing = true;
    const all = () => Promise.allSettled([...this.#live.values()].map((l) => l.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([all(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const live of this.#live.values()) live.abort.abort();
    await all();
  }

  /** The one parse of a request: the engine (or session) is handed this value and does not parse it again. */
  #validate(body: unknown): ParsedExecuteRequest {
    if (this.#closing) throw new WasmboxError("SHUTTING_DOWN", "the server is shutting down; retry on another instance", { retryAfterSeconds: 5 });
    return parseExecuteRequest(body);
  }

  #admit(keyId: string | null): void {
    const active = this.#perKey.get(keyId) ?? 0;
    if (active >= this.config.maxConcurrentRunsPerKey) {
      throw new WasmboxError(
        "TOO_MANY_RUNS",
        `this API key already has ${active} runs in flight (WASMBOX_MAX_CONCURRENT_RUNS_PER_KEY=${this.config.maxConcurrentRunsPerKey}); wait for one to finish`,
        { retryAfterSeconds: 1 },
      );
    }
    // Only a run that would have to wait can overflow the queue: with a slot free for this
    // key it starts at once (this matters for WASMBOX_MAX_QUEUED_RUNS=0, "never queue", which
    // otherwise refused every run, even on an idle server).
    if (!this.scheduler.canStartNow(tenantOf(keyId)) && this.scheduler.queued >= this.config.maxQueuedRuns) {
      throw new WasmboxError("QUEUE_FULL", `the run queue is full (${this.config.maxQueuedRuns} waiting, WASMBOX_MAX_QUEUED_RUNS); retry shortly`, { retryAfterSeconds: 1 });
    }
    this.storage.assertRoom();
  }

  #start(
    keyId: string | null,
    request: ParsedExecuteRequest,
    mode: RunMode,
    session: { sessionId: string; session: Session } | null,
    extra: { onEvent?: ((e: LiveEvent) => void) | undefined; api?: RunApi } = {},
  ): { id: string; done: Promise<ExecuteResult> } {
    const { onEvent, api = "wasmbox" } = extra;
    this.#admit(keyId);
    const id = `run_${randomUUID().replaceAll("-", "")}`;
    this.runs.create({ id, keyId, sessionId: session?.sessionId ?? null, mode, api, request: summarize(request), createdAt: Date.now() }, { grouped: mode !== "async" });
    this.#perKey.set(keyId, (this.#perKey.get(keyId) ?? 0) + 1);
    let resolveDone!: () => void;
    const live: LiveRun = {
      keyId,
      abort: new AbortController(),
      seq: 0,
      listeners: new Set(onEvent ? [onEvent] : []),
      done: new Promise<void>((r) => (resolveDone = r)),
      persist: mode === "async",
    };
    this.#live.set(id, live);
    this.#emit(id, live, "status", { status: "queued" });
    this.metrics.runsActive.inc();

    const tenant = tenantOf(keyId);
    const options: ExecuteOptions = {
      tenant,
      signal: live.abort.signal,
      onStart: () => {
        this.runs.markRunning(id, Date.now());
        this.#emit(id, live, "status", { status: "running" });
      },
      // Events carry text; a piece that is not UTF-8 carries its exact bytes too (`base64`).
      onOutput: (stream, bytes) => emitText(stream, decoders[stream].push(bytes)),
    };
    const decoders = { stdout: new Utf8ChunkDecoder(), stderr: new Utf8ChunkDecoder() };
    const emitText = (stream: "stdout" | "stderr", piece: OutputText | null) => {
      if (piece) this.#emit(id, live, stream, piece);
    };
    const queuedAt = performance.now();
    const run = (async (): Promise<Execution> => {
      // The server decides which key's run gets a free slot (round-robin); the engine, with
      // as many slots, then never queues.
      const release = await this.scheduler.acquire(tenant, live.abort.signal);
      const waitedMs = performance.now() - queuedAt;
      if (!release) return cancelledWhileWaiting(waitedMs);
      try {
        const execution = await (session ? session.session.execute(request, options) : this.engine.execute(request, options));
        for (const stream of ["stdout", "stderr"] as const) emitText(stream, decoders[stream].end());
        return withServerQueueTime(execution, waitedMs);
      } finally {
        release();
      }
    })();
    const done = run
      .catch((e: unknown) => this.#hostFailure(e))
      .then((execution) => this.#record(id, live, request, execution))
      .finally(() => {
        this.#live.delete(id);
        this.#perKey.set(keyId, (this.#perKey.get(keyId) ?? 1) - 1);
        this.metrics.runsActive.dec();
        resolveDone();
      });
    return { id, done };
  }

  /** A host failure during a run (a sandbox that would not start) is still recorded, as killed. */
  #hostFailure(e: unknown): Execution {
    const message = isWasmboxError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
    return { ...killedResult(message), files: [], fileContents: new Map() };
  }

  /**
   * Store the result, and only once it committed tell anyone (the waiting client, live
   * listeners): a result a client has seen is a result history keeps, even through a crash.
   */
  async #record(id: string, live: LiveRun, request: ExecuteRequest, execution: Execution): Promise<ExecuteResult> {
    const { fileContents, ...result } = execution;
    const stored = new Set<string>();
    for (const [path, bytes] of fileContents) {
      if (bytes.byteLength > this.config.maxStoredFileBytes) continue;
      // Past WASMBOX_MAX_STORED_BYTES a file is listed but not kept (unless the same bytes already are).
      if (!this.storage.room(bytes.byteLength) && !this.blobs.has(BlobStore.hash(bytes))) continue;
      this.blobs.put(bytes);
      stored.add(path);
    }
    // Queued in the same turn, the result and its event (async runs) commit together.
    const { files, ...rest } = result;
    const json = JSON.stringify(rest);
    this.#storedJson.set(result, json);
    const committed = this.runs.finish(id, result.status, json, files, stored, Date.now());
    if (live.persist) await Promise.all([committed, this.#emit(id, live, "result", result)]);
    else {
      await committed;
      this.#emit(id, live, "result", result);
    }
    this.metrics.runsTotal.inc({ language: request.language, status: result.status });
    this.metrics.runDuration.observe({ language: request.language }, result.timings.totalMs / 1000);
    return result;
  }

  /**
   * An event: to its listeners at once (a sync run), or stored and then handed to them once
   * committed (an async run's, which SSE replays from the store). Serialized only when
   * someone will read it: a sync run nobody follows costs nothing here.
   */
  #emit<T extends RunEvent["type"]>(id: string, live: LiveRun, type: T, payload: Extract<RunEvent, { type: T }>["data"]): Promise<void> | undefined {
    const seq = ++live.seq;
    if (!live.persist && live.listeners.size === 0) return undefined;
    const event: LiveEvent = { seq, type, data: JSON.stringify(payload) };
    const deliver = () => {
      for (const l of live.listeners) l(event);
    };
    if (!live.persist) {
      deliver();
      return undefined;
    }
    // Stored or not (a failed write), the live stream still gets it; SSE drops repeats by seq.
    return this.runs.appendEvent(id, event.seq, event.type, event.data).then(deliver, deliver);
  }
}

/** A run cancelled (DELETE, client gone, shutdown) while it waited for a slot: nothing ran. */
function cancelledWhileWaiting(waitedMs: number): Execution {
  const result = killedResult("the run was cancelled while it waited in the queue; nothing ran");
  const ms = Math.round(waitedMs * 1000) / 1000;
  return { ...result, timings: { ...result.timings, queuedMs: ms, totalMs: ms }, files: [], fileContents: new Map() };
}

/** The engine times a run from when it got its slot: add the time it waited in the server's queue. */
function withServerQueueTime(execution: Execution, waitedMs: number): Execution {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const t = execution.timings;
  return { ...execution, timings: { ...t, queuedMs: round(t.queuedMs + waitedMs), totalMs: round(t.totalMs + waitedMs) } };
}

/** What history keeps of a request (see {@link StoredRequest}). */
function summarize(request: ExecuteRequest): StoredRequest {
  return {
    language: request.language,
    code: request.code,
    filename: request.filename ?? null,
    files: Object.entries(request.files ?? {}).map(([path, content]) => {
      const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content.content, "base64");
      return { path, size: bytes.byteLength, sha256: sha256(bytes) };
    }),
    stdin: request.stdin ?? "",
    args: request.args ?? [],
    envNames: Object.keys(request.env ?? {}),
    limits: request.limits ?? {},
    ...(request.compile ? { compile: request.compile } : {}),
    ...(request.wasm ? { wasm: request.wasm } : {}),
    ...(request.packages ? { packages: request.packages } : {}),
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
