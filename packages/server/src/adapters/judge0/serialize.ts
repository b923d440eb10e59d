/**
 * A run from history as Judge0 serializes a submission: its status (from the wasmbox status,
 * and `expected_output`), the fields asked for (`?fields=`), base64 when asked.
 */
import type { ExecuteResult } from "@wasmbox/node";
import type { RunRecord } from "../../store/runs.js";
import { status, type JUDGE0_STATUSES, type Judge0Language } from "./catalogue.js";
import type { Judge0Extras } from "./translate.js";

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
