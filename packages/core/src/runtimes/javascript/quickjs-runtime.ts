import variantModule from "@jitl/quickjs-ng-wasmfile-release-sync";
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSSyncVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
  newVariant,
} from "quickjs-emscripten-core";
import type { GuestError, JsonValue } from "@wasmbox/contract";
import { collectChangedFiles, decodeRequestFiles } from "../../guest/files.js";
import {
  GUEST_WORKDIR,
  type GuestIO,
  type GuestOutcome,
  type GuestRunInput,
  type GuestRunMode,
  type LoadedRuntime,
  type RuntimeLoadOptions,
} from "../../runtime.js";
import { MemoryFs } from "./memory-fs.js";
import { PristineImage } from "./pristine-image.js";
import { transpileTypeScript } from "../typescript/sucrase-transpile.js";
import { BUILTIN_MODULE_NAMES, builtinModuleSource, LAZY_GUEST_SOURCES, PRELUDE_SOURCE } from "./prelude.js";

// The package's types describe its CommonJS build; under ESM the variant is the default export.
const variant = ((variantModule as unknown as { default?: QuickJSSyncVariant }).default ?? variantModule) as QuickJSSyncVariant;

/** QuickJS's own stack limit; deep recursion becomes a RangeError/InternalError, not a host crash. */
const MAX_STACK_BYTES = 512 * 1024;
/** How often a run idling on timers re-checks the interrupt flag. */
const IDLE_POLL_MS = 25;

/** Compiles the QuickJS-ng wasm module. Each run gets a brand-new QuickJS runtime and context. */
export async function loadQuickJSRuntime(options: RuntimeLoadOptions): Promise<LoadedRuntime> {
  const chosen = options.quickjsWasmModule ? newVariant(variant, { wasmModule: options.quickjsWasmModule }) : variant;
  const host = new QuickJSRuntimeHost(() => newQuickJSWASMModuleFromVariant(chosen), options.interruptBuffer, options.quickjsPristineImage !== false);
  await host.prepare();
  return host;
}

interface Internals {
  fireTimer: QuickJSHandle;
  serialize: QuickJSHandle;
  describeError: QuickJSHandle;
  configure: QuickJSHandle;
}

/** The program being run and where its output goes. */
interface CurrentRun {
  input: GuestRunInput;
  io: GuestIO;
}

class QuickJSRuntimeHost implements LoadedRuntime {
  readonly kind = "quickjs" as const;
  // Guest JS lives inside QuickJS's wasm memory and has no bridge to this realm, so that
  // memory made pristine again (or a new wasm instance) is a clean slate: sandboxes can
  // serve many fresh runs.
  readonly supportsFreshRuns = true;
  /** The context runs go to. */
  #context: JsContext | undefined;
  /** Guest code ran in #context since it was pristine. */
  #used = false;
  /** A pristine context ready for the next fresh run, and a used one waiting to be made pristine. */
  #spare: JsContext | undefined;
  #dirty: JsContext | undefined;
  /** Work on #spare and #dirty in progress (after a run, in the background). */
  #preparing: Promise<void> | undefined;

  constructor(
    private readonly newModule: () => Promise<QuickJSWASMModule>,
    private readonly interrupt: Int32Array,
    private readonly pristineImage: boolean,
  ) {}

  /**
   * Create a context and install the prelude now, before any request exists, and run a
   * trivial program once so first-call costs (wasm tier-up, prelude compilation) are paid
   * while the sandbox waits in the pool rather than inside a request.
   */
  async prepare(): Promise<void> {
    this.#context ??= await this.#newContext();
  }

  async #newContext(): Promise<JsContext> {
    const module = await this.newModule();
    const context = new JsContext(module, this.interrupt);
    context.warmUp();
    if (this.pristineImage) context.takeImage();
    return context;
  }

  /**
   * Runs a program. With `fresh`, it starts from a pristine interpreter no earlier run
   * touched: a spare context made pristine while the sandbox waited (its memory restored from
   * its pristine image, see pristine-image.ts, or a new wasm instance where that cannot be
   * done). Without `fresh`, it continues the last run's context, so a session's globals
   * persist.
   */
  async run(input: GuestRunInput, io: GuestIO, mode: GuestRunMode = {}): Promise<GuestOutcome> {
    if (mode.fresh && this.#used) await this.#toPristine();
    this.#context ??= await this.#newContext();
    this.#used = true;
    try {
      return await this.#context.execute(input, io);
    } finally {
      // Ready the next clean slate while the sandbox waits for its next request: after a
      // macrotask, so this run's result goes out first. A failed preparation is retried when
      // the run comes (never an unhandled rejection).
      if (mode.fresh) setTimeout(() => this.#prepareSpare(), 0);
    }
  }

  /**
   * Switch to a pristine context: the spare (the one waiting to become it restored now if its
   * turn has not come yet), else the used one restored now, else a new one.
   */
  async #toPristine(): Promise<void> {
    await this.#preparing;
    const used = this.#context;
    const dirty = this.#spare ? undefined : this.#dirty;
    if (dirty) {
      this.#dirty = undefined;
      if (dirty.restore()) this.#spare = dirty;
      else dirty.dispose();
    }
    if (this.#spare) {
      this.#context = this.#spare;
      this.#spare = undefined;
      if (used) this.#dirty = used;
    } else if (!used?.restore()) {
      this.#context = undefined;
      used?.dispose();
      this.#context = await this.#newContext();
    }
    this.#used = false;
  }

  /** Make the used context pristine as the next spare (or, failing that, make a new spare). */
  #prepareSpare(): void {
    this.#preparing ??= (async () => {
      const dirty = this.#dirty;
      this.#dirty = undefined;
      if (dirty && !this.#spare && dirty.restore()) this.#spare = dirty;
      else dirty?.dispose();
      this.#spare ??= await this.#newContext();
    })()
      .catch(() => undefined)
      .finally(() => (this.#preparing = undefined));
  }

  [Symbol.dispose](): void {
    for (const c of [this.#context, this.#spare, this.#dirty]) c?.dispose();
    void this.#preparing?.then(() => this.#spare?.dispose());
  }
}

/**
 * A QuickJS runtime + context with the prelude installed, the in-memory filesystem and
 * the timer loop. A plain run uses it once; a session runs several programs in it.
 */
class JsContext {
  readonly #vm: QuickJSContext;
  readonly runtime: QuickJSRuntime;
  readonly #memory: WebAssembly.Memory | null;
  #fs: MemoryFs;
  readonly #internals: Internals;
  #image: PristineImage | null = null;
  /** The JS-side state of quickjs-emscripten the image is valid for (see #libraryState). */
  #imageLibraryState: readonly unknown[] = [];
  /** A call into the instance failed mid-way (a trap): its state is not known, never restore it. */
  #tainted = false;
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();
  readonly #dueTimers: number[] = [];
  #current: CurrentRun | null = null;
  #exitCode: number | null = null;
  #wake: (() => void) | null = null;

  constructor(
    module: QuickJSWASMModule,
    private readonly interrupt: Int32Array,
  ) {
    const runtime = module.newRuntime();
    this.runtime = runtime;
    this.#memory = wasmMemoryOf(module);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    // Only a running program can be interrupted: preparing a context (prelude, warm-up)
    // must not trip over a flag a previous run's timeout left set.
    runtime.setInterruptHandler(() => this.#current !== null && (this.#exitCode !== null || Atomics.load(interrupt, 0) !== 0));
    runtime.setModuleLoader((name) => {
      const source = builtinModuleSource(name);
      if (source === undefined) {
        throw new Error(
          `Cannot find module '${name}': wasmbox's JavaScript sandbox provides ${BUILTIN_MODULE_NAMES.join(", ")}, and no npm packages, network or child processes`,
        );
      }
      return source;
    });
    this.#vm = runtime.newContext();
    this.#fs = newWorkdirFs();
    this.#internals = this.#installPrelude();
  }

  /**
   * Take the pristine image, once the prelude is installed and warmed up and before any guest
   * code: what every fresh run of this context will start from. Without one (the memory is
   * not reachable, or this QuickJS build's seed cannot be found), `restore` says no.
   */
  takeImage(): void {
    const state = this.#libraryState();
    if (!this.#memory || !state) return;
    this.#image = PristineImage.take(this.#memory, () => this.#vm.unwrapResult(this.#vm.evalCode("Math.random()", "wasmbox:seed")).dispose());
    this.#imageLibraryState = state;
  }

  /**
   * Make this context pristine again: its memory restored from the image, its host-side
   * state (files, timers) new. False if it cannot be (no image, a call that trapped, a memory
   * that grew, or quickjs-emscripten's own state changed since the image): use a new one.
   */
  restore(): boolean {
    if (!this.#image || !this.#memory || this.#tainted || this.#current) return false;
    const state = this.#libraryState();
    if (!state || state.some((v, i) => v !== this.#imageLibraryState[i])) return false;
    if (!this.#image.restore(this.#memory)) return false;
    this.#fs = newWorkdirFs();
    this.#exitCode = null;
    return true;
  }

  /**
   * What of quickjs-emscripten's JS-side state a run could change and the image depends on:
   * its host-function table (a function QuickJS freed is gone from it) and the context's
   * lazily made handles. Null if its shape is not the one this code knows (another version).
   */
  #libraryState(): unknown[] | null {
    const refs = this.runtime.hostRefs as unknown as { nextId?: unknown; freelist?: unknown; groups?: unknown };
    if (typeof refs.nextId !== "number" || !Array.isArray(refs.freelist) || !(refs.groups instanceof Map)) return null;
    let size = 0;
    for (const group of refs.groups.values()) size += group instanceof Map ? group.size : NaN;
    const vm = this.#vm as unknown as Record<string, unknown>;
    return [refs.nextId, refs.freelist.length, size, ...LAZY_HANDLES.map((name) => vm[name])];
  }

  get #run(): CurrentRun {
    if (!this.#current) throw new Error("no program is running");
    return this.#current;
  }

  async execute(input: GuestRunInput, io: GuestIO): Promise<GuestOutcome> {
    this.#current = { input, io };
    this.#exitCode = null;
    // Until this run returns normally, a failure here may have left a wasm call half done.
    const tainted = this.#tainted;
    this.#tainted = true;
    this.runtime.setMemoryLimit(input.limits.memoryLimitBytes);
    this.#fs.capacityBytes = input.limits.memoryLimitBytes;
    try {
      for (const [path, bytes] of decodeRequestFiles(input.request.files)) {
        const full = `${GUEST_WORKDIR}/${path}`;
        this.#fs.mkdir(full.slice(0, full.lastIndexOf("/")), true);
        this.#fs.writeFile(full, bytes);
      }
      const before = new Map(this.#fs.filesUnder(GUEST_WORKDIR));
      const outcome = await this.#evaluate(input);
      if (outcome.status !== "compile_error") outcome.files = collectChangedFiles(this.#fs.filesUnder(GUEST_WORKDIR), before);
      this.#tainted = tainted;
      return outcome;
    } finally {
      for (const t of this.#timers.values()) clearTimeout(t);
      this.#timers.clear();
      this.#dueTimers.length = 0;
      this.#current = null;
    }
  }

  async #evaluate(input: GuestRunInput): Promise<GuestOutcome> {
    const vm = this.#vm;
    const internals = this.#internals;
    const { request, filename } = input;
    this.#call(internals.configure, [filename, JSON.stringify(request.args ?? []), JSON.stringify(request.env ?? {})]);
    let code = request.code;
    if (request.language === "typescript") {
      const transpiled = await transpileTypeScript(code, filename);
      if ("error" in transpiled) return this.#fail("compile_error", transpiled.error, 1);
      code = transpiled.code;
    }
    // Scripts give a completion value (the last expression); code using import/export or
    // top-level await only compiles as a module, which has none.
    let type: "global" | "module" = "global";
    const asScript = vm.evalCode(code, filename, { type: "global", compileOnly: true });
    if (asScript.error) {
      const asModule = vm.evalCode(code, filename, { type: "module", compileOnly: true });
      if (asModule.error) {
        asScript.error.dispose();
        return this.#fail("compile_error", this.#describe(asModule.error), 1);
      }
      asModule.value.dispose();
      asScript.error.dispose();
      type = "module";
    } else asScript.value.dispose();

    const evaluated = vm.evalCode(code, filename, { type });
    if (evaluated.error) return this.#thrown(evaluated.error);
    const main = evaluated.value;
    try {
      return await this.#drain(main, type === "global");
    } finally {
      main.dispose();
    }
  }

  /** Runs promise jobs and timers until the main promise settles and nothing is left to do. */
  async #drain(main: QuickJSHandle, hasValue: boolean): Promise<GuestOutcome> {
    const vm = this.#vm;
    for (;;) {
      const jobs = this.runtime.executePendingJobs();
      if (jobs.error) return this.#thrown(jobs.error);
      if (this.#exitCode !== null) return this.#exited();
      const state = vm.getPromiseState(main);
      if (state.type === "rejected") return this.#thrown(state.error);
      if (state.type === "fulfilled" && this.#timers.size === 0 && this.#dueTimers.length === 0 && !this.runtime.hasPendingJob()) {
        const value = hasValue ? this.#serialize(state.value) : null;
        if (!state.notAPromise) state.value.dispose();
        return { status: "ok", error: null, exitCode: 0, value, files: new Map() };
      }
      if (state.type === "fulfilled" && !state.notAPromise) state.value.dispose();
      if (this.runtime.hasPendingJob()) continue;
      if (this.#timers.size === 0 && this.#dueTimers.length === 0) {
        // Nothing can ever settle the main promise: say so now rather than idle until the timeout.
        return this.#fail(
          "error",
          {
            name: "Error",
            message: "the program awaits a promise that can never settle (no timers or pending jobs are left)",
            traceback: "",
            line: null,
          },
          13,
        );
      }
      await this.#nextTimer();
      if (Atomics.load(this.interrupt, 0) !== 0) {
        return this.#fail("error", { name: "InternalError", message: "interrupted", traceback: "", line: null }, 1);
      }
      const id = this.#dueTimers.shift();
      if (id === undefined) continue;
      const idHandle = vm.newNumber(id);
      const fired = vm.callFunction(this.#internals.fireTimer, vm.undefined, idHandle);
      idHandle.dispose();
      if (fired.error) return this.#thrown(fired.error);
      fired.value.dispose();
    }
  }

  #nextTimer(): Promise<void> {
    if (this.#dueTimers.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const poll = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, IDLE_POLL_MS);
      this.#wake = () => {
        clearTimeout(poll);
        this.#wake = null;
        resolve();
      };
    });
  }

  /** Call a prelude function with string arguments; a failure here is a bug of ours, so it throws. */
  #call(fn: QuickJSHandle, args: string[]): void {
    const vm = this.#vm;
    const handles = args.map((a) => vm.newString(a));
    const r = vm.callFunction(fn, vm.undefined, ...handles);
    for (const h of handles) h.dispose();
    vm.unwrapResult(r).dispose();
  }

  /** Evaluate a trivial script outside any run: no output, no files, nothing left behind. */
  warmUp(): void {
    const r = this.#vm.evalCode("void 0", "wasmbox:warmup");
    if (r.error) r.error.dispose();
    else r.value.dispose();
    this.runtime.executePendingJobs();
  }

  #disposed = false;

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const h of Object.values(this.#internals)) h.dispose();
    this.#vm.dispose();
    this.runtime.dispose();
  }

  #installPrelude(): Internals {
    const vm = this.#vm;
    const host = vm.newObject();
    const str = (h: QuickJSHandle) => vm.getString(h);
    const num = (h: QuickJSHandle) => vm.getNumber(h);
    const bytes = (h: QuickJSHandle): Uint8Array => {
      const view = vm.getArrayBuffer(h);
      try {
        return view.value.slice();
      } finally {
        view.dispose();
      }
    };
    const fns: Record<string, (...args: QuickJSHandle[]) => QuickJSHandle | undefined> = {
      // A string is text (its UTF-8 goes out); an ArrayBuffer is exact bytes (Buffers,
      // and strings the guest encoded as latin1, hex, base64 or utf16le).
      write: (fd, data) => {
        const stream = num(fd!) === 2 ? "stderr" : "stdout";
        this.#run.io.write(stream, vm.typeof(data!) === "string" ? str(data!) : bytes(data!));
        return undefined;
      },
      // util.inspect's view of a promise: undefined for anything else, else [state, value].
      promiseState: (p) => {
        const state = vm.getPromiseState(p!);
        if (state.type === "fulfilled" && state.notAPromise) return undefined;
        const out = vm.newArray();
        const name = vm.newString(state.type);
        vm.setProp(out, 0, name);
        name.dispose();
        if (state.type !== "pending") {
          const value = state.type === "fulfilled" ? state.value : state.error;
          vm.setProp(out, 1, value);
          value.dispose();
        }
        return out;
      },
      // Compiles one of the prelude's lazily loaded guest modules; the prelude calls it once per name.
      loadGuestModule: (name) => {
        const key = str(name!);
        const source = Object.hasOwn(LAZY_GUEST_SOURCES, key) ? LAZY_GUEST_SOURCES[key] : undefined;
        if (source === undefined) throw new Error(`no guest module ${key}`);
        return vm.unwrapResult(vm.evalCode(source, `wasmbox:${key}`));
      },
      memoryLimitBytes: () => vm.newNumber(this.#current?.input.limits.memoryLimitBytes ?? 0),
      setTimer: (id, ms) => {
        const timerId = num(id!);
        this.#timers.set(
          timerId,
          setTimeout(() => {
            this.#timers.delete(timerId);
            this.#dueTimers.push(timerId);
            this.#wake?.();
          }, num(ms!)),
        );
        return undefined;
      },
      clearTimer: (id) => {
        const timerId = num(id!);
        clearTimeout(this.#timers.get(timerId));
        this.#timers.delete(timerId);
        const i = this.#dueTimers.indexOf(timerId);
        if (i >= 0) this.#dueTimers.splice(i, 1);
        return undefined;
      },
      encodeUtf8: (s) => vm.newArrayBuffer(new TextEncoder().encode(str(s!)).buffer),
      decodeUtf8: (b) => vm.newString(new TextDecoder().decode(bytes(b!))),
      stdin: () => vm.newArrayBuffer(new TextEncoder().encode(this.#run.input.request.stdin ?? "").buffer),
      fsRead: (p) => vm.newArrayBuffer(this.#fs.readFile(str(p!)).slice().buffer),
      fsWrite: (p, data, append) => {
        this.#fs.writeFile(str(p!), bytes(data!), vm.dump(append!) === true);
        return undefined;
      },
      fsStat: (p) => this.#toGuest(this.#fs.stat(str(p!))),
      fsList: (p) => this.#toGuest(this.#fs.list(str(p!))),
      fsMkdir: (p, recursive) => {
        this.#fs.mkdir(str(p!), vm.dump(recursive!) === true);
        return undefined;
      },
      fsUnlink: (p, recursive, force) => {
        this.#fs.remove(str(p!), vm.dump(recursive!) === true, force ? vm.dump(force) === true : false);
        return undefined;
      },
      exit: (code) => {
        this.#exitCode = num(code!);
        return undefined;
      },
    };
    for (const [name, fn] of Object.entries(fns)) {
      const h = vm.newFunction(name, fn);
      vm.setProp(host, name, h);
      h.dispose();
    }
    const workdir = vm.newString(GUEST_WORKDIR);
    vm.setProp(host, "workdir", workdir);
    workdir.dispose();
    const factory = vm.unwrapResult(vm.evalCode(PRELUDE_SOURCE, "wasmbox:prelude"));
    const internalsHandle = vm.unwrapResult(vm.callFunction(factory, vm.undefined, host));
    factory.dispose();
    host.dispose();
    const internals: Internals = {
      fireTimer: vm.getProp(internalsHandle, "fireTimer"),
      serialize: vm.getProp(internalsHandle, "serialize"),
      describeError: vm.getProp(internalsHandle, "describeError"),
      configure: vm.getProp(internalsHandle, "configure"),
    };
    internalsHandle.dispose();
    return internals;
  }

  #toGuest(value: unknown): QuickJSHandle {
    const vm = this.#vm;
    const r = vm.evalCode(`(${JSON.stringify(value)})`, "wasmbox:value");
    return vm.unwrapResult(r);
  }

  #serialize(value: QuickJSHandle): JsonValue | null {
    const vm = this.#vm;
    const limit = vm.newNumber(this.#run.input.limits.maxOutputBytes);
    const r = vm.callFunction(this.#internals.serialize, vm.undefined, value, limit);
    limit.dispose();
    if (r.error) {
      r.error.dispose();
      return null;
    }
    const json = vm.getString(r.value);
    r.value.dispose();
    return JSON.parse(json) as JsonValue;
  }

  #describe(error: QuickJSHandle): GuestError {
    const vm = this.#vm;
    const filename = this.#run.input.filename;
    let raw: { name: string; message: string; stack: string } = { name: "Error", message: "unknown error", stack: "" };
    const r = vm.callFunction(this.#internals.describeError, vm.undefined, error);
    if (r.error) r.error.dispose();
    else {
      raw = JSON.parse(vm.getString(r.value)) as typeof raw;
      r.value.dispose();
    }
    error.dispose();
    const match = new RegExp(`${escapeRegExp(filename)}:(\\d+)`).exec(raw.stack);
    const stack = raw.stack ? `\n${raw.stack}` : "";
    return {
      name: raw.name,
      message: raw.message,
      traceback: `${raw.name}: ${raw.message}${stack}\n`,
      line: match ? Number(match[1]) : null,
    };
  }

  #thrown(error: QuickJSHandle): GuestOutcome {
    if (this.#exitCode !== null) {
      error.dispose();
      return this.#exited();
    }
    const described = this.#describe(error);
    const oom = described.message === "out of memory" || /out of memory/i.test(described.message);
    return this.#fail(oom ? "memory_limit" : "error", described, 1);
  }

  #exited(): GuestOutcome {
    const code = this.#exitCode ?? 0;
    if (code === 0) return { status: "ok", error: null, exitCode: 0, value: null, files: new Map() };
    return {
      status: "error",
      error: { name: "ProcessExit", message: `exit code ${code}`, traceback: "", line: null },
      exitCode: code,
      value: null,
      files: new Map(),
    };
  }

  #fail(status: GuestOutcome["status"], error: GuestError, exitCode: number): GuestOutcome {
    if (error.traceback) this.#run.io.write("stderr", error.traceback);
    return { status, error, exitCode, value: null, files: new Map() };
  }
}

/** The context's handles quickjs-emscripten makes on first use (see #libraryState). */
const LAZY_HANDLES = ["_global", "_BigInt", "_Symbol", "_SymbolIterator", "_SymbolAsyncIterator"];

function newWorkdirFs(): MemoryFs {
  const fs = new MemoryFs(Number.MAX_SAFE_INTEGER);
  fs.mkdir(GUEST_WORKDIR, true);
  return fs;
}

/** The instance's linear memory (quickjs-emscripten's experimental accessor), or null. */
function wasmMemoryOf(module: QuickJSWASMModule): WebAssembly.Memory | null {
  try {
    return module.getWasmMemory();
  } catch {
    return null;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
