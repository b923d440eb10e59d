/**
 * The engine, once for every host: validation, the bounded queue, per-kind pools with the
 * tenant reuse rule, the compile → run pipeline of C, C++ and AssemblyScript (with the
 * compile cache and one compile per identical request in flight), the result a caller sees,
 * and sessions. Where sandboxes live is the host's business (see sandbox-host.ts).
 */
import { type CompileInfo, type ExecuteRequest, type ExecuteRequestInput, type ExecuteResult, type GuestError, type Language, type Limits, type ResolvedLimits, type Usage, resolveLimits, defaultFilename, WasmboxError } from "@wasmbox/contract";
import { Utf8ChunkDecoder, type OutputText } from "../output-bytes.js";
import type { GuestStream, SandboxKind } from "../runtime.js";
import { firstError, parseAscDiagnostics, parseClangDiagnostics } from "../runtimes/compilers/diagnostics.js";
import { describeRuntimes, type RuntimeInfo } from "../runtimes/describe.js";
import { compilerKindFor, sandboxKindFor } from "../runtimes/index.js";
import { isParsedExecuteRequest, parseExecuteRequest, parseSessionOptions, withDefaultLimits, type ParsedExecuteRequest } from "../validate.js";
import { compileKeyMaterial, crashSummary, unexpectedModule } from "./compile.js";
import { isParsedEngineOptions, parseEngineOptions } from "./options.js";
import { PrecompiledHeaders } from "./pch.js";
import { moduleHint, planPackages, type PackagePlan } from "./packages.js";
import { SandboxPool, type PoolKey } from "./pool.js";
import { assembleResult, cancelledWhileQueued, round, type Execution } from "./results.js";
import type { CompiledModule, HostSandbox, IsolationSummary, SandboxHost, SandboxRunResult } from "./sandbox-host.js";
import { Semaphore } from "./semaphore.js";

/**
 * What every host's engine takes; a host adds its own options (the Node host: isolation,
 * cache directory…). Checked once, when the engine is made: a wrong value or an unknown
 * option name throws `WasmboxError` `INVALID_OPTIONS`, naming the option and what it allows.
 */
export interface EngineOptions {
  /**
   * Sandboxes kept started and ready, per kind (`python`, `quickjs` — JS and TS share
   * QuickJS —, `wasm` for every WebAssembly module, `clang` and `asc` compilers): a whole
   * number from 0 to 64 each. Default `{ python: 1, quickjs: 1, wasm: 1, clang: 0, asc: 0 }`
   * (a kind left out keeps its default): compilers start on first use and are kept
   * afterwards. Use 0 for one-shot use (the CLI).
   */
  pool?: Partial<Record<SandboxKind, number>>;
  /**
   * Runs executing at once, from 1 to 1024. Default: the host's parallelism (the number of
   * CPU cores on Node).
   */
  maxConcurrentRuns?: number;
  /** Runs waiting for a slot before `execute` throws `QUEUE_FULL`, from 0 to 1000000. Default 256. */
  maxQueuedRuns?: number;
  /**
   * The most compiling C, C++ or AssemblyScript may take. A compile runs under the request's
   * own `limits.timeoutMs` and `limits.memoryLimitBytes` when it sets them (the same budget
   * its program then gets to run), capped by these; under these when it leaves them out
   * (compiling C++ headers takes far more than a small program needs to run).
   */
  compileLimits?: {
    /** Wall-clock cap on a compile, in milliseconds, from 1 to 3600000. Default 60000 (one minute). */
    timeoutMs?: number;
    /** Memory cap on a compile, in bytes, from 16 MiB to 4 GiB. Default 2147483648 (2 GiB). */
    memoryLimitBytes?: number;
    /**
     * The least memory a compile gets when the request sets a smaller `limits.memoryLimitBytes`
     * (that limit is for the program), in bytes, from 0 to 4 GiB. Default 536870912 (512 MiB).
     */
    minMemoryLimitBytes?: number;
  };
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
   * Who the run is for (the server passes the API key's id). A sandbox that served
   * one tenant never serves another, and compile-cache hits are private to a tenant.
   * Default: one shared tenant (library and CLI use).
   */
  tenant?: string;
}

const ALL_KINDS: readonly SandboxKind[] = ["python", "quickjs", "wasm", "clang", "asc"];
/** Caps on a compile's limits (which come from the request); maxOutputBytes bounds the compiler's diagnostics. */
const DEFAULT_COMPILE_LIMITS = { timeoutMs: 60_000, memoryLimitBytes: 2048 * 1024 * 1024, maxOutputBytes: 1024 * 1024 };

type Timing = { t0: number; queuedMs: number; startMs: number };

/**
 * The engine: validates requests, queues them, and runs each on a fresh interpreter in a
 * sandbox its host started ahead of time (compiling C, C++ and AssemblyScript first, in a
 * compiler sandbox, unless the build is cached). Hosts construct it with their
 * {@link SandboxHost}; `createEngine` in `@wasmbox/node` is the Node one.
 */
export class Engine implements AsyncDisposable {
  readonly #host: SandboxHost;
  readonly #pool: SandboxPool;
  readonly #slots: Semaphore;
  readonly #live = new Set<HostSandbox>();
  readonly #start: (key: PoolKey) => HostSandbox;
  #sandboxStarts = 0;
  readonly #maxConcurrentRuns: number;
  readonly #compiling = new Map<string, Promise<BuiltModule | Execution>>();
  readonly #compileLimits: ResolvedLimits;
  readonly #compileMemoryFloorBytes: number;
  readonly #compileCacheStats = { hits: 0, misses: 0 };
  readonly #pch: PrecompiledHeaders;
  #disposed = false;

  /**
   * @param options checked here unless they came from `parseEngineOptions` (a host that adds
   * options of its own checks them all at once, with its own shape, before it is made).
   * @throws WasmboxError `INVALID_OPTIONS` for a wrong value or an unknown option name.
   */
  constructor(host: SandboxHost, options: EngineOptions = {}) {
    if (!isParsedEngineOptions(options)) parseEngineOptions(options);
    this.#host = host;
    this.#start = (key: PoolKey) => {
      this.#sandboxStarts++;
      const [kind, preset] = key.split("#") as [SandboxKind, string | undefined];
      return preset === undefined ? host.start(kind) : host.start(kind, Number(preset));
    };
    const pythonTarget = options.pool?.python ?? 1;
    this.#pool = new SandboxPool(this.#start, {
      // A pool per package set the host prepares (at most one sandbox each: they are heavy).
      ...Object.fromEntries((host.packages?.presets ?? []).map((_, i) => [`python#${i}`, Math.min(pythonTarget, 1)])),
      python: pythonTarget,
      quickjs: options.pool?.quickjs ?? 1,
      wasm: options.pool?.wasm ?? 1,
      clang: options.pool?.clang ?? 0,
      asc: options.pool?.asc ?? 0,
    });
    const { minMemoryLimitBytes, ...compileCaps } = options.compileLimits ?? {};
    this.#compileLimits = { ...DEFAULT_COMPILE_LIMITS, ...compileCaps };
    this.#compileMemoryFloorBytes = minMemoryLimitBytes ?? COMPILE_MEMORY_FLOOR_BYTES;
    this.#pch = new PrecompiledHeaders(host, this.#compileLimits);
    this.#maxConcurrentRuns = options.maxConcurrentRuns ?? host.parallelism;
    this.#slots = new Semaphore(this.#maxConcurrentRuns, options.maxQueuedRuns ?? 256);
  }

  /**
   * The walls around sandboxes on this machine and whether each is in force (no host
   * paths: this is shown to API users). `weak`: the OS sandbox is not in force.
   */
  get isolation(): IsolationSummary {
    const summary = this.#host.isolation;
    return { ...summary, walls: summary.walls.map((w) => ({ ...w })) };
  }

  /** Runs waiting for a slot / executing now / sandboxes ready per kind. */
  stats(): {
    queued: number;
    active: number;
    sandboxStarts: number;
    pool: Record<SandboxKind, { ready: number; starting: number }>;
    compileCache: { hits: number; misses: number };
    /** C++ builds that used a precompiled header, those redone without it, and PCHs built. */
    precompiledHeaders: { used: number; redone: number; built: number };
  } {
    return {
      queued: this.#slots.queued,
      active: this.#slots.active,
      sandboxStarts: this.#sandboxStarts,
      pool: Object.fromEntries(ALL_KINDS.map((k) => [k, this.#pool.size(k)])) as Record<SandboxKind, { ready: number; starting: number }>,
      compileCache: { ...this.#compileCacheStats },
      precompiledHeaders: { ...this.#pch.stats },
    };
  }

  /** Languages and versions this engine runs, as the runtime descriptors describe them. */
  runtimes(): RuntimeInfo[] {
    return describeRuntimes(this.#host.versions);
  }

  /** Compiler name and version, for a compiled language's result and its cache key. */
  #compilerName(kind: "clang" | "asc"): string {
    const v = this.#host.versions;
    return kind === "clang" ? `clang ${v.clang}` : `AssemblyScript ${v.assemblyscript}`;
  }

  /**
   * Run one request. Guest failures (exceptions, limits) are in the result's `status`;
   * only host problems throw a `WasmboxError` (invalid request, queue full, start failure).
   *
   * `request` is anything (it is validated here), or what `parseExecuteRequest` returned —
   * then it is not parsed again (the server parses once, at its boundary). Which one it is is
   * decided by that function's record, not by the type: a plain object cast to
   * `ParsedExecuteRequest` is still parsed.
   */
  async execute(request: ParsedExecuteRequest | unknown, options: ExecuteOptions = {}): Promise<Execution> {
    this.#assertOpen();
    const t0 = performance.now();
    const parsed = isParsedExecuteRequest(request) ? request : parseExecuteRequest(request);
    const release = await this.#slots.acquire(options.signal);
    const queuedMs = performance.now() - t0;
    if (!release) return cancelledWhileQueued(queuedMs);
    try {
      this.#assertOpen();
      const compilerKind = compilerKindFor(parsed.language);
      if (!compilerKind) {
        const kind = sandboxKindFor(parsed.language);
        const plan = kind === "python" ? planPackages(parsed.packages, parsed.code, this.#host.packages) : null;
        if (plan && !plan.ok) return packageFailure(plan.message, { t0, queuedMs }, options);
        return await this.#runIn(plan?.preset === undefined ? kind : `python#${plan.preset}`, parsed, options, t0, queuedMs, undefined, plan ?? undefined);
      }
      const filename = parsed.filename ?? defaultFilename(parsed.language);
      // The run has started once it compiles; the streams see the compiler's output on failure.
      options.onStart?.();
      const { onStart: _started, ...runOptions } = options;
      const tCompile = performance.now();
      // Per tenant: a hit never comes from (and so never reveals) another tenant's build.
      const key = compileKeyMaterial(parsed, filename, this.#compilerName(compilerKind), tenantOf(options));
      const cached = await this.#cached(key);
      const t = { t0, queuedMs, tenant: tenantOf(options) };
      let built: BuiltModule | Execution = cached ?? (await this.#compileOnce(key, compilerKind, parsed, filename, options.signal, t));
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
        ...(built.usage ? { usage: built.usage } : {}),
      };
      const execution = await this.#runIn("wasm", parsed, runOptions, t0, queuedMs, built.module);
      return { ...execution, compile };
    } finally {
      release();
    }
  }

  /** A build from the host's compile cache, counted as a hit or a miss. */
  async #cached(key: string): Promise<CompiledModule | undefined> {
    const hit = await this.#host.compileCache.get(key);
    this.#compileCacheStats[hit ? "hits" : "misses"]++;
    return hit;
  }

  /** Run a request in a sandbox of `kind`; reusable kinds go back to the pool afterwards. */
  async #runIn(kind: PoolKey, request: ExecuteRequest, options: ExecuteOptions, t0: number, queuedMs: number, module?: Uint8Array, plan?: PackagePlan & { ok: true }): Promise<Execution> {
    let sandbox: HostSandbox | undefined;
    try {
      const tStart = performance.now();
      sandbox = await this.#readySandbox(kind, tenantOf(options));
      // QuickJS, wasm and compiler sandboxes serve many runs of one tenant, each on a fresh
      // runtime instance; a Python sandbox serves one run.
      sandbox.keepForReuse();
      return await this.#runOn(sandbox, request, options, { t0, queuedMs, startMs: performance.now() - tStart }, module, plan);
    } finally {
      if (sandbox) this.#giveBack(sandbox);
    }
  }

  #giveBack(sandbox: HostSandbox): void {
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
  ): Promise<BuiltModule | Execution> {
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
      timeoutMs: Math.min(request.compile?.timeoutMs ?? request.limits?.timeoutMs ?? max.timeoutMs, max.timeoutMs),
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
  ): Promise<BuiltModule | Execution> {
    const tStart = performance.now();
    const limits = this.#compileLimitsFor(request);
    // Whether the request's own limit stopped the compile, or the engine's cap did.
    const own = { timeoutMs: (request.compile?.timeoutMs ?? request.limits?.timeoutMs) === limits.timeoutMs, memoryLimitBytes: request.limits?.memoryLimitBytes === limits.memoryLimitBytes };
    let sandbox: HostSandbox | undefined;
    let run: SandboxRunResult;
    let unexpected: string | null = null;
    try {
      const pch = kind === "clang" ? await this.#pch.lookup(request, t.tenant) : undefined;
      sandbox = await this.#readySandbox(kind, t.tenant);
      sandbox.keepForReuse();
      run = await sandbox.run({ request, filename, limits, ...(pch ? { precompiledHeader: pch } : {}) }, signal ? { signal } : {});
      // A build with the PCH is taken only when it is clean and silent: anything it said (or a
      // failure) comes from the build without it, so diagnostics are the plain build's own.
      if (pch) this.#pch.stats.used++;
      if (pch && !run.stoppedBy && run.crash === null && sandbox.healthy && (run.outcome?.status !== "ok" || run.streams.stderr !== "")) {
        this.#pch.stats.redone++;
        run = await sandbox.run({ request, filename, limits }, signal ? { signal } : {});
      }
      const produced = run.outcome?.status === "ok" && !run.stoppedBy ? run.outcome.files.get("main.wasm") : undefined;
      if (produced) unexpected = unexpectedModule(kind, request, produced);
      // Gone before it is handed back, so the pool never sees it alive.
      if (run.stoppedBy || run.crash !== null || unexpected || run.outcome?.error?.name === "CompilerCrash") await sandbox.dispose();
    } finally {
      if (sandbox) this.#giveBack(sandbox);
    }
    const scrub = (text: string) => this.#host.scrubCompilerOutput(text);
    const output = scrub(run.streams.stderr);
    const diagnostics = kind === "clang" ? parseClangDiagnostics(output) : parseAscDiagnostics(output);
    const module = run.outcome?.status === "ok" && !run.stoppedBy && !unexpected ? run.outcome.files.get("main.wasm") : undefined;
    if (module) {
      const built = { module, diagnostics, output };
      this.#host.compileCache.set(key, built);
      return { ...built, ...(run.usage ? { usage: run.usage } : {}) };
    }
    const compile: CompileInfo = {
      compiler: this.#compilerName(kind),
      cached: false,
      timeMs: round(performance.now() - tStart),
      diagnostics,
      output,
      ...(run.usage ? { usage: run.usage } : {}),
    };
    let error: GuestError;
    let status: ExecuteResult["status"] = "compile_error";
    const compiler = kind === "asc" ? "the AssemblyScript compiler" : request.language === "cpp" ? "the C++ compiler" : "the C compiler";
    if (run.stoppedBy === "killed") {
      status = "killed";
      error = { name: "Killed", message: "the run was cancelled while it compiled", traceback: "", line: null };
    } else if (run.stoppedBy === "timeout") {
      status = "timeout";
      const message = own.timeoutMs
        ? `compiling took longer than timeoutMs (${limits.timeoutMs} ms); nothing ran. Raise ${request.compile?.timeoutMs === undefined ? "limits.timeoutMs" : "compile.timeoutMs"} (compiles may take at most ${this.#compileLimits.timeoutMs} ms here) or simplify the program`
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
      error = { name: reported.name, message: scrub(reported.message), traceback: scrub(reported.traceback), line: reported.line };
    } else {
      const fallback = run.crash === null ? `${compiler} stopped without a result` : `${compiler} crashed (${crashSummary(run.crash, scrub)}); nothing ran`;
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
      outputs: [],
      timings: { queuedMs: round(t.queuedMs), startMs: 0, executionTimeMs: 0, totalMs: round(performance.now() - t.t0) },
      compile,
      // Nothing else ran: what the request used is the compile's.
      ...(run.usage ? { usage: run.usage } : {}),
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
      runOn: (s, r, o, t) => {
        // A session's runs load packages into its interpreter as they ask for them.
        const plan = planPackages(r.packages, r.code, this.#host.packages);
        if (plan && !plan.ok) return Promise.resolve(packageFailure(plan.message, t, o));
        return this.#runOn(s, r, o, t, undefined, plan ?? undefined);
      },
      forget: (s) => this.#live.delete(s),
    });
  }

  #assertOpen(): void {
    if (this.#disposed) throw new WasmboxError("ENGINE_DISPOSED", "the engine was disposed");
  }

  /** A ready sandbox: from the pool if one is there; one fresh retry if a pooled one failed to boot. */
  async #readySandbox(kind: PoolKey, tenant: string): Promise<HostSandbox> {
    let sandbox = this.#pool.acquire(kind, tenant);
    this.#live.add(sandbox);
    try {
      await sandbox.ready;
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

  async #runOn(sandbox: HostSandbox, request: ExecuteRequest, options: ExecuteOptions, t: Timing, module?: Uint8Array, plan?: PackagePlan & { ok: true }): Promise<Execution> {
    const limits = resolveLimits(request.limits);
    options.onStart?.();
    const text = { stdout: new Utf8ChunkDecoder(), stderr: new Utf8ChunkDecoder() };
    const onText = (stream: GuestStream, piece: OutputText | null) => {
      if (piece?.text) (stream === "stdout" ? options.onStdout : options.onStderr)?.(piece.text);
    };
    const streaming = options.onStdout || options.onStderr;
    const run = await sandbox.run(
      { request, filename: request.filename ?? defaultFilename(request.language), limits, ...(module ? { module } : {}), ...(plan ? { packages: plan.wheels } : {}) },
      {
        onOutput: (stream: GuestStream, bytes: Uint8Array) => {
          options.onOutput?.(stream, bytes);
          if (streaming) onText(stream, text[stream].push(bytes));
        },
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    if (streaming) for (const stream of ["stdout", "stderr"] as const) onText(stream, text[stream].end());
    const result = await assembleResult(run, limits, t);
    const hint = result.error?.name === "ModuleNotFoundError" && request.language === "python" ? moduleHint(result.error.message, this.#host.packages) : null;
    const withHint = hint && result.error ? { ...result, error: { ...result.error, message: `${result.error.message} (${hint})` } } : result;
    return plan ? { ...withHint, packages: plan.loaded } : withHint;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.all([this.#pool.dispose(), this.#pch.dispose(), ...[...this.#live].map((s) => s.dispose())]);
  }

  /**
   * Resolves once no precompiled header is being built (a C++ build whose standard headers had
   * none starts one in the background; the builds after it use it).
   */
  async precompiledHeadersBuilt(): Promise<void> {
    await this.#pch.idle();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

interface SessionHooks {
  slots: Semaphore;
  runOn: (sandbox: HostSandbox, request: ExecuteRequest, options: ExecuteOptions, t: Timing) => Promise<Execution>;
  forget: (sandbox: HostSandbox) => void;
}

/** A stateful sandbox from {@link Engine.openSession}. Runs one program at a time. */
export class Session implements AsyncDisposable {
  #closed = false;
  #lastUsedAt = Date.now();

  constructor(
    readonly engine: Engine,
    private readonly sandbox: HostSandbox,
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

  /**
   * Run code in the session. The request may omit `language`; its limits override the
   * session's. A request from `parseExecuteRequest` (with its language) is not parsed again.
   */
  async execute(request: ParsedExecuteRequest | (Omit<ExecuteRequestInput, "language"> & { language?: Language }), options: ExecuteOptions = {}): Promise<Execution> {
    if (!this.alive) throw new WasmboxError("SESSION_CLOSED", "the session has ended; open a new one");
    const t0 = performance.now();
    const parsed = isParsedExecuteRequest(request)
      ? withDefaultLimits(request, this.defaultLimits)
      : parseExecuteRequest({ ...request, language: request.language ?? this.language, limits: { ...this.defaultLimits, ...request.limits } });
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

/** A build as a compile in this request returns it: the cached entry, and what the compile used. */
type BuiltModule = CompiledModule & { usage?: Usage };

/** A compile may use this much memory by default, whatever the program's own limit (see #compileLimitsFor). */
const COMPILE_MEMORY_FLOOR_BYTES = 512 * 1024 * 1024;

/** The tenant of runs that name none (library and CLI use); no API key id can look like it. */
const DEFAULT_TENANT = "\u0000local";

function tenantOf(options: ExecuteOptions): string {
  return options.tenant ?? DEFAULT_TENANT;
}

/** The result of a run whose packages cannot be loaded: nothing ran; the reason is its stderr too. */
function packageFailure(message: string, t: { t0: number; queuedMs: number }, options: ExecuteOptions): Execution {
  const stderr = `PackageNotFound: ${message}\n`;
  options.onStderr?.(stderr);
  options.onOutput?.("stderr", new TextEncoder().encode(stderr));
  return {
    status: "error",
    stdout: "",
    stderr,
    output: stderr,
    error: { name: "PackageNotFound", message, traceback: "", line: null },
    exitCode: null,
    value: null,
    files: [],
    outputs: [],
    timings: { queuedMs: round(t.queuedMs), startMs: 0, executionTimeMs: 0, totalMs: round(performance.now() - t.t0) },
    fileContents: new Map(),
  };
}

/** A reusable sandbox is retired after this many runs (bounds any slow leak). */
const MAX_RUNS_PER_SANDBOX = 1000;
