/**
 * The typed client for the wasmbox HTTP API. It uses only what Node.js (20+) and browsers
 * both provide: `fetch`, `ReadableStream`, `TextDecoder`, `AbortController`.
 */
import { errorFromResponse, isWasmboxApiError, WasmboxApiError } from "./errors.js";
import { readSse } from "./sse.js";
import type {
  CallOptions,
  CancelResult,
  CreateSessionRequest,
  ExecuteRequestInput,
  HealthInfo,
  ListRunsQuery,
  RunDetail,
  RunEvent,
  RunEventsOptions,
  RunFile,
  RunPage,
  RunResult,
  RuntimesInfo,
  SessionExecuteRequest,
  SessionInfo,
} from "./types.js";

export interface WasmboxClientOptions {
  /** The server's address, e.g. `http://127.0.0.1:8787` (a path prefix is kept: `https://host/wasmbox`). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. A server with no keys (loopback only) needs none. */
  apiKey?: string;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Give up on a call after this many ms with a `TIMEOUT` error (the whole answer for
   * ordinary calls; until the stream opens for `runs.events`). Default: no timeout — a run
   * may legitimately take as long as its own `timeoutMs`.
   */
  timeoutMs?: number;
}

const EVENT_TYPES = new Set<string>(["status", "stdout", "stderr", "result"]);

interface SendOptions extends CallOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  accept?: string;
  /** Keep the abort link after the headers arrived (streams); the timeout still ends there. */
  stream?: boolean;
}

interface Opened {
  response: Response;
  url: string;
  method: string;
  /** Detach the caller's signal; call once the body has been consumed. */
  release: () => void;
  /** Turn a failure while reading the body into the right error. */
  fail: (e: unknown, while_: string) => unknown;
}

/**
 * The HTTP mechanics shared by every API group: URLs, auth, timeouts, error mapping.
 * @internal (not exported from the package)
 */
export class Transport {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: WasmboxClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`baseUrl must be an absolute http(s) URL such as http://127.0.0.1:8787, got ${JSON.stringify(options.baseUrl)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`baseUrl must use http or https, got ${JSON.stringify(options.baseUrl)}`);
    }
    if (url.search || url.hash) throw new TypeError(`baseUrl must not have a query or fragment, got ${JSON.stringify(options.baseUrl)}`);
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.#apiKey = options.apiKey || undefined;
    const given = options.fetch;
    // Call the global through a wrapper: browsers refuse a fetch detached from `window`.
    this.#fetch = given ?? ((input, init) => globalThis.fetch(input, init));
    const timeoutMs = options.timeoutMs ?? 0;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new TypeError(`timeoutMs must be a non-negative number of ms, got ${String(options.timeoutMs)}`);
    this.#timeoutMs = timeoutMs;
  }

  url(path: string, query?: SendOptions["query"]): string {
    let url = this.baseUrl + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    return url;
  }

  /** Send a request and wait for its headers; non-2xx answers are thrown as `WasmboxApiError`. */
  async open(method: string, path: string, options: SendOptions = {}): Promise<Opened> {
    const url = this.url(path, options.query);
    const { signal } = options;
    signal?.throwIfAborted();
    const controller = new AbortController();
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort(new Error("timeout"));
          }, timeoutMs)
        : undefined;
    const stopTimer = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const release = () => {
      stopTimer();
      signal?.removeEventListener("abort", onAbort);
    };
    const fail = (e: unknown, while_: string): unknown => {
      release();
      if (signal?.aborted) return signal.reason;
      if (isWasmboxApiError(e)) return e;
      if (timedOut) {
        return new WasmboxApiError({ status: 0, code: "TIMEOUT", message: `no answer from ${method} ${url} within ${timeoutMs} ms`, method, url, cause: e });
      }
      return new WasmboxApiError({ status: 0, code: "NETWORK_ERROR", message: `${while_} ${url}: ${describeNetworkError(e)}`, method, url, cause: e });
    };

    const headers: Record<string, string> = { accept: options.accept ?? "application/json", ...options.headers };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    const init: RequestInit = { method, headers, signal: controller.signal };
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }

    let response: Response;
    try {
      response = await this.#fetch(url, init);
    } catch (e) {
      throw fail(e, "cannot reach the wasmbox server at");
    }
    if (!response.ok) {
      let text = "";
      try {
        text = await response.text();
      } catch (e) {
        throw fail(e, "the connection broke while reading the error answer from");
      }
      release();
      throw errorFromResponse(response, text, method, url);
    }
    if (options.stream) stopTimer();
    return { response, url, method, release, fail };
  }

  /** A call whose answer is JSON (or empty, for 204). */
  async json<T>(method: string, path: string, options: SendOptions = {}): Promise<T> {
    const opened = await this.open(method, path, options);
    let text: string;
    try {
      text = await opened.response.text();
    } catch (e) {
      throw opened.fail(e, "the connection broke while reading the answer from");
    }
    opened.release();
    if (opened.response.status === 204 || text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new WasmboxApiError({
        status: opened.response.status,
        code: "INVALID_RESPONSE",
        message: `${method} ${opened.url} answered with something that is not JSON: ${text.slice(0, 200)}`,
        method,
        url: opened.url,
        cause: e,
      });
    }
  }

  /** A call whose answer is bytes. */
  async bytes(method: string, path: string, options: SendOptions = {}): Promise<{ bytes: Uint8Array; contentType: string }> {
    const opened = await this.open(method, path, { accept: "*/*", ...options });
    let buffer: ArrayBuffer;
    try {
      buffer = await opened.response.arrayBuffer();
    } catch (e) {
      throw opened.fail(e, "the connection broke while downloading");
    }
    opened.release();
    return { bytes: new Uint8Array(buffer), contentType: opened.response.headers.get("content-type") ?? "application/octet-stream" };
  }
}

function describeNetworkError(e: unknown): string {
  // Node's fetch says "fetch failed" and puts the reason (ECONNREFUSED, ENOTFOUND…) in `cause`.
  const cause = (e as { cause?: unknown } | null)?.cause;
  const inner = cause instanceof Error ? cause : undefined;
  const text = inner?.message || (e instanceof Error ? e.message : String(e));
  const code = (inner as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && !text.includes(code) ? `${text} (${code})` : text;
}

const enc = encodeURIComponent;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs: background runs, their history, live events and produced files. Use as `client.runs`. */
export class RunsApi {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /**
   * Start a run in the background (`POST /v1/runs`) and answer with its id at once. Follow it
   * with {@link RunsApi.events}, read it with {@link RunsApi.get}, stop it with {@link RunsApi.cancel}.
   * @example
   * const { id } = await client.runs.create({ language: "python", code: "print('hi')" });
   */
  async create(request: ExecuteRequestInput, options?: CallOptions): Promise<{ id: string }> {
    return await this.transport.json("POST", "/v1/runs", { ...options, body: request });
  }

  /**
   * A run with its stored request, its state and, once finished, its result.
   * @example
   * const run = await client.runs.get(id);
   * if (run.result) console.log(run.status, run.result.stdout);
   */
  async get(id: string, options?: CallOptions): Promise<RunDetail> {
    return await this.transport.json("GET", `/v1/runs/${enc(id)}`, options);
  }

  /**
   * Cancel a queued or running run: it ends with status `killed`. A run that already finished
   * throws `WasmboxApiError` 409 `ALREADY_FINISHED`.
   * @example
   * await client.runs.cancel(id);
   */
  async cancel(id: string, options?: CallOptions): Promise<CancelResult> {
    return await this.transport.json("DELETE", `/v1/runs/${enc(id)}`, options);
  }

  /**
   * This API key's runs, newest first, one page at a time.
   * @example
   * let page = await client.runs.list({ status: "error", limit: 20 });
   * while (page.nextCursor) page = await client.runs.list({ status: "error", limit: 20, cursor: page.nextCursor });
   */
  async list(query: ListRunsQuery = {}, options?: CallOptions): Promise<RunPage> {
    const { status, language, limit, cursor } = query;
    return await this.transport.json("GET", "/v1/runs", { ...options, query: { status, language, limit, cursor } });
  }

  /**
   * The run's events as they happen (Server-Sent Events): `status` (queued, running), then
   * `stdout`/`stderr` chunks in write order, then one `result`, after which the loop ends.
   * A run that already finished replays its events. Pass `lastEventId` (the `id` of the last
   * event you handled) to resume; a dropped connection is resumed the same way automatically
   * (`maxReconnects`). Breaking out of the loop closes the connection.
   * @example
   * for await (const event of client.runs.events(id)) {
   *   if (event.type === "stdout") process.stdout.write(event.data.text);
   *   if (event.type === "result") console.log("status:", event.data.status);
   * }
   */
  async *events(id: string, options: RunEventsOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
    const { signal } = options;
    const maxReconnects = options.maxReconnects ?? 3;
    let lastEventId = options.lastEventId === undefined ? undefined : String(options.lastEventId);
    let retryMs = 500;
    let reconnects = 0;
    let connected = false;
    for (;;) {
      let opened: Opened | undefined;
      try {
        opened = await this.transport.open("GET", `/v1/runs/${enc(id)}/events`, {
          accept: "text/event-stream",
          headers: lastEventId === undefined ? {} : { "last-event-id": lastEventId },
          stream: true,
          ...(signal ? { signal } : {}),
        });
        connected = true;
        const body = opened.response.body;
        if (!body) return;
        for await (const message of readSse(body, { onRetry: (ms) => (retryMs = ms) })) {
          if (message.id) lastEventId = message.id;
          if (!EVENT_TYPES.has(message.event)) continue; // a newer server's event type: skip
          let data: unknown;
          try {
            data = JSON.parse(message.data);
          } catch (e) {
            throw new WasmboxApiError({
              status: opened.response.status,
              code: "INVALID_RESPONSE",
              message: `event ${message.id} of ${opened.url} is not JSON: ${message.data.slice(0, 200)}`,
              method: "GET",
              url: opened.url,
              cause: e,
            });
          }
          yield { type: message.event, id: message.id, data } as RunEvent;
          if (message.event === "result") return;
        }
        return; // the server ended the stream without a result (nothing left after lastEventId)
      } catch (e) {
        const error = opened ? opened.fail(e, "the event stream broke:") : e;
        const retryable = isWasmboxApiError(error, "NETWORK_ERROR") && connected && reconnects < maxReconnects;
        if (!retryable) throw error;
        reconnects++;
        await sleep(retryMs, signal);
      } finally {
        opened?.release();
      }
    }
  }

  /**
   * Download a file the run produced (listed in `result.files`).
   * @example
   * const { bytes, contentType } = await client.runs.file(id, "out/report.txt");
   * new TextDecoder().decode(bytes);
   */
  async file(id: string, path: string, options?: CallOptions): Promise<RunFile> {
    const encoded = path.split("/").map(enc).join("/");
    return await this.transport.bytes("GET", `/v1/runs/${enc(id)}/files/${encoded}`, options);
  }
}

/** Sessions: a sandbox kept alive across runs, so variables, imports and files persist. Use as `client.sessions`. */
export class SessionsApi {
  /** @internal */
  constructor(private readonly transport: Transport) {}

  /**
   * Open a session with its own sandbox. It closes after it stays idle past the server's TTL.
   * @example
   * const session = await client.sessions.create({ language: "python", limits: { timeoutMs: 5000 } });
   */
  async create(request: CreateSessionRequest, options?: CallOptions): Promise<SessionInfo> {
    return await this.transport.json("POST", "/v1/sessions", { ...options, body: request });
  }

  /**
   * A session's state (410 `SESSION_CLOSED` once a limit stopped its sandbox).
   * @example
   * const { alive, expiresAt } = await client.sessions.get(session.id);
   */
  async get(id: string, options?: CallOptions): Promise<SessionInfo> {
    return await this.transport.json("GET", `/v1/sessions/${enc(id)}`, options);
  }

  /**
   * Run code in the session and wait for the result; the language defaults to the session's.
   * @example
   * await client.sessions.execute(session.id, { code: "x = 21" });
   * (await client.sessions.execute(session.id, { code: "x * 2" })).value; // 42
   */
  async execute(id: string, request: SessionExecuteRequest, options?: CallOptions): Promise<RunResult> {
    return await this.transport.json("POST", `/v1/sessions/${enc(id)}/execute`, { ...options, body: request });
  }

  /**
   * Close the session and its sandbox.
   * @example
   * await client.sessions.delete(session.id);
   */
  async delete(id: string, options?: CallOptions): Promise<void> {
    await this.transport.json<undefined>("DELETE", `/v1/sessions/${enc(id)}`, options);
  }
}

/**
 * A client for a wasmbox server. Every method maps to one HTTP call; failures are thrown as
 * {@link WasmboxApiError} (server answers keep their `status`, `code` and `message`;
 * unreachable servers are `NETWORK_ERROR`). Works in Node.js 20+ and browsers.
 *
 * @example
 * import { WasmboxClient } from "@wasmbox/client";
 *
 * const client = new WasmboxClient({ baseUrl: "http://127.0.0.1:8787", apiKey: process.env.WASMBOX_API_KEY });
 * const result = await client.execute({ language: "python", code: "print(6 * 7)" });
 * result.status; // "ok"
 * result.stdout; // "42\n"
 *
 * // Or stream a background run:
 * const { id } = await client.runs.create({ language: "javascript", code: "console.log('hi')" });
 * for await (const event of client.runs.events(id)) if (event.type === "stdout") console.log(event.data.text);
 */
export class WasmboxClient {
  /** The normalised server address (no trailing slash). */
  readonly baseUrl: string;
  /** Background runs, history, events and files. */
  readonly runs: RunsApi;
  /** Stateful sessions. */
  readonly sessions: SessionsApi;
  readonly #transport: Transport;

  constructor(options: WasmboxClientOptions) {
    this.#transport = new Transport(options);
    this.baseUrl = this.#transport.baseUrl;
    this.runs = new RunsApi(this.#transport);
    this.sessions = new SessionsApi(this.#transport);
  }

  /**
   * Run code and wait for the result (`POST /v1/execute`). Guest failures are results
   * (`status: "error"`, `"timeout"`, …), not exceptions; an invalid request throws 400
   * `INVALID_REQUEST` naming the field.
   * @example
   * const result = await client.execute({
   *   language: "python",
   *   code: "import sys\nprint(sys.argv[1])",
   *   args: ["hi"],
   *   limits: { timeoutMs: 5000 },
   * });
   * result.stdout; // "hi\n"
   * result.id;     // the run's id in history
   */
  async execute(request: ExecuteRequestInput, options?: CallOptions): Promise<RunResult> {
    return await this.#transport.json("POST", "/v1/execute", { ...options, body: request });
  }

  /**
   * Languages and runtime versions the server offers, and the isolation in force there.
   * @example
   * const { runtimes } = await client.runtimes();
   * runtimes.map((r) => r.language); // ["python", "javascript", "typescript"]
   */
  async runtimes(options?: CallOptions): Promise<RuntimesInfo> {
    return await this.#transport.json("GET", "/v1/runtimes", options);
  }

  /**
   * Liveness (`GET /healthz`, needs no API key).
   * @example
   * await client.health(); // { status: "ok" }
   */
  async health(options?: CallOptions): Promise<HealthInfo> {
    return await this.#transport.json("GET", "/healthz", options);
  }
}
