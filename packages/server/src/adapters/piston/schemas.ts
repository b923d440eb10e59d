/** The OpenAPI document's view of the Piston routes (documentation only; the handlers validate). */
import { z } from "zod";
import { json } from "../../routes/schemas.js";
import { PistonExecuteSchema } from "./translate.js";

const answer = (description: string, schema: z.ZodType) => ({ description, ...json(schema, "output") });

const RuntimeSchema = z.object({ language: z.string(), version: z.string(), aliases: z.array(z.string()), runtime: z.string().optional() });
const StageSchema = z.object({
  stdout: z.string(),
  stderr: z.string(),
  output: z.string(),
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
  message: z.string().nullable(),
  status: z.enum(["RE", "SG", "TO", "OL", "XX"]).nullable(),
  cpu_time: z.number().nullable(),
  wall_time: z.number().nullable(),
  memory: z.number().nullable(),
});

export const pistonExecuteBody = json(PistonExecuteSchema);
export const pistonRuntimesAnswer = answer("The runtimes, under Piston's language names; `runtime` says what really runs them.", z.array(RuntimeSchema));
export const pistonPackagesAnswer = answer(
  "Every runtime, installed.",
  z.array(z.object({ language: z.string(), language_version: z.string(), installed: z.boolean() })),
);
export const pistonAnswerSchema = answer(
  "Piston's answer: `run` (and `compile` for C, C++ and AssemblyScript; a failed compile is also `run`). `status`: `TO` timeout, `OL` output limit, `SG` killed (memory limit, cancel), `RE` non-zero exit, `XX` sandbox failure, null when it exited 0. `cpu_time` and `wall_time` in ms, `memory` in bytes (the sandbox's peak).",
  z.object({ language: z.string(), version: z.string(), run: StageSchema, compile: StageSchema.optional() }),
);
export const pistonErrorAnswer = answer("A request Piston would refuse, in Piston's shape.", z.object({ message: z.string() }));
