import { loadPyodide, type PyodideAPI } from "pyodide";
import { decodeRequestFiles, OUTPUT_FILE_CAPS, sameBytes } from "../../guest/files.js";
import { capWasmMemory } from "../../guest/memory-cap.js";
import {
  GUEST_WORKDIR,
  type GuestIO,
  type GuestOutcome,
  type GuestRunInput,
  type LoadedRuntime,
  type RuntimeLoadOptions,
} from "../../runtime.js";
import { DRIVER_SOURCE } from "./driver.js";
import { SNAPSHOT_RECIPE } from "./snapshot-recipe.js";

type PyCallable = ((...args: unknown[]) => unknown) & { destroy?: () => void };

/**
 * Boot Pyodide, import the recipe's modules, and return a memory snapshot of the
 * interpreter. Run it where no guest code has ever run: the snapshot is every later
 * sandbox's starting state.
 */
export async function buildPythonSnapshot(assets: RuntimeLoadOptions["assets"]): Promise<Uint8Array> {
  const pyodide = await loadPyodide({ indexURL: assets.pyodideIndexURL, env: {}, stdout: () => {}, stderr: () => {}, _makeSnapshot: true });
  pyodide.runPython(`import ${SNAPSHOT_RECIPE.imports.join(", ")}`);
  return pyodide.makeMemorySnapshot();
}

/** Loads Pyodide from the platform's asset location (never a CDN) and prepares the driver. */
export async function loadPythonRuntime(options: RuntimeLoadOptions): Promise<LoadedRuntime> {
  const restore = options.pythonWasm ? useCompiledModule(options.pythonWasm) : () => {};
  let pyodide: PyodideAPI;
  try {
    pyodide = await loadPyodide({
      indexURL: options.assets.pyodideIndexURL,
      env: {},
      // Until a run installs its own handlers, anything printed while booting is dropped.
      stdout: () => {},
      stderr: () => {},
      ...(options.pythonSnapshot ? { _loadSnapshot: options.pythonSnapshot } : {}),
    });
  } finally {
    restore();
  }
  pyodide.setInterruptBuffer(options.interruptBuffer);
  const driver = pyodide.toPy({}) as unknown as { get(name: string): PyCallable; destroy(): void };
  pyodide.runPython(DRIVER_SOURCE, { globals: driver as never });
  // Pay first-call costs (wasm tier-up, the eval path's imports) before any request exists.
  await (driver.get("warm_up") as unknown as () => Promise<unknown>)();
  return new PythonRuntime(pyodide, driver);
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

  constructor(
    private readonly pyodide: PyodideAPI,
    private readonly driver: { get(name: string): PyCallable; destroy(): void },
  ) {}

  async run(input: GuestRunInput, io: GuestIO): Promise<GuestOutcome> {
    const { request, filename, limits } = input;
    const py = this.pyodide;

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
    try {
      raw = String(await this.driver.get("run")(request.code, filename, limits.maxOutputBytes));
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
      return { status: "error", error: { name: "RuntimeTampered", message, traceback: "", line: null }, exitCode: 1, value: null, files: new Map() };
    }
    return { status: outcome.status, error: outcome.error, exitCode: outcome.exitCode, value, files: this.#changedFiles(before) };
  }

  #installStreams(io: GuestIO, stdin: string): void {
    const py = this.pyodide;
    for (const [stream, set] of [
      ["stdout", py.setStdout.bind(py)],
      ["stderr", py.setStderr.bind(py)],
    ] as const) {
      set({
        isatty: false,
        // Raw mode: the bytes the program wrote (`sys.stdout.buffer.write(b"\xff")` included),
        // copied because Pyodide reuses its buffer.
        write: (bytes: Uint8Array) => {
          io.write(stream, bytes.slice());
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

  /** Files created or changed under the working directory since `before`, within the output caps. */
  #changedFiles(before: Map<string, Uint8Array>): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    let total = 0;
    for (const [path, bytes] of this.#readFiles()) {
      if (out.size >= OUTPUT_FILE_CAPS.maxFiles) break;
      const previous = before.get(path);
      if (previous && sameBytes(previous, bytes)) continue;
      if (total + bytes.byteLength > OUTPUT_FILE_CAPS.maxTotalBytes) break;
      total += bytes.byteLength;
      out.set(path, bytes);
    }
    return out;
  }

  [Symbol.dispose](): void {
    this.driver.destroy();
  }
}
