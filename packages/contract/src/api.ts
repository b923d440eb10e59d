/**
 * The shapes of the HTTP API beyond the request/result contract: run history, sessions.
 * Shared by the server (which answers with them and documents them in its OpenAPI
 * document) and the client (which reads them, types only), so the three cannot drift apart.
 */
import { z } from "zod";
import { ERROR_CODES, type WasmboxErrorCode } from "./errors.js";
import { CompileOptionsSchema, ExecuteResultSchema, LanguageSchema, LimitsSchema, STATUSES, WasmOptionsSchema } from "./contract.js";

/** A run's lifecycle: queued → running → one of the result statuses. */
export const RunStateSchema = z.enum(["queued", "running", ...STATUSES]);
export type RunState = z.infer<typeof RunStateSchema>;

/** How a run was started: `POST /v1/execute`, `POST /v1/runs`, or in a session. */
export const RunModeSchema = z.enum(["sync", "async", "session"]);
export type RunMode = z.infer<typeof RunModeSchema>;

/** Which HTTP API a run came through: wasmbox's own, or a drop-in Piston or Judge0 one. */
export const RunApiSchema = z.enum(["wasmbox", "piston", "judge0"]);
export type RunApi = z.infer<typeof RunApiSchema>;

/** A result as the API answers it (`POST /v1/execute`, a session's execute): the contract's result plus the run's id in history. */
export const RunResultSchema = ExecuteResultSchema.extend({ id: z.string() });
export type RunResult = z.infer<typeof RunResultSchema>;

/** One entry of `GET /v1/runs`. Timestamps are ISO 8601 strings. */
export const RunSummarySchema = z.object({
  id: z.string(),
  status: RunStateSchema,
  language: LanguageSchema,
  mode: RunModeSchema,
  /** The API the run came through (`piston`, `judge0`: their drop-in routes). */
  api: RunApiSchema,
  sessionId: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/** What run history keeps of a request: code and inputs, file names and hashes, env names only. */
export const StoredRequestSchema = z.object({
  language: LanguageSchema,
  code: z.string(),
  filename: z.string().nullable(),
  files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string() })),
  stdin: z.string(),
  args: z.array(z.string()),
  envNames: z.array(z.string()),
  limits: LimitsSchema,
  /** C, C++, AssemblyScript: how it was compiled. */
  compile: CompileOptionsSchema.optional(),
  /** WebAssembly: the export called and the host functions granted. */
  wasm: WasmOptionsSchema.optional(),
  /** Python: the packages the request named (what the run loaded, with versions, is in its result). */
  packages: z.array(z.string()).optional(),
});
export type StoredRequest = z.infer<typeof StoredRequestSchema>;

/** `GET /v1/runs/:id`: the run, its stored request and (once finished) its result. */
export const RunDetailSchema = RunSummarySchema.extend({
  startedAt: z.string().nullable(),
  request: StoredRequestSchema,
  result: ExecuteResultSchema.nullable(),
});
export type RunDetail = z.infer<typeof RunDetailSchema>;

/** A page of `GET /v1/runs`, newest first. Pass `nextCursor` as `cursor` for the next page. */
export const RunPageSchema = z.object({
  runs: z.array(RunSummarySchema),
  nextCursor: z.string().nullable(),
});
export type RunPage = z.infer<typeof RunPageSchema>;

/** A session: its own sandbox, where variables, imports and files persist between runs. */
export const SessionInfoSchema = z.object({
  id: z.string(),
  language: LanguageSchema,
  createdAt: z.string(),
  /** When the session closes if it stays idle. */
  expiresAt: z.string(),
  alive: z.boolean(),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

/** Every error answer of the HTTP API; `code` is one of `ERROR_CATALOGUE`'s and decides the status. */
export const ErrorAnswerSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES as [WasmboxErrorCode, ...WasmboxErrorCode[]]),
    /** What went wrong and what to do about it, for a person. */
    message: z.string(),
    /** Machine-readable detail when there is some, e.g. `[{ path, message }]` for INVALID_REQUEST. */
    details: z.unknown().optional(),
  }),
});
export type ErrorAnswer = z.infer<typeof ErrorAnswerSchema>;

/**
 * A piece of a run's output as it streams: text, and when the bytes are not valid UTF-8 (a
 * binary stream, or a character the program cut short) also the exact bytes in base64.
 * The client's `outputBytes(piece)` gives the bytes either way.
 */
export const OutputPieceSchema = z.object({
  text: z.string(),
  base64: z.string().optional(),
});
export type OutputPiece = z.infer<typeof OutputPieceSchema>;

/** Events of `GET /v1/runs/:id/events`, in order; the stream ends after `result`. `id` resumes the stream (`Last-Event-ID`). */
export const RunEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("status"), id: z.string(), data: z.object({ status: z.enum(["queued", "running"]) }) }),
  z.object({ type: z.literal("stdout"), id: z.string(), data: OutputPieceSchema }),
  z.object({ type: z.literal("stderr"), id: z.string(), data: OutputPieceSchema }),
  z.object({ type: z.literal("result"), id: z.string(), data: ExecuteResultSchema }),
]);
export type RunEvent = z.infer<typeof RunEventSchema>;
export type RunEventType = RunEvent["type"];
