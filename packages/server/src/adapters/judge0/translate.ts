/**
 * A Judge0 submission, checked and translated into a wasmbox request (plus the Judge0-only
 * fields kept beside the run), or Judge0's field errors. Nothing here runs code; the routes
 * hand the request to the same run service as `/v1/runs`.
 */
import { z } from "zod";
import { LIMIT_BOUNDS, type ExecuteRequestInput } from "@wasmbox/node";
import type { Judge0Language } from "./catalogue.js";

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
