/**
 * The Node host: the engine's {@link SandboxHost} port over sandbox processes. Everything
 * here is what a browser host does differently — child processes inside the walls of this
 * machine's isolation plan, the Python snapshot and compiled modules cached on disk, assets
 * found in node_modules, compiler output scrubbed of this machine's paths.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { CompileCache as CompileCachePort, CompiledModule, HostSandbox, IsolationSummary, PackageProvider, PackageWheel, RuntimeVersions, SandboxHost, SandboxKind } from "@wasmbox/core";
import { normalizeName } from "../packages/lock.js";
import { PackageStore } from "../packages/store.js";
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
  /**
   * Precompile the C++ standard headers a program begins with (built once per header list,
   * compiler and options, in the background, and kept in the cache directory): a C++ build
   * that can use one skips parsing them. Default true; `false` parses every header every time.
   */
  precompiledHeaders?: boolean;
  /**
   * Python packages, from the package store in the cache directory (`wasmbox packages fetch`
   * fills it; runs read it alone, offline). Ignored when `cacheDir` is false.
   */
  packages?: {
    /** Load the store's packages a program imports when its request names none. Default true. */
    detectImports?: boolean;
    /**
     * Package sets to keep a Python sandbox ready for, each booted from a snapshot with the set
     * imported (e.g. `[["numpy", "pandas"]]`): a run needing only those starts as fast as a
     * plain one. A set not in the store is skipped (told through `log`). Default none.
     */
    preload?: string[][];
    /** Told about skipped sets and snapshot builds (default: silent). */
    log?: (message: string) => void;
  };
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
  readonly #store: PackageStore | null;
  /** Per preset: its wheels, and how its sandboxes boot (a snapshot with the set imported, else the baseline and an import). */
  readonly #presets: { wheels: PackageWheel[]; boot?: Promise<{ snapshot: PythonSnapshot | null; imported: boolean }> }[] = [];
  readonly packages: PackageProvider | undefined;
  readonly compileCache: CompileCachePort;
  readonly precompiledHeaders: CompileCachePort | undefined;
  readonly parallelism = availableParallelism();

  constructor(options: NodeHostOptions = {}) {
    this.#options = options;
    this.#assets = locateAssets();
    this.#plan = planIsolation(options.isolation ?? {}, this.#assets.readPaths);
    const cacheDir = options.cacheDir === false ? null : (options.cacheDir ?? defaultCacheDir());
    const cache = new CompileCache({ dir: cacheDir });
    // Entries are named by the sha256 of the engine's key (which holds the source).
    this.compileCache = {
      get: (key: string): CompiledModule | undefined => cache.get(sha256Hex(key)),
      set: (key: string, entry: CompiledModule): void => cache.set(sha256Hex(key), entry),
    };
    // C++ standard headers, precompiled by the engine's own builds (13–40 MB each): a few in
    // memory, a few dozen on disk, each checked against its sha256 when read back. The cache
    // directory is the host user's alone; no sandbox is given it.
    const pch = new CompileCache({ dir: cacheDir === null ? null : join(cacheDir, "pch"), maxEntries: 8, maxBytes: 256 * 1024 * 1024, maxDiskEntries: 32 });
    this.precompiledHeaders = options.precompiledHeaders === false ? undefined : {
      get: (key: string): CompiledModule | undefined => pch.get(sha256Hex(key)),
      set: (key: string, entry: CompiledModule): void => pch.set(sha256Hex(key), entry),
    };
    this.#store = options.cacheDir === false ? null : new PackageStore({ cacheDir: options.cacheDir ?? defaultCacheDir(), pyodideDir: this.#assets.assets.pyodideIndexURL });
    this.packages = this.#store ? this.#provider(this.#store) : undefined;
  }

  /** The package store (null when caching is off). */
  get packageStore(): PackageStore | null {
    return this.#store;
  }

  #provider(store: PackageStore): PackageProvider {
    const log = this.#options.packages?.log ?? (() => {});
    for (const set of this.#options.packages?.preload ?? []) {
      const resolved = store.resolve(set);
      if (!resolved.ok) {
        log(`not preloading ${set.join(", ")}: ${resolved.missing.map((m) => `${m.name} is ${m.reason === "not-fetched" ? "not fetched" : m.reason === "corrupt" ? "corrupt in the store" : "unknown"}`).join(", ")} (wasmbox packages fetch ${set.join(" ")})`);
        continue;
      }
      this.#presets.push({ wheels: resolved.wheels });
    }
    const presets = this.#presets.map((p) => p.wheels.map((w) => w.name));
    return {
      resolve: (names) => store.resolve(names),
      importMap: () => store.importMap(),
      detectImports: this.#options.packages?.detectImports ?? true,
      presets,
      pinnedVersion: (name) => store.entry(normalizeName(name))?.version,
      packageForModule: (module) => store.packageForModule(module),
    };
  }

  start(kind: SandboxKind, preset?: number): HostSandbox {
    const { cacheDir, startTimeoutMs } = this.#options;
    const set = preset === undefined || kind !== "python" ? undefined : this.#presets[preset];
    const baseline = () =>
      cacheDir === false ? Promise.resolve(null) : (this.#pythonSnapshot ??= loadOrBuildPythonSnapshot({ assets: this.#assets, isolation: this.#plan, cacheDir }));
    // Built once, by the first sandbox of its set: a snapshot with the set imported, else (its
    // packages load shared libraries) the baseline, and each sandbox imports the set at boot.
    const boot = set
      ? (set.boot ??= (async () => {
          const own = await loadOrBuildPythonSnapshot({ assets: this.#assets, isolation: this.#plan, cacheDir: cacheDir || undefined, packages: set.wheels, ...(this.#options.packages?.log ? { log: this.#options.packages.log } : {}) });
          return own ? { snapshot: own, imported: true } : { snapshot: await baseline(), imported: false };
        })())
      : undefined;
    return SandboxProcess.start({
      kind,
      assets: this.#assets,
      isolation: this.#plan,
      // The snapshot is built once, by the first Python sandbox a host needs.
      ...(kind === "python" ? { pythonSnapshot: boot ? boot.then((b) => b.snapshot) : baseline() } : {}),
      ...(boot && set ? { packages: boot.then((b) => ({ wheels: set.wheels, imported: b.imported })) } : {}),
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
