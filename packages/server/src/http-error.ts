/**
 * Every error code the server answers with, its HTTP status and what it means. Codes are a
 * stable contract (clients branch on them): add new ones, never rename or reuse one. The
 * engine's own codes (INVALID_REQUEST, QUEUE_FULL, SESSION_CLOSED, SANDBOX_START_FAILED…)
 * come from `ERROR_CATALOGUE` in @wasmbox/core and pass through with their own status.
 */
export const SERVER_ERROR_CODES = {
  // The request itself
  BAD_REQUEST: { status: 400, summary: "A malformed HTTP request that no more specific code describes." },
  INVALID_JSON: { status: 400, summary: "The body is empty or not valid JSON." },
  INVALID_REQUEST: { status: 400, summary: "The body does not match the request contract (the message names the field)." },
  INVALID_QUERY: { status: 400, summary: "An unknown or out-of-range query parameter." },
  INVALID_CURSOR: { status: 400, summary: "A pagination cursor this server did not issue." },
  INVALID_LAST_EVENT_ID: { status: 400, summary: "Last-Event-ID is not a whole number." },
  HEADERS_TOO_LARGE: { status: 431, summary: "The request headers are larger than the server accepts." },
  BODY_TOO_LARGE: { status: 413, summary: "The body is larger than WASMBOX_BODY_LIMIT_BYTES." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: "The body is not sent as application/json." },
  // Who is asking
  UNAUTHORIZED: { status: 401, summary: "No API key, or one that is not valid (revoked, mistyped)." },
  HOST_NOT_ALLOWED: { status: 403, summary: "The Host header names a host this server does not answer for (WASMBOX_ALLOWED_HOSTS)." },
  ORIGIN_NOT_ALLOWED: { status: 403, summary: "A cross-origin browser request from an origin not in WASMBOX_ALLOWED_ORIGINS." },
  // What exists
  NOT_FOUND: { status: 404, summary: "No such route, run, session or file (or it belongs to another API key)." },
  FILE_NOT_STORED: { status: 404, summary: "The run produced the file but it was not kept (too large, storage full, or retention)." },
  ALREADY_FINISHED: { status: 409, summary: "The run already finished; there is nothing to cancel." },
  SESSION_BUSY: { status: 409, summary: "The session is running a program; a session runs one at a time." },
  SESSION_CLOSED: { status: 410, summary: "The session has ended (expired, or its sandbox was stopped by a limit)." },
  // Fair shares and capacity
  RATE_LIMITED: { status: 429, summary: "Too many requests from this key in a minute (WASMBOX_RATE_LIMIT_PER_MINUTE)." },
  TOO_MANY_RUNS: { status: 429, summary: "This key has WASMBOX_MAX_CONCURRENT_RUNS_PER_KEY runs queued or running." },
  TOO_MANY_SESSIONS: { status: 429, summary: "This key has WASMBOX_MAX_SESSIONS_PER_KEY sessions open." },
  TOO_MANY_STREAMS: { status: 429, summary: "This key has WASMBOX_MAX_EVENT_STREAMS_PER_KEY event streams open." },
  TOO_MANY_CONNECTIONS: { status: 429, summary: "This client address has WASMBOX_MAX_CONNECTIONS_PER_CLIENT connections open." },
  QUEUE_FULL: { status: 503, summary: "WASMBOX_MAX_QUEUED_RUNS runs are already waiting for a slot." },
  SESSIONS_FULL: { status: 503, summary: "The server has WASMBOX_MAX_SESSIONS sessions open." },
  SERVER_BUSY: { status: 503, summary: "The server has WASMBOX_MAX_CONNECTIONS connections open." },
  SHUTTING_DOWN: { status: 503, summary: "The server is shutting down." },
  WEAK_ISOLATION: { status: 503, summary: "Sandboxes here have no OS sandbox, so the server serves one API key only (WASMBOX_ALLOW_WEAK_ISOLATION)." },
  STORAGE_FULL: { status: 507, summary: "Stored history and files reached WASMBOX_MAX_STORED_BYTES." },
  REQUEST_TIMEOUT: { status: 408, summary: "The request was not received within WASMBOX_REQUEST_TIMEOUT_MS / WASMBOX_HEADERS_TIMEOUT_MS." },
  // The server's own fault
  INTERNAL: { status: 500, summary: "An internal error; the message carries the request id to report." },
} as const;

export type ServerErrorCode = keyof typeof SERVER_ERROR_CODES;

/** A client-facing error: the body is always `{ error: { code, message } }`, the status comes from the code. */
export class HttpError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ServerErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.statusCode = SERVER_ERROR_CODES[code].status;
  }
}

export const notFound = (what: string, id: string) => new HttpError("NOT_FOUND", `no ${what} with id ${JSON.stringify(id)} (or it belongs to another API key)`);

/** The JSON body of an error answer. */
export const errorJson = (code: ServerErrorCode, message: string) => JSON.stringify({ error: { code, message } });
