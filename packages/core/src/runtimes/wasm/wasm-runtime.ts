/**
 * Runs WebAssembly modules: WASI preview1 commands (`_start`), and modules that export a
 * function to call with arguments. Imports are satisfied only from what the run grants:
 * WASI (an in-memory file system, see `wasi-host.ts`) and the host functions named in
 * `wasm.imports`. Every run instantiates the module anew, so nothing survives a run.
 */
import type { GuestError, JsonValue } from "@wasmbox/contract";
import { base64ToBytes } from "../../base64.js";
import { decodeRequestFiles } from "../../guest/files.js";
import type { GuestIO, GuestOutcome, GuestRunInput, LoadedRuntime, RuntimeLoadOptions } from "../../runtime.js";
import { ASSEMBLYSCRIPT_IMPORTS, GuestAbort, HOST_FUNCTIONS, type HostCallContext } from "./host-imports.js";
import { DEFAULT_STACK_BYTES, MAX_STACK_BYTES } from "@wasmbox/contract/flags";
import {
  capDefinedMemories,
  describeSignature,
  importDefinedMemory,
  looksLikeWasm,
  readModuleInfo,
  WASM_PAGE_BYTES,
  WasmModuleError,
  type FuncSignature,
  type ModuleInfo,
  type StackLayout,
} from "./module-info.js";
import { WasiHost, WasmInterrupted } from "./wasi-host.js";

/** Tables larger than this (elements) are refused before instantiation. */
export const MAX_TABLE_ELEMENTS = 1_000_000;
const WASI_MODULES = new Set(["wasi_snapshot_preview1", "wasi_unstable"]);

export async function loadWasmRuntime(options: RuntimeLoadOptions): Promise<LoadedRuntime> {
  return new WasmRuntime(options.interruptBuffer);
}

/** An outcome that ends the run early, with the status it should report. */
class RunEnd extends Error {
  constructor(readonly outcome: GuestOutcome) {
    super(outcome.error?.message ?? outcome.status);
  }
}

class WasmRuntime implements LoadedRuntime {
  readonly kind = "wasm" as const;
  // A module only reaches what its imports give it, and each run is a new instance.
  readonly supportsFreshRuns = true;

  constructor(private readonly interrupt: Int32Array) {}

  async run(input: GuestRunInput, io: GuestIO): Promise<GuestOutcome> {
    let outcome: GuestOutcome;
    try {
      outcome = await this.#run(input, io);
    } catch (e) {
      if (!(e instanceof RunEnd)) throw e;
      outcome = e.outcome;
    }
    // Like a native runtime (wasmtime, node), say on stderr why the program failed.
    const error = outcome.error;
    if (error && error.name !== "Exit" && error.name !== "Interrupted") {
      io.write("stderr", `${error.name}: ${error.message}\n${error.traceback && error.traceback !== error.message ? `${error.traceback}\n` : ""}`);
    }
    return outcome;
  }

  async #run(input: GuestRunInput, io: GuestIO): Promise<GuestOutcome> {
    const { request, limits } = input;
    const bytes = input.module ?? (await moduleFromCode(request.code, input.filename));
    const info = readOrFail(bytes);
    const capPages = Math.floor(limits.memoryLimitBytes / WASM_PAGE_BYTES);
    // A module wasmbox compiled (C, C++) takes its stack size from compile.flags; an uploaded one from its own link.
    const built = input.module !== undefined;
    checkDeclaredSizes(info, capPages, limits.memoryLimitBytes, built);

    // The host owns the module's memory (imported in place of the defined one), capped at the limit.
    const moved = importDefinedMemory(bytes, capPages);
    const linked = moved?.bytes ?? capDefinedMemories(bytes, capPages);
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(linked as BufferSource);
    } catch (e) {
      throw end("compile_error", { name: "CompileError", message: `the module is not valid WebAssembly: ${messageOf(e)}`, traceback: "", line: null });
    }
    // What the rewrite changed, without reading the module again: the memory is an import now.
    const linkedInfo: ModuleInfo = moved
      ? { ...info, memories: [], imports: [...info.imports, { module: "wasmbox", name: "memory", kind: "memory", limits: moved.limits }] }
      : info;

    const files = decodeRequestFiles(request.files);
    const wasi = new WasiHost({
      // argv[0]: the program's name, as a compiled binary would see it ("main" for main.c).
      args: [input.module ? input.filename.replace(/\.[^.]+$/, "") : input.filename, ...(request.args ?? [])],
      env: request.env ?? {},
      stdin: new TextEncoder().encode(request.stdin ?? ""),
      files,
      write: (stream, data) => io.write(stream, data),
      interrupt: this.interrupt,
      maxFsBytes: limits.memoryLimitBytes,
    });
    let memory: WebAssembly.Memory | undefined;
    const ctx: HostCallContext = {
      write: (stream, text) => {
        if (Atomics.load(this.interrupt, 0) !== 0) throw new WasmInterrupted("the run was stopped");
        io.write(stream, text);
      },
      memory: () => memory,
    };
    const granted = new Set<string>([...(request.wasm?.imports ?? []), ...(request.language === "assemblyscript" ? ASSEMBLYSCRIPT_IMPORTS : [])]);
    const { imports, importedMemory } = buildImports(linkedInfo, granted, wasi, ctx, capPages);
    memory = importedMemory;
    // Bound before instantiation: a start function may already make WASI calls.
    if (memory) wasi.bind(memory);

    const outcome: GuestOutcome = { status: "ok", error: null, exitCode: 0, value: null, files: new Map() };
    let instance: WebAssembly.Instance | undefined;
    try {
      // Instantiation runs a start function, if the module has one. (AssemblyScript's
      // top-level code is exported as `_initialize` instead, so it runs with memory bound.)
      instance = await WebAssembly.instantiate(module, imports);
      const exported = Object.values(instance.exports).find((e): e is WebAssembly.Memory => e instanceof WebAssembly.Memory);
      memory ??= exported;
      if (memory) wasi.bind(memory);
      this.#invoke(instance, info, input, outcome);
    } catch (e) {
      describeFailure(e, outcome, memory, limits.memoryLimitBytes, instance && info.stack ? stackState(instance, info.stack, built) : null);
    }
    // Files are returned whenever the program itself ended (exit code or trap), not for a refused module.
    if (instance) outcome.files = wasi.changedFiles();
    return outcome;
  }

  #invoke(instance: WebAssembly.Instance, info: ModuleInfo, input: GuestRunInput, outcome: GuestOutcome): void {
    const exports = instance.exports as Record<string, unknown>;
    const invoke = input.request.wasm?.invoke;
    const call = (name: string): unknown => {
      const fn = exports[name];
      if (typeof fn !== "function") {
        throw end("error", {
          name: "NoSuchExport",
          message: `the module exports no function ${JSON.stringify(name)}; its function exports are: ${functionExports(info) || "(none)"}`,
          traceback: "",
          line: null,
        });
      }
      const sig = info.exports.find((e) => e.name === name)?.signature;
      const args = name === invoke?.export ? convertArgs(name, sig, invoke.args ?? []) : [];
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
    try {
      if (invoke) {
        // A WASI reactor wants `_initialize` before anything else.
        if (typeof exports._initialize === "function") (exports._initialize as () => void)();
        outcome.value = toJson(call(invoke.export));
      } else if (typeof exports._start === "function") {
        call("_start");
      } else if (input.request.language === "assemblyscript") {
        // Top-level statements, then `main()` if the program exports one.
        if (typeof exports._initialize === "function") (exports._initialize as () => void)();
        const main = info.exports.find((e) => e.name === "main" && e.kind === "function");
        if (main && (main.signature?.params.length ?? 0) === 0) outcome.value = toJson(call("main"));
      } else {
        throw end("error", {
          name: "NoEntryPoint",
          message: `the module has no _start export (it is not a WASI command): name an export to call with wasm.invoke (CLI: --invoke NAME(args)); its function exports are: ${functionExports(info) || "(none)"}`,
          traceback: "",
          line: null,
        });
      }
    } catch (e) {
      if (e instanceof Error && e.constructor.name === "WASIProcExit") {
        const code = (e as Error & { code: number }).code;
        outcome.exitCode = code;
        if (code !== 0) {
          outcome.status = "error";
          outcome.error = { name: "Exit", message: `the program exited with code ${code}`, traceback: "", line: null };
        }
        return;
      }
      throw e;
    }
  }

  [Symbol.dispose](): void {}
}

/** `code` of a `wasm` request: base64 of a binary module, or WebAssembly text. */
async function moduleFromCode(code: string, filename: string): Promise<Uint8Array> {
  // Base64 has no parentheses or semicolons; WebAssembly text always has them.
  if (!/^[A-Za-z0-9+/=\s]*$/.test(code)) {
    const { watToWasm } = await import("./wat.js");
    try {
      return await watToWasm(code, filename);
    } catch (e) {
      throw end("compile_error", { name: "WatSyntaxError", message: messageOf(e), traceback: messageOf(e), line: lineOf(messageOf(e)) });
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(code.replace(/\s+/g, ""));
  } catch {
    throw end("compile_error", {
      name: "WasmModuleError",
      message: "code is neither base64 of a .wasm binary nor WebAssembly text (WAT starts with '(module')",
      traceback: "",
      line: null,
    });
  }
  if (!looksLikeWasm(bytes)) {
    throw end("compile_error", { name: "WasmModuleError", message: "code decodes from base64 but is not a WebAssembly binary (no \\0asm header)", traceback: "", line: null });
  }
  return bytes;
}

function readOrFail(bytes: Uint8Array): ModuleInfo {
  try {
    return readModuleInfo(bytes);
  } catch (e) {
    if (e instanceof WasmModuleError) throw end("compile_error", { name: e.name, message: e.message, traceback: "", line: null });
    throw e;
  }
}

/** Refuse modules whose declared sizes already break the limits, before allocating anything. */
function checkDeclaredSizes(info: ModuleInfo, capPages: number, memoryLimitBytes: number, built: boolean): void {
  const memories = [...info.memories, ...info.imports.filter((i) => i.kind === "memory").map((i) => i.limits!)];
  for (const m of memories) {
    if (m.is64) throw end("compile_error", { name: "WasmModuleError", message: "the module uses a 64-bit memory (memory64), which is not supported", traceback: "", line: null });
    if (m.min > capPages && info.stack?.stackFirst) {
      const stack = info.stack.topBytes;
      throw end("memory_limit", {
        name: "MemoryLimitError",
        message:
          `the program's stack (${stackText(stack)}) and static data need ${mib(m.min * WASM_PAGE_BYTES)} of memory before it starts, more than memoryLimitBytes (${mib(memoryLimitBytes)}); ` +
          `raise limits.memoryLimitBytes, or give it a smaller stack ${built ? `with compile.flags: ["-Wl,-z,stack-size=N"] (N in bytes; the default is ${stackText(DEFAULT_STACK_BYTES)})` : "(link it with a smaller -z stack-size)"}`,
        traceback: "",
        line: null,
      });
    }
    if (m.min > capPages) {
      throw end("memory_limit", {
        name: "MemoryLimitError",
        message: `the module declares ${mib(m.min * WASM_PAGE_BYTES)} of initial memory, more than memoryLimitBytes (${mib(memoryLimitBytes)}); raise limits.memoryLimitBytes`,
        traceback: "",
        line: null,
      });
    }
  }
  const tables = [...info.tables, ...info.imports.filter((i) => i.kind === "table").map((i) => i.limits!)];
  for (const t of tables) {
    if (t.min > MAX_TABLE_ELEMENTS) {
      throw end("error", {
        name: "WasmModuleError",
        message: `the module declares a table of ${t.min} elements; at most ${MAX_TABLE_ELEMENTS} are allowed`,
        traceback: "",
        line: null,
      });
    }
  }
}

function buildImports(
  info: ModuleInfo,
  granted: ReadonlySet<string>,
  wasi: WasiHost,
  ctx: HostCallContext,
  capPages: number,
): { imports: WebAssembly.Imports; importedMemory: WebAssembly.Memory | undefined } {
  // Module and field names are the module's data: keep them off Object.prototype.
  const imports = Object.create(null) as Record<string, Record<string, WebAssembly.ImportValue>>;
  let importedMemory: WebAssembly.Memory | undefined;
  const refuse = (message: string) => {
    throw end("error", { name: "LinkError", message, traceback: "", line: null });
  };
  for (const imp of info.imports) {
    const key = `${imp.module}.${imp.name}`;
    const slot = (imports[imp.module] ??= Object.create(null) as Record<string, WebAssembly.ImportValue>);
    if (imp.kind === "memory") {
      const l = imp.limits!;
      const maximum = Math.max(l.min, Math.min(l.max ?? capPages, capPages));
      importedMemory = new WebAssembly.Memory({ initial: l.min, maximum, ...(l.shared ? { shared: true } : {}) });
      slot[imp.name] = importedMemory;
    } else if (imp.kind === "table") {
      const l = imp.limits!;
      slot[imp.name] = new WebAssembly.Table({ element: "anyfunc", initial: l.min, maximum: Math.min(l.max ?? MAX_TABLE_ELEMENTS, MAX_TABLE_ELEMENTS) });
    } else if (imp.kind !== "function") {
      refuse(`the module imports ${imp.kind} ${key}; wasmbox grants only functions, memories and tables`);
    } else if (WASI_MODULES.has(imp.module)) {
      const fn = Object.hasOwn(wasi.imports, imp.name) ? wasi.imports[imp.name] : undefined;
      if (!fn) refuse(`the module imports ${key}, which is not part of WASI preview1`);
      slot[imp.name] = fn as WebAssembly.ImportValue;
    } else {
      const spec = Object.hasOwn(HOST_FUNCTIONS, key) ? HOST_FUNCTIONS[key] : undefined;
      if (!spec) {
        refuse(
          `the module imports ${describeSignature(key, imp.signature)}, which is not a host function wasmbox provides; it provides WASI preview1 and ${Object.keys(HOST_FUNCTIONS).join(", ")}`,
        );
      } else if (!granted.has(key)) {
        refuse(`the module imports ${key}, which this run does not grant; grant it with wasm.imports: ["${key}"] (CLI: --grant ${key})`);
      } else {
        slot[imp.name] = spec.make(ctx) as WebAssembly.ImportValue;
      }
    }
  }
  return { imports, importedMemory };
}

function convertArgs(name: string, sig: FuncSignature | undefined, args: readonly (number | string)[]): unknown[] {
  if (!sig) return args.map((a) => (typeof a === "string" ? Number(a) : a));
  if (sig.params.length !== args.length) {
    throw end("error", {
      name: "TypeError",
      message: `${describeSignature(name, sig)} takes ${sig.params.length} argument${sig.params.length === 1 ? "" : "s"}, but ${args.length} ${args.length === 1 ? "was" : "were"} given`,
      traceback: "",
      line: null,
    });
  }
  return sig.params.map((type, i) => {
    const arg = args[i]!;
    const bad = (why: string) =>
      end("error", { name: "TypeError", message: `argument ${i + 1} of ${describeSignature(name, sig)}: ${why}`, traceback: "", line: null });
    switch (type) {
      case "i64":
        if (typeof arg === "number" && !Number.isInteger(arg)) throw bad(`${arg} is not an integer`);
        return BigInt(arg);
      case "i32":
        if (typeof arg !== "number" || !Number.isInteger(arg)) throw bad(`${JSON.stringify(arg)} is not an integer`);
        return arg;
      case "f32":
      case "f64":
        return Number(arg);
      default:
        throw bad(`parameters of type ${type} cannot be passed from a request`);
    }
  });
}

function toJson(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === "bigint") return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(toJson);
  return String(value);
}

/** The C stack of a module at the moment it stopped. */
interface StackState {
  layout: StackLayout;
  /** Compiled by wasmbox: the stack size is set with compile.flags. */
  built: boolean;
  /** The stack pointer when the run stopped (unsigned), or null when it cannot be read. */
  pointer: number | null;
}

function stackState(instance: WebAssembly.Instance, layout: StackLayout, built: boolean): StackState {
  const global = (instance.exports as Record<string, unknown>)[layout.exportName];
  const value: unknown = global instanceof WebAssembly.Global ? global.value : null;
  return { layout, built, pointer: typeof value === "number" ? value >>> 0 : null };
}

/**
 * LLVM lets a function that calls nothing use up to this much below the stack pointer
 * without moving it (the wasm "red zone"), so a leaf that overflows leaves it this close to 0.
 */
const RED_ZONE_BYTES = 128;

/**
 * Whether a trap came from running out of stack. The stack spans [0, top) and grows down, so
 * the pointer of a program that overflowed has wrapped below 0 (above top, unsigned) or sits
 * within the red zone of 0. A wild pointer leaves the stack pointer where it was: that trap
 * stays "memory access out of bounds".
 */
function isStackOverflow(stack: StackState | null): stack is StackState & { pointer: number } {
  if (!stack?.layout.stackFirst || stack.pointer === null) return false;
  return stack.pointer > stack.layout.topBytes || stack.pointer < RED_ZONE_BYTES;
}

/** `compile.flags: ["-Wl,-z,stack-size=N"]` with N twice the stack, as a user would paste it. */
function raiseStackHint(stackBytes: number, built: boolean): string {
  const n = Math.min(stackBytes * 2, MAX_STACK_BYTES);
  if (!built) return `link it with a larger stack (wasm-ld -z stack-size=${n}); the stack counts toward limits.memoryLimitBytes`;
  return `compile.flags: ["-Wl,-z,stack-size=${n}"] (CLI: --cflag=-Wl,-z,stack-size=${n}) gives it ${stackText(n)}; the stack counts toward limits.memoryLimitBytes`;
}

/** Turn whatever stopped the guest into the outcome's status and error. */
function describeFailure(e: unknown, outcome: GuestOutcome, memory: WebAssembly.Memory | undefined, memoryLimitBytes: number, stack: StackState | null): void {
  if (e instanceof RunEnd) {
    Object.assign(outcome, { ...e.outcome, files: outcome.files });
    return;
  }
  // A trap is an abnormal end: report it like a crashed program's non-zero exit.
  outcome.exitCode = 1;
  if (e instanceof WasmInterrupted) {
    outcome.status = "error";
    outcome.error = { name: "Interrupted", message: "the run was stopped", traceback: "", line: null };
    return;
  }
  if (e instanceof GuestAbort) {
    outcome.status = "error";
    outcome.exitCode = 1;
    const where = e.file ? ` (${e.file}${e.line ? `:${e.line}` : ""}${e.column ? `:${e.column}` : ""})` : "";
    outcome.error = { name: "AbortError", message: `${e.message}${where}`, traceback: "", line: e.line };
    return;
  }
  const name = e instanceof Error ? e.constructor.name : "Error";
  const message = messageOf(e);
  if (name === "RuntimeError" && isStackOverflow(stack)) {
    const size = stack.layout.topBytes;
    outcome.status = "error";
    outcome.error = {
      name: "StackOverflow",
      message: `the program ran out of stack (wasm trap: ${message}): its stack is ${stackText(size)}, and deep recursion or large local arrays (VLAs, alloca) used it all; ${raiseStackHint(size, stack.built)}`,
      traceback: wasmFrames(e),
      line: null,
    };
    return;
  }
  if (name === "RangeError" && /call stack/.test(message)) {
    // V8's own limit: the host thread's stack ran out before the program's own stack did.
    outcome.status = "error";
    const own = stack ? `, before the program's own ${stackText(stack.layout.topBytes)} stack ran out` : "";
    outcome.error = {
      name: "StackOverflow",
      message: `the program's calls nested deeper than the host allows (${message})${own}: each wasm call also takes room on the host thread's stack. Make the recursion shallower: recurse on the smaller half, or keep an explicit stack and loop`,
      traceback: wasmFrames(e),
      line: null,
    };
    return;
  }
  // `memory.grow` past the cap returns -1 inside the guest, which then fails its own way
  // (malloc returns NULL, abort() traps). A failure with memory this close to the cap is
  // reported as the memory limit.
  const nearCap = memoryLimitBytes - Math.max(4 * 1024 * 1024, memoryLimitBytes / 8);
  const atCap = memory !== undefined && memory.buffer.byteLength >= nearCap;
  if (atCap || /out of memory|could not allocate/i.test(message)) {
    outcome.status = "memory_limit";
    outcome.error = {
      name: "MemoryLimitError",
      message: `the program failed (${message}) after its memory reached memoryLimitBytes (${mib(memoryLimitBytes)}); raise limits.memoryLimitBytes`,
      traceback: wasmFrames(e),
      line: null,
    };
    return;
  }
  outcome.status = "error";
  outcome.error = {
    name,
    message: name === "RuntimeError" ? `wasm trap: ${message}` : message,
    traceback: wasmFrames(e),
    line: null,
  };
}

/** The wasm frames of a trap's stack, which name the module's functions. */
function wasmFrames(e: unknown): string {
  const stack = e instanceof Error ? (e.stack ?? "") : "";
  return stack
    .split("\n")
    .filter((l) => l.includes("wasm://") || l.includes("wasm-function"))
    .map((l) => l.trim())
    .slice(0, 30)
    .join("\n");
}

function functionExports(info: ModuleInfo): string {
  return info.exports
    .filter((e) => e.kind === "function")
    .map((e) => describeSignature(e.name, e.signature))
    .join(", ");
}

function end(status: GuestOutcome["status"], error: GuestError): RunEnd {
  return new RunEnd({ status, error, exitCode: status === "ok" ? 0 : 1, value: null, files: new Map() });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function lineOf(message: string): number | null {
  const m = /:(\d+):\d+:/.exec(message);
  return m ? Number(m[1]) : null;
}

/** A stack's size as a person would say it: "64 KiB", "8 MiB". */
function stackText(bytes: number): string {
  return bytes < 1048576 ? `${Math.round((bytes / 1024) * 10) / 10} KiB` : mib(bytes);
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 1048576) * 10) / 10} MiB`;
}
