/**
 * The request and the result every surface shares (engine API, CLI, HTTP, MCP).
 * Schemas are the single source: TypeScript types, validation messages and (later)
 * OpenAPI are all derived from them.
 */
import { z } from "zod";

/** Languages the engine knows. `wasmbox runtimes` lists which are installed. */
export const LANGUAGES = ["python", "javascript", "typescript"] as const;
export const LanguageSchema = z.enum(LANGUAGES, {
  error: (issue) =>
    `unknown language ${JSON.stringify(issue.input)}: expected one of ${LANGUAGES.join(", ")}`,
});
export type Language = z.infer<typeof LanguageSchema>;

export const STATUSES = [
  "ok",
  "error",
  "timeout",
  "memory_limit",
  "output_limit",
  "compile_error",
  "killed",
] as const;
export const StatusSchema = z.enum(STATUSES);
export type Status = z.infer<typeof StatusSchema>;

const MiB = 1024 * 1024;

/** Defaults applied when a request leaves a limit out. */
export const DEFAULT_LIMITS = {
  timeoutMs: 10_000,
  memoryLimitBytes: 256 * MiB,
  maxOutputBytes: 1 * MiB,
} as const;

/** The widest limits a request may ask for; hosts may narrow them further. */
export const LIMIT_BOUNDS = {
  timeoutMs: { min: 1, max: 15 * 60_000 },
  memoryLimitBytes: { min: 16 * MiB, max: 4096 * MiB },
  maxOutputBytes: { min: 1, max: 64 * MiB },
} as const;

const boundedInt = (name: keyof typeof LIMIT_BOUNDS) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(LIMIT_BOUNDS[name].min, `${name} must be at least ${LIMIT_BOUNDS[name].min}`)
    .max(LIMIT_BOUNDS[name].max, `${name} must be at most ${LIMIT_BOUNDS[name].max}`);

export const LimitsSchema = z
  .object({
    timeoutMs: boundedInt("timeoutMs").optional(),
    memoryLimitBytes: boundedInt("memoryLimitBytes").optional(),
    maxOutputBytes: boundedInt("maxOutputBytes").optional(),
  })
  .strict();
export type Limits = z.infer<typeof LimitsSchema>;
export type ResolvedLimits = { [K in keyof typeof DEFAULT_LIMITS]: number };

/** A guest path: relative, no `..`, no NUL, at most 512 characters. */
export const GuestPathSchema = z
  .string()
  .min(1, "file path must not be empty")
  .max(512, "file path must be at most 512 characters")
  .refine((p) => !p.includes("\0"), "file path must not contain NUL")
  .refine((p) => !p.startsWith("/"), "file path must be relative to the working directory")
  .refine(
    (p) => p.startsWith("/") || p.split(/[\\/]/).every((seg) => seg !== ".." && seg !== ""),
    "file path must not contain '..' or empty segments",
  );

/** A request file: UTF-8 text, or bytes as base64. */
export const FileContentSchema = z.union([
  z.string(),
  z
    .object({
      encoding: z.literal("base64"),
      content: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "content must be base64"),
    })
    .strict(),
]);
export type FileContent = z.infer<typeof FileContentSchema>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const ExecuteRequestSchema = z
  .object({
    language: LanguageSchema,
    code: z
      .string({ error: "code must be a string" })
      .max(4 * MiB, "code must be at most 4 MiB"),
    /** File name shown in tracebacks and `sys.argv[0]`/`process.argv[1]`. */
    filename: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^/\\\0]+$/, "filename must be a plain file name without slashes")
      .optional(),
    files: z.record(GuestPathSchema, FileContentSchema).optional(),
    stdin: z.string().max(64 * MiB).optional(),
    args: z.array(z.string().max(64 * 1024)).max(1024).optional(),
    env: z
      .record(
        z.string().regex(ENV_NAME, "env names must match [A-Za-z_][A-Za-z0-9_]*"),
        z.string().max(64 * 1024).refine((v) => !v.includes("\0"), "env values must not contain NUL"),
      )
      .optional(),
    limits: LimitsSchema.optional(),
  })
  .strict();
export type ExecuteRequest = z.infer<typeof ExecuteRequestSchema>;
/** What `ExecuteRequest` accepts before defaults are applied (same shape, all optional fields). */
export type ExecuteRequestInput = z.input<typeof ExecuteRequestSchema>;

export const GuestErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  traceback: z.string(),
  line: z.number().int().nullable(),
});
export type GuestError = z.infer<typeof GuestErrorSchema>;

export const OutputFileSchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  mime: z.string(),
});
export type OutputFile = z.infer<typeof OutputFileSchema>;

export const TimingsSchema = z.object({
  queuedMs: z.number(),
  startMs: z.number(),
  executionTimeMs: z.number(),
  totalMs: z.number(),
});
export type Timings = z.infer<typeof TimingsSchema>;

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(JsonValueSchema),
    z.record(z.string(), JsonValueSchema),
  ]),
);
export type { JsonValue };

export const ExecuteResultSchema = z.object({
  status: StatusSchema,
  stdout: z.string(),
  stderr: z.string(),
  /** stdout and stderr interleaved in the order the guest wrote them. */
  output: z.string(),
  error: GuestErrorSchema.nullable(),
  /** The guest's exit code; null when the run was stopped from outside (limits, kill). */
  exitCode: z.number().int().nullable(),
  /** The last expression's value, JSON-safe (non-JSON values become their repr string). */
  value: JsonValueSchema.nullable(),
  files: z.array(OutputFileSchema),
  timings: TimingsSchema,
});
export type ExecuteResult = z.infer<typeof ExecuteResultSchema>;

/** Fill in defaults for limits. */
export function resolveLimits(limits: Limits | undefined): ResolvedLimits {
  return { ...DEFAULT_LIMITS, ...stripUndefined(limits ?? {}) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** File name used in tracebacks when the request names none. */
export function defaultFilename(language: Language): string {
  switch (language) {
    case "python":
      return "main.py";
    case "javascript":
      return "main.js";
    case "typescript":
      return "main.ts";
  }
}
