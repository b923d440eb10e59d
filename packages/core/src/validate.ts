import { z } from "zod";
import { ExecuteRequestSchema, LanguageSchema, LimitsSchema, WASM_LANGUAGES, WasmboxError, type ExecuteRequest, type Language, type Limits } from "@wasmbox/contract";

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

/**
 * Validate an untrusted request once, at the boundary.
 * @throws WasmboxError `INVALID_REQUEST` naming each offending field.
 * @example
 * const request = parseExecuteRequest(JSON.parse(body));
 */
export function parseExecuteRequest(input: unknown): ExecuteRequest {
  return parseOrThrow(ExecuteRequestSchema, input);
}

/** What opening a session takes: a language that sessions support, and default limits. */
const SessionOptionsSchema = z
  .object({
    language: LanguageSchema.superRefine((language, ctx) => {
      if ((WASM_LANGUAGES as readonly string[]).includes(language)) {
        ctx.addIssue({ code: "custom", message: `sessions run python, javascript or typescript; ${language} programs run one request at a time (use execute)` });
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
