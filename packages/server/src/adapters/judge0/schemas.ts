/** The OpenAPI document's view of the Judge0 routes (documentation only; the handlers validate). */
import { z } from "zod";
import { json } from "../../routes/schemas.js";
import { SUBMISSION_FIELDS } from "./serialize.js";
import { Judge0SubmissionSchema } from "./translate.js";

const answer = (description: string, schema: z.ZodType) => ({ description, ...json(schema, "output") });
const flag = { type: "string", enum: ["true", "false"] } as const;
const fields = { type: "string", description: `Comma-separated fields to answer with, or \`*\`: ${SUBMISSION_FIELDS.join(", ")}. Default: token, time, memory, stdout, stderr, compile_output, message, status.` };

const StatusSchema = z.object({ id: z.number().int(), description: z.string() });
const SubmissionSchema = z
  .object({
    token: z.string().describe("The wasmbox run id."),
    stdout: z.string().nullable(),
    stderr: z.string().nullable(),
    compile_output: z.string().nullable(),
    message: z.string().nullable(),
    exit_code: z.number().int().nullable(),
    status: StatusSchema,
    time: z.string().nullable().describe("CPU time in seconds, a decimal string (the sandbox's, measured by the host)."),
    wall_time: z.string().nullable(),
    memory: z.number().int().nullable().describe("Peak memory of the sandbox, in KB."),
  })
  .partial()
  .loose();

export const judge0Schemas = {
  idParams: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
  tokenParams: { type: "object", properties: { token: { type: "string" } }, required: ["token"] },
  createQuery: { type: "object", properties: { base64_encoded: flag, wait: flag, fields } },
  showQuery: { type: "object", properties: { base64_encoded: flag, fields } },
  batchQuery: { type: "object", properties: { tokens: { type: "string" }, base64_encoded: flag, fields }, required: ["tokens"] },
  batchCreateQuery: { type: "object", properties: { base64_encoded: flag } },
  submissionBody: json(Judge0SubmissionSchema),
  batchBody: json(z.object({ submissions: z.array(Judge0SubmissionSchema).min(1).max(20) })),
  languages: answer("The languages: Judge0 CE's ids for what wasmbox runs, each named for what really runs it.", z.array(z.object({ id: z.number().int(), name: z.string() }))),
  languagesAll: answer("Every language (none is archived).", z.array(z.object({ id: z.number().int(), name: z.string(), is_archived: z.boolean() }))),
  language: answer(
    "One language.",
    z.object({ id: z.number().int(), name: z.string(), is_archived: z.boolean(), source_file: z.string(), compile_cmd: z.string().nullable(), run_cmd: z.string() }),
  ),
  statuses: answer("Judge0's statuses.", z.array(StatusSchema)),
  submission: answer("A submission (with ?wait=false: its token only). Statuses: 3 Accepted, 4 Wrong Answer (expected_output differs), 5 Time Limit Exceeded, 6 Compilation Error, 7–12 runtime errors, 13 Internal Error.", SubmissionSchema),
  batchAnswer: answer("The submissions asked for, in order; null for an unknown token.", z.object({ submissions: z.array(SubmissionSchema.nullable()) })),
  batchCreated: answer("One entry per submission: its token, or its field errors.", z.array(z.union([z.object({ token: z.string() }), z.record(z.string(), z.array(z.string())), z.object({ error: z.string() })]))),
  error: answer("Judge0's error shape.", z.object({ error: z.string() })),
  fieldErrors: answer("Field errors, as Judge0 (Rails) gives them: each field with its messages.", z.record(z.string(), z.array(z.string()))),
};
