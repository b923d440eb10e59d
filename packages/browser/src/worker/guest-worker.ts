/**
 * A guest worker: one runtime and the guest code it runs, in a Web Worker started by the
 * sandbox frame. It inherits the frame's opaque origin (no cookies, storage or caches of
 * any site) and its Content-Security-Policy (`connect-src 'none'`, scripts only from blob:):
 * those are the walls, enforced by the browser outside this realm. What this file does in
 * the realm — the runtime files served from memory, network and storage globals removed —
 * only makes a guest's attempt fail with a clear message instead of a CSP report.
 *
 * Python guests reach this realm (`import js`) and can post anything to the frame: nothing
 * here is trusted by the frame or the page.
 */
import { buildPythonSnapshot, concatBytes, outcomeWithinLimits, RUNTIMES, utf8CutPoint, type GuestRunInput, type GuestStream, type LoadedRuntime } from "@wasmbox/core/guest";
import pyodideFactory from "pyodide/pyodide.asm.mjs";
import { VIRTUAL_ASSET_ORIGIN, type FrameToWorker, type WorkerToFrame } from "../protocol.js";

type Init = Extract<FrameToWorker, { t: "init" }>;

const scope = globalThis as unknown as {
  addEventListener(type: "message", listener: (e: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (e: MessageEvent) => void): void;
};
/** The channel to the page (set by init): everything this worker says goes on it. */
let channel: MessagePort | null = null;
const post = (message: WorkerToFrame, transfer: Transferable[] = []) => channel?.postMessage(message, transfer);
const utf8 = new TextEncoder();

function onInit(e: MessageEvent): void {
  const init = e.data as Init;
  if (init?.t !== "init" || !(init.port instanceof MessagePort)) return;
  scope.removeEventListener("message", onInit);
  channel = init.port;
  void boot(init);
}
scope.addEventListener("message", onInit);

async function boot(init: Init): Promise<void> {
  let runtime: LoadedRuntime;
  const t0 = performance.now();
  try {
    serveAssetsFromMemory(init);
    lockDownRealm();
    const assets = { pyodideIndexURL: `${VIRTUAL_ASSET_ORIGIN}/pyodide/` };
    if (init.mode === "snapshot") {
      const bytes = await buildPythonSnapshot(assets, pyodideFactory);
      post({ t: "snapshot", bytes }, [bytes.buffer]);
      return;
    }
    runtime = await RUNTIMES[init.kind].load({
      assets,
      interruptBuffer: init.interrupt,
      pyodideFactory,
      // Pyodide decodes parts of it as text, which shared memory refuses: this worker takes its own copy.
      ...(init.snapshot ? { pythonSnapshot: init.snapshot instanceof ArrayBuffer ? new Uint8Array(init.snapshot) : new Uint8Array(init.snapshot).slice() } : {}),
      ...(init.modules["emscripten-module.wasm"] ? { quickjsWasmModule: init.modules["emscripten-module.wasm"] } : {}),
    });
  } catch (err) {
    post({ t: "fail", reason: "load", message: err instanceof Error ? err.message : String(err) });
    return;
  }
  channel!.onmessage = (e: MessageEvent) => {
    const msg = e.data as FrameToWorker;
    if (msg?.t !== "run") return;
    Atomics.store(init.interrupt, 0, 0); // a session's next run starts uninterrupted
    void run(runtime, msg.input, msg.fresh);
  };
  post({ t: "ready", loadMs: performance.now() - t0 });
}

async function run(runtime: LoadedRuntime, input: GuestRunInput, fresh: boolean): Promise<void> {
  const out = new OutputBatcher();
  let written = 0;
  let over = false;
  const write = (stream: GuestStream, data: string | Uint8Array) => {
    if (over) return;
    const bytes = typeof data === "string" ? utf8.encode(data) : data;
    const room = input.limits.maxOutputBytes - written;
    if (bytes.byteLength > room) {
      over = true;
      if (room > 0) out.push(stream, bytes.slice(0, utf8CutPoint(bytes, room)));
      out.flush();
      post({ t: "fail", reason: "output_limit", message: "output exceeded maxOutputBytes" });
      return;
    }
    written += bytes.byteLength;
    // A copy: the runtime may reuse its buffer (wasm memory) after the call returns.
    out.push(stream, bytes.slice());
  };
  const t0 = performance.now();
  try {
    const outcome = await runtime.run(input, { write }, { fresh });
    out.flush();
    post({ t: "done", outcome: outcomeWithinLimits(outcome, input.limits.maxOutputBytes), executionTimeMs: performance.now() - t0 });
  } catch (err) {
    out.flush();
    post({ t: "fail", reason: "crash", message: err instanceof Error ? err.message : String(err) });
  }
}

/** How often output moves to the frame while the guest writes fast. */
const DRAIN_MS = 4;
/** Writes that go out at once, each as its own message, before batching starts. */
const IMMEDIATE_BURST = 64;
/** Immediate sends left, for every run of this worker: refills at one per DRAIN_MS, up to IMMEDIATE_BURST. */
const immediate = { tokens: IMMEDIATE_BURST, at: performance.now() };

/**
 * Output goes out at once while the guest writes slowly, and in batches (one every DRAIN_MS)
 * while it writes fast, so the frame's message budget is never at risk. "At once" matters: a
 * guest that writes and then computes without yielding (`print(...)` then a busy loop) never
 * lets a timer fire, and what it wrote must still reach the page while it runs (and survive
 * a Stop, which terminates the worker with whatever is still here).
 */
class OutputBatcher {
  /** Consecutive writes to one stream travel as one chunk. */
  #chunks: [GuestStream, Uint8Array[]][] = [];
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  push(stream: GuestStream, bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const last = this.#chunks.at(-1);
    if (last && last[0] === stream) last[1].push(bytes);
    else this.#chunks.push([stream, [bytes]]);
    this.#bytes += bytes.byteLength;
    const now = performance.now();
    immediate.tokens = Math.min(IMMEDIATE_BURST, immediate.tokens + (now - immediate.at) / DRAIN_MS);
    immediate.at = now;
    if (this.#bytes >= 256 * 1024 || immediate.tokens >= 1) {
      immediate.tokens = Math.max(0, immediate.tokens - 1);
      this.flush();
    } else this.#timer ??= setTimeout(() => this.flush(), DRAIN_MS);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#chunks.length) return;
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#bytes = 0;
    const joined = chunks.map(([, parts]) => concatBytes(parts));
    const data = concatBytes(joined);
    post({ t: "out", streams: chunks.map(([s]) => (s === "stdout" ? "o" : "e")).join(""), lengths: joined.map((b) => b.byteLength), data }, [data.buffer]);
  }
}

/**
 * Runtimes load their files by URL (Pyodide its wasm, standard library and lock file; clang
 * its four modules and headers). Under the worker's CSP no URL can be fetched, so `fetch`
 * answers those from the bytes the page handed over, and wasm compiled once by the frame is
 * used instead of compiling again; any other URL is refused.
 */
function serveAssetsFromMemory(init: Init): void {
  const realCompileStreaming = WebAssembly.compileStreaming?.bind(WebAssembly);
  const realInstantiateStreaming = WebAssembly.instantiateStreaming?.bind(WebAssembly);
  const fetchAsset = async (input: RequestInfo | URL): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const name = url.startsWith(`${VIRTUAL_ASSET_ORIGIN}/`) ? url.slice(url.lastIndexOf("/") + 1) : null;
    // A file compiled by the frame is answered with no body: the compile/instantiate below uses the module.
    const bytes = name === null ? undefined : init.modules[name] ? new ArrayBuffer(0) : init.files[name];
    if (!name || !bytes) throw new TypeError(`network access is not available in the wasmbox sandbox (fetch ${url.slice(0, 200)})`);
    // The name rides in a header: runtimes re-wrap responses (clang's download progress) and keep the headers.
    return new Response(bytes.slice(0), { headers: { "content-type": name.endsWith(".wasm") ? "application/wasm" : "application/octet-stream", [ASSET_HEADER]: name } });
  };
  const compiled = (source: unknown): WebAssembly.Module | undefined => {
    const name = source instanceof Response ? source.headers.get(ASSET_HEADER) : null;
    return name ? init.modules[name] : undefined;
  };
  Object.defineProperty(globalThis, "fetch", { value: fetchAsset, writable: false, configurable: false });
  WebAssembly.compileStreaming = async (source) => {
    const resolved = await source;
    return compiled(resolved) ?? realCompileStreaming(resolved);
  };
  WebAssembly.instantiateStreaming = (async (source: Response | PromiseLike<Response>, imports?: WebAssembly.Imports) => {
    const resolved = await source;
    const module = compiled(resolved);
    if (!module) return realInstantiateStreaming(resolved, imports);
    return { module, instance: await WebAssembly.instantiate(module, imports) };
  }) as typeof WebAssembly.instantiateStreaming;
}

/** Marks a response served from memory with the asset's name. */
const ASSET_HEADER = "x-wasmbox-asset";

/** Globals that reach the network, storage or other realms: gone before any guest code exists (the CSP and the opaque origin refuse them anyway). */
const REMOVED_GLOBALS = [
  "XMLHttpRequest",
  "WebSocket",
  "WebSocketStream",
  "EventSource",
  "WebTransport",
  "BroadcastChannel",
  "Worker",
  "SharedWorker",
  "importScripts",
  "indexedDB",
  "caches",
  "cookieStore",
  "FileSystemHandle",
  "FileSystemDirectoryHandle",
  "FileSystemFileHandle",
  "Notification",
];

function lockDownRealm(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of REMOVED_GLOBALS) {
    if (!(name in g)) continue;
    try {
      Object.defineProperty(g, name, { value: undefined, writable: false, configurable: false });
    } catch {
      // not configurable: the browser's walls still hold
    }
  }
  const nav = (g.navigator ?? {}) as Record<string, unknown>;
  for (const name of ["storage", "locks", "serviceWorker", "sendBeacon", "connection"]) {
    try {
      Object.defineProperty(nav, name, { value: undefined, writable: false, configurable: false });
    } catch {
      // as above
    }
  }
}
