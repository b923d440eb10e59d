/**
 * The messages between the three places a browser sandbox lives in:
 *
 * - the page (trusted: the engine and {@link BrowserSandboxHost}), which fetches the runtime
 *   assets and enforces every limit;
 * - the sandbox frame: an iframe with an opaque origin (`sandbox="allow-scripts"`) and a
 *   Content-Security-Policy that forbids every connection. Its one script (frame-main.ts)
 *   runs no guest code: it starts a Web Worker per sandbox, relays messages and terminates
 *   workers when told to;
 * - a guest worker (guest-worker.ts): one runtime, its guest code. Python guests reach this
 *   worker's JS realm, so everything a worker posts is hostile input, checked by the frame
 *   (shape) and by the page (the outcome, against the contract).
 *
 * The page and the frame talk over one MessagePort handed over when the frame loads; a
 * worker talks only to the frame, which tags its messages with the worker's id (a worker
 * cannot speak for another).
 */
import type { GuestOutcome, GuestRunInput, SandboxKind } from "@wasmbox/core";

/** Runtime asset files, by name (`pyodide.asm.wasm`, `llvm.core.wasm`, …). */
export type AssetFiles = Record<string, ArrayBuffer>;

export type SandboxFailure = "memory_limit" | "output_limit" | "crash" | "load";

/** Page → frame. */
export type PageToFrame =
  /** The guest worker's code (sent once, before any spawn). */
  | { t: "worker"; code: ArrayBuffer }
  /** Keep these asset files for workers of `kind` (sent once per kind; wasm is compiled once here). */
  | { t: "assets"; kind: SandboxKind; files: AssetFiles }
  /** The Python baseline snapshot, kept by the frame for every Python worker (sent once). */
  | { t: "python-snapshot"; bytes: ArrayBuffer }
  /** Start worker `id`. `snapshot`: boot Python from the frame's snapshot; mode `snapshot` builds one instead. */
  | { t: "spawn"; id: number; kind: SandboxKind; mode: "serve" | "snapshot"; snapshot?: boolean }
  | { t: "interrupt"; id: number }
  | { t: "kill"; id: number };

/** Frame → page. Everything but `hello` carries the id of the worker it is about. */
export type FrameToPage =
  | { t: "hello"; crossOriginIsolated: boolean }
  /**
   * The page's end of worker `id`'s own channel: runs go to the worker and its messages
   * (`WorkerToFrame`, hostile) come back on it directly, without a hop through the frame.
   */
  | { t: "channel"; id: number; port: MessagePort }
  | { t: "ready"; id: number; loadMs: number }
  | { t: "snapshot"; id: number; bytes: Uint8Array }
  /** Output in write order: chunk i is `lengths[i]` bytes of `data`, on stream `streams[i]` (`o`/`e`). */
  | { t: "out"; id: number; streams: string; lengths: number[]; data: Uint8Array }
  | { t: "done"; id: number; outcome: GuestOutcome; executionTimeMs: number }
  | { t: "fail"; id: number; reason: SandboxFailure; message: string }
  /** The worker is gone (terminated, crashed, or it broke the protocol: `violation`). */
  | { t: "exit"; id: number; message: string; violation?: boolean };

/** Frame → worker: the first message sets it up (then runs come from the page on `port`). */
export type FrameToWorker =
  | {
      t: "init";
      /** The worker's end of its channel with the page. */
      port: MessagePort;
      kind: SandboxKind;
      mode: "serve" | "snapshot";
      files: AssetFiles;
      /** Compiled wasm modules, by asset name (shared by the frame's workers). */
      modules: Record<string, WebAssembly.Module>;
      /** The interrupt flag (a SharedArrayBuffer where the page is cross-origin isolated). */
      interrupt: Int32Array;
      /** Shared memory where the page is cross-origin isolated: every Python worker reads the one copy. */
      snapshot?: ArrayBuffer | SharedArrayBuffer;
    }
  /** Page → worker, on its channel. */
  | { t: "run"; input: GuestRunInput; fresh: boolean };

/** Worker → page, on its channel (hostile: the page checks the shape of each). */
export type WorkerToFrame =
  | { t: "ready"; loadMs: number }
  | { t: "snapshot"; bytes: Uint8Array }
  | { t: "out"; streams: string; lengths: number[]; data: Uint8Array }
  | { t: "done"; outcome: GuestOutcome; executionTimeMs: number }
  | { t: "fail"; reason: SandboxFailure; message: string };

/** The origin-less address runtimes load their files from inside a worker (never fetched: served from memory). */
export const VIRTUAL_ASSET_ORIGIN = "https://assets.wasmbox.invalid";

/** Asset files each kind of sandbox needs, by manifest name. */
export const KIND_ASSETS: Readonly<Record<SandboxKind, readonly string[]>> = {
  python: ["pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip", "pyodide/pyodide-lock.json"],
  quickjs: ["quickjs/emscripten-module.wasm"],
  wasm: [],
  clang: ["clang/llvm.core.wasm", "clang/llvm.core2.wasm", "clang/llvm.core3.wasm", "clang/llvm.core4.wasm", "clang/llvm-resources.tar"],
  asc: [],
};

/** The worker's own code, fetched like the runtime files. */
export const WORKER_ASSET = "browser/guest-worker.js";

/** The file name of a manifest name (`pyodide/pyodide.asm.wasm` → `pyodide.asm.wasm`). */
export const assetFileName = (name: string): string => name.slice(name.lastIndexOf("/") + 1);
