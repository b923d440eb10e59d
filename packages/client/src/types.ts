/**
 * The shapes of the wasmbox HTTP API. The request and result, run history, sessions and the
 * events of a run's stream come from `@wasmbox/contract` (types only: nothing of it is loaded
 * at run time); the rest are the client's own options.
 */
import type { ExecuteRequestInput, Language, Limits, RunState } from "@wasmbox/contract";

export type { ErrorAnswer, OutputPiece, RunApi, RunDetail, RunEvent, RunEventType, RunMode, RunPage, RunResult, RunState, RunSummary, SessionInfo, StoredRequest } from "@wasmbox/contract";
export type { CompileInfo, ExecuteRequestInput, ExecuteResult, GuestError, JsonValue, Language, Limits, OutputFile, RichOutput, Status, Timings, Usage } from "@wasmbox/contract";

export interface ListRunsQuery {
  status?: RunState;
  language?: Language;
  /** 1 to 200; the server's default is 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Answer of `DELETE /v1/runs/:id`. */
export interface CancelResult {
  id: string;
  cancelled: true;
}

/** A file a run produced, as downloaded from `GET /v1/runs/:id/files/*`. */
export interface RunFile {
  bytes: Uint8Array;
  /** The MIME type the server recorded, e.g. `text/plain` or `image/png`. */
  contentType: string;
}

export interface RunEventsOptions {
  /** Resume after this event id: only later events are sent (the `Last-Event-ID` header). */
  lastEventId?: string | number;
  /** Stop the stream; the loop then throws the signal's reason. */
  signal?: AbortSignal;
  /**
   * How many times to reconnect (resuming from the last event received) when the connection
   * breaks before the `result` event. Default 3; 0 disables.
   */
  maxReconnects?: number;
}

/** `POST /v1/sessions` body. */
export interface CreateSessionRequest {
  language: Language;
  limits?: Limits;
}

export type SessionExecuteRequest = Omit<ExecuteRequestInput, "language"> & { language?: Language };

export interface RuntimeInfo {
  language: Language;
  version: string;
  runtime: string;
  extensions: string[];
}

/** The walls around each sandbox process on the server's host. */
/** The walls around the server's sandboxes, and whether each is in force. */
export interface IsolationInfo {
  mode: "bubblewrap" | "weak";
  /** No OS sandbox: the server serves loopback and one key only unless its operator allows more. */
  weak: boolean;
  /** The Node version sandboxes run on. */
  sandboxNode: string;
  walls: { name: string; inForce: boolean; detail: string }[];
}

/** `GET /v1/runtimes`. */
export interface RuntimesInfo {
  runtimes: RuntimeInfo[];
  isolation: IsolationInfo;
  /** Python packages in the server's package store: name them in a run's `packages`, or just import them. */
  packages: { name: string; version: string; source: string }[];
}

/** `GET /healthz`. */
export interface HealthInfo {
  status: "ok";
}

/** Per-call options. */
export interface CallOptions {
  /** Abort the call; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Override the client's `timeoutMs` for this call (0: no timeout). */
  timeoutMs?: number;
}
