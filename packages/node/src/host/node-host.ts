/**
 * The Node host: the engine's {@link SandboxHost} port over sandbox processes. Everything
 * here is what a browser host does differently — child processes inside the walls of this
 * machine's isolation plan, the Python snapshot and compiled modules cached on disk, assets
 * found in node_modules, compiler output scrubbed of this machine's paths.
 */
import { availableParallelism } from "node:os";
import type { CompileCache as CompileCachePort, CompiledModule, HostSandbox, IsolationSummary, RuntimeVersions, SandboxHost, SandboxKind } from "@wasmbox/core";
import { locateAssets, type NodeAssets } from "./assets.js";
import { CompileCache, scrubCompilerOutput, sha256Hex } from "./compile-cache.js";
import { planIsolation, type IsolationOptions, type IsolationPlan, type Wall } from "./isolation.js";
import { SandboxProcess } from "./sandbox-process.js";
import { defaultCacheDir, loadOrBuildPythonSnapshot, type PythonSnapshot } from "./snapshot-cache.js";

export interface NodeHostOptions {
  /** OS-level walls around sandbox processes. See {@link IsolationOptions}. */
  isolation?: IsolationOptions;
  /** How long a sandbox may take to boot its runtime, in milliseconds, from 1 to 3600000. Default 60000 (one minute). */
  startTimeoutMs?: number;
  /**
   * Where the Python baseline snapshot is cached (a non-empty path). Default: WASMBOX_CACHE_DIR, else
   * ~/.cache/wasmbox. `false` disables snapshots (every Python sandbox boots from scratch).
   * Compiled C/C++/AssemblyScript modules are cached here too (in memory only with `false`).
   */
  cacheDir?: string | false;
}

/** {@link IsolationSummary} with the Node host's own modes and walls. */
export interface NodeIsolationSummary extends IsolationSummary {
  mode: IsolationPlan["mode"];
  walls: Wall[];
}

export class NodeSandboxHost implements SandboxHost {
  readonly #assets: NodeAssets;
  readonly #plan: IsolationPlan;
  readonly #options: NodeHostOptions;
  #pythonSnapshot: Promise<PythonSnapshot | null> | undefined;
  readonly compileCache: CompileCachePort;
  readonly parallelism = availableParallelism();

  constructor(options: NodeHostOptions = {}) {
    this.#options = options;
    this.#assets = locateAssets();
    this.#plan = planIsolation(options.isolation ?? {}, this.#assets.readPaths);
    const cache = new CompileCache({ dir: options.cacheDir === false ? null : (options.cacheDir ?? defaultCacheDir()) });
    // Entries are named by the sha256 of the engine's key (which holds the source).
    this.compileCache = {
      get: (key: string): CompiledModule | undefined => cache.get(sha256Hex(key)),
      set: (key: string, entry: CompiledModule): void => cache.set(sha256Hex(key), entry),
    };
  }

  start(kind: SandboxKind): HostSandbox {
    const { cacheDir, startTimeoutMs } = this.#options;
    return SandboxProcess.start({
      kind,
      assets: this.#assets,
      isolation: this.#plan,
      // The snapshot is built once, by the first Python sandbox a host needs.
      ...(kind === "python"
        ? { pythonSnapshot: cacheDir === false ? Promise.resolve(null) : (this.#pythonSnapshot ??= loadOrBuildPythonSnapshot({ assets: this.#assets, isolation: this.#plan, cacheDir })) }
        : {}),
      ...(startTimeoutMs === undefined ? {} : { startTimeoutMs }),
    });
  }

  scrubCompilerOutput(text: string): string {
    return scrubCompilerOutput(text, this.#assets.readPaths);
  }

  get isolation(): NodeIsolationSummary {
    const plan = this.#plan;
    return { mode: plan.mode, weak: plan.mode !== "bubblewrap", sandboxNode: plan.nodeVersion, walls: plan.walls.map((w) => ({ ...w })) };
  }

  get versions(): RuntimeVersions {
    return this.#assets.versions;
  }
}
