/**
 * Judge0 CE, translated: its languages (Judge0 CE's own ids for the languages wasmbox runs,
 * named for what really runs them), its statuses, a submission into a wasmbox request, and a
 * run from history into a submission as Judge0 serializes it (`fields`, `base64_encoded`).
 * Nothing here runs code; the routes hand the request to the same run service as `/v1/execute`.
 */
import { z } from "zod";
import { LIMIT_BOUNDS, type ExecuteRequestInput, type ExecuteResult, type Language, type RuntimeInfo } from "@wasmbox/node";
import type { RunRecord } from "../../store/runs.js";

/** Judge0's statuses, ids and names as Judge0 CE has them (app/enumerations/status.rb). */
export const JUDGE0_STATUSES = [
  { id: 1, description: "In Queue" },
  { id: 2, description: "Processing" },
  { id: 3, description: "Accepted" },
  { id: 4, description: "Wrong Answer" },
  { id: 5, description: "Time Limit Exceeded" },
  { id: 6, description: "Compilation Error" },
  { id: 7, description: "Runtime Error (SIGSEGV)" },
  { id: 8, description: "Runtime Error (SIGXFSZ)" },
  { id: 9, description: "Runtime Error (SIGFPE)" },
  { id: 10, description: "Runtime Error (SIGABRT)" },
  { id: 11, description: "Runtime Error (NZEC)" },
  { id: 12, description: "Runtime Error (Other)" },
  { id: 13, description: "Internal Error" },
  { id: 14, description: "Exec Format Error" },
] as const;
type StatusId = (typeof JUDGE0_STATUSES)[number]["id"];
const status = (id: StatusId) => JUDGE0_STATUSES.find((s) => s.id === id)!;

/**
 * Judge0 CE's language ids (db/languages/active.rb) that wasmbox can serve, and what it runs
 * for them: every GCC and Clang C id runs wasmbox's C (clang to WASI), and so on. Judge0's
 * name for the id is kept in `judge0` for the OpenAPI description and the languages' details.
 */
const IDS: ReadonlyArray<{ id: number; language: Language; judge0: string }> = [
  { id: 48, language: "c", judge0: "C (GCC 7.4.0)" },
  { id: 49, language: "c", judge0: "C (GCC 8.3.0)" },
  { id: 50, language: "c", judge0: "C (GCC 9.2.0)" },
  { id: 75, language: "c", judge0: "C (Clang 7.0.1)" },
  { id: 52, language: "cpp", judge0: "C++ (GCC 7.4.0)" },
  { id: 53, language: "cpp", judge0: "C++ (GCC 8.3.0)" },
  { id: 54, language: "cpp", judge0: "C++ (GCC 9.2.0)" },
  { id: 76, language: "cpp", judge0: "C++ (Clang 7.0.1)" },
  { id: 63, language: "javascript", judge0: "JavaScript (Node.js 12.14.0)" },
  { id: 71, language: "python", judge0: "Python (3.8.1)" },
  { id: 74, language: "typescript", judge0: "TypeScript (3.7.4)" },
];

const LABELS: Record<string, string> = { c: "C", cpp: "C++", javascript: "JavaScript", python: "Python", typescript: "TypeScript" };
const SOURCE_FILES: Record<string, string> = { c: "main.c", cpp: "main.cpp", javascript: "script.js", python: "script.py", typescript: "script.ts" };

export interface Judge0Language {
  id: number;
  name: string;
  language: Language;
  judge0: string;
}

/** The languages offered, each named for what really runs it, e.g. "Python (3.14.2, Pyodide 314.0.7)". */
export function judge0Languages(runtimes: RuntimeInfo[]): Judge0Language[] {
  return IDS.flatMap(({ id, language, judge0 }) => {
    const info = runtimes.find((r) => r.language === language);
    if (!info) return [];
    const what = language === "python" ? `${info.version}, ${info.runtime}` : info.runtime;
    return [{ id, name: `${LABELS[language]} (${what})`, language, judge0 }];
  }).sort((a, b) => a.id - b.id);
}

/** `GET /languages/:id`: Judge0's details of one language, with wasmbox's commands in words. */
export function languageDetail(l: Judge0Language) {
  const compiled = l.language === "c" || l.language === "cpp";
  return {
    id: l.id,
    name: l.name,
    is_archived: false,
    source_file: SOURCE_FILES[l.language],
    compile_cmd: compiled ? `wasmbox: clang to wasm32-wasi (for Judge0's ${l.judge0})` : null,
    run_cmd: `wasmbox: ${l.language} in a WebAssembly sandbox (for Judge0's ${l.judge0})`,
  };
}

/** A submission's fields, as loosely as Judge0 reads them (strings for numbers are accepted, as Rails does). */
const num = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);
export const Judge0SubmissionSchema = z
  .object({
    source_code: z.string().nullish(),
    language_id: num.nullish(),
    stdin: z.string().nullish(),
    expected_output: z.string().nullish(),
    cpu_time_limit: num.nullish(),
    cpu_extra_time: num.nullish(),
    wall_time_limit: num.nullish(),
    memory_limit: num.nullish(),
    stack_limit: num.nullish(),
    command_line_arguments: z.string().nullish(),
    compiler_options: z.string().nullish(),
    redirect_stderr_to_stdout: z.boolean().nullish(),
    number_of_runs: num.nullish(),
    callback_url: z.string().nullish(),
    additional_files: z.string().nullish(),
    enable_network: z.boolean().nullish(),
  })
  .loose();
export type Judge0Submission = z.infer<typeof Judge0SubmissionSchema>;

/** Field errors, Judge0's (Rails') 422 body: `{ field: ["message", …] }`. */
export type FieldErrors = Record<string, string[]>;

/** What a submission keeps beside the wasmbox run (its Judge0-only fields), stored with the run. */
export interface Judge0Extras {
  languageId: number;
  expectedOutput: string | null;
  redirectStderrToStdout: boolean;
  cpuTimeLimitS: number | null;
  wallTimeLimitS: number | null;
  memoryLimitKb: number | null;
  commandLineArguments: string | null;
  compilerOptions: string | null;
}

const decodeBase64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

/**
 * Command-line arguments as the shell Judge0 hands them to would split them: words,
 * with single and double quotes (Judge0 removes `$&;<>|` and backquotes first, and so do we).
 */
export function splitArguments(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of line.replace(/[$&;<>|`]/g, "").matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/**
 * Check a submission and translate it: the wasmbox request and the Judge0 fields kept
 * beside it, or Judge0's field errors. wasmbox limits wall time only: `wall_time_limit`
 * and `cpu_time_limit` (seconds) both bound it, the smaller wins.
 */
export function translateSubmission(
  raw: unknown,
  languages: Judge0Language[],
  base64: boolean,
): { request: ExecuteRequestInput; extras: Judge0Extras } | { errors: FieldErrors } {
  const parsed = Judge0SubmissionSchema.safeParse(raw);
  const errors: FieldErrors = {};
  const add = (field: string, message: string) => (errors[field] ??= []).push(message);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) add(String(issue.path[0] ?? "submission"), issue.path.length ? "is not valid" : "must be a JSON object");
    return { errors };
  }
  const s = parsed.data;
  const decode = (v: string | null | undefined, field: string): string | null => {
    if (v === null || v === undefined) return null;
    if (!base64) return v;
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(v)) {
      add(field, "is not valid base64 (base64_encoded=true)");
      return null;
    }
    return decodeBase64(v);
  };
  const code = decode(s.source_code, "source_code");
  const stdin = decode(s.stdin, "stdin");
  const expected = decode(s.expected_output, "expected_output");
  if (!code) add("source_code", "can't be blank");
  const language = s.language_id === null || s.language_id === undefined ? undefined : languages.find((l) => l.id === s.language_id);
  if (s.language_id === null || s.language_id === undefined) add("language_id", "can't be blank");
  else if (!language) add("language_id", `language with id ${s.language_id} doesn't exist on this server (GET /languages lists the ones wasmbox runs)`);
  const range = (field: string, v: number | null | undefined, min: number, max: number, scale = 1): number | undefined => {
    if (v === null || v === undefined) return undefined;
    if (v < min / scale) add(field, `must be greater than or equal to ${min / scale}`);
    else if (v > max / scale) add(field, `must be less than or equal to ${max / scale}`);
    else return v;
    return undefined;
  };
  const cpuS = range("cpu_time_limit", s.cpu_time_limit, 0, LIMIT_BOUNDS.timeoutMs.max, 1000);
  const wallS = range("wall_time_limit", s.wall_time_limit, 1000, LIMIT_BOUNDS.timeoutMs.max, 1000);
  const memoryKb = range("memory_limit", s.memory_limit, LIMIT_BOUNDS.memoryLimitBytes.min, LIMIT_BOUNDS.memoryLimitBytes.max, 1024);
  if (s.number_of_runs !== null && s.number_of_runs !== undefined && s.number_of_runs !== 1) add("number_of_runs", "must be 1 on this server (each submission runs once)");
  if (s.callback_url) add("callback_url", "setting callback is not allowed");
  if (s.additional_files) add("additional_files", "setting additional files is not allowed");
  if (s.enable_network) add("enable_network", "enabling network is not allowed");
  if ((s.command_line_arguments?.length ?? 0) > 512) add("command_line_arguments", "is too long (maximum is 512 characters)");
  if ((s.compiler_options?.length ?? 0) > 512) add("compiler_options", "is too long (maximum is 512 characters)");
  const compiled = language?.language === "c" || language?.language === "cpp";
  if (s.compiler_options && language && !compiled) add("compiler_options", "setting compiler options is only allowed for compiled languages");
  if (Object.keys(errors).length || !language || !code) return { errors };

  const seconds = [cpuS, wallS].filter((v): v is number => v !== undefined && v > 0);
  const timeoutMs = seconds.length ? Math.max(1, Math.round(Math.min(...seconds) * 1000)) : undefined;
  const memoryLimitBytes = memoryKb === undefined ? undefined : Math.round(memoryKb * 1024);
  const args = s.command_line_arguments ? splitArguments(s.command_line_arguments) : [];
  const flags = s.compiler_options ? splitArguments(s.compiler_options) : [];
  const request: ExecuteRequestInput = {
    language: language.language,
    code,
    ...(stdin ? { stdin } : {}),
    ...(args.length ? { args } : {}),
    ...(timeoutMs !== undefined || memoryLimitBytes !== undefined
      ? { limits: { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(memoryLimitBytes !== undefined ? { memoryLimitBytes } : {}) } }
      : {}),
    ...(flags.length ? { compile: { flags } } : {}),
  };
  return {
    request,
    extras: {
      languageId: language.id,
      expectedOutput: expected,
      redirectStderrToStdout: s.redirect_stderr_to_stdout === true,
      cpuTimeLimitS: cpuS ?? null,
      wallTimeLimitS: wallS ?? null,
      memoryLimitKb: memoryKb ?? null,
      commandLineArguments: s.command_line_arguments ?? null,
      compilerOptions: s.compiler_options ?? null,
    },
  };
}

/** Judge0 compares outputs line by line without trailing whitespace (IsolateJob#strip). */
function stripOutput(text: string): string {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .trimEnd();
}

/**
 * Judge0's status for a finished wasmbox run. A C/C++ trap reads as the signal a native
 * program would have died of (out-of-bounds memory: SIGSEGV; division by zero: SIGFPE;
 * abort/unreachable: SIGABRT); output over the limit is SIGXFSZ, as Judge0's file-size cap.
 */
export function judge0Status(result: ExecuteResult, expectedOutput: string | null): (typeof JUDGE0_STATUSES)[number] {
  switch (result.status) {
    case "ok":
      return expectedOutput === null || stripOutput(expectedOutput) === stripOutput(result.stdout) ? status(3) : status(4);
    case "timeout":
      return result.compile && result.timings.executionTimeMs === 0 && result.stdout === "" && /^compiling/.test(result.error?.message ?? "") ? status(6) : status(5);
    case "compile_error":
      return status(6);
    case "output_limit":
      return status(8);
    case "memory_limit":
      return status(12);
    case "killed":
      return status(13);
    case "error": {
      const what = `${result.error?.name ?? ""}: ${result.error?.message ?? ""}`;
      if (/SandboxCrash|SandboxProtocolError/.test(result.error?.name ?? "")) return status(13);
      if (/out of bounds|stack overflow|call stack exhausted/i.test(what)) return status(7);
      if (/divide by zero|division by zero|integer overflow/i.test(what)) return status(9);
      if (/unreachable|abort/i.test(what)) return status(10);
      return status(11);
    }
  }
}

/** Every field a submission has in Judge0's serializer; `fields=*` asks for all. */
export const SUBMISSION_FIELDS = [
  "source_code",
  "language_id",
  "stdin",
  "expected_output",
  "stdout",
  "status_id",
  "created_at",
  "finished_at",
  "time",
  "memory",
  "stderr",
  "token",
  "number_of_runs",
  "cpu_time_limit",
  "cpu_extra_time",
  "wall_time_limit",
  "memory_limit",
  "stack_limit",
  "max_processes_and_or_threads",
  "enable_per_process_and_thread_time_limit",
  "enable_per_process_and_thread_memory_limit",
  "max_file_size",
  "compile_output",
  "exit_code",
  "exit_signal",
  "message",
  "wall_time",
  "compiler_options",
  "command_line_arguments",
  "redirect_stderr_to_stdout",
  "callback_url",
  "additional_files",
  "enable_network",
  "started_at",
  "queued_at",
  "updated_at",
  "queue_host",
  "execution_host",
  "status",
  "language",
] as const;
export const DEFAULT_FIELDS = ["token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status"] as const;

/** `?fields=`: the fields asked for, or the invalid ones (Judge0 answers 400 `invalid fields: [...]`). */
export function requestedFields(param: string | undefined): { fields: readonly string[] } | { invalid: string[] } {
  const asked = (param ?? "").split(",").map((f) => f.trim()).filter(Boolean);
  const invalid = asked.filter((f) => f !== "*" && !(SUBMISSION_FIELDS as readonly string[]).includes(f));
  if (invalid.length) return { invalid };
  if (asked.includes("*")) return { fields: SUBMISSION_FIELDS };
  return { fields: asked.length ? asked : DEFAULT_FIELDS };
}

/** A limit error names the option that raises it: here, Judge0's (seconds and KB). */
function inJudge0Terms(text: string | null): string | null {
  return text?.replace(/raise limits\.timeoutMs \(at most (\d+)\)/g, (_m, max: string) => `raise cpu_time_limit and wall_time_limit (seconds, at most ${Number(max) / 1000})`)
    .replace(/raise limits\.memoryLimitBytes \(at most (\d+)\)/g, (_m, max: string) => `raise memory_limit (KB, at most ${Number(max) / 1024})`) ?? null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : (ms / 1000).toFixed(3));
const orNull = (s: string | null | undefined) => (s === undefined || s === null || s === "" ? null : s);

/**
 * A run from history as Judge0 serializes a submission: the fields asked for, text fields
 * base64 when `base64_encoded=true` (Judge0 keeps them base64 itself), empty output as null.
 * `time` and `wall_time` are seconds as decimal strings and `memory` KB, as Judge0 gives them.
 */
export function toSubmission(run: RunRecord, extras: Judge0Extras, languages: Judge0Language[], fields: readonly string[], base64: boolean): Record<string, unknown> {
  const result = run.result;
  const finished = result !== null && run.status !== "queued" && run.status !== "running";
  const st = !finished ? status(run.status === "running" ? 2 : 1) : judge0Status(result as ExecuteResult, extras.expectedOutput);
  const text = (s: string | null, exact?: string) => (s === null ? null : base64 ? (exact ?? Buffer.from(s, "utf8").toString("base64")) : s);
  const compiled = !!result?.compile;
  const compileFailed = st.id === 6;
  const stdout = finished ? (extras.redirectStderrToStdout ? result.output : result.stdout) : null;
  const usage = finished && !compileFailed ? result.usage : undefined;
  const language = languages.find((l) => l.id === extras.languageId);
  const message = finished && st.id !== 3 && st.id !== 4 && !compileFailed ? inJudge0Terms(result.error?.message ?? null) : null;
  const all: Record<string, unknown> = {
    source_code: text(run.request.code),
    language_id: extras.languageId,
    stdin: text(orNull(run.request.stdin)),
    expected_output: text(extras.expectedOutput),
    stdout: text(orNull(compileFailed ? null : stdout), extras.redirectStderrToStdout ? result?.outputBase64 : result?.stdoutBase64),
    status_id: st.id,
    created_at: iso(run.createdAt),
    finished_at: iso(run.finishedAt),
    time: seconds(usage?.cpuTimeMs ?? usage?.wallTimeMs),
    memory: usage?.peakMemoryBytes === null || usage?.peakMemoryBytes === undefined ? null : Math.round(usage.peakMemoryBytes / 1024),
    stderr: text(orNull(finished && !compileFailed && !extras.redirectStderrToStdout ? result.stderr : null), result?.stderrBase64),
    token: run.id,
    number_of_runs: 1,
    cpu_time_limit: extras.cpuTimeLimitS === null ? null : extras.cpuTimeLimitS.toFixed(1),
    cpu_extra_time: null,
    wall_time_limit: extras.wallTimeLimitS === null ? null : extras.wallTimeLimitS.toFixed(1),
    memory_limit: extras.memoryLimitKb,
    stack_limit: null,
    max_processes_and_or_threads: null,
    enable_per_process_and_thread_time_limit: false,
    enable_per_process_and_thread_memory_limit: false,
    max_file_size: null,
    compile_output: text(
      orNull(compiled && result?.compile ? (st.id === 6 && result.status === "timeout" ? "Compilation time limit exceeded." : result.compile.output) : null),
    ),
    exit_code: finished && !compileFailed ? (result.exitCode ?? null) : null,
    exit_signal: finished && (result.status === "timeout" || result.status === "memory_limit" || result.status === "output_limit") ? 9 : null,
    message: text(message),
    wall_time: seconds(usage?.wallTimeMs),
    compiler_options: extras.compilerOptions,
    command_line_arguments: extras.commandLineArguments,
    redirect_stderr_to_stdout: extras.redirectStderrToStdout,
    callback_url: null,
    additional_files: null,
    enable_network: false,
    started_at: iso(run.startedAt),
    queued_at: iso(run.createdAt),
    updated_at: iso(run.finishedAt ?? run.startedAt ?? run.createdAt),
    queue_host: null,
    execution_host: null,
    status: { id: st.id, description: st.description },
    language: language ? { id: language.id, name: language.name } : { id: extras.languageId, name: null },
  };
  return Object.fromEntries(fields.map((f) => [f, all[f]]));
}
