/**
 * The host's error channel: every failure of wasmbox itself (not of guest code) is a
 * thrown `WasmboxError` with a stable `code`. Guest failures are never thrown: they are
 * the `status`/`error` fields of the result.
 *
 * `ERROR_CATALOGUE` is the one list of codes, for the engine and the HTTP server alike:
 * each code's HTTP status (what the server answers with it) and what it means. Codes are
 * a stable contract (clients branch on them): add new ones, never rename or reuse one.
 * No Node and no zod here: this file moves to the contract package as it is.
 */

/** What a code means: the HTTP status the server answers it with, and what to do about it. */
export interface ErrorCodeInfo {
  readonly httpStatus: number;
  readonly summary: string;
}

export const ERROR_CATALOGUE = {
  // The request itself
  BAD_REQUEST: { httpStatus: 400, summary: "A malformed HTTP request that no more specific code describes; fix the request line or headers." },
  INVALID_JSON: { httpStatus: 400, summary: "The body is empty or not valid JSON; send one JSON object." },
  INVALID_REQUEST: { httpStatus: 400, summary: "The body does not match the request contract; the message names each offending field, `details` lists them." },
  UNSUPPORTED_LANGUAGE: { httpStatus: 400, summary: "No runtime is installed for this language; `GET /v1/runtimes` lists the installed ones." },
  INVALID_QUERY: { httpStatus: 400, summary: "An unknown or out-of-range query parameter; the message names the accepted ones." },
  INVALID_OPTIONS: { httpStatus: 400, summary: "An engine option is invalid: the message names the option and what it allows; fix the options passed to createEngine." },
  INVALID_CURSOR: { httpStatus: 400, summary: "A pagination cursor this server did not issue; pass the `nextCursor` of a previous page." },
  INVALID_LAST_EVENT_ID: { httpStatus: 400, summary: "Last-Event-ID is not a whole number; send the id of the last event received." },
  REQUEST_TIMEOUT: { httpStatus: 408, summary: "The request did not arrive within WASMBOX_HEADERS_TIMEOUT_MS (headers) / WASMBOX_REQUEST_TIMEOUT_MS (all of it); send it faster." },
  URI_TOO_LONG: { httpStatus: 414, summary: "A path segment (an id, a file name) is longer than the server accepts; ids are at most 100 characters." },
  BODY_TOO_LARGE: { httpStatus: 413, summary: "The body is larger than WASMBOX_BODY_LIMIT_BYTES; send less, or the operator can raise it." },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, summary: "The body is not sent as JSON; send the header content-type: application/json." },
  HEADERS_TOO_LARGE: { httpStatus: 431, summary: "The request headers are larger than the server accepts; send fewer or shorter headers." },
  // Who is asking
  UNAUTHORIZED: { httpStatus: 401, summary: "No API key, or one that is not valid (revoked, mistyped); send Authorization: Bearer <key>." },
  HOST_NOT_ALLOWED: { httpStatus: 403, summary: "The Host header names a host this server does not answer for; the operator lists its names in WASMBOX_ALLOWED_HOSTS." },
  ORIGIN_NOT_ALLOWED: { httpStatus: 403, summary: "A cross-origin browser request from an origin the operator did not list in WASMBOX_ALLOWED_ORIGINS." },
  // What exists
  NOT_FOUND: { httpStatus: 404, summary: "No such route, run, session or file (or it belongs to another API key); `GET /docs` lists the routes." },
  FILE_NOT_STORED: { httpStatus: 404, summary: "The run produced the file but it was not kept (larger than WASMBOX_MAX_STORED_FILE_BYTES, storage full, or past retention)." },
  ALREADY_FINISHED: { httpStatus: 409, summary: "The run already finished; there is nothing to cancel." },
  SESSION_BUSY: { httpStatus: 409, summary: "The session is running a program (a session runs one at a time); retry when it finishes." },
  ALREADY_USED: { httpStatus: 409, summary: "An engine resource that serves one run (or one run at a time) was used again; over HTTP a busy session answers SESSION_BUSY instead." },
  SESSION_CLOSED: { httpStatus: 410, summary: "The session has ended (closed, expired, or its sandbox was stopped by a limit); open a new one." },
  // Fair shares and capacity
  RATE_LIMITED: { httpStatus: 429, summary: "Too many requests from this key in a minute (WASMBOX_RATE_LIMIT_PER_MINUTE); wait for Retry-After." },
  TOO_MANY_RUNS: { httpStatus: 429, summary: "This key has WASMBOX_MAX_CONCURRENT_RUNS_PER_KEY runs queued or running; wait for one to finish." },
  TOO_MANY_SESSIONS: { httpStatus: 429, summary: "This key has WASMBOX_MAX_SESSIONS_PER_KEY sessions open; close one first." },
  TOO_MANY_STREAMS: { httpStatus: 429, summary: "This key has WASMBOX_MAX_EVENT_STREAMS_PER_KEY event streams open; close one, or poll `GET /v1/runs/:id`." },
  TOO_MANY_CONNECTIONS: { httpStatus: 429, summary: "This client address has WASMBOX_MAX_CONNECTIONS_PER_CLIENT connections open; reuse connections (keep-alive)." },
  QUEUE_FULL: { httpStatus: 503, summary: "Too many runs are already waiting for a slot (WASMBOX_MAX_QUEUED_RUNS, the engine's maxQueuedRuns); retry after Retry-After." },
  SESSIONS_FULL: { httpStatus: 503, summary: "The server has WASMBOX_MAX_SESSIONS sessions open; retry when one closes or expires." },
  SERVER_BUSY: { httpStatus: 503, summary: "The server has WASMBOX_MAX_CONNECTIONS connections open; retry shortly." },
  SHUTTING_DOWN: { httpStatus: 503, summary: "The server is shutting down; retry on another instance." },
  ENGINE_DISPOSED: { httpStatus: 503, summary: "The engine was disposed (the host is shutting down); retry on another instance or a new engine." },
  WEAK_ISOLATION: { httpStatus: 503, summary: "Sandboxes here have no OS sandbox, so the server serves one API key only; install bubblewrap, or the operator sets WASMBOX_ALLOW_WEAK_ISOLATION=1." },
  STORAGE_FULL: { httpStatus: 507, summary: "Stored history and files reached WASMBOX_MAX_STORED_BYTES; the operator can raise it or lower WASMBOX_RETENTION_DAYS." },
  // wasmbox's own fault
  INTERNAL: { httpStatus: 500, summary: "An internal error; report it with the request id the message carries." },
  SANDBOX_START_FAILED: { httpStatus: 500, summary: "A sandbox process could not be started; `wasmbox runtimes` shows what the host lacks." },
  SANDBOX_PROTOCOL_ERROR: { httpStatus: 500, summary: "A sandbox broke the host protocol and was stopped; retry, and report it if it repeats." },
  RUNTIME_LOAD_FAILED: { httpStatus: 500, summary: "A language runtime failed to load; reinstall wasmbox's runtime assets." },
} as const satisfies Record<string, ErrorCodeInfo>;

export type WasmboxErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every code, in catalogue order. */
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as WasmboxErrorCode[];

export interface WasmboxErrorOptions {
  cause?: unknown;
  /** Extra machine-readable detail, e.g. the validation issues of an invalid request. */
  details?: unknown;
  /** How long to wait before retrying, in seconds (the server sends it as Retry-After). */
  retryAfterSeconds?: number;
}

/**
 * A failure of wasmbox itself, with a catalogue code. Its `httpStatus` comes from the
 * catalogue, so a code always answers with the same status.
 * @example
 * throw new WasmboxError("QUEUE_FULL", "8 runs are already waiting; retry later", { retryAfterSeconds: 1 });
 */
export class WasmboxError extends Error {
  override readonly name = "WasmboxError";
  readonly code: WasmboxErrorCode;
  readonly httpStatus: number;
  /** Extra machine-readable detail, e.g. the validation issues of an invalid request. */
  readonly details: unknown;
  /** How long to wait before retrying, in seconds; undefined when retrying would not help (or the caller does not know). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: WasmboxErrorCode, message: string, options?: WasmboxErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.httpStatus = ERROR_CATALOGUE[code].httpStatus;
    this.details = options?.details;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export function isWasmboxError(e: unknown, code?: WasmboxErrorCode): e is WasmboxError {
  return e instanceof WasmboxError && (code === undefined || e.code === code);
}
