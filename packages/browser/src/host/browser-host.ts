/**
 * The browser host: the engine's {@link SandboxHost} port over Web Workers in one sandbox
 * frame (see sandbox-frame.ts for the walls). What it does differently from the Node host:
 * runtime files come from the wasmbox server (or wherever `assetsBaseUrl` says) and are
 * kept in the page origin's Cache API; the Python snapshot is built in a worker that runs no
 * guest code and kept there too; compiled modules are cached in memory; and a kind's
 * runtime downloads only once that kind is first used (or preloaded), so a page that only
 * runs JavaScript never downloads Python.
 */
import { SNAPSHOT_RECIPE, WasmboxError, type CompileCache, type CompiledModule, type HostSandbox, type IsolationSummary, type RuntimeVersions, type SandboxHost, type SandboxKind } from "@wasmbox/core";
import { KIND_ASSETS, VIRTUAL_ASSET_ORIGIN, WORKER_ASSET, assetFileName, type AssetFiles } from "../protocol.js";
import { AssetStore, type AssetProgress } from "./assets.js";
import { BrowserSandbox } from "./browser-sandbox.js";
import { SandboxFrame } from "./sandbox-frame.js";

export interface BrowserHostOptions {
  /** Where the runtime files and their manifest are served (the wasmbox server's `/assets/`). */
  assetsBaseUrl: URL;
  onProgress?: (p: AssetProgress) => void;
  /** How long a runtime may take to boot once its files are here, in milliseconds. */
  startTimeoutMs?: number;
  /** Kinds whose runtime starts loading at once instead of on first use. */
  preload?: readonly SandboxKind[];
}

const SNAPSHOT_CACHE = "wasmbox-snapshots-v1";
/** Compiled modules kept in memory, at most. */
const COMPILE_CACHE_ENTRIES = 64;

export class BrowserSandboxHost implements SandboxHost {
  readonly #assets: AssetStore;
  readonly #options: BrowserHostOptions;
  #frame: SandboxFrame | undefined;
  #nextId = 1;
  readonly #activations = new Map<SandboxKind, { promise: Promise<void>; activate: () => void }>();
  readonly #provided = new Map<SandboxKind, Promise<void>>();
  #pythonSnapshot: Promise<Uint8Array | null> | undefined;
  #snapshotInFrame: Promise<boolean> | undefined;
  #crossOriginIsolated: boolean | null = null;
  readonly #compiled = new Map<string, CompiledModule>();
  readonly compileCache: CompileCache;
  readonly parallelism = Math.max(1, Math.min(8, globalThis.navigator?.hardwareConcurrency ?? 2));
  readonly versions: RuntimeVersions = __WASMBOX_VERSIONS__;

  constructor(options: BrowserHostOptions) {
    this.#options = options;
    this.#assets = new AssetStore(options.assetsBaseUrl, options.onProgress);
    this.compileCache = {
      get: (key) => this.#compiled.get(key),
      set: (key, entry) => {
        this.#compiled.delete(key);
        this.#compiled.set(key, entry);
        if (this.#compiled.size > COMPILE_CACHE_ENTRIES) this.#compiled.delete(this.#compiled.keys().next().value!);
      },
    };
    for (const kind of options.preload ?? []) this.#activation(kind).activate();
  }

  get assets(): AssetStore {
    return this.#assets;
  }

  start(kind: SandboxKind): HostSandbox {
    return this.#sandbox(kind, "serve");
  }

  #sandbox(kind: SandboxKind, mode: "serve" | "snapshot"): BrowserSandbox {
    const activation = this.#activation(kind);
    const sandbox = new BrowserSandbox({
      kind,
      id: this.#nextId++,
      frame: this.#sandboxFrame(),
      mode,
      startTimeoutMs: this.#options.startTimeoutMs ?? 60_000,
      // Taking a sandbox for a run is what first uses a kind.
      onBind: activation.activate,
      prepare: async () => {
        // Pre-started sandboxes of a kind wait here until that kind is first used.
        if (mode === "serve") await activation.promise;
        await this.#provide(kind);
        if (kind !== "python" || mode === "snapshot") return {};
        return { snapshot: await this.#provideSnapshot() };
      },
    });
    return sandbox;
  }

  #activation(kind: SandboxKind): { promise: Promise<void>; activate: () => void } {
    let a = this.#activations.get(kind);
    if (!a) {
      let activate!: () => void;
      const promise = new Promise<void>((resolve) => (activate = resolve));
      a = { promise, activate };
      this.#activations.set(kind, a);
    }
    return a;
  }

  #sandboxFrame(): SandboxFrame {
    if (!this.#frame) {
      this.#frame = new SandboxFrame(this.#assets.file(WORKER_ASSET));
      void this.#frame.ready.then((hello) => (this.#crossOriginIsolated = hello.crossOriginIsolated), () => {});
    }
    return this.#frame;
  }

  /** Hand a kind's runtime files to the frame, once. */
  #provide(kind: SandboxKind): Promise<void> {
    let pending = this.#provided.get(kind);
    if (!pending) {
      pending = (async () => {
        if (kind === "asc") {
          throw new WasmboxError("SANDBOX_START_FAILED", "AssemblyScript does not run in the browser yet: run it on a wasmbox server (the playground's \"run on the server\" switch, or @wasmbox/client)");
        }
        const names = KIND_ASSETS[kind];
        const files: AssetFiles = {};
        await Promise.all(names.map(async (name) => (files[assetFileName(name)] = await this.#assets.file(name))));
        this.#sandboxFrame().send({ t: "assets", kind, files }, Object.values(files));
      })();
      this.#provided.set(kind, pending);
      pending.catch(() => this.#provided.delete(kind));
    }
    return pending;
  }

  /** Hand the snapshot to the frame once (it keeps it for every Python worker); false: boot without one. */
  #provideSnapshot(): Promise<boolean> {
    return (this.#snapshotInFrame ??= this.#snapshot().then((bytes) => {
      if (!bytes) return false;
      // Moved, not copied: only the frame needs it from now on (a frame lives as long as its host).
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
      this.#sandboxFrame().send({ t: "python-snapshot", bytes: whole }, [whole]);
      return true;
    }));
  }

  /** The Python baseline snapshot: from this browser's cache, else built once in a worker that runs no guest code. */
  #snapshot(): Promise<Uint8Array | null> {
    return (this.#pythonSnapshot ??= (async () => {
      const wasm = (await this.#assets.manifest()).files["pyodide/pyodide.asm.wasm"];
      const key = new URL(`snapshots/python-${this.versions.pyodide}-r${SNAPSHOT_RECIPE.version}-${SNAPSHOT_RECIPE.driver}-${encodeURIComponent(wasm?.integrity ?? "none")}`, this.#assets.baseUrl).href;
      const cache = await globalThis.caches?.open(SNAPSHOT_CACHE).catch(() => undefined);
      const hit = await cache?.match(key);
      if (hit) return new Uint8Array(await hit.arrayBuffer());
      const builder = this.#sandbox("python", "snapshot");
      try {
        await builder.ready;
        const bytes = await builder.snapshot!;
        void cache?.put(key, new Response(bytes.slice())).catch(() => {});
        return bytes;
      } catch {
        return null; // boot from scratch: slower, still correct
      } finally {
        builder.kill();
      }
    })());
  }

  scrubCompilerOutput(text: string): string {
    return text.split(`${VIRTUAL_ASSET_ORIGIN}/`).join("");
  }

  get isolation(): IsolationSummary {
    const coi = this.#crossOriginIsolated;
    return {
      mode: "browser",
      weak: false,
      sandboxNode: "none (Web Workers)",
      walls: [
        { name: "opaque-origin frame", inForce: true, detail: "sandboxes live in an iframe with sandbox=allow-scripts and no allow-same-origin: nothing of the page's origin (DOM, cookies, storage, caches, service worker) is reachable" },
        { name: "no connections", inForce: true, detail: "the frame's Content-Security-Policy, inherited by every worker: connect-src 'none', scripts only by hash and from blob:, no fetch/XHR/WebSocket/EventSource/beacon/importScripts/import() anywhere" },
        { name: "a worker per sandbox", inForce: true, detail: "each sandbox is its own Web Worker; a Python worker serves one run or one session, then is terminated" },
        { name: "deadline and Stop", inForce: true, detail: "the page terminates the worker; with shared memory it interrupts first so the guest can say where it was" },
        { name: "cooperative interrupt", inForce: coi === true, detail: coi === null ? "known once the frame starts" : coi ? "the page is cross-origin isolated: the interrupt flag is shared memory" : "the page is not cross-origin isolated (COOP/COEP): stopping a run terminates its worker at once" },
      ],
    };
  }

  /** Remove the sandbox frame (every worker stops with it). */
  close(): void {
    this.#frame?.close();
  }
}
