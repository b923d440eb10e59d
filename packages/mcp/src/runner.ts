/**
 * What the MCP tools run code on: the engine's surface (execute, sessions, runtimes) with
 * sessions named by id and every run's files kept for reading back as resources. Two
 * implementations: {@link engineRunner} over a local engine (`wasmbox mcp`, stdio), and the
 * HTTP server's, over its run and session services (per-key limits, rate limits, history).
 */
import type { ExecuteResult, Language, Limits, RuntimeInfo, SessionInfo } from "@wasmbox/core";

/** How a tool call follows its run. */
export interface RunOptions {
  /** Aborting ends the run with status `killed` (the MCP client cancelled, or went away). */
  signal?: AbortSignal;
  /** Each piece of output as the guest writes it, for progress notifications. */
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
}

/** A finished run: its result, and the id its files are read back under. */
export interface RunOutcome {
  runId: string;
  result: ExecuteResult;
}

/** A file a run produced, read back. Undefined from `readRunFile` when there is no such file (or it was not kept). */
export interface RunFile {
  bytes: Uint8Array;
  mime: string;
}

export interface CodeRunner {
  /** Languages and versions this runner runs. */
  runtimes(): readonly RuntimeInfo[];
  /**
   * Run one request (anything: it is validated by the runner, with the contract's schema).
   * Guest failures are in the result; host failures throw a `WasmboxError`.
   */
  execute(request: unknown, options?: RunOptions): Promise<RunOutcome>;
  openSession(options: { language: Language; limits?: Limits }): Promise<SessionInfo>;
  /** Run in a session; the request has no language (it is the session's). */
  executeInSession(sessionId: string, request: Record<string, unknown>, options?: RunOptions): Promise<RunOutcome>;
  /** The session's state; throws NOT_FOUND / SESSION_CLOSED as `executeInSession` does. */
  sessionInfo(sessionId: string): SessionInfo;
  closeSession(sessionId: string): Promise<void>;
  /** A file a run produced, if it is still kept. */
  readRunFile(runId: string, path: string): Promise<RunFile | undefined>;
}
