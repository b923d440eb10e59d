import { z } from "zod";
import { supportsSessions } from "./runtimes/describe.js";
import { ExecuteRequestSchema, LANGUAGES, LanguageSchema, LimitsSchema, WasmboxError, type ExecuteRequest, type Language, type Limits } from "@wasmbox/contract";

/** One validation problem, with the dotted path of the field it concerns. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Turn zod issues into messages that name the field, e.g. `limits.timeoutMs: must be at most 900000`. */
export function formatIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      message = `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    } else if (issue.code === "invalid_key") {
      // A record key failed its own schema (a file path, an env name): give that schema's message.
      message = `invalid name ${JSON.stringify(String(issue.path.at(-1) ?? ""))}: ${issue.issues.map((i) => i.message).join("; ")}`;
    } else if (issue.code === "invalid_type" && issue.input === undefined) {
      message = `is required (expected ${issue.expected})`;
    }
    return { path: path || "(request)", message };
  });
}

declare const parsedBrand: unique symbol;

/**
 * A request {@link parseExecuteRequest} produced: validated and frozen. The brand is for the
 * compiler (a plain object is not one); the engine skips its own parse only for a value it finds
 * in {@link isParsedExecuteRequest}'s record, so a cast cannot smuggle an unparsed one past it.
 */
export type ParsedExecuteRequest = ExecuteRequest & { readonly [parsedBrand]: true };

/** Every value parseExecuteRequest returned (weakly: it does not keep them alive). */
const parsedRequests = new WeakSet<object>();

/**
 * Validate an untrusted request once, at the boundary. The value is frozen (deeply), so what
 * was checked is what runs; hand it to `Engine.execute` as it is and it is not parsed again.
 * @throws WasmboxError `INVALID_REQUEST` naming each offending field.
 * @example
 * const request = parseExecuteRequest(JSON.parse(body));
 */
export function parseExecuteRequest(input: unknown): ParsedExecuteRequest {
  if (isParsedExecuteRequest(input)) return input;
  return markParsed(parseOrThrow(ExecuteRequestSchema, input));
}

/** Whether `value` came from {@link parseExecuteRequest} (a runtime check, not the type's word). */
export function isParsedExecuteRequest(value: unknown): value is ParsedExecuteRequest {
  return typeof value === "object" && value !== null && parsedRequests.has(value);
}

/**
 * A parsed request with a session's default limits under its own. Each limit is bounded on
 * its own (no rule spans two), so merging two valid sets needs no new parse of the request;
 * the defaults are checked here.
 */
export function withDefaultLimits(request: ParsedExecuteRequest, defaults: Limits): ParsedExecuteRequest {
  // The record, not the type, decides: a value that was never parsed is parsed now.
  const parsedRequest = parseExecuteRequest(request);
  const checked = parseOrThrow(LimitsSchema, defaults);
  if (Object.keys(checked).length === 0) return parsedRequest;
  return markParsed({ ...parsedRequest, limits: { ...checked, ...parsedRequest.limits } });
}

function markParsed(request: ExecuteRequest): ParsedExecuteRequest {
  deepFreeze(request);
  parsedRequests.add(request);
  return request as ParsedExecuteRequest;
}

function deepFreeze(value: unknown): void {
  // Typed arrays cannot be frozen while they hold elements (a request carries none today).
  if (typeof value !== "object" || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}

/** What opening a session takes: a language that sessions support, and default limits. */
const SessionOptionsSchema = z
  .object({
    language: LanguageSchema.superRefine((language, ctx) => {
      // The runtime descriptors say which languages keep state between runs.
      if (!supportsSessions(language)) {
        const stateful = LANGUAGES.filter(supportsSessions);
        const list = `${stateful.slice(0, -1).join(", ")} or ${stateful.at(-1)}`;
        ctx.addIssue({ code: "custom", message: `sessions run ${list}; ${language} programs run one request at a time (use execute)` });
      }
    }),
    limits: LimitsSchema.optional(),
  })
  .strict();

/**
 * Validate the options of a new session.
 * @throws WasmboxError `INVALID_REQUEST` naming each offending field.
 */
export function parseSessionOptions(input: unknown): { language: Language; limits?: Limits } {
  return parseOrThrow(SessionOptionsSchema, input);
}

function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  const issues = formatIssues(parsed.error);
  throw new WasmboxError(
    "INVALID_REQUEST",
    `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    { details: issues },
  );
}
