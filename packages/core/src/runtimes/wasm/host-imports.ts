/**
 * The host functions a module may import, granted by name in the request
 * (`wasm.imports: ["env.log_i32"]`). Each writes to the run's output or reads a clock;
 * none reaches anything else. AssemblyScript's runtime imports (`env.abort`,
 * `env.console.log`, …) are here too and are granted automatically to AssemblyScript.
 */
import type { GuestStream } from "../../runtime.js";

export interface HostCallContext {
  write(stream: GuestStream, text: string): void;
  /** The instance's memory, once it exists. */
  memory(): WebAssembly.Memory | undefined;
}

/** An `abort()` from AssemblyScript (or a module that imports `env.abort`). */
export class GuestAbort extends Error {
  override readonly name = "AbortError";
  constructor(
    message: string,
    readonly file: string | null,
    readonly line: number | null,
    readonly column: number | null,
  ) {
    super(message);
  }
}

type HostFunction = (...args: never[]) => unknown;

interface HostFunctionSpec {
  description: string;
  make(ctx: HostCallContext): HostFunction;
}

const utf8 = new TextDecoder();

function readUtf8(ctx: HostCallContext, ptr: number, len: number): string {
  const memory = ctx.memory();
  if (!memory) return "";
  const bytes = new Uint8Array(memory.buffer);
  const start = ptr >>> 0;
  const end = Math.min(bytes.length, start + (len >>> 0));
  return utf8.decode(bytes.subarray(Math.min(start, end), end));
}

/** An AssemblyScript string: UTF-16LE, its byte length stored just before it. */
export function liftAssemblyScriptString(memory: WebAssembly.Memory | undefined, ptr: number): string | null {
  if (!memory || !ptr) return null;
  const buffer = memory.buffer;
  const p = ptr >>> 0;
  if (p < 4 || p > buffer.byteLength) return null;
  const byteLength = new DataView(buffer).getUint32(p - 4, true);
  const end = Math.min(buffer.byteLength, p + byteLength);
  const chars = new Uint16Array(buffer, p, (end - p) >>> 1);
  let out = "";
  for (let i = 0; i < chars.length; i += 4096) out += String.fromCharCode(...chars.subarray(i, i + 4096));
  return out;
}

const line = (ctx: HostCallContext, stream: GuestStream) => (value: unknown) => ctx.write(stream, `${String(value)}\n`);
const asString = (ctx: HostCallContext, ptr: number) => liftAssemblyScriptString(ctx.memory(), ptr) ?? "null";

/** Every host function wasmbox can grant, by `module.name`. */
export const HOST_FUNCTIONS: Readonly<Record<string, HostFunctionSpec>> = {
  "env.log_i32": { description: "(i32) writes the number and a newline to stdout", make: (ctx) => line(ctx, "stdout") as HostFunction },
  "env.log_i64": { description: "(i64) writes the number and a newline to stdout", make: (ctx) => line(ctx, "stdout") as HostFunction },
  "env.log_f32": { description: "(f32) writes the number and a newline to stdout", make: (ctx) => line(ctx, "stdout") as HostFunction },
  "env.log_f64": { description: "(f64) writes the number and a newline to stdout", make: (ctx) => line(ctx, "stdout") as HostFunction },
  "env.log_str": {
    description: "(ptr: i32, len: i32) writes len bytes of UTF-8 at ptr in the exported memory, and a newline, to stdout",
    make: (ctx) => ((ptr: number, len: number) => ctx.write("stdout", `${readUtf8(ctx, ptr, len)}\n`)) as HostFunction,
  },
  "env.now_ms": { description: "() -> f64: milliseconds since the Unix epoch", make: () => (() => Date.now()) as HostFunction },
  // AssemblyScript's runtime interface (what `asc --bindings` glue would provide).
  "env.abort": {
    description: "AssemblyScript abort(message, file, line, column): ends the run with an error",
    make: (ctx) =>
      ((msg: number, file: number, lineNo: number, col: number) => {
        throw new GuestAbort(
          liftAssemblyScriptString(ctx.memory(), msg) ?? "abort() called",
          liftAssemblyScriptString(ctx.memory(), file),
          lineNo || null,
          col || null,
        );
      }) as HostFunction,
  },
  "env.trace": {
    description: "AssemblyScript trace(message, n, a0…a4): writes to stderr",
    make: (ctx) =>
      ((msg: number, n: number, ...values: number[]) =>
        ctx.write("stderr", `trace: ${asString(ctx, msg)}${n ? ` ${values.slice(0, n).join(", ")}` : ""}\n`)) as HostFunction,
  },
  "env.seed": { description: "AssemblyScript seed() -> f64 for Math.random", make: () => (() => Date.now() * Math.random()) as HostFunction },
  "env.Date.now": { description: "AssemblyScript Date.now() -> f64", make: () => (() => Date.now()) as HostFunction },
  "env.performance.now": { description: "AssemblyScript performance.now() -> f64", make: () => (() => performance.now()) as HostFunction },
  "env.console.log": { description: "AssemblyScript console.log(string): stdout", make: (ctx) => ((p: number) => ctx.write("stdout", `${asString(ctx, p)}\n`)) as HostFunction },
  "env.console.info": { description: "AssemblyScript console.info(string): stdout", make: (ctx) => ((p: number) => ctx.write("stdout", `${asString(ctx, p)}\n`)) as HostFunction },
  "env.console.debug": { description: "AssemblyScript console.debug(string): stdout", make: (ctx) => ((p: number) => ctx.write("stdout", `${asString(ctx, p)}\n`)) as HostFunction },
  "env.console.warn": { description: "AssemblyScript console.warn(string): stderr", make: (ctx) => ((p: number) => ctx.write("stderr", `${asString(ctx, p)}\n`)) as HostFunction },
  "env.console.error": { description: "AssemblyScript console.error(string): stderr", make: (ctx) => ((p: number) => ctx.write("stderr", `${asString(ctx, p)}\n`)) as HostFunction },
};

/** Names granted to every AssemblyScript program. */
export const ASSEMBLYSCRIPT_IMPORTS = Object.keys(HOST_FUNCTIONS).filter((k) => !/^env\.(log_|now_ms)/.test(k));
