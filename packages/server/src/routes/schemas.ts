import { z } from "zod";
import { ExecuteRequestObjectSchema, ExecuteRequestSchema, LanguageSchema, LimitsSchema } from "@wasmbox/node";

/** JSON Schemas for the OpenAPI document, derived from the engine's zod schemas. */
const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;

export const executeBodySchema = json(ExecuteRequestSchema);
export const sessionBodySchema = json(z.object({ language: LanguageSchema, limits: LimitsSchema.optional() }).strict());
export const sessionExecuteBodySchema = json(ExecuteRequestObjectSchema.omit({ language: true }).extend({ language: LanguageSchema.optional() }));
export const idParams = { type: "object", properties: { id: { type: "string" } }, required: ["id"] } as const;
