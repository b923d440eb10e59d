/**
 * JSON Schemas for the OpenAPI document, derived from the engine's zod schemas: request
 * bodies, every success answer, and every error answer (grouped by status, each listing the
 * catalogue codes a route can answer with). They document; they never validate or
 * serialize (see `buildServer`: handlers validate with zod, answers are plain JSON.stringify).
 */
import { z } from "zod";
import {
  ERROR_CATALOGUE,
  ErrorAnswerSchema,
  ExecuteRequestObjectSchema,
  ExecuteRequestSchema,
  JsonValueSchema,
  LanguageSchema,
  LimitsSchema,
  RICH_OUTPUT_CAPS,
  RunDetailSchema,
  RunPageSchema,
  RunResultSchema,
  SessionInfoSchema,
  type WasmboxErrorCode,
} from "@wasmbox/node";

type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as a self-contained JSON Schema. The one recursive schema (a JSON value) is
 * documented as "any JSON value": OpenAPI has no place for the `$defs` a cycle needs.
 */
export const json = (schema: z.ZodType, io: "input" | "output" = "input"): JsonSchema => {
  const out = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override(ctx) {
      if ((ctx.zodSchema as unknown) !== JsonValueSchema) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
      ctx.jsonSchema.description = "Any JSON value.";
    },
  }) as JsonSchema;
  const defs = (out.$defs ?? {}) as Record<string, JsonSchema>;
  delete out.$defs;
  delete out.$schema;
  return inlineRefs(out, defs) as JsonSchema;
};

function inlineRefs(node: unknown, defs: Record<string, JsonSchema>): unknown {
  if (Array.isArray(node)) return node.map((n) => inlineRefs(n, defs));
  if (typeof node !== "object" || node === null) return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === "string" && ref.startsWith("#/$defs/")) return inlineRefs(defs[ref.slice("#/$defs/".length)], defs);
  return Object.fromEntries(
    Object.entries(node)
      // zod bounds every integer by ±2^53−1 (a JavaScript number's exact range): true, and noise in a document.
      .filter(([k, v]) => !((k === "minimum" && v === Number.MIN_SAFE_INTEGER) || (k === "maximum" && v === Number.MAX_SAFE_INTEGER)))
      .map(([k, v]) => [k, inlineRefs(v, defs)]),
  );
}

// Request bodies
export const executeBodySchema = json(ExecuteRequestSchema);
export const sessionBodySchema = json(z.object({ language: LanguageSchema, limits: LimitsSchema.optional() }).strict());
export const sessionExecuteBodySchema = json(ExecuteRequestObjectSchema.omit({ language: true }).extend({ language: LanguageSchema.optional() }));
export const idParams = { type: "object", properties: { id: { type: "string" } }, required: ["id"] } as const;

// Success answers
const answer = (description: string, schema: z.ZodType) => ({ description, ...json(schema, "output") });
export const runResultAnswer = answer(
  `The run's result and its id in history. \`stdoutBase64\`, \`stderrBase64\` and \`outputBase64\` appear only when that output is not valid UTF-8; \`compile\` only for C, C++ and AssemblyScript. \`outputs\` holds the run's rich outputs in order (Python's \`display()\`, matplotlib figures, the last expression's rich form), each \`{kind, data}\` with \`data\` keyed by MIME type (\`image/png\` and \`image/jpeg\` base64, text types as strings, \`application/json\` as JSON); a run returns at most ${RICH_OUTPUT_CAPS.maxOutputs} of them, ${RICH_OUTPUT_CAPS.maxTotalBytes} bytes in all.`,
  RunResultSchema,
);
export const runCreatedAnswer = answer("Accepted: the run is queued. Follow it with `GET /v1/runs/:id/events` or poll `GET /v1/runs/:id`.", z.object({ id: z.string() }));
export const runPageAnswer = answer("A page of runs, newest first; `nextCursor` is null on the last page.", RunPageSchema);
export const runDetailAnswer = answer("The run: its stored request, its state, and (once finished) its result; `result` is null until then.", RunDetailSchema);
export const runCancelledAnswer = answer("Accepted: the run is being stopped and ends as `killed`.", z.object({ id: z.string(), cancelled: z.literal(true) }));
export const sessionAnswer = (description: string) => answer(description, SessionInfoSchema);
export const noContentAnswer = { description: "Closed; nothing to answer.", type: "null" } as const;
/** Answers that are not JSON: described by their media type. */
export const mediaAnswer = (description: string, mediaType: string, schema: JsonSchema = { type: "string" }) => ({
  description,
  content: { [mediaType]: { schema } },
});

const RuntimeInfoSchema = z.object({ language: LanguageSchema, version: z.string(), runtime: z.string(), extensions: z.array(z.string()) });
const WallSchema = z.object({ name: z.string(), inForce: z.boolean(), detail: z.string() });
export const runtimesAnswer = answer(
  "The installed languages and their runtimes, and the isolation in force (`weak: true` when sandboxes run without the OS sandbox).",
  z.object({
    runtimes: z.array(RuntimeInfoSchema),
    isolation: z.object({ mode: z.enum(["bubblewrap", "weak"]), weak: z.boolean(), sandboxNode: z.string(), walls: z.array(WallSchema) }),
    /** Python packages in the server's package store, which runs may name in `packages` (or simply import). */
    packages: z.array(z.object({ name: z.string(), version: z.string(), source: z.string() })),
  }),
);
export const healthAnswer = answer("The process answers.", z.object({ status: z.literal("ok") }));
const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "draining"]),
    queued: z.number().int(),
    active: z.number().int(),
    sandboxStarts: z.number().int(),
    pool: z.record(z.string(), z.object({ ready: z.number().int(), starting: z.number().int() })),
    compileCache: z.object({ hits: z.number().int(), misses: z.number().int() }),
  })
  .loose();
export const readyAnswer = answer("Ready: not shutting down, the database answers; with the queue and pool figures.", ReadinessSchema);
export const drainingAnswer = answer("Draining: the server is shutting down (same figures, `status: draining`).", ReadinessSchema);

// Error answers
/** Codes any route can answer: the Host/Origin guard, authentication, the rate limit, an internal error. */
const EVERY_ROUTE: readonly WasmboxErrorCode[] = ["HOST_NOT_ALLOWED", "ORIGIN_NOT_ALLOWED", "UNAUTHORIZED", "WEAK_ISOLATION", "RATE_LIMITED", "INTERNAL"];
/** Codes of a route that reads a JSON body. */
export const BODY_ERRORS: readonly WasmboxErrorCode[] = ["INVALID_JSON", "INVALID_REQUEST", "UNSUPPORTED_MEDIA_TYPE", "BODY_TOO_LARGE"];
/** Codes of a route that starts a run. */
export const ADMISSION_ERRORS: readonly WasmboxErrorCode[] = ["TOO_MANY_RUNS", "QUEUE_FULL", "STORAGE_FULL", "SHUTTING_DOWN"];

/**
 * The error answers of a route, one per status: each lists its codes with what they mean,
 * and its schema is the error body with `code` limited to them.
 */
export function errorAnswers(...codes: ReadonlyArray<readonly WasmboxErrorCode[] | WasmboxErrorCode>): Record<number, JsonSchema> {
  const all = [...new Set([...codes.flat(), ...EVERY_ROUTE])] as WasmboxErrorCode[];
  const byStatus = new Map<number, WasmboxErrorCode[]>();
  for (const code of all) {
    const status = ERROR_CATALOGUE[code].httpStatus;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const body = json(ErrorAnswerSchema, "output") as { properties: { error: { properties: { code: JsonSchema } } } };
  return Object.fromEntries(
    [...byStatus].sort(([a], [b]) => a - b).map(([status, list]) => {
      const schema = structuredClone(body);
      schema.properties.error.properties.code = { type: "string", enum: list };
      return [status, { description: list.map((c) => `\`${c}\`: ${ERROR_CATALOGUE[c].summary}`).join("\n\n"), ...schema }];
    }),
  );
}
