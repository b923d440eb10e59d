import { availableParallelism } from "node:os";
import {
  compilerKindFor,
  defaultFilename,
  parseAscDiagnostics,
  parseClangDiagnostics,
  firstError,
  describeOutputFiles,
  LIMIT_BOUNDS,
  parseExecuteRequest,
  parseSessionOptions,
  resolveLimits,
  sandboxKindFor,
  WasmboxError,
  type CompileInfo,
  type ExecuteRequest,
  type ExecuteRequestInput,
  type ExecuteResult,
  type GuestError,
  type GuestStream,
  type Language,
  type Limits,
  type ResolvedLimits,
  type SandboxKind,
} from "@wasmbox/core";
import { locateAssets, type NodeAssets } from "./host/assets.js";
import { planIsolation, type IsolationOptions, type IsolationPlan } from "./host/isolation.js";
import { defaultCacheDir, loadOrBuildPythonSnapshot, type PythonSnapshot } from "./host/snapshot-cache.js";
import { CompileCache, compileKey, type CompiledModule } from "./host/compile-cache.js";
import { SandboxPool } from "./host/pool.js";
import { SandboxProcess, type SandboxRunResult } from "./host/sandbox-process.js";
import { Semaphore } from "./host/semaphore.js";

export interface EngineOptions {
  /**
   * Sandboxes kept started and ready, per kind (`python`, `quickjs` — JS and TS share
   * QuickJS —, `wasm` for every WebAssembly module, `clang` and `asc` compilers).
   * Default `{ python: 1, quickjs: 1, wasm: 1, clang: 0, asc: 0 }`: compilers start on
   * first use and are kept afterwards. Use 0 for one-shot use (the CLI).
   */
  pool?: Partial<Record<SandboxKind, number>>;
  /** Runs executing at once. Default: the number of CPU cores. */
  maxConcurrentRuns?: number;
  /** Runs waiting for a slot before `execute` throws `QUEUE_FULL`. Default 256. */
  maxQueuedRuns?: number;
  /** OS-level walls around sandbox processes. See {@link IsolationOptions}. */
  isolation?: IsolationOptions;
  /** How long a sandbox may take to boot its runtime. Default 60000. */
  startTimeoutMs?: number;
  /**
   * Where the Python baseline snapshot is cached. Default: WASMBOX_CACHE_DIR, else
   * ~/.cache/wasmbox. `false` disables snapshots (every Python sandbox boots from scratch).
   * Compiled C/C++/AssemblyScript modules are cached here too (in memory only with `false`).
   */
  cacheDir?: string | false;
  /** Limits for compiling C, C++ and AssemblyScript (separate from the run's limits). */
  compileLimits?: { timeoutMs?: number; memoryLimitBytes?: number };
}

export interface ExecuteOptions {
  /** Called with guest stdout as it is written. */
  onStdout?: (text: string) => void;
  /** Called with guest stderr as it is written. */
  onStderr?: (text: string) => void;
  /** Aborting ends the run with status `killed`. */
  signal?: AbortSignal;
  /** Called when the run leaves the queue and its sandbox starts executing it. */
  onStart?: () => void;
}

/** The result contract plus the bytes of the files the guest produced (not part of the JSON). */
export interface Execution extends ExecuteResult {
  readonly fileContents: ReadonlyMap<string, Uint8Array>;
}

export interface RuntimeInfo {
  language: Language;
  version: string;
  runtime: string;
  extensions: string[];
}

const ALL_KINDS: readonly SandboxKind[] = ["python", "quickjs", "wasm", "clang", "asc"];
const DEFAULT_COMPILE_LIMITS = { timeoutMs: 60_000, memoryLimitBytes: 2048 * 1024 * 1024, maxOutputBytes: 1024 * 1024 };

type Timing = { t0: number; queuedMs: number; startMs: number };

/**
 * The Node engine: validates requests, queues them, and runs each on a fresh interpreter in
 * a locked-down sandbox process taken from a pre-warmed pool (compiling C, C++ and
 * AssemblyScript first, in a compiler sandbox, unless the build is cached).
 * @example
 * await using engine = createEngine();
 * const result = await engine.execute({ language: "python", code: "print(1+1)" });
 * result.stdout; // "2\n"
 */
export class Engine implements AsyncDisposable {
  readonly #assets: NodeAssets;
  readonly #isolation: IsolationPlan;
  readonly #pool: SandboxPool;
  readonly #slots: Semaphore;
  readonly #live = new Set<SandboxProcess>();
  readonly #start: (kind: SandboxKind) => SandboxProcess;
  #sandboxStarts = 0;
  readonly #maxConcurrentRuns: number;
  #pythonSnapshot: Promise<PythonSnapshot | null> | undefined;
  readonly #compileCache: CompileCache;
  readonly #compiling = new Map<string, Promise<CompiledModule | Execution>>();
  readonly #compileLimits: ResolvedLimits;
  #disposed = false;

  constructor(options: EngineOptions = {}) {
    this.#assets = locateAssets();
    this.#isolation = planIsolation(options.isolation ?? {}, this.#assets.readPaths);
    const snapshot = () =>
      options.cacheDir === false
        ? Promise.resolve(null)
        : (this.#pythonSnapshot ??= loadOrBuildPythonSnapshot({ assets: this.#assets, isolation: this.#isolation, cacheDir: options.cacheDir }));
    this.#start = (kind: SandboxKind) => {
      this.#sandboxStarts++;
      return SandboxProcess.start({
        kind,
        assets: this.#assets,
        isolation: this.#isolation,
        ...(kind === "python" ? { pythonSnapshot: snapshot() } : {}),
        ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
      });
    };
    this.#pool = new SandboxPool(this.#start, {
      python: options.pool?.python ?? 1,
      quickjs: options.pool?.quickjs ?? 1,
      wasm: options.pool?.wasm ?? 1,
      clang: options.pool?.clang ?? 0,
      asc: options.pool?.asc ?? 0,
    });
    this.#compileCache = new CompileCache({ dir: options.cacheDir === false ? null : (options.cacheDir ?? defaultCacheDir(this.#assets)) });
    this.#compileLimits = { ...DEFAULT_COMPILE_LIMITS, ...options.compileLimits };
    this.#maxConcurrentRuns = options.maxConcurrentRuns ?? availableParallelism();
    this.#slots = new Semaphore(this.#maxConcurrentRuns, options.maxQueuedRuns ?? 256);
  }

  /** How sandboxes are isolated on this machine. */
  get isolation(): Readonly<IsolationPlan> {
    return this.#isolation;
  }

  /** Runs waiting for a slot / executing now / sandboxes ready per kind. */
  stats(): {
    queued: number;
    active: number;
    sandboxStarts: number;
    pool: Record<SandboxKind, { ready: number; starting: number }>;
    compileCache: { hits: number; misses: number };
  } {
    return {
      queued: this.#slots.queued,
      active: this.#slots.active,
      sandboxStarts: this.#sandboxStarts,
      pool: Object.fromEntries(ALL_KINDS.map((k) => [k, this.#pool.size(k)])) as Record<SandboxKind, { ready: number; starting: number }>,
      compileCache: { hits: this.#compileCache.hits, misses: this.#compileCache.misses },
    };
  }

  /** Languages and versions this engine runs. */
  runtimes(): RuntimeInfo[] {
    const v = this.#assets.versions;
    return [
      { language: "python", version: v.python, runtime: `Pyodide ${v.pyodide}`, extensions: [".py"] },
      { language: "javascript", version: "ES2023", runtime: `QuickJS-ng (quickjs-emscripten ${v.quickjs})`, extensions: [".js", ".mjs", ".cjs"] },
      { language: "typescript", version: "types stripped", runtime: `sucrase ${v.sucrase} + QuickJS-ng`, extensions: [".ts", ".mts"] },
      { language: "c", version: "C17 (wasm32-wasi)", runtime: `clang ${v.clang} in wasm (@yowasp/clang) + WASI`, extensions: [".c"] },
      { language: "cpp", version: "C++17 (wasm32-wasi, no exceptions)", runtime: `clang++ ${v.clang} in wasm (@yowasp/clang) + WASI`, extensions: [".cc", ".cpp", ".cxx"] },
      { language: "assemblyscript", version: v.assemblyscript, runtime: `AssemblyScript ${v.assemblyscript} (Binaryen)`, extensions: [".as.ts (or --language assemblyscript)"] },
      { language: "wasm", version: "WebAssembly 2.0 + WASI preview1", runtime: `browser_wasi_shim ${v.wasiShim}, WAT via wabt ${v.wabt}`, extensions: [".wasm", ".wat"] },
    ];
  }

  /** Compiler name and version, for a compiled language's result and its cache key. */
  #compilerName(kind: "clang" | "asc"): string {
    const v = this.#assets.versions;
    return kind === "clang" ? `clang ${v.clang}` : `AssemblyScript ${v.assemblyscript}`;
  }

  /**
   * Run one request. Guest failures (exceptions, limits) are in the result's `status`;
   * only host problems throw a `WasmboxError` (invalid request, queue full, start failure).
   */
  async execute(request: unknown, options: ExecuteOptions = {}): Promise<Execution> {
    this.#assertOpen();
    const t0 = performance.now();
    const parsed = parseExecuteRequest(request);
    const release = await this.#slots.acquire(options.signal);
    const queuedMs = performance.now() - t0;
    if (!release) return cancelledWhileQueued(queuedMs);
    try {
      this.#assertOpen();
      const compilerKind = compilerKindFor(parsed.language);
      if (!compilerKind) return await this.#runIn(sandboxKindFor(parsed.language), parsed, options, t0, queuedMs);
      // The run has started once it compiles; the streams see the compiler's output on failure.
      options.onStart?.();
      const { onStart: _started, ...runOptions } = options;
      const tCompile = performance.now();
      const filename = parsed.filename ?? defaultFilename(parsed.language);
      const key = compileKey(parsed, filename, this.#compilerName(compilerKind));
      const cached = this.#compileCache.get(key);
      const built = cached ?? (await this.#compileOnce(key, compilerKind, parsed, filename, options.signal, { t0, queuedMs }));
      if (!("module" in built)) {
        if (built.stderr) options.onStderr?.(built.stderr);
        return built;
      }
      const compile: CompileInfo = {
        compiler: this.#compilerName(compilerKind),
        cached: cached !== undefined,
        timeMs: round(performance.now() - tCompile),
        diagnostics: built.diagnostics,
        output: built.output,
      };
      const execution = await this.#runIn("wasm", parsed, runOptions, t0, queuedMs, built.module);
      return { ...execution, compile };
    } finally {
      release();
    }
  }

  /** Run a request in a sandbox of `kind`; reusable kinds go back to the pool afterwards. */
  async #runIn(kind: SandboxKind, request: ExecuteRequest, options: ExecuteOptions, t0: number, queuedMs: number, module?: Uint8Array): Promise<Execution> {
    let sandbox: SandboxProcess | undefined;
    try {
      const tStart = performance.now();
      sandbox = await this.#readySandbox(kind);
      // Sandbox processes serve many runs, each on a fresh interpreter: a new runtime instance
      // (QuickJS, wasm, compilers), or for Python a new guest thread booted after every run.
      sandbox.keepForReuse();
      return await this.#runOn(sandbox, request, options, { t0, queuedMs, startMs: performance.now() - tStart }, module);
    } finally {
      if (sandbox) this.#giveBack(sandbox);
    }
  }

  #giveBack(sandbox: SandboxProcess): void {
    this.#live.delete(sandbox);
    if (sandbox.healthy && sandbox.runCount < MAX_RUNS_PER_SANDBOX && !this.#disposed) {
      this.#pool.release(sandbox, Math.min(this.#maxConcurrentRuns, SPARE_IDLE[sandbox.kind]));
    } else void sandbox.dispose();
  }

  /** Compile once per key even when identical requests arrive together. */
  #compileOnce(
    key: string,
    kind: "clang" | "asc",
    request: ExecuteRequest,
    filename: string,
    signal: AbortSignal | undefined,
    t: { t0: number; queuedMs: number },
  ): Promise<CompiledModule | Execution> {
    const pending = this.#compiling.get(key);
    if (pending) return pending;
    const work = this.#compile(key, kind, request, filename, signal, t).finally(() => this.#compiling.delete(key));
    this.#compiling.set(key, work);
    return work;
  }

  /**
   * Compile in a compiler sandbox (as locked down as a guest's), under the compile limits.
   * Returns the module, or the finished result of a failed build (`compile_error`).
   */
  async #compile(
    key: string,
    kind: "clang" | "asc",
    request: ExecuteRequest,
    filename: string,
    signal: AbortSignal | undefined,
    t: { t0: number; queuedMs: number },
  ): Promise<CompiledModule | Execution> {
    const tStart = performance.now();
    let sandbox: SandboxProcess | undefined;
    let run: SandboxRunResult;
    try {
      sandbox = await this.#readySandbox(kind);
      sandbox.keepForReuse();
      run = await sandbox.run({ request, filename, limits: this.#compileLimits }, signal ? { signal } : {});
    } finally {
      if (sandbox) this.#giveBack(sandbox);
    }
    const output = run.stderr;
    const diagnostics = kind === "clang" ? parseClangDiagnostics(output) : parseAscDiagnostics(output);
    const module = run.outcome?.status === "ok" && !run.stoppedBy ? run.outcome.files.get("main.wasm") : undefined;
    if (module) {
      const built = { module, diagnostics, output };
      this.#compileCache.set(key, built);
      return built;
    }
    const compile: CompileInfo = { compiler: this.#compilerName(kind), cached: false, timeMs: round(performance.now() - tStart), diagnostics, output };
    let error: GuestError;
    let status: ExecuteResult["status"] = "compile_error";
    if (run.stoppedBy === "killed") {
      status = "killed";
      error = { name: "Killed", message: "the run was cancelled while it compiled", traceback: "", line: null };
    } else if (run.stoppedBy) {
      const what = {
        timeout: `compiling took longer than ${this.#compileLimits.timeoutMs} ms (the engine's compileLimits.timeoutMs)`,
        memory_limit: `the compiler used more than ${this.#compileLimits.memoryLimitBytes} bytes (the engine's compileLimits.memoryLimitBytes)`,
        output_limit: `the compiler wrote more than ${this.#compileLimits.maxOutputBytes} bytes of diagnostics`,
      }[run.stoppedBy];
      error = { name: "CompileError", message: what, traceback: output, line: null };
    } else if (run.outcome?.error) {
      error = run.outcome.error;
    } else {
      error = { name: "CompileError", message: firstError(diagnostics, run.crash ?? "the compiler stopped without a result").message, traceback: output, line: null };
    }
    return {
      status,
      stdout: "",
      stderr: output,
      output,
      error,
      exitCode: status === "killed" ? null : 1,
      value: null,
      files: [],
      timings: { queuedMs: round(t.queuedMs), startMs: 0, executionTimeMs: 0, totalMs: round(performance.now() - t.t0) },
      compile,
      fileContents: new Map(),
    };
  }

  /**
   * Open a stateful session, like a notebook kernel: each `execute` runs in the same
   * sandbox, so variables, imports and files persist between calls. The sandbox is the
   * session's own and dies with it.
   * @example
   * await using session = await engine.openSession({ language: "python" });
   * await session.execute({ code: "x = 41" });
   * (await session.execute({ code: "x + 1" })).value; // 42
   */
  async openSession(options: { language: Language; limits?: Limits }): Promise<Session> {
    this.#assertOpen();
    const probe = parseSessionOptions(options);
    const sandbox = await this.#readySandbox(sandboxKindFor(probe.language));
    sandbox.keepForSession();
    return new Session(this, sandbox, probe.language, probe.limits ?? {}, {
      slots: this.#slots,
      runOn: (s, r, o, t) => this.#runOn(s, r, o, t),
      forget: (s) => this.#live.delete(s),
    });
  }

  #assertOpen(): void {
    if (this.#disposed) throw new WasmboxError("ENGINE_DISPOSED", "the engine was disposed");
  }

  /** A ready sandbox: from the pool if one is there; one fresh retry if a pooled one failed to boot. */
  async #readySandbox(kind: SandboxKind): Promise<SandboxProcess> {
    let sandbox = this.#pool.acquire(kind);
    this.#live.add(sandbox);
    try {
      await sandbox.readyForRun();
    } catch {
      this.#live.delete(sandbox);
      sandbox = this.#start(kind);
      this.#live.add(sandbox);
      try {
        await sandbox.ready;
      } catch (e) {
        this.#live.delete(sandbox);
        throw e;
      }
    }
    return sandbox;
  }

  async #runOn(sandbox: SandboxProcess, request: ExecuteRequest, options: ExecuteOptions, t: Timing, module?: Uint8Array): Promise<Execution> {
    const limits = resolveLimits(request.limits);
    options.onStart?.();
    const run = await sandbox.run(
      { request, filename: request.filename ?? defaultFilename(request.language), limits, ...(module ? { module } : {}) },
      {
        onOutput: (stream: GuestStream, text: string) => (stream === "stdout" ? options.onStdout : options.onStderr)?.(text),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return await assembleResult(run, limits, t);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.all([this.#pool.dispose(), ...[...this.#live].map((s) => s.dispose())]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

interface SessionHooks {
  slots: Semaphore;
  runOn: (sandbox: SandboxProcess, request: ExecuteRequest, options: ExecuteOptions, t: { t0: number; queuedMs: number; startMs: number }) => Promise<Execution>;
  forget: (sandbox: SandboxProcess) => void;
}

/** A stateful sandbox from {@link Engine.openSession}. Runs one program at a time. */
export class Session implements AsyncDisposable {
  #closed = false;
  #lastUsedAt = Date.now();

  constructor(
    readonly engine: Engine,
    private readonly sandbox: SandboxProcess,
    readonly language: Language,
    private readonly defaultLimits: Limits,
    private readonly hooks: SessionHooks,
  ) {}

  /** False once disposed or once its sandbox stopped (a hard limit kill ends a session). */
  get alive(): boolean {
    return !this.#closed && this.sandbox.alive;
  }

  /** When the session last started a run (ms since epoch), for idle expiry. */
  get lastUsedAt(): number {
    return this.#lastUsedAt;
  }

  /** Run code in the session. The request may omit `language`; its limits override the session's. */
  async execute(request: Omit<ExecuteRequestInput, "language"> & { language?: Language }, options: ExecuteOptions = {}): Promise<Execution> {
    if (!this.alive) throw new WasmboxError("SESSION_CLOSED", "the session has ended; open a new one");
    const t0 = performance.now();
    const input = { ...request, language: request.language ?? this.language, limits: { ...this.defaultLimits, ...request.limits } };
    const parsed = parseExecuteRequest(input);
    if (parsed.language !== this.language) {
      throw new WasmboxError("INVALID_REQUEST", `invalid request: language: this session runs ${this.language}, not ${parsed.language}`);
    }
    this.#lastUsedAt = Date.now();
    const release = await this.hooks.slots.acquire(options.signal);
    if (!release) return cancelledWhileQueued(performance.now() - t0);
    try {
      if (!this.alive) throw new WasmboxError("SESSION_CLOSED", "the session has ended; open a new one");
      return await this.hooks.runOn(this.sandbox, parsed, options, { t0, queuedMs: performance.now() - t0, startMs: 0 });
    } finally {
      this.#lastUsedAt = Date.now();
      release();
    }
  }

  async dispose(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.hooks.forget(this.sandbox);
    await this.sandbox.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * Used sandboxes kept idle beyond a kind's pool target (also capped by maxConcurrentRuns):
 * light ones (QuickJS, wasm: tens of MiB) for every slot, heavy ones fewer (an idle Python
 * sandbox holds ~250 MiB, clang ~300 MiB, the AssemblyScript compiler ~200 MiB).
 */
const SPARE_IDLE: Readonly<Record<SandboxKind, number>> = { quickjs: Infinity, wasm: Infinity, python: 2, clang: 1, asc: 1 };

/** A reusable sandbox process is retired after this many runs (bounds any slow leak). */
const MAX_RUNS_PER_SANDBOX = 1000;

/** Create an engine. Sandboxes start pre-warming at once (see `EngineOptions.pool`). */
export function createEngine(options?: EngineOptions): Engine {
  return new Engine(options);
}

async function assembleResult(
  run: SandboxRunResult,
  limits: ResolvedLimits,
  t: { queuedMs: number; startMs: number; t0: number },
): Promise<Execution> {
  const { outcome, stoppedBy } = run;
  let status: ExecuteResult["status"];
  let error: GuestError | null;
  let exitCode: number | null;
  if (stoppedBy) {
    status = stoppedBy;
    exitCode = null;
    error = limitError(stoppedBy, limits, outcome?.error ?? null);
  } else if (outcome) {
    status = outcome.status;
    exitCode = outcome.exitCode;
    // A MemoryError the guest itself hit is still the memory limit: say which option raises it.
    error =
      status === "memory_limit" && outcome.error?.name !== "MemoryLimitError" ? limitError("memory_limit", limits, outcome.error) : outcome.error;
  } else {
    status = "error";
    exitCode = null;
    error = { name: "SandboxCrash", message: run.crash ?? "the sandbox stopped without a result", traceback: "", line: null };
  }
  const files = outcome && !stoppedBy ? outcome.files : new Map<string, Uint8Array>();
  return {
    status,
    stdout: run.stdout,
    stderr: run.stderr,
    output: run.output,
    error,
    exitCode,
    value: outcome && !stoppedBy ? outcome.value : null,
    files: await describeOutputFiles(files),
    timings: {
      queuedMs: round(t.queuedMs),
      startMs: round(t.startMs),
      executionTimeMs: round(run.executionTimeMs),
      totalMs: round(performance.now() - t.t0),
    },
    fileContents: files,
  };
}

/** The result of a run cancelled before it left the queue: nothing ran. */
function cancelledWhileQueued(queuedMs: number): Execution {
  return {
    status: "killed",
    stdout: "",
    stderr: "",
    output: "",
    error: { name: "Killed", message: "the run was cancelled while it waited in the queue; nothing ran", traceback: "", line: null },
    exitCode: null,
    value: null,
    files: [],
    timings: { queuedMs: round(queuedMs), startMs: 0, executionTimeMs: 0, totalMs: round(queuedMs) },
    fileContents: new Map(),
  };
}

function limitError(reason: Exclude<ExecuteResult["status"], "ok" | "error" | "compile_error">, limits: ResolvedLimits, guest: GuestError | null): GuestError {
  const where = { traceback: guest?.traceback ?? "", line: guest?.line ?? null };
  switch (reason) {
    case "timeout":
      return {
        name: "TimeoutError",
        message: `the run exceeded timeoutMs (${limits.timeoutMs} ms); raise limits.timeoutMs (at most ${LIMIT_BOUNDS.timeoutMs.max}) to allow longer runs`,
        ...where,
      };
    case "memory_limit":
      return {
        name: "MemoryLimitError",
        message: `the run used more memory than memoryLimitBytes (${limits.memoryLimitBytes} bytes); raise limits.memoryLimitBytes (at most ${LIMIT_BOUNDS.memoryLimitBytes.max})`,
        ...where,
      };
    case "output_limit":
      return {
        name: "OutputLimitError",
        message: `the run wrote more than maxOutputBytes (${limits.maxOutputBytes} bytes) to stdout/stderr; output past it was dropped. Raise limits.maxOutputBytes or write large results to a file`,
        ...where,
      };
    case "killed":
      return { name: "Killed", message: "the run was cancelled before it finished", ...where };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
