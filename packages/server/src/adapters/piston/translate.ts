/**
 * Piston v2, translated: its runtimes list from the engine's, its execute request into a
 * wasmbox request, and a wasmbox result into its answer (`run` and, for compiled languages,
 * `compile`, with Piston's status codes). Nothing here runs code; the routes hand the
 * translated request to the same run service as `/v1/execute`.
 */
import semver from "semver";
import { z } from "zod";
import { LIMIT_BOUNDS, WasmboxError, type ExecuteRequestInput, type ExecuteResult, type FileContent, type Language, type RuntimeInfo, type Usage } from "@wasmbox/node";

/** A Piston runtime: `language` and `aliases` are what clients send; `runtime` says what really runs it. */
export interface PistonRuntime {
  language: string;
  version: string;
  aliases: string[];
  runtime?: string;
}

/**
 * The languages wasmbox offers under Piston's names and the aliases Piston users type
 * (`py`, `js`, `node-js`, `gcc`, `g++`…). `runtime` names the real engine: QuickJS-ng, not
 * Node; clang compiling to WASI, not GCC.
 */
const OFFERED: ReadonlyArray<{ wasmbox: Language; language: string; aliases: string[]; runtime: string }> = [
  { wasmbox: "python", language: "python", aliases: ["py", "py3", "python3"], runtime: "pyodide" },
  { wasmbox: "javascript", language: "javascript", aliases: ["js", "node-js", "node-javascript", "quickjs"], runtime: "quickjs-ng" },
  { wasmbox: "typescript", language: "typescript", aliases: ["ts", "node-ts", "tsc"], runtime: "sucrase+quickjs-ng" },
  { wasmbox: "c", language: "c", aliases: ["gcc", "clang"], runtime: "clang-wasi" },
  { wasmbox: "cpp", language: "c++", aliases: ["cpp", "g++", "clang++"], runtime: "clang-wasi" },
  { wasmbox: "assemblyscript", language: "assemblyscript", aliases: ["as", "asc"], runtime: "assemblyscript" },
];

const COMPILED: ReadonlySet<Language> = new Set(["c", "cpp", "assemblyscript"]);
const EXTENSIONS: Partial<Record<Language, RegExp>> = { c: /\.c$/, cpp: /\.(cc|cpp|cxx|c\+\+)$/, assemblyscript: /\.ts$/ };

/** Piston's runtimes, with semver versions taken from what the engine reports. */
export function pistonRuntimes(runtimes: RuntimeInfo[]): Array<PistonRuntime & { wasmbox: Language }> {
  return OFFERED.flatMap((o) => {
    const info = runtimes.find((r) => r.language === o.wasmbox);
    if (!info) return [];
    // Python's version is the interpreter's; the others' is their engine's or compiler's.
    const version = semver.valid(info.version) ?? semver.coerce(info.runtime)?.version ?? "0.0.0";
    return [{ language: o.language, version, aliases: o.aliases, runtime: o.runtime, wasmbox: o.wasmbox }];
  });
}

/** Piston's execute body, as loosely as Piston reads it (unknown fields are ignored). */
const PistonFileSchema = z.object({
  name: z.string().optional(),
  content: z.string(),
  encoding: z.enum(["utf8", "base64", "hex"]).optional(),
});
const limit = z.number().optional();
export const PistonExecuteSchema = z
  .object({
    language: z.string().min(1),
    version: z.string().min(1),
    files: z.array(PistonFileSchema),
    stdin: z.string().optional(),
    args: z.array(z.string()).optional(),
    compile_timeout: limit,
    run_timeout: limit,
    compile_cpu_time: limit,
    run_cpu_time: limit,
    compile_memory_limit: limit,
    run_memory_limit: limit,
  })
  .loose();
export type PistonExecuteBody = z.infer<typeof PistonExecuteSchema>;

/** A request Piston would refuse, with Piston's own message (answered 400 `{ message }`). */
const refuse = (message: string) => new WasmboxError("INVALID_REQUEST", message);

const NUMERIC = new Set(["compile_timeout", "run_timeout", "compile_cpu_time", "run_cpu_time", "compile_memory_limit", "run_memory_limit"]);

/** The first problem with a body, in Piston's words (see its api/src/api/v2.js). */
function pistonMessage(issue: z.core.$ZodIssue): string {
  const [field, index, sub] = issue.path;
  if (field === "language") return "language is required as a string";
  if (field === "version") return "version is required as a string";
  if (field === "files" && typeof index === "number" && sub === "content") return `files[${index}].content is required as a string`;
  if (field === "files" && typeof index === "number" && sub === "encoding") return `files[${index}].encoding must be one of utf8, base64, hex`;
  if (field === "files" && typeof index === "number" && sub === "name") return `files[${index}].name must be a string`;
  if (field === "files") return "files is required as an array";
  if (field === "stdin") return "stdin must be a string";
  if (field === "args") return "args must be an array of strings";
  if (typeof field === "string" && NUMERIC.has(field)) return `If specified, ${field} must be a number`;
  return "the request body must be a JSON object";
}

/** Piston's body, checked, and the runtime it asks for; throws an INVALID_REQUEST in Piston's words. */
export function parsePistonBody(body: unknown, runtimes: ReturnType<typeof pistonRuntimes>): { body: PistonExecuteBody; runtime: (typeof runtimes)[number] } {
  const parsed = PistonExecuteSchema.safeParse(body);
  if (!parsed.success) throw refuse(pistonMessage(parsed.error.issues[0]!));
  const b = parsed.data;
  const range = semver.validRange(b.version);
  const runtime = range === null ? undefined : runtimes.find((r) => (r.language === b.language || r.aliases.includes(b.language)) && semver.satisfies(r.version, range));
  if (!runtime) throw refuse(`${b.language}-${b.version} runtime is unknown`);
  if (!b.files.some((f) => !f.encoding || f.encoding === "utf8")) throw refuse("files must include at least one utf8 encoded file");
  return { body: b, runtime };
}

/**
 * A positive Piston limit within wasmbox's bounds, or undefined for "the default" (Piston
 * skips 0 and treats -1 as "no limit configured"). Out of bounds: Piston's own message.
 */
function bounded(name: string, value: number | undefined, bounds: { min: number; max: number }): number | undefined {
  if (value === undefined || value <= 0) return undefined;
  if (value > bounds.max) throw refuse(`${name} cannot exceed the configured limit of ${bounds.max}`);
  if (value < bounds.min) throw refuse(`${name} must be at least ${bounds.min} on this server`);
  return Math.round(value);
}

function fileContent(file: z.infer<typeof PistonFileSchema>): FileContent {
  if (file.encoding === "base64") return { encoding: "base64", content: file.content };
  if (file.encoding === "hex") {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(file.content)) throw refuse("a hex encoded file must hold pairs of hex digits");
    return { encoding: "base64", content: Buffer.from(file.content, "hex").toString("base64") };
  }
  return file.content;
}

/**
 * The wasmbox request a Piston execute asks for: the first file is the program (text), the
 * others are placed beside it; `run_timeout` and `run_memory_limit` are the run's limits,
 * `compile_timeout` the compile's. CPU-time limits have no equivalent (wall time is the limit).
 */
export function toWasmboxRequest(body: PistonExecuteBody, language: Language): ExecuteRequestInput {
  const [entry, ...rest] = body.files;
  if (!entry) throw refuse("files must include at least one utf8 encoded file");
  const code = typeof fileContent(entry) === "string" ? entry.content : Buffer.from((fileContent(entry) as { content: string }).content, "base64").toString("utf8");
  const timeoutMs = bounded("run_timeout", body.run_timeout, LIMIT_BOUNDS.timeoutMs);
  const memoryLimitBytes = bounded("run_memory_limit", body.run_memory_limit, LIMIT_BOUNDS.memoryLimitBytes);
  const compileTimeoutMs = bounded("compile_timeout", body.compile_timeout, LIMIT_BOUNDS.timeoutMs);
  const files: Record<string, FileContent> = {};
  rest.forEach((f, i) => (files[f.name || `file${i + 1}.code`] = fileContent(f)));
  // A compiler needs the right extension; an interpreter shows the name in tracebacks.
  const name = entry.name && !/[/\\\0]/.test(entry.name) && (EXTENSIONS[language]?.test(entry.name) ?? true) ? entry.name : undefined;
  return {
    language,
    code,
    ...(name ? { filename: name } : {}),
    ...(rest.length ? { files } : {}),
    ...(body.stdin ? { stdin: body.stdin } : {}),
    ...(body.args?.length ? { args: body.args } : {}),
    ...(timeoutMs !== undefined || memoryLimitBytes !== undefined
      ? { limits: { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(memoryLimitBytes !== undefined ? { memoryLimitBytes } : {}) } }
      : {}),
    ...(COMPILED.has(language) && compileTimeoutMs !== undefined ? { compile: { timeoutMs: compileTimeoutMs } } : {}),
  };
}

/** One stage of Piston's answer. */
export interface PistonStage {
  stdout: string;
  stderr: string;
  output: string;
  code: number | null;
  signal: string | null;
  message: string | null;
  status: string | null;
  cpu_time: number | null;
  wall_time: number | null;
  memory: number | null;
}

export interface PistonAnswer {
  language: string;
  version: string;
  run: PistonStage;
  compile?: PistonStage;
}

/**
 * Piston's status for how a stage ended: `TO` time out, `OL` output limit, `SG` killed by a
 * signal (the memory limit, a cancel), `RE` a runtime error (non-zero exit), `XX` an internal
 * error (the sandbox broke); null when it exited 0.
 */
export function pistonStatus(result: Pick<ExecuteResult, "status" | "error">): { status: string | null; signal: string | null } {
  switch (result.status) {
    case "ok":
      return { status: null, signal: null };
    case "timeout":
      return { status: "TO", signal: "SIGKILL" };
    case "output_limit":
      return { status: "OL", signal: "SIGKILL" };
    case "memory_limit":
      return { status: "SG", signal: "SIGKILL" };
    case "killed":
      return result.error?.name === "Killed" ? { status: "SG", signal: "SIGKILL" } : { status: "XX", signal: null };
    case "error":
    case "compile_error":
      return result.error?.name === "SandboxCrash" || result.error?.name === "SandboxProtocolError" ? { status: "XX", signal: null } : { status: "RE", signal: null };
  }
}

function usageFields(usage: Usage | undefined): Pick<PistonStage, "cpu_time" | "wall_time" | "memory"> {
  return { cpu_time: usage?.cpuTimeMs ?? null, wall_time: usage?.wallTimeMs ?? null, memory: usage?.peakMemoryBytes ?? null };
}

function message(result: ExecuteResult, code: number | null, status: string | null): string | null {
  if (status === null) return null;
  if (status === "RE") return code !== null ? `Exited with error status ${code}` : inPistonTerms(result.error?.message ?? null);
  return inPistonTerms(result.error?.message ?? null);
}

/** A limit error names the option that raises it: here, Piston's. */
function inPistonTerms(text: string | null): string | null {
  return (
    text
      ?.replace(/\b(?:raise )?compile\.timeoutMs\b/g, (m) => m.replace("compile.timeoutMs", "compile_timeout"))
      .replace(/compiling took longer than timeoutMs \((\d+) ms\); nothing ran\. Raise limits\.timeoutMs/, "compiling took longer than compile_timeout ($1 ms); nothing ran. Raise compile_timeout")
      .replace(/limits\.timeoutMs/g, "run_timeout")
      .replace(/limits\.memoryLimitBytes/g, "run_memory_limit") ?? null
  );
}

/** The Piston answer for a wasmbox result. A failed compile is also `run`, as Piston does. */
export function toPistonAnswer(result: ExecuteResult, runtime: PistonRuntime, compiled: boolean): PistonAnswer {
  const head = { language: runtime.language, version: runtime.version };
  const compile = result.compile;
  if (compiled && compile) {
    const failed = compileFailed(result);
    const { status, signal } = failed ? pistonStatus(result) : { status: null, signal: null };
    const code = failed ? (result.status === "compile_error" ? 1 : null) : 0;
    const compileStage: PistonStage = {
      stdout: "",
      stderr: compile.output,
      output: compile.output,
      code,
      signal,
      message: failed ? message(result, code, status) : null,
      status,
      ...usageFields(compile.usage),
      ...(compile.usage ? {} : { wall_time: compile.timeMs }),
    };
    if (failed) return { ...head, run: compileStage, compile: compileStage };
    return { ...head, run: runStage(result), compile: compileStage };
  }
  return { ...head, run: runStage(result) };
}

/**
 * Whether the build failed and nothing ran: `compile_error`, or a compile stopped by a limit
 * or a cancel. Then the engine reports the compile's own usage as the result's (a run has
 * usage of its own, never equal to the compile's to the hundredth of a millisecond).
 */
export function compileFailed(result: ExecuteResult): boolean {
  if (result.status === "compile_error") return true;
  const { compile, usage } = result;
  if (result.status === "ok" || !compile?.usage || !usage) return false;
  return compile.usage.wallTimeMs === usage.wallTimeMs && compile.usage.cpuTimeMs === usage.cpuTimeMs && compile.usage.peakMemoryBytes === usage.peakMemoryBytes;
}

function runStage(result: ExecuteResult): PistonStage {
  const { status, signal } = pistonStatus(result);
  const code = result.exitCode ?? (status === "RE" ? 1 : null);
  return {
    stdout: result.stdout,
    stderr: result.stderr,
    output: result.output,
    code,
    signal,
    message: message(result, code, status),
    status,
    ...usageFields(result.usage),
  };
}
