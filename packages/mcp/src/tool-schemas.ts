/**
 * The tools' input schemas, derived from the contract's (the same fields, checks and bounds
 * as the HTTP API's), each field described for the model that fills it in.
 */
import { z } from "zod";
import { DEFAULT_LIMITS, ExecuteRequestObjectSchema, GuestPathSchema, LIMIT_BOUNDS, LimitsSchema, type Language, type RuntimeInfo } from "@wasmbox/core";

const MiB = 1024 * 1024;
const request = ExecuteRequestObjectSchema.shape;
const limit = LimitsSchema.shape;

/** The limits, with their defaults and bounds spelled out (a model cannot read a JSON Schema's minimum as a default). */
export const limitsSchema = z
  .object({
    timeoutMs: limit.timeoutMs.describe(
      `Wall-clock limit in milliseconds (default ${DEFAULT_LIMITS.timeoutMs}, ${LIMIT_BOUNDS.timeoutMs.min} to ${LIMIT_BOUNDS.timeoutMs.max}). A run past it ends with status "timeout".`,
    ),
    memoryLimitBytes: limit.memoryLimitBytes.describe(
      `Memory limit in bytes (default ${DEFAULT_LIMITS.memoryLimitBytes} = ${DEFAULT_LIMITS.memoryLimitBytes / MiB} MiB, ${LIMIT_BOUNDS.memoryLimitBytes.min / MiB} MiB to ${LIMIT_BOUNDS.memoryLimitBytes.max / MiB} MiB). A run past it ends with status "memory_limit".`,
    ),
    maxOutputBytes: limit.maxOutputBytes.describe(
      `Cap on stdout + stderr in bytes (default ${DEFAULT_LIMITS.maxOutputBytes} = 1 MiB, up to ${LIMIT_BOUNDS.maxOutputBytes.max / MiB} MiB). Output past it stops the run with status "output_limit".`,
    ),
  })
  .strict()
  .describe("Limits for this run; leave out what the defaults cover.");

const files = request.files.describe(
  'Files placed in the program\'s working directory (its current directory) before it runs, by relative path, e.g. {"data/trips.csv": "id,km\\n1,4.2"}. ' +
    'Text as a string, bytes as {"encoding": "base64", "content": "..."}. Files the program creates or changes under the working directory come back as resource links.',
);
const stdin = request.stdin.describe("Text fed to the program's standard input.");
const args = request.args.describe("Command-line arguments (sys.argv[1:] in Python, process.argv.slice(2) in JavaScript).");

/** The languages line every description shares, from what the runner really runs. */
export function languagesText(runtimes: readonly RuntimeInfo[]): string {
  return runtimes.map((r) => `${r.language} (${r.version}, ${r.runtime})`).join("; ");
}

export function runCodeShape(runtimes: readonly RuntimeInfo[]) {
  return {
    language: request.language.describe(`The language of \`code\`: ${languagesText(runtimes)}.`),
    code: request.code.describe(
      "The program's source. Python and JavaScript print with print()/console.log(); the value of a Python program's last expression is returned too. C/C++ need a main(). No network; only the files you pass.",
    ),
    files: files.optional(),
    stdin: stdin.optional(),
    args: args.optional(),
    env: request.env.describe("Environment variables the program sees (nothing of the host's environment is visible).").optional(),
    limits: limitsSchema.optional(),
    packages: request.packages
      .describe('Python only: packages to load before the code runs, e.g. ["numpy", "pandas"], from the host\'s package store (`wasmbox packages fetch`); no network is used.')
      .optional(),
    filename: request.filename.describe("File name shown in tracebacks (default main.py, main.js, main.c, …).").optional(),
  };
}

export function openSessionShape(runtimes: readonly RuntimeInfo[], sessionLanguages: readonly [Language, ...Language[]]) {
  return {
    language: z
      .enum(sessionLanguages, { error: (issue) => `sessions run ${sessionLanguages.join(", ")}, not ${JSON.stringify(issue.input)}; run other languages with run_code` })
      .describe(`The session's language: ${languagesText(runtimes.filter((r) => sessionLanguages.includes(r.language)))}. Compiled languages run with run_code.`),
    limits: limitsSchema.describe("Default limits for every run in the session (a run may set its own).").optional(),
  };
}

const sessionId = z.string().min(1).max(100).describe("The session id open_session returned.");

export const runInSessionShape = {
  session_id: sessionId,
  code: request.code.describe("Code to run in the session: variables, imports, functions and files from earlier runs are still there."),
  files: files.optional(),
  stdin: stdin.optional(),
  args: args.optional(),
  limits: limitsSchema.optional(),
};

export const closeSessionShape = { session_id: sessionId };

const path = GuestPathSchema.describe("A path relative to the session's working directory, e.g. \"out/result.csv\".");

export const readFileShape = { session_id: sessionId, path };

export const writeFileShape = {
  session_id: sessionId,
  path,
  content: z.string().max(64 * MiB).describe("The file's content: text, or base64 when encoding is \"base64\"."),
  encoding: z.enum(["utf8", "base64"]).default("utf8").describe('"utf8" (default) for text, "base64" for bytes.').optional(),
};
