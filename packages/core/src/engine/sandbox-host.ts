/**
 * The port between the engine and a host: what the {@link Engine} needs from wherever its
 * sandboxes live (a Node child process today; a Web Worker or a remote worker next). The
 * engine owns the queue, the pools, the compile → run pipeline, sessions and the result a
 * caller sees; a host owns starting and stopping sandboxes, enforcing a run's limits from
 * outside the guest, and where compiled modules are kept.
 *
 * A new host implements {@link SandboxHost} (and a {@link HostSandbox} per sandbox) and hands
 * it to `new Engine(host, options)`; nothing else in the engine changes.
 */
import type { Diagnostic, Usage } from "@wasmbox/contract";
import type { OutputFields } from "../output-bytes.js";
import type { GuestOutcome, GuestRunInput, GuestStream, PackageWheel, RuntimeVersions, SandboxKind } from "../runtime.js";

/** Why a run was stopped from outside the guest. */
export type StopReason = "timeout" | "memory_limit" | "output_limit" | "killed";

export interface SandboxRunCallbacks {
  /** The guest's output as it arrives: exactly the bytes it wrote. */
  onOutput?: (stream: GuestStream, bytes: Uint8Array) => void;
  /** Aborting stops the run (`stoppedBy: "killed"`). */
  signal?: AbortSignal;
}

/** How one run in a sandbox ended, as the host saw it; the engine turns it into the result. */
export interface SandboxRunResult {
  /**
   * The sandbox's account of how the run ended, after the host's check of its shape: fields
   * out of shape are dropped and listed in `violations`. Null if it was stopped before it could say.
   */
  outcome: GuestOutcome | null;
  /** What the host refused in the outcome as sent (forged or broken runtimes); empty normally. */
  violations: string[];
  /** Set when a limit or the caller stopped the run. */
  stoppedBy: StopReason | null;
  /** A crash of the sandbox that was no limit (the guest broke its runtime, or the sandbox died). */
  crash: string | null;
  /** The sandbox broke the host protocol (a malformed or oversized message): it was killed. */
  protocolViolation: string | null;
  /** stdout, stderr and both interleaved: text, and the exact bytes where they are not UTF-8. */
  streams: OutputFields;
  executionTimeMs: number;
  peakRssBytes: number;
  /**
   * What this run used, measured by the host from outside the guest: wall time from the run
   * message to its end; CPU time and peak memory where the host can measure them (null where
   * it cannot). Optional for hosts that do not measure at all.
   */
  usage?: Usage;
}

/**
 * One sandbox, as the engine drives it. It boots as soon as it is started (pools pre-warm), runs
 * one request at a time, and enforces the run's limits itself (`input.limits`: the deadline —
 * interrupt, then kill —, memory, output), reporting what stopped a run in `stoppedBy`.
 */
export interface HostSandbox {
  readonly kind: SandboxKind;
  /** Resolves once the runtime is loaded; rejects (`SANDBOX_START_FAILED`) if it cannot start. */
  readonly ready: Promise<void>;
  /** Booted and not stopped: a run would start at once. */
  readonly isReady: boolean;
  /** Not stopped. */
  readonly alive: boolean;
  /** Alive, and no run broke it (a limit stop, a crash, a refused outcome). */
  readonly healthy: boolean;
  /** Runs this sandbox has served. */
  readonly runCount: number;
  /** The tenant it serves once bound; null while fresh. */
  readonly tenant: string | null;
  /** Bind to a tenant; a sandbox bound to another tenant throws `ALREADY_USED`. */
  bindTenant(tenant: string): void;
  /** Serve many runs, each on a fresh runtime instance, where the kind allows it (not Python). */
  keepForReuse(): void;
  /** Serve a session: several runs in one interpreter; a time or output limit interrupts first. */
  keepForSession(): void;
  /** Kept for reuse and still healthy: it may take another request's run. */
  readonly reusable: boolean;
  /** Run one request. Resolves (never rejects for guest behaviour) once it ended or was stopped. */
  run(input: GuestRunInput, callbacks?: SandboxRunCallbacks): Promise<SandboxRunResult>;
  /** Ask the running guest to stop (cooperative; the host's deadline kills it if it does not). */
  interrupt(): void;
  /** Stop the sandbox now (idempotent). */
  kill(): void;
  /** Stop it and wait until it is gone. */
  dispose(): Promise<void>;
}

/** A build of a C, C++ or AssemblyScript program: the module and what the compiler said. */
export interface CompiledModule {
  module: Uint8Array;
  diagnostics: Diagnostic[];
  output: string;
}

/**
 * Where a host keeps compiled modules. `key` is everything that changes a build (see
 * `compileKeyMaterial`; it holds the source, so a host that names entries by it hashes it
 * first). A lookup may be asynchronous (IndexedDB, a shared store); a bad entry is a miss.
 */
export interface CompileCache {
  get(key: string): CompiledModule | undefined | Promise<CompiledModule | undefined>;
  /** Keep a build that finished ok; a failure to store only costs a recompile. */
  set(key: string, entry: CompiledModule): void;
}

/** One wall around sandboxes and whether it is in force on this host. */
export interface IsolationWall {
  name: string;
  inForce: boolean;
  detail: string;
}

/** What `Engine.isolation` tells: the walls in force, for `wasmbox runtimes` and `/v1/runtimes`. */
export interface IsolationSummary {
  /** `bubblewrap` on the Node host when the OS sandbox is in force. */
  mode: string;
  /** The OS sandbox is not in force: the server refuses to serve beyond loopback or more than one key. */
  weak: boolean;
  /** The Node version sandboxes run on. */
  sandboxNode: string;
  walls: IsolationWall[];
}


/** Why a package cannot be loaded (see {@link PackageProvider.resolve}). */
export interface MissingPackage {
  name: string;
  /** The requested package that depends on it; null when it was requested itself. */
  neededBy: string | null;
  /** `not-fetched`: the lock file pins it but the store lacks it; `unknown`: no source has it; `corrupt`: the stored wheel fails its sha256. */
  reason: "not-fetched" | "unknown" | "corrupt";
}

/**
 * A host's Python package store, as the engine uses it: resolve names to verified wheels (the
 * host checked each one's sha256; the sandbox reads no package from anywhere), and the package
 * sets the host keeps pools of sandboxes for, each booted with its set already imported.
 */
export interface PackageProvider {
  /** `names` and their dependencies as verified wheels, dependencies first; or what is missing. */
  resolve(names: readonly string[]): { ok: true; wheels: PackageWheel[] } | { ok: false; missing: MissingPackage[] };
  /** Top-level module → package name, for packages in the store (import detection loads only these). */
  importMap(): ReadonlyMap<string, string>;
  /** Also load the store's packages a Python program imports, when the request names none. */
  readonly detectImports: boolean;
  /** Package sets with a pool of their own (normalised names, with dependencies); `start(kind, i)` starts one for set `i`. */
  readonly presets: readonly (readonly string[])[];
  /** The version the store's lock file pins for a package, fetched or not (for messages). */
  pinnedVersion(name: string): string | undefined;
  /** The lock file's package (fetched or not) providing a top-level module: a `ModuleNotFoundError` says how to get it. */
  packageForModule(module: string): { name: string; version: string; fetched: boolean } | undefined;
}

/** The port: everything the engine needs from a host. */
export interface SandboxHost {
  /**
   * Start a sandbox of `kind`; it boots in the background (see {@link HostSandbox.ready}).
   * `preset`: a Python sandbox booted with package set `packages.presets[preset]` imported.
   */
  start(kind: SandboxKind, preset?: number): HostSandbox;
  /** The Python package store, where the host has one (the browser host has none yet). */
  readonly packages?: PackageProvider;
  readonly compileCache: CompileCache;
  /**
   * Precompiled C++ standard headers (the PCH bytes as `module`), keyed by `pchKeyMaterial`:
   * only ever written with what the engine's own PCH builds produced, from the toolchain's
   * headers alone, and shared by all tenants. Kept where no sandbox can write; a host without
   * one compiles every header.
   */
  readonly precompiledHeaders?: CompileCache;
  /** Compiler output without the host's own details (its paths, the compiler's stack frames). */
  scrubCompilerOutput(text: string): string;
  readonly isolation: IsolationSummary;
  readonly versions: RuntimeVersions;
  /** Runs this host can execute at once: the engine's default `maxConcurrentRuns`. */
  readonly parallelism: number;
}
