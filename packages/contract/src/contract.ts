/**
 * The request and the result every surface shares (engine API, CLI, HTTP, MCP).
 * Schemas are the single source: TypeScript types, validation messages and (later)
 * OpenAPI are all derived from them.
 */
import { z } from "zod";
import { DEFAULT_LIMITS, LANGUAGES, LIMIT_BOUNDS, STATUSES } from "./constants.js";
import { checkCompileFlag, commandLineNameProblem, type CompiledLanguage } from "./flags.js";

export { DEFAULT_LIMITS, LANGUAGES, LIMIT_BOUNDS, STATUSES };

/** Languages compiled to WebAssembly before they run. */
export const COMPILED_LANGUAGES = ["c", "cpp", "assemblyscript"] as const satisfies readonly CompiledLanguage[];
/** Languages that run as a WebAssembly module (compiled ones and raw `wasm`). */
export const WASM_LANGUAGES = [...COMPILED_LANGUAGES, "wasm"] as const;
export const LanguageSchema = z.enum(LANGUAGES, {
  error: (issue) =>
    `unknown language ${JSON.stringify(issue.input)}: expected one of ${LANGUAGES.join(", ")}`,
});
export type Language = z.infer<typeof LanguageSchema>;

export const StatusSchema = z.enum(STATUSES);
export type Status = z.infer<typeof StatusSchema>;

const MiB = 1024 * 1024;

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

/** A guest path: relative, no `..`, no NUL, no segment `__proto__`/`constructor`/`prototype`, at most 512 characters. */
export const GuestPathSchema = z
  .string()
  .min(1, "file path must not be empty")
  .max(512, "file path must be at most 512 characters")
  .refine((p) => !p.includes("\0"), "file path must not contain NUL")
  .refine((p) => !p.startsWith("/"), "file path must be relative to the working directory")
  .refine(
    (p) => p.startsWith("/") || p.split(/[\\/]/).every((seg) => seg !== ".." && seg !== ""),
    "file path must not contain '..' or empty segments",
  )
  // Runtimes build directory trees from these names: a segment must never be able to reach
  // an object's prototype (`a/__proto__/b`), in any runtime or host.
  .refine(
    (p) => p.split(/[\\/]/).every((seg) => seg !== "__proto__" && seg !== "constructor" && seg !== "prototype"),
    "file path must not contain a segment named __proto__, constructor or prototype",
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

export const OPTIMIZE_LEVELS = ["0", "1", "2", "3", "s", "z"] as const;

/** How C, C++ and AssemblyScript are compiled. */
export const CompileOptionsSchema = z
  .object({
    /** `-O` level (AssemblyScript: optimize/shrink level). Default "2". */
    optimize: z.enum(OPTIMIZE_LEVELS, { error: `optimize must be one of ${OPTIMIZE_LEVELS.join(", ")}` }).optional(),
    /** Extra compiler flags, from an allowlist (see docs). */
    flags: z.array(z.string().min(1).max(256)).max(64, "at most 64 flags").optional(),
    /**
     * Wall-clock cap on the compile alone, in ms (the engine's compile limit still caps it).
     * Default: `limits.timeoutMs`. Piston's `compile_timeout` maps here.
     */
    timeoutMs: boundedInt("timeoutMs").optional(),
  })
  .strict();
export type CompileOptions = z.infer<typeof CompileOptionsSchema>;

/** Host functions a module may import when the request grants them (`wasm.imports`). */
export const HOST_IMPORT_NAMES = [
  "env.log_i32",
  "env.log_i64",
  "env.log_f32",
  "env.log_f64",
  "env.log_str",
  "env.now_ms",
  "env.abort",
  "env.trace",
  "env.seed",
  "env.Date.now",
  "env.performance.now",
  "env.console.log",
  "env.console.info",
  "env.console.debug",
  "env.console.warn",
  "env.console.error",
] as const;
export type HostImportName = (typeof HOST_IMPORT_NAMES)[number];

/** How a WebAssembly module runs: a WASI command (`_start`), or one export called with arguments. */
export const WasmOptionsSchema = z
  .object({
    /** Call this export instead of running `_start`; its return value becomes `value`. */
    invoke: z
      .object({
        export: z.string().min(1).max(256),
        /** Numbers; i64 arguments may also be decimal strings (beyond 2^53). */
        args: z.array(z.union([z.number(), z.string().regex(/^-?\d{1,20}$/, "i64 arguments given as strings must be decimal integers")])).max(64).optional(),
      })
      .strict()
      .optional(),
    /** Host functions the module may import, by `module.name`. Nothing else is granted. */
    imports: z
      .array(
        z.enum(HOST_IMPORT_NAMES, {
          error: (issue) => `unknown host function ${JSON.stringify(issue.input)}: wasmbox can grant ${HOST_IMPORT_NAMES.join(", ")}`,
        }),
      )
      .max(64)
      .optional(),
  })
  .strict();
export type WasmOptions = z.infer<typeof WasmOptionsSchema>;

/**
 * A Python package as pip names it (PEP 508: letters, digits, `.`, `_`, `-`; compared
 * case-insensitively with `_`/`.` as `-`). Versions are pinned by the package store's lock file.
 */
export const PackageNameSchema = z
  .string({ error: "a package name must be a string" })
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$/, "a package name is letters, digits, '.', '_' and '-' (at most 100), as pip spells it, e.g. \"numpy\"");

/** The request's fields, without the cross-field checks (for schemas derived from it). */
export const ExecuteRequestObjectSchema = z
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
    /** C, C++, AssemblyScript: optimisation level and extra flags. */
    compile: CompileOptionsSchema.optional(),
    /** C, C++, AssemblyScript, wasm: which export to call and which host functions to grant. */
    wasm: WasmOptionsSchema.optional(),
    /**
     * Python: packages to load before the code runs (with their dependencies), from the host's
     * package store (`wasmbox packages fetch`). Versions come from the store's lock file.
     */
    packages: z.array(PackageNameSchema).max(64, "at most 64 packages").optional(),
  })
  .strict();

export const ExecuteRequestSchema = ExecuteRequestObjectSchema.superRefine((request, ctx) => {
    const compiled = (COMPILED_LANGUAGES as readonly string[]).includes(request.language);
    if (request.compile && !compiled) {
      ctx.addIssue({ code: "custom", path: ["compile"], message: `compile options apply to ${COMPILED_LANGUAGES.join(", ")}, not ${request.language}` });
    }
    if (request.wasm && !(WASM_LANGUAGES as readonly string[]).includes(request.language)) {
      ctx.addIssue({ code: "custom", path: ["wasm"], message: `wasm options apply to ${WASM_LANGUAGES.join(", ")}, not ${request.language}` });
    }
    if (compiled) {
      request.compile?.flags?.forEach((flag, i) => {
        const problem = checkCompileFlag(request.language as CompiledLanguage, flag);
        if (problem) ctx.addIssue({ code: "custom", path: ["compile", "flags", i], message: problem });
      });
      // Names that reach a compiler's command line are data, never options: the main file, and
      // for AssemblyScript every top-level .ts file (headers in `files` never reach clang's).
      const nameProblem = request.filename === undefined ? null : commandLineNameProblem(request.filename);
      if (nameProblem) ctx.addIssue({ code: "custom", path: ["filename"], message: nameProblem });
      if (request.language === "assemblyscript") {
        for (const path of Object.keys(request.files ?? {})) {
          const top = path.split(/[\\/]/).find((seg) => seg !== "" && seg !== ".") ?? "";
          const problem = /\.ts$/i.test(path) ? commandLineNameProblem(top) : null;
          if (problem) ctx.addIssue({ code: "custom", path: ["files", path], message: problem });
        }
      }
    }
    if (request.packages && request.language !== "python") {
      ctx.addIssue({ code: "custom", path: ["packages"], message: `packages apply to python, not ${request.language}` });
    }
    if (request.language === "wasm" && request.code.trim() === "") {
      ctx.addIssue({ code: "custom", path: ["code"], message: "code must hold the module: base64 of a .wasm binary, or WebAssembly text (WAT)" });
    }
  });
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

export const DiagnosticSchema = z.object({
  file: z.string().nullable(),
  line: z.number().int().nullable(),
  column: z.number().int().nullable(),
  severity: z.enum(["error", "warning", "note"]),
  message: z.string(),
});
export type Diagnostic = z.infer<typeof DiagnosticSchema>;

/**
 * What the run used, measured from outside the guest (the sandbox's cgroup where it is in
 * force, else the sandbox process's own accounting). Null where the host cannot measure it.
 */
export const UsageSchema = z.object({
  cpuTimeMs: z.number().nullable(),
  wallTimeMs: z.number(),
  peakMemoryBytes: z.number().int().nonnegative().nullable(),
});
export type Usage = z.infer<typeof UsageSchema>;

/** How the program was compiled (C, C++, AssemblyScript). */
export const CompileInfoSchema = z.object({
  /** Compiler and version, e.g. "clang 22.0.0". */
  compiler: z.string(),
  /** The module came from the compile cache. */
  cached: z.boolean(),
  /** Time spent compiling in this request (a cache lookup when cached). */
  timeMs: z.number(),
  /** Errors, warnings and notes the compiler reported. */
  diagnostics: z.array(DiagnosticSchema),
  /** The compiler's own output, verbatim. */
  output: z.string(),
  /** What the compile used (as `usage` is for the run), when it compiled in this request (not cached). */
  usage: UsageSchema.optional(),
});
export type CompileInfo = z.infer<typeof CompileInfoSchema>;

/**
 * A rich output, as Jupyter and E2B give it: one object in several MIME types, the client
 * shows the richest it can. `display(obj)` and matplotlib figures are `display`; the last
 * expression's rich form is `result`. In `data`, text types (`text/plain`, `text/html`,
 * `text/markdown`, `image/svg+xml`) are strings, binary ones (`image/png`, `image/jpeg`)
 * base64 strings, `application/json` any JSON value.
 */
export const RichOutputSchema = z.object({
  kind: z.enum(["display", "result"]),
  data: z.record(z.string(), JsonValueSchema),
});
export type RichOutput = z.infer<typeof RichOutputSchema>;

/** A package a Python run loaded, and where it came from (the run's record keeps these: reproducibility). */
export const LoadedPackageSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** The wheel's sha256, as verified against the store's lock file or index. */
  sha256: z.string(),
});
export type LoadedPackage = z.infer<typeof LoadedPackageSchema>;

const Base64Schema = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");

export const ExecuteResultSchema = z.object({
  status: StatusSchema,
  /**
   * What the program wrote to stdout, as text. Output is bytes: when they are valid UTF-8
   * this is exactly them; otherwise it is a lossy decoding (invalid bytes as U+FFFD) and
   * `stdoutBase64` holds the exact bytes.
   */
  stdout: z.string(),
  /** What the program wrote to stderr, as `stdout` is. */
  stderr: z.string(),
  /** stdout and stderr interleaved in the order the guest wrote them, as `stdout` is. */
  output: z.string(),
  /** Only when stdout is not valid UTF-8: its exact bytes, base64. */
  stdoutBase64: Base64Schema.optional(),
  /** Only when stderr is not valid UTF-8: its exact bytes, base64. */
  stderrBase64: Base64Schema.optional(),
  /** Only when the interleaved output is not valid UTF-8: its exact bytes, base64. */
  outputBase64: Base64Schema.optional(),
  error: GuestErrorSchema.nullable(),
  /** The guest's exit code; null when the run was stopped from outside (limits, kill). */
  exitCode: z.number().int().nullable(),
  /** The last expression's value, JSON-safe (non-JSON values become their repr string). */
  value: JsonValueSchema.nullable(),
  files: z.array(OutputFileSchema),
  timings: TimingsSchema,
  /** C, C++, AssemblyScript: how the program was compiled. */
  compile: CompileInfoSchema.optional(),
  /** Rich outputs (`display()`, figures, the last expression's rich form), in the order they were made. */
  outputs: z.array(RichOutputSchema),
  /** Python: the packages the run loaded (requested ones and their dependencies), with versions. */
  packages: z.array(LoadedPackageSchema).optional(),
  /**
   * CPU time, wall time and peak memory of the run, measured by the host. For C, C++ and
   * AssemblyScript this is the built program's run (the compile's own is `compile.usage`),
   * or the compile's when the build failed and nothing else ran.
   */
  usage: UsageSchema.optional(),
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
    case "assemblyscript":
      return "main.ts";
    case "c":
      return "main.c";
    case "cpp":
      return "main.cpp";
    case "wasm":
      return "main.wasm";
  }
}
