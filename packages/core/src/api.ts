/**
 * The shapes of the HTTP API beyond the request/result contract: run history, sessions.
 * Types only, shared by the server (which answers with them) and the client (which reads
 * them), so the two cannot drift apart.
 */
import type { CompileOptions, ExecuteResult, Language, Limits, Status, WasmOptions } from "./contract.js";

/** A run's lifecycle: queued → running → one of the result statuses. */
export type RunState = "queued" | "running" | Status;

/** How a run was started: `POST /v1/execute`, `POST /v1/runs`, or in a session. */

/** How a run was started: `POST /v1/execute`, `POST /v1/runs`, or in a session. */
export type RunMode = "sync" | "async" | "session";

/** One entry of `GET /v1/runs`. Timestamps are ISO 8601 strings. */

/** One entry of `GET /v1/runs`. Timestamps are ISO 8601 strings. */
export interface RunSummary {
  id: string;
  status: RunState;
  language: Language;
  mode: RunMode;
  sessionId: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** What run history keeps of a request: code and inputs, file names and hashes, env names only. */

/** What run history keeps of a request: code and inputs, file names and hashes, env names only. */
export interface StoredRequest {
  language: Language;
  code: string;
  filename: string | null;
  files: Array<{ path: string; size: number; sha256: string }>;
  stdin: string;
  args: string[];
  envNames: string[];
  limits: Limits;
  /** C, C++, AssemblyScript: how it was compiled. */
  compile?: CompileOptions;
  /** WebAssembly: the export called and the host functions granted. */
  wasm?: WasmOptions;
}

/** `GET /v1/runs/:id`: the run, its stored request and (once finished) its result. */

/** `GET /v1/runs/:id`: the run, its stored request and (once finished) its result. */
export interface RunDetail extends RunSummary {
  startedAt: string | null;
  request: StoredRequest;
  result: ExecuteResult | null;
}

/** A page of `GET /v1/runs`, newest first. Pass `nextCursor` as `cursor` for the next page. */

/** A page of `GET /v1/runs`, newest first. Pass `nextCursor` as `cursor` for the next page. */
export interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

/** A session: its own sandbox, where variables, imports and files persist between runs. */
export interface SessionInfo {
  id: string;
  language: Language;
  createdAt: string;
  /** When the session closes if it stays idle. */
  expiresAt: string;
  alive: boolean;
}

/** `POST /v1/sessions/:id/execute` body: a request whose language defaults to the session's. */
