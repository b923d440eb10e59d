/**
 * The engine's options, checked once where an engine is made: a wrong value or an unknown
 * name throws `INVALID_OPTIONS` naming the option and what it allows, instead of an engine
 * that hangs (`maxConcurrentRuns: 0`) or quietly ignores a typo (`pools`). A host adds the
 * shape of its own options (the Node host: isolation, cache directory, start-up timeout).
 */
import { WasmboxError } from "@wasmbox/contract";
import { z } from "zod";
import type { SandboxKind } from "../runtime.js";

const MiB = 1024 * 1024;

/** A whole number from `min` to `max`, whose every failure says so (the message the error shows). */
export function wholeNumberOption(min: number, max: number, unit = ""): z.ZodNumber {
  const error = `must be a whole number${unit} from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** One of `values`, whose failure lists them. */
export function oneOfOption<const T extends readonly [string, ...string[]]>(values: T): z.ZodEnum<{ [K in T[number]]: K }> {
  return z.enum(values, { error: `must be one of ${values.map((v) => JSON.stringify(v)).join(", ")}` });
}

const POOL_KINDS = ["python", "quickjs", "wasm", "clang", "asc"] as const satisfies readonly SandboxKind[];

/** Core's options, name by name (see `EngineOptions` in engine.ts for what each means). */
export const CORE_ENGINE_OPTION_SHAPE = {
  pool: z.strictObject(Object.fromEntries(POOL_KINDS.map((k) => [k, wholeNumberOption(0, 64).optional()])) as Record<SandboxKind, z.ZodOptional<z.ZodNumber>>).optional(),
  maxConcurrentRuns: wholeNumberOption(1, 1024).optional(),
  maxQueuedRuns: wholeNumberOption(0, 1_000_000).optional(),
  compileLimits: z
    .strictObject({
      timeoutMs: wholeNumberOption(1, 3_600_000, " of milliseconds").optional(),
      memoryLimitBytes: wholeNumberOption(16 * MiB, 4096 * MiB, " of bytes").optional(),
      minMemoryLimitBytes: wholeNumberOption(0, 4096 * MiB, " of bytes").optional(),
    })
    .optional(),
} satisfies z.ZodRawShape;

/** Every options value {@link parseEngineOptions} returned (so a host's engine checks once, not twice). */
const parsedOptions = new WeakSet<object>();

/** Whether `options` came from {@link parseEngineOptions} (then it is not checked again). */
export function isParsedEngineOptions(options: unknown): boolean {
  return typeof options === "object" && options !== null && parsedOptions.has(options);
}

/**
 * Check engine options against core's shape and the host's (`hostShape`), and return them
 * unchanged. Throws `INVALID_OPTIONS` whose message names each wrong option, what it allows
 * and what it got, e.g. `engine option pool.python must be a whole number from 0 to 64 (got -1)`;
 * `details` lists them as `{ path, message }`.
 */
export function parseEngineOptions<T extends object>(options: T | undefined, hostShape: z.ZodRawShape = {}): T {
  if (options === undefined) options = {} as T;
  const schema = z.strictObject({ ...CORE_ENGINE_OPTION_SHAPE, ...hostShape });
  const result = schema.safeParse(options);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => describeIssue(schema, options, issue));
    throw new WasmboxError("INVALID_OPTIONS", issues.map((i) => i.message).join("; "), { details: issues });
  }
  // The caller's own object (not zod's copy): a valid option means what it meant before.
  parsedOptions.add(options);
  return options;
}

function describeIssue(schema: z.ZodType, input: unknown, issue: z.core.$ZodIssue): { path: string; message: string } {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const known = knownNames(schema, issue.path).map((k) => (path ? `${path}.${k}` : k));
    const names = issue.keys.map((k) => (path ? `${path}.${k}` : k));
    return { path, message: `unknown engine option${names.length > 1 ? "s" : ""} ${names.join(", ")} (known: ${known.join(", ")})` };
  }
  const got = describeValue(valueAt(input, issue.path));
  if (!path) return { path: "(options)", message: `engine options must be an object (got ${got})` };
  // An option that holds options (pool, compileLimits, isolation): zod's message is about its type.
  const message = issue.code === "invalid_type" && issue.expected === "object" ? "must be an object" : issue.message;
  return { path, message: `engine option ${path} ${message} (got ${got})` };
}

/** The option names an object option at `path` takes. */
function knownNames(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let at: z.ZodType | undefined = schema;
  for (const key of path) at = unwrap(at)?.shape[String(key)];
  return Object.keys(unwrap(at)?.shape ?? {});
}

function unwrap(schema: z.ZodType | undefined): z.ZodObject | undefined {
  let s: unknown = schema;
  while (s instanceof z.ZodOptional) s = s.unwrap();
  return s instanceof z.ZodObject ? s : undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) v = typeof v === "object" && v !== null ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}

function describeValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" || v === undefined || v === null) return String(v);
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v === "function" ? "function" : "object"}`;
}
