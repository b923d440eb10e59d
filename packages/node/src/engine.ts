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
  Utf8ChunkDecoder,
  WasmboxError,
  type OutputText,
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
import { planIsolation, type IsolationOptions, type IsolationPlan, type Wall } from "./host/isolation.js";
import { defaultCacheDir, loadOrBuildPythonSnapshot, type PythonSnapshot } from "./host/snapshot-cache.js";
import {
  CompileCache,
  compileKey,
  crashSummary,
  scrubCompilerOutput,
  wasmExportNames,
  type CompiledModule,
} from "./host/compile-cache.js";
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
  /**
   * The most compiling C, C++ or AssemblyScript may take. A compile runs under the request's
   * own `limits.timeoutMs` and `limits.memoryLimitBytes` when it sets them (the same budget
   * its program then gets to run), capped by these; under these when it leaves them out
   * (compiling C++ headers takes far more than a small program needs to run). Default
   * 60000 ms and 2 GiB.
   */
  compileLimits?: { timeoutMs?: number; memoryLimitBytes?: number; minMemoryLimitBytes?: number };
}

export interface ExecuteOptions {
  /**
   * Called with guest stdout as it is written, decoded as UTF-8 (a character split across
   * writes arrives whole; bytes that are not UTF-8 arrive as U+FFFD: use `onOutput` for bytes).
   */
  onStdout?: (text: string) => void;
  /** Called with guest stderr as it is written, decoded as `onStdout` is. */
  onStderr?: (text: string) => void;
  /** Called with each piece of guest output exactly as written (bytes), in write order. */
  onOutput?: (stream: GuestStream, bytes: Uint8Array) => void;
  /** Aborting ends the run with status `killed`. */
  signal?: AbortSignal;
  /** Called when the run leaves the queue and its sandbox starts executing it. */
  onStart?: () => void;
  /**
   * Who the run is for (the server passes the API key's id). A sandbox process that served
   * one tenant never serves another, and compile-cache hits are private to a tenant.
   * Default: one shared tenant (library and CLI use).
   */
  tenant?: string;
}

/** The result contract plus the bytes of the files the guest produced (not part of the JSON). */
export interface Execution extends ExecuteResult {
  readonly fileContents: ReadonlyMap<string, Uint8Array>;
}

/** What `Engine.isolation` tells: the walls in force, for `wasmbox runtimes` and `/v1/runtimes`. */
export interface IsolationSummary {
  mode: IsolationPlan["mode"];
  /** The OS sandbox is not in force: the server refuses to serve beyond loopback or more than one key. */
  weak: boolean;
  /** The Node version sandboxes run on. */
  sandboxNode: string;
  walls: Wall[];
}

export interface RuntimeInfo {
  language: Language;
  version: string;
  runtime: string;
  extensions: string[];
}

const ALL_KINDS: readonly SandboxKind[] = ["python", "quickjs", "wasm", "clang", "asc"];
/** Caps on a compile's limits (which come from the request); maxOutputBytes bounds the compiler's diagnostics. */
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
  readonly #compileMemoryFloorBytes: number;
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
    this.#compileCache = new CompileCache({ dir: options.cacheDir === false ? null : (options.cacheDir ?? defaultCacheDir()) });
    const { minMemoryLimitBytes, ...compileCaps } = options.compileLimits ?? {};
    this.#compileLimits = { ...DEFAULT_COMPILE_LIMITS, ...compileCaps };
    this.#compileMemoryFloorBytes = minMemoryLimitBytes ?? COMPILE_MEMORY_FLOOR_BYTES;
    this.#maxConcurrentRuns = options.maxConcurrentRuns ?? availableParallelism();
    this.#slots = new Semaphore(this.#maxConcurrentRuns, options.maxQueuedRuns ?? 256);
  }

  /**
   * The walls around sandboxes on this machine and whether each is in force (no host
   * paths: this is shown to API users). `weak`: the OS sandbox is not in force.
   */
  get isolation(): IsolationSummary {
    const plan = this.#isolation;
    return { mode: plan.mode, weak: plan.mode !== "bubblewrap", sandboxNode: plan.nodeVersion, walls: plan.walls.map((w) => ({ ...w })) };
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
      const filename = parsed.filename ?? defaultFilename(parsed.language);
      // The run has started once it compiles; the streams see the compiler's output on failure.
      options.onStart?.();
      const { onStart: _started, ...runOptions } = options;
      const tCompile = performance.now();
      // Per tenant: a hit never comes from (and so never reveals) another tenant's build.
      const key = compileKey(parsed, filename, this.#compilerName(compilerKind), tenantOf(options));
      const cached = this.#compileCache.get(key);
      const t = { t0, queuedMs, tenant: tenantOf(options) };
      let built = cached ?? (await this.#compileOnce(key, compilerKind, parsed, filename, options.signal, t));
      // Joined an identical compile whose own caller cancelled it: this request was not cancelled.
      if (!("module" in built) && built.status === "killed" && !options.signal?.aborted) {
        built = await this.#compile(key, compilerKind, parsed, filename, options.signal, t);
      }
      if (!("module" in built)) {
        if (built.stderr) {
          options.onStderr?.(built.stderr);
          options.onOutput?.("stderr", new TextEncoder().encode(built.stderr));
        }
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
      sandbox = await this.#readySandbox(kind, tenantOf(options));
      // QuickJS, wasm and compiler sandboxes serve many runs of one tenant, each on a fresh
      // runtime instance; a Python sandbox serves one run.
      sandbox.keepForReuse();
      return await this.#runOn(sandbox, request, options, { t0, queuedMs, startMs: performance.now() - tStart }, module);
    } finally {
      if (sandbox) this.#giveBack(sandbox);
    }
  }

  #giveBack(sandbox: SandboxProcess): void {
    this.#live.delete(sandbox);
    if (sandbox.reusable && sandbox.runCount < MAX_RUNS_PER_SANDBOX && !this.#disposed) {
      this.#pool.release(sandbox, Math.min(this.#maxConcurrentRuns, SPARE_IDLE[sandbox.kind]));
    } else void sandbox.dispose();
  }

  /**
   * Compile once per key even when identical requests arrive together (and ask for the same
   * limits: a request never waits on a compile allowed more time or memory than its own).
   */
  #compileOnce(
    key: string,
    kind: "clang" | "asc",
    request: ExecuteRequest,
    filename: string,
    signal: AbortSignal | undefined,
    t: { t0: number; queuedMs: number; tenant: string },
  ): Promise<CompiledModule | Execution> {
    const limits = this.#compileLimitsFor(request);
    const flight = `${key}:${limits.timeoutMs}:${limits.memoryLimitBytes}`;
    const pending = this.#compiling.get(flight);
    if (pending) return pending;
    const work = this.#compile(key, kind, request, filename, signal, t).finally(() => this.#compiling.delete(flight));
    this.#compiling.set(flight, work);
    return work;
  }

  /**
   * A compile's limits: the time the request set, and the memory it set but at least
   * `compileLimits.minMemoryLimitBytes` (default 512 MiB: a program's memory limit is for the
   * program, a tiny one must not make its compile impossible), both capped by the engine's compile limits
   * (which also apply to what the request left out).
   */
  #compileLimitsFor(request: ExecuteRequest): ResolvedLimits {
    const max = this.#compileLimits;
    const memory = request.limits?.memoryLimitBytes;
    return {
      timeoutMs: Math.min(request.limits?.timeoutMs ?? max.timeoutMs, max.timeoutMs),
      memoryLimitBytes: Math.min(memory === undefined ? max.memoryLimitBytes : Math.max(memory, this.#compileMemoryFloorBytes), max.memoryLimitBytes),
      maxOutputBytes: max.maxOutputBytes,
    };
  }

  /**
   * Compile in a compiler sandbox (as locked down as a guest's), under the request's limits
   * (capped by the engine's compile limits). Returns the module, or the finished result of a
   * build that did not finish ok (`compile_error`, `timeout`, `memory_limit`, `killed`).
   * Only a build that finished ok, and whose module is what was asked for, is cached; a
   * compiler sandbox that was stopped, crashed or produced something else is not reused.
   */
  async #compile(
    key: string,
    kind: "clang" | "asc",
    request: ExecuteRequest,
    filename: string,
    signal: AbortSignal | undefined,
    t: { t0: number; queuedMs: number; tenant: string },
  ): Promise<CompiledModule | Execution> {
    const tStart = performance.now();
    const limits = this.#compileLimitsFor(request);
    // Whether the request's own limit stopped the compile, or the engine's cap did.
    const own = { timeoutMs: request.limits?.timeoutMs === limits.timeoutMs, memoryLimitBytes: request.limits?.memoryLimitBytes === limits.memoryLimitBytes };
    let sandbox: SandboxProcess | undefined;
    let run: SandboxRunResult;
    let unexpected: string | null = null;
    try {
      sandbox = await this.#readySandbox(kind, t.tenant);
      sandbox.keepForReuse();
      run = await sandbox.run({ request, filename, limits }, signal ? { signal } : {});
      const produced = run.outcome?.status === "ok" && !run.stoppedBy ? run.outcome.files.get("main.wasm") : undefined;
      if (produced) unexpected = unexpectedModule(kind, request, produced);
      // Gone before it is handed back, so the pool never sees it alive.
      if (run.stoppedBy || run.crash !== null || unexpected || run.outcome?.error?.name === "CompilerCrash") await sandbox.dispose();
    } finally {
      if (sandbox) this.#giveBack(sandbox);
    }
    const hostPaths = this.#assets.readPaths;
    const output = scrubCompilerOutput(run.streams.stderr, hostPaths);
    const diagnostics = kind === "clang" ? parseClangDiagnostics(output) : parseAscDiagnostics(output);
    const module = run.outcome?.status === "ok" && !run.stoppedBy && !unexpected ? run.outcome.files.get("main.wasm") : undefined;
    if (module) {
      const built = { module, diagnostics, output };
      this.#compileCache.set(key, built);
      return built;
    }
    const compile: CompileInfo = { compiler: this.#compilerName(kind), cached: false, timeMs: round(performance.now() - tStart), diagnostics, output };
    let error: GuestError;
    let status: ExecuteResult["status"] = "compile_error";
    const compiler = kind === "asc" ? "the AssemblyScript compiler" : request.language === "cpp" ? "the C++ compiler" : "the C compiler";
    if (run.stoppedBy === "killed") {
      status = "killed";
      error = { name: "Killed", message: "the run was cancelled while it compiled", traceback: "", line: null };
    } else if (run.stoppedBy === "timeout") {
      status = "timeout";
      const message = own.timeoutMs
        ? `compiling took longer than timeoutMs (${limits.timeoutMs} ms); nothing ran. Raise limits.timeoutMs (compiles may take at most ${this.#compileLimits.timeoutMs} ms here) or simplify the program`
        : `compiling took longer than this engine allows any compile (${limits.timeoutMs} ms, its compileLimits.timeoutMs; limits.timeoutMs cannot raise it); nothing ran. Simplify the program`;
      error = { name: "TimeoutError", message, traceback: output, line: null };
    } else if (run.stoppedBy === "memory_limit") {
      status = "memory_limit";
      const message = own.memoryLimitBytes
        ? `${compiler} used more memory than memoryLimitBytes (${limits.memoryLimitBytes} bytes); nothing ran. Raise limits.memoryLimitBytes (compiles may use at most ${this.#compileLimits.memoryLimitBytes} bytes here) or simplify the program`
        : `${compiler} used more memory than this engine allows any compile (${limits.memoryLimitBytes} bytes, its compileLimits.memoryLimitBytes; limits.memoryLimitBytes cannot raise it); nothing ran. Simplify the program`;
      error = { name: "MemoryLimitError", message, traceback: output, line: null };
    } else if (run.stoppedBy === "output_limit") {
      error = { name: "CompileError", message: `${compiler} wrote more than ${limits.maxOutputBytes} bytes of diagnostics (the rest was dropped); fix the first errors`, traceback: output, line: null };
    } else if (unexpected) {
      error = { name: "CompilerCrash", message: `${unexpected}; nothing ran and nothing was cached. Try again`, traceback: output, line: null };
    } else if (run.outcome?.error) {
      const reported = run.outcome.error;
      error = { name: reported.name, message: scrubCompilerOutput(reported.message, hostPaths), traceback: scrubCompilerOutput(reported.traceback, hostPaths), line: reported.line };
    } else {
      const fallback = run.crash === null ? `${compiler} stopped without a result` : `${compiler} crashed (${crashSummary(run.crash, hostPaths)}); nothing ran`;
      error = { name: run.crash === null ? "CompileError" : "CompilerCrash", message: firstError(diagnostics, fallback).message, traceback: output, line: null };
    }
    return {
      status,
      stdout: "",
      stderr: output,
      output,
      error,
      exitCode: status === "compile_error" ? 1 : null,
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
  async openSession(options: { language: Language; limits?: Limits; tenant?: string }): Promise<Session> {
    this.#assertOpen();
    const { tenant, ...sessionOptions } = options;
    const probe = parseSessionOptions(sessionOptions);
    const sandbox = await this.#readySandbox(sandboxKindFor(probe.language), tenant ?? DEFAULT_TENANT);
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
  async #readySandbox(kind: SandboxKind, tenant: string): Promise<SandboxProcess> {
    let sandbox = this.#pool.acquire(kind, tenant);
    this.#live.add(sandbox);
    try {
      await sandbox.readyForRun();
    } catch {
      this.#live.delete(sandbox);
      sandbox = this.#start(kind);
      sandbox.bindTenant(tenant);
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
    const text = { stdout: new Utf8ChunkDecoder(), stderr: new Utf8ChunkDecoder() };
    const onText = (stream: GuestStream, piece: OutputText | null) => {
      if (piece?.text) (stream === "stdout" ? options.onStdout : options.onStderr)?.(piece.text);
    };
    const streaming = options.onStdout || options.onStderr;
    const run = await sandbox.run(
      { request, filename: request.filename ?? defaultFilename(request.language), limits, ...(module ? { module } : {}) },
      {
        onOutput: (stream: GuestStream, bytes: Uint8Array) => {
          options.onOutput?.(stream, bytes);
          if (streaming) onText(stream, text[stream].push(bytes));
        },
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    if (streaming) for (const stream of ["stdout", "stderr"] as const) onText(stream, text[stream].end());
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

/** A compile may use this much memory by default, whatever the program's own limit (see #compileLimitsFor). */
const COMPILE_MEMORY_FLOOR_BYTES = 512 * 1024 * 1024;

/** The tenant of runs that name none (library and CLI use); no API key id can look like it. */
const DEFAULT_TENANT = "\u0000local";

function tenantOf(options: ExecuteOptions): string {
  return options.tenant ?? DEFAULT_TENANT;
}

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
  if (run.protocolViolation) {
    // The sandbox wrote out of protocol (guest code writing to the channel): it was killed.
    status = "killed";
    exitCode = null;
    error = { name: "SandboxCrash", message: run.protocolViolation, traceback: "", line: null };
  } else if (run.violations.length) {
    // The outcome was out of shape (forged, or a tampered runtime): what failed was dropped.
    status = "error";
    exitCode = outcome?.exitCode ?? null;
    error = { name: "SandboxProtocolError", message: `the sandbox reported a result the host refused: ${run.violations.slice(0, 5).join("; ")}`, traceback: "", line: null };
  } else if (stoppedBy) {
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
  const files = outcome && !stoppedBy && !run.protocolViolation ? outcome.files : new Map<string, Uint8Array>();
  return {
    status,
    ...run.streams,
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

/**
 * Why a module a C/C++ compile produced is not what its request asked for, or null: a WASI
 * command must export `_start`, a reactor (`wasm.invoke`, `-mexec-model=reactor`) `_initialize`.
 * A mismatch means the compiler was not building what the cache key says, so it is neither
 * run nor cached.
 */
function unexpectedModule(kind: "clang" | "asc", request: ExecuteRequest, module: Uint8Array): string | null {
  const exports = wasmExportNames(module);
  if (exports === null) return `the ${kind === "asc" ? "AssemblyScript" : request.language === "cpp" ? "C++" : "C"} compiler produced bytes that are not a WebAssembly module`;
  if (kind === "asc") return null;
  let reactor = request.wasm?.invoke !== undefined;
  for (const flag of request.compile?.flags ?? []) {
    if (flag === "-mexec-model=reactor") reactor = true;
    else if (flag === "-mexec-model=command") reactor = false;
  }
  const wanted = reactor ? "_initialize" : "_start";
  return exports.includes(wanted) ? null : `the ${request.language === "cpp" ? "C++" : "C"} compiler built a module without ${wanted}, although a ${reactor ? "reactor" : "command"} was asked for`;
}
