/**
 * `createEngine()` for Node: the engine from `@wasmbox/core` driving {@link NodeSandboxHost}
 * (sandbox processes, isolation, caches on disk). The orchestration itself lives in core.
 */
import { Engine as CoreEngine, parseEngineOptions, type EngineOptions as CoreEngineOptions } from "@wasmbox/core";
import { NodeSandboxHost, type NodeHostOptions, type NodeIsolationSummary } from "./host/node-host.js";
import { NODE_HOST_OPTION_SHAPE } from "./host/options.js";
import type { PackageStore } from "./packages/store.js";

export { Session, type ExecuteOptions, type Execution, type RuntimeInfo } from "@wasmbox/core";

/**
 * The engine's options (pools, concurrency, compile limits) and the Node host's (isolation,
 * caches, start-up); every one is optional, with the default its TSDoc gives. A wrong value
 * or an unknown name throws `WasmboxError` `INVALID_OPTIONS` from `createEngine`.
 */
export interface EngineOptions extends CoreEngineOptions, NodeHostOptions {}

/** What `Engine.isolation` tells: the walls in force, for `wasmbox runtimes` and `/v1/runtimes`. */
export type IsolationSummary = NodeIsolationSummary;

/**
 * The Node engine: validates requests, queues them, and runs each on a fresh interpreter in
 * a locked-down sandbox process taken from a pre-warmed pool (compiling C, C++ and
 * AssemblyScript first, in a compiler sandbox, unless the build is cached).
 * @example
 * await using engine = createEngine();
 * const result = await engine.execute({ language: "python", code: "print(1+1)" });
 * result.stdout; // "2\n"
 */
export class Engine extends CoreEngine {
  readonly #host: NodeSandboxHost;

  /** @throws WasmboxError `INVALID_OPTIONS` for a wrong value or an unknown option name (before any sandbox starts). */
  constructor(options: EngineOptions = {}) {
    parseEngineOptions(options, NODE_HOST_OPTION_SHAPE);
    const host = new NodeSandboxHost(options);
    super(host, options);
    this.#host = host;
  }

  /**
   * The walls around sandboxes on this machine and whether each is in force (no host
   * paths: this is shown to API users). `weak`: the OS sandbox is not in force.
   */
  override get isolation(): IsolationSummary {
    return this.#host.isolation;
  }

  /** The Python package store runs load packages from (null when `cacheDir` is false). */
  get packageStore(): PackageStore | null {
    return this.#host.packageStore;
  }
}

/**
 * Create an engine. Sandboxes start pre-warming at once (see `EngineOptions.pool`).
 * @throws WasmboxError `INVALID_OPTIONS` for a wrong value or an unknown option name.
 */
export function createEngine(options?: EngineOptions): Engine {
  return new Engine(options);
}
