import { loadPyodide, type PyodideAPI } from "pyodide";
import { collectChangedFiles, decodeRequestFiles } from "../../guest/files.js";
import { capWasmMemory } from "../../guest/memory-cap.js";
import { capRichOutputs, droppedOutputsNote } from "../../guest/rich-outputs.js";
import {
  GUEST_WORKDIR,
  type PackageWheel,
  type GuestIO,
  type GuestOutcome,
  type GuestRunInput,
  type LoadedRuntime,
  type RuntimeLoadOptions,
} from "../../runtime.js";
import type { ExecuteRequest, RichOutput } from "@wasmbox/contract";
import { DISPLAY_SOURCE } from "./display.js";
import { DRIVER_SOURCE } from "./driver.js";
import { DRIVER_DIGEST, SHARED_LIBRARIES_MARK, SNAPSHOT_RECIPE } from "./snapshot-recipe.js";

/** The file name of the boot-time warm-up run (the driver's warm_up forgets its source). */
const WARMUP_FILENAME = "<wasmbox-warmup>";
/** Its limits, written out: the guest side loads nothing of the contract but its flag rules. */
const WARMUP_LIMITS = { timeoutMs: 10_000, memoryLimitBytes: 256 * 1024 * 1024, maxOutputBytes: 1024 * 1024 };

/** The module a snapshot keeps the driver's compiled code in (removed from `sys.modules` at boot). */
const BOOT_MODULE = "_wasmbox_boot";

type PyCallable = ((...args: unknown[]) => unknown) & {
  destroy?: () => void;
  callPromising(...args: unknown[]): Promise<unknown>;
};
type Driver = { get(name: string): PyCallable; delete(name: string): void; destroy(): void };
interface PyProxyLike {
  destroy(): void;
  toJs(options: { depth: number }): unknown;
}

/** What the driver's `prepare` hands over: the program's body and last expression, each flagged when it awaits. */
type PreparedProgram = [body: PyProxyLike, bodyIsAsync: boolean, last: PyProxyLike | undefined, lastIsAsync: boolean];

/**
 * Boot Pyodide, import the recipe's modules, and return a memory snapshot of the
 * interpreter. Run it where no guest code has ever run: the snapshot is every later
 * sandbox's starting state.
 */
export async function buildPythonSnapshot(assets: RuntimeLoadOptions["assets"], pyodideFactory?: unknown, packages: readonly PackageWheel[] = []): Promise<Uint8Array> {
  const pyodide = await loadPyodide({
    indexURL: assets.pyodideIndexURL,
    env: {},
    stdout: () => {},
    stderr: () => {},
    _makeSnapshot: true,
    ...(pyodideFactory ? { createPyodideModule: pyodideFactory as never } : {}),
  });
  // Imported into sys.modules only: in __main__'s namespace a program would find `json` or `re`
  // bound without importing them, which python3 does not do.
  pyodide.runPython(`import ${SNAPSHOT_RECIPE.imports.join(", ")}`);
  // The driver's code objects, compiled once here (JSON strings are Python string literals).
  pyodide.runPython(
    [
      "import sys as _sys, types as _types",
      `_boot = _types.ModuleType(${JSON.stringify(BOOT_MODULE)})`,
      `_boot.digest = ${JSON.stringify(DRIVER_DIGEST)}`,
      `_boot.driver = compile(${JSON.stringify(DRIVER_SOURCE)}, "<wasmbox-driver>", "exec")`,
      `_boot.display = compile(${JSON.stringify(DISPLAY_SOURCE)}, "<wasmbox-display>", "exec")`,
      `_sys.modules[${JSON.stringify(BOOT_MODULE)}] = _boot`,
      "del _boot, _sys, _types",
    ].join("\n"),
  );
  if (packages.length) {
    // A memory snapshot carries wasm memory, not the shared libraries' wasm modules: a set that
    // loads any cannot be restored from one (its pool imports it at start instead).
    const libraries = () => Object.keys((pyodide as unknown as { _module: { LDSO: { loadedLibsByName: object } } })._module.LDSO.loadedLibsByName);
    const before = new Set(libraries());
    await installWheels(pyodide, packages, new Set(), true);
    const loaded = libraries().filter((name) => !before.has(name));
    if (loaded.length) throw new Error(`${SHARED_LIBRARIES_MARK}: the packages load shared libraries (${loaded.slice(0, 3).join(", ")}${loaded.length > 3 ? ", …" : ""}), which a memory snapshot cannot carry`);
  }
  return pyodide.makeMemorySnapshot();
}

/**
 * Install wheels as Pyodide's own `loadPackage` does (unpack into site-packages or the
 * shared-library directory, then load its shared libraries), from bytes the host verified:
 * nothing is fetched. Names in `installed` are skipped and added.
 */
async function installWheels(pyodide: PyodideAPI, wheels: readonly PackageWheel[], installed: Set<string>, importModules: boolean): Promise<void> {
  const api = (pyodide as unknown as { _api: PyodideInternals })._api;
  let added = false;
  for (const wheel of wheels) {
    if (installed.has(wheel.name)) continue;
    const dir = api.package_loader.get_install_dir(wheel.installDir);
    await api.install(wheel.bytes, wheel.fileName, dir, new Map([["INSTALLER", "wasmbox"], ["PYODIDE_SOURCE", "wasmbox"]]));
    installed.add(wheel.name);
    added = true;
  }
  if (added) pyodide.runPython("import importlib\nimportlib.invalidate_caches()");
  if (!importModules) return;
  for (const wheel of wheels) {
    for (const module of wheel.imports) {
      try {
        pyodide.runPython(`import ${module}`);
      } catch (e) {
        throw new Error(`importing ${module} (package ${wheel.name} ${wheel.version}) failed: ${e instanceof Error ? e.message.trim().split("\n").pop() : String(e)}`);
      }
    }
  }
}

/** The parts of Pyodide's internal API that install a wheel (what `loadPackage` calls after its download). */
interface PyodideInternals {
  install(buffer: Uint8Array, fileName: string, installDir: string, metadata: Map<string, string>): Promise<void>;
  package_loader: { get_install_dir(kind: string): string };
}

/** Loads Pyodide from the platform's asset location (never a CDN) and prepares the driver. */
export async function loadPythonRuntime(options: RuntimeLoadOptions): Promise<LoadedRuntime> {
  const undoCompiled = options.pythonWasm ? useCompiledModule(options.pythonWasm) : () => {};
  const undoGrow = options.pythonSnapshot ? growMemoryFor(options.pythonSnapshot) : () => {};
  const restore = () => {
    undoGrow();
    undoCompiled();
  };
  let pyodide: PyodideAPI;
  try {
    pyodide = await loadPyodide({
      indexURL: options.assets.pyodideIndexURL,
      env: {},
      // Until a run installs its own handlers, anything printed while booting is dropped.
      stdout: () => {},
      stderr: () => {},
      ...(options.pythonSnapshot ? { _loadSnapshot: options.pythonSnapshot } : {}),
      ...(options.pyodideFactory ? { createPyodideModule: options.pyodideFactory as never } : {}),
    });
  } finally {
    restore();
  }
  // Pyodide keeps its load options: without this the ~30 MB snapshot stays resident for the
  // sandbox's whole life, after it was copied into wasm memory.
  const config = (pyodide as unknown as { _api?: { config?: { _loadSnapshot?: unknown } } })._api?.config;
  if (config && "_loadSnapshot" in config) config._loadSnapshot = undefined;
  pyodide.setInterruptBuffer(options.interruptBuffer);
  const driver = pyodide.toPy({}) as unknown as Driver;
  // From the snapshot's compiled driver when it has this very one; else from the sources.
  const compiled = pyodide.runPython(
    [
      "import sys as _sys",
      `_boot = _sys.modules.pop(${JSON.stringify(BOOT_MODULE)}, None)`,
      `_ok = getattr(_boot, "digest", None) == ${JSON.stringify(DRIVER_DIGEST)}`,
      "if _ok:",
      "    exec(_boot.driver, globals())",
      "    exec(_boot.display, globals())",
      "del _sys, _boot",
      // Pyodide's start leaves this name in __main__; python3 binds none there.
      "__import__('__main__').__dict__.pop('_pyodide_core', None)",
      "_ok",
    ].join("\n"),
    { globals: driver as never },
  ) as boolean;
  driver.delete("_ok");
  if (!compiled) {
    pyodide.runPython(DRIVER_SOURCE, { globals: driver as never });
    pyodide.runPython(DISPLAY_SOURCE, { globals: driver as never });
  }
  const runtime = new PythonRuntime(pyodide, driver);
  if (options.pythonWarmUpRun) await runtime.warmUp();
  else driver.get("warm_up")();
  return runtime;
}

/**
 * A snapshot holds the interpreter's whole linear memory, and one taken after packages were
 * imported is larger than the memory `pyodide.asm.wasm` starts with (which Pyodide's restore
 * writes into as it is): grow the new instance's memory to fit before Pyodide looks at it.
 * @returns undo
 */
function growMemoryFor(snapshot: Uint8Array): () => void {
  // The header's second word is where the memory image starts.
  const memoryBytes = snapshot.byteLength - new Uint32Array(snapshot.buffer, snapshot.byteOffset, 2)[1]!;
  const wasm = WebAssembly as unknown as { instantiate: (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown> };
  const original = wasm.instantiate;
  wasm.instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
    const result = (await original.call(WebAssembly, source, imports)) as WebAssembly.Instance | { instance: WebAssembly.Instance };
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    const memory = instance.exports.memory;
    if (memory instanceof WebAssembly.Memory && memory.buffer.byteLength < memoryBytes) {
      memory.grow(Math.ceil((memoryBytes - memory.buffer.byteLength) / 65_536));
    }
    return result;
  };
  return () => {
    wasm.instantiate = original;
  };
}

/**
 * While Pyodide boots, answer its `WebAssembly.instantiate(bytes of pyodide.asm.wasm)` with
 * an instance of the already-compiled module: no per-thread compile, and the optimised
 * code is shared by every guest thread of the sandbox.
 * @returns undo
 */
function useCompiledModule(compiled: { module: WebAssembly.Module; byteLength: number }): () => void {
  const wasm = WebAssembly as unknown as { instantiate: (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown> };
  const original = wasm.instantiate;
  wasm.instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
    const bytes = source instanceof ArrayBuffer || ArrayBuffer.isView(source) ? (source as ArrayBufferLike | ArrayBufferView).byteLength : -1;
    if (bytes !== compiled.byteLength) return original.call(WebAssembly, source, imports);
    const instance = await WebAssembly.instantiate(compiled.module, imports);
    return { instance, module: compiled.module };
  };
  return () => {
    wasm.instantiate = original;
  };
}

class PythonRuntime implements LoadedRuntime {
  readonly kind = "python" as const;
  // Python can reach this thread's JS realm (`import js`): a fresh run needs a fresh sandbox.
  readonly supportsFreshRuns = false;

  /** Python's C-level `list`: consuming the driver's lazy maps with it evaluates the program with no Python frame below its own (see #evaluate). */
  readonly #list: PyCallable;

  /**
   * Set once C code recursed so deep that the JS stack overflowed inside wasm (Python's own
   * stack checks watch wasm's shadow stack, which such recursion barely uses). Pyodide then
   * declares itself dead and dumps the Python stack, which is kept here for the report.
   */
  #overflow: { dump: string } | null = null;
  #io: GuestIO | null = null;
  /** Packages installed in this interpreter (by a pool before any run, or an earlier run of a session). */
  readonly #installed = new Set<string>();

  constructor(
    private readonly pyodide: PyodideAPI,
    private readonly driver: Driver,
  ) {
    const api = (pyodide as unknown as { _api?: { fatal_error?: (e: unknown) => unknown } })._api;
    const fatal = api?.fatal_error;
    if (api && fatal) {
      api.fatal_error = (e: unknown) => {
        if (e instanceof RangeError && /call stack/i.test(e.message)) this.#overflow ??= { dump: "" };
        return fatal.call(api, e);
      };
    }
    // Attributes read off a proxy are borrowed from it: take copies, the modules' proxies go.
    const builtins = pyodide.pyimport("builtins") as unknown as { list: PyCallable & { copy(): PyCallable }; destroy(): void };
    this.#list = builtins.list.copy();
    builtins.destroy();
  }

  /**
   * Pay a run's first-call costs before any request exists: V8 compiles each wasm function
   * the first time it is called, and a sandbox booted from a snapshot has called few, so the
   * first run used to spend ~10 ms compiling setup, the compiler, print and the outcome's JSON.
   * One whole run of a program that prints nothing and binds no name, in the working
   * directory runs use, under its own file name (forgotten after: the driver's warm_up).
   */
  async warmUp(): Promise<void> {
    const request = { language: "python", code: 'print(end="")\nlen("")' } as ExecuteRequest;
    await this.run({ request, filename: WARMUP_FILENAME, limits: WARMUP_LIMITS }, { write: () => {} });
    this.driver.get("warm_up")();
  }

  async run(input: GuestRunInput, io: GuestIO): Promise<GuestOutcome> {
    if (this.#overflow) throw new Error("the Python interpreter stopped after a stack overflow in an earlier run");
    const { request, filename, limits } = input;
    const py = this.pyodide;
    this.#io = io;
    if (input.packages?.length) await installWheels(py, input.packages, this.#installed, false);

    this.#installStreams(io, request.stdin ?? "");
    const inputs = decodeRequestFiles(request.files);
    for (const [path, bytes] of inputs) {
      const full = `${GUEST_WORKDIR}/${path}`;
      py.FS.mkdirTree(full.slice(0, full.lastIndexOf("/")));
      py.FS.writeFile(full, bytes);
    }
    this.driver.get("setup")(GUEST_WORKDIR, filename, JSON.stringify(request.args ?? []), JSON.stringify(request.env ?? {}));
    // What the working directory holds before the code runs: in a session, earlier runs' files too.
    const before = this.#readFiles();

    // Cooperative memory cap: growth past the limit fails inside wasm, which Python
    // reports as MemoryError. The sandbox's process watchdog is the hard backstop.
    const memory = (py as unknown as { _module: { memory?: WebAssembly.Memory } })._module.memory;
    const releaseCap = memory ? capWasmMemory(memory, limits.memoryLimitBytes) : () => {};
    let raw: string;
    let outputs: RichOutput[] = [];
    try {
      const prepared = this.driver.get("prepare")(request.code, filename) as string | PyProxyLike;
      if (typeof prepared === "string") raw = prepared;
      else {
        const program = prepared.toJs({ depth: 1 }) as PreparedProgram;
        prepared.destroy();
        raw = await this.#evaluate(program, filename, limits.maxOutputBytes);
      }
      // After a stack overflow the interpreter is gone, and with it what the run displayed.
      if (!this.#overflow) outputs = this.#takeOutputs(io);
    } finally {
      releaseCap();
    }
    let outcome: Omit<GuestOutcome, "files" | "value"> & { value: string | null };
    let value: GuestOutcome["value"];
    try {
      outcome = JSON.parse(raw) as typeof outcome;
      value = outcome.value === null ? null : (JSON.parse(outcome.value) as GuestOutcome["value"]);
    } catch {
      // The program replaced what the driver reports with (the JSON encoder's internals).
      const message = "the program changed Python's JSON encoder, so wasmbox could not read how it ended";
      return { status: "error", error: { name: "RuntimeTampered", message, traceback: "", line: null }, exitCode: 1, value: null, files: new Map(), outputs: [] };
    }
    // After a stack overflow the interpreter (and its file system API) is gone: no files.
    const files = this.#overflow ? new Map<string, Uint8Array>() : collectChangedFiles(this.#readFiles(), before);
    return { status: outcome.status, error: outcome.error, exitCode: outcome.exitCode, value, files, outputs };
  }

  /**
   * The run's rich outputs (the driver turns the figures still open into outputs first),
   * within RICH_OUTPUT_CAPS by the host's own measure; what was dropped is said on stderr.
   */
  #takeOutputs(io: GuestIO): RichOutput[] {
    let taken: { outputs: RichOutput[]; dropped: [number, number] };
    try {
      taken = JSON.parse(String(this.driver.get("take_outputs")())) as typeof taken;
    } catch {
      // The program broke what the driver reports with (its JSON encoder), or was stopped.
      io.write("stderr", "wasmbox: the run's rich outputs could not be read; none were kept\n");
      return [];
    }
    const { kept, dropped } = capRichOutputs(Array.isArray(taken.outputs) ? taken.outputs : []);
    const [count, bytes] = Array.isArray(taken.dropped) ? taken.dropped : [0, 0];
    const note = droppedOutputsNote({ count: dropped.count + (Number(count) || 0), bytes: dropped.bytes + (Number(bytes) || 0) });
    if (note) io.write("stderr", note);
    return kept;
  }

  /**
   * Evaluate the program's body, then its last expression, in `__main__`, from this JS frame
   * through C only (`list` consuming a lazy `map` of `eval`): the program's `<module>` frame is the bottom
   * Python frame, as in `python3 main.py`, so the recursion limit, `sys._getframe()`,
   * `inspect.stack()` and `traceback.print_stack()` see only the program. Code that awaits
   * at top level evaluates to a coroutine, run as an eagerly started asyncio task (its first
   * step runs from here too; after its first real suspension the event loop's two frames
   * sit below it). Every outcome, the run's value included, is described by the driver.
   */
  async #evaluate(program: PreparedProgram, filename: string, valueLimit: number): Promise<string> {
    const [body, bodyIsAsync, last, lastIsAsync] = program;
    const steps: [PyProxyLike, boolean][] = [[body, bodyIsAsync], ...(last ? [[last, lastIsAsync] as [PyProxyLike, boolean]] : [])];
    // The last part's result: the last expression's value in a 1-tuple, or None.
    let result: unknown;
    try {
      for (let i = 0; i < steps.length; ) {
        destroyProxy(result);
        result = undefined;
        const [code, isAsync] = steps[i]!;
        if (!isAsync) {
          // Parts that do not await, together: list(map(eval, parts, ...)), called "promising",
          // so on a stack Pyodide can switch (JSPI): time.sleep and pyodide.ffi.run_sync let
          // the event loop run (output leaves, timers fire) as they always did.
          let j = i;
          while (j < steps.length && !steps[j]![1]) j++;
          const evaluating = this.driver.get("evaluating")(...steps.slice(i, j).map(([c]) => c)) as PyProxyLike;
          try {
            const results = (await this.#list.callPromising(evaluating)) as PyProxyLike & { get(i: number): unknown; length: number };
            result = results.get(results.length - 1);
            results.destroy();
          } finally {
            if (!this.#overflow) evaluating.destroy();
          }
          i = j;
          continue;
        }
        // list(map(start_task, [coroutine])): C all the way down to the task's first step.
        const starting = this.driver.get("starting")(code) as PyProxyLike;
        let task: PyProxyLike;
        try {
          const started = (await this.#list.callPromising(starting)) as PyProxyLike & { get(i: number): PyProxyLike };
          task = started.get(0);
          started.destroy();
        } finally {
          if (!this.#overflow) starting.destroy();
        }
        try {
          await this.driver.get("wait")(task);
          result = this.driver.get("result")(task);
        } finally {
          if (!this.#overflow) task.destroy();
        }
        i++;
      }
      return String(this.driver.get("finished")(result, valueLimit));
    } catch (e) {
      // The program raised (Pyodide keeps its exception in sys.last_exc); anything else is
      // the interpreter failing, which the sandbox reports as a crash.
      if (this.#overflow) return this.#overflowOutcome(filename);
      if (!(e instanceof this.pyodide.ffi.PythonError)) throw e;
      return String(this.driver.get("failed")(filename));
    } finally {
      if (!this.#overflow) {
        destroyProxy(result);
        for (const [code] of steps) code.destroy();
      }
    }
  }

  /**
   * A stack overflow in C code, reported as the RecursionError native CPython raises when its
   * C stack runs low, with the Python stack Pyodide dumped (most recent call first).
   */
  #overflowOutcome(filename: string): string {
    const dump = this.#overflow?.dump ?? "";
    const message = "maximum recursion depth exceeded (the interpreter's stack overflowed)";
    const traceback = `${dump}${dump && !dump.endsWith("\n") ? "\n" : ""}RecursionError: ${message}\n`;
    this.#io?.write("stderr", traceback);
    // The program's most recent line: the first of its frames in the dump.
    let line: number | null = null;
    for (const entry of dump.split("\n")) {
      const frame = /^\s*File "(.*)", line (\d+)/.exec(entry);
      if (frame && frame[1] === filename) {
        line = Number(frame[2]);
        break;
      }
    }
    return JSON.stringify({ status: "error", error: { name: "RecursionError", message, traceback, line }, exitCode: 1, value: null });
  }

  async installPackages(wheels: readonly PackageWheel[], options: { importModules: boolean }): Promise<void> {
    await installWheels(this.pyodide, wheels, this.#installed, options.importModules);
  }

  #installStreams(io: GuestIO, stdin: string): void {
    const py = this.pyodide;
    const dumpDecoder = new TextDecoder();
    for (const [stream, set] of [
      ["stdout", py.setStdout.bind(py)],
      ["stderr", py.setStderr.bind(py)],
    ] as const) {
      set({
        isatty: false,
        // Raw mode: the bytes the program wrote (`sys.stdout.buffer.write(b"\xff")` included),
        // copied because Pyodide reuses its buffer.
        write: (bytes: Uint8Array) => {
          // Pyodide's stack dump after an overflow is part of the report, not of the output.
          if (this.#overflow) this.#overflow.dump += dumpDecoder.decode(bytes, { stream: true });
          else io.write(stream, bytes.slice());
          return bytes.length;
        },
      });
    }
    const data = new TextEncoder().encode(stdin);
    let offset = 0;
    py.setStdin({
      isatty: false,
      read: (buffer: Uint8Array) => {
        const n = Math.min(buffer.length, data.length - offset);
        buffer.set(data.subarray(offset, offset + n));
        offset += n;
        return n;
      },
    });
  }

  #readFiles(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    const paths = JSON.parse(String(this.driver.get("list_files")())) as string[];
    for (const path of paths.sort()) out.set(path, this.pyodide.FS.readFile(`${GUEST_WORKDIR}/${path}`) as Uint8Array);
    return out;
  }

  [Symbol.dispose](): void {
    this.#list.destroy?.();
    this.driver.destroy();
  }
}

function destroyProxy(value: unknown): void {
  if (typeof value === "object" && value !== null && typeof (value as { destroy?: unknown }).destroy === "function") (value as PyProxyLike).destroy();
}
