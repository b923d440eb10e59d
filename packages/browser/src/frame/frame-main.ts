/**
 * The sandbox frame's one script. The frame is an iframe with an opaque origin
 * (`sandbox="allow-scripts"`, no `allow-same-origin`): it reads nothing of the page (DOM,
 * cookies, storage) and nothing of any origin's storage. Its Content-Security-Policy
 * (`connect-src 'none'`, scripts only by hash and from blob:) is inherited by every worker
 * it starts, so no guest can open a connection anywhere — the wasmbox server included.
 *
 * It runs no guest code. It starts one Web Worker per sandbox, compiles each kind's wasm
 * once and hands it to those workers, gives the page and each worker a private channel of
 * their own (so output does not wait for this frame's thread), sets a worker's interrupt
 * flag and terminates it when the page says so. A worker's messages are hostile (Python
 * guests reach its realm): the page checks each one's shape, rate and outcome.
 */
import type { AssetFiles, FrameToPage, FrameToWorker, PageToFrame } from "../protocol.js";

interface GuestWorker {
  worker: Worker;
  interrupt: Int32Array;
  /** Error events it may still raise before the next second's allowance. */
  budget: number;
  budgetAt: number;
}

/** Uncaught-error events a worker may raise: a burst, then a steady rate (its messages go to the page, which counts them). */
const MESSAGE_BURST = 4000;
const MESSAGES_PER_SECOND = 2000;

type KindAssets = { files: AssetFiles; modules: Record<string, WebAssembly.Module> };
/** Each kind's files and compiled modules (compiling is asynchronous: spawns wait for it). */
const kinds = new Map<string, Promise<KindAssets>>();
/** Workers killed before they were started (a spawn waiting for its kind's assets). */
const cancelled = new Set<number>();
const workers = new Map<number, GuestWorker>();
let workerURL: string | null = null;
/** The Python snapshot: in shared memory where possible, so a new worker costs no copy of it. */
let pythonSnapshot: ArrayBuffer | SharedArrayBuffer | null = null;
let port: MessagePort | null = null;

const toPage = (m: FrameToPage, transfer: Transferable[] = []) => port?.postMessage(m, transfer);

addEventListener("message", function handshake(e: MessageEvent) {
  // The page hands over its port once, right after the frame loads; anything else is ignored.
  if (port || e.source !== parent || !(e.ports[0] instanceof MessagePort) || e.data !== "wasmbox-frame") return;
  removeEventListener("message", handshake);
  port = e.ports[0];
  port.onmessage = (m: MessageEvent) => onPage(m.data as PageToFrame);
  toPage({ t: "hello", crossOriginIsolated: globalThis.crossOriginIsolated === true });
});

function onPage(m: PageToFrame): void {
  switch (m?.t) {
    case "worker":
      workerURL ??= URL.createObjectURL(new Blob([m.code], { type: "text/javascript" }));
      break;
    case "python-snapshot":
      if (globalThis.crossOriginIsolated) {
        const shared = new SharedArrayBuffer(m.bytes.byteLength);
        new Uint8Array(shared).set(new Uint8Array(m.bytes));
        pythonSnapshot = shared;
      } else pythonSnapshot = m.bytes;
      break;
    case "assets":
      kinds.set(m.kind, compileAll(m.files));
      break;
    case "spawn":
      void spawn(m);
      break;
    case "interrupt": {
      const w = workers.get(m.id);
      if (!w) return;
      Atomics.store(w.interrupt, 0, 2); // SIGINT: Pyodide's and QuickJS's interrupt checks stop
      if (isShared(w.interrupt)) Atomics.notify(w.interrupt, 0); // wakes a WASI sleep
      break;
    }
    case "kill":
      if (workers.has(m.id)) end(m.id, "stopped");
      else cancelled.add(m.id);
      break;
  }
}

async function compileAll(files: AssetFiles): Promise<KindAssets> {
  // Compiled once here for all the kind's workers; the bytes of a compiled file are not kept.
  const modules: Record<string, WebAssembly.Module> = {};
  const rest: AssetFiles = {};
  await Promise.all(
    Object.entries(files).map(async ([name, bytes]) => {
      if (name.endsWith(".wasm")) modules[name] = await WebAssembly.compile(bytes);
      else rest[name] = bytes;
    }),
  );
  return { files: rest, modules };
}

async function spawn(m: Extract<PageToFrame, { t: "spawn" }>): Promise<void> {
  let assets: KindAssets;
  try {
    assets = (await kinds.get(m.kind)) ?? { files: {}, modules: {} };
  } catch (err) {
    return toPage({ t: "exit", id: m.id, message: `the ${m.kind} runtime's wasm does not compile: ${String(err).slice(0, 500)}` });
  }
  if (cancelled.delete(m.id)) return toPage({ t: "exit", id: m.id, message: "stopped" });
  if (!workerURL) return toPage({ t: "exit", id: m.id, message: "the guest worker's code was not loaded" });
  const worker = new Worker(workerURL, { name: `wasmbox-${m.kind}-${m.id}` });
  // Shared memory where the page is cross-origin isolated: the page can then interrupt a
  // busy guest cooperatively. Without it, stopping a run terminates its worker.
  const interrupt = new Int32Array(globalThis.crossOriginIsolated ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
  const w: GuestWorker = { worker, interrupt, budget: MESSAGE_BURST, budgetAt: performance.now() };
  workers.set(m.id, w);
  // The worker talks to the page on a channel of its own: nothing it says passes through here.
  const channel = new MessageChannel();
  toPage({ t: "channel", id: m.id, port: channel.port1 }, [channel.port1]);
  // Anything on the worker's global port is out of protocol.
  worker.onmessage = () => end(m.id, "it posted to the frame", true);
  worker.onmessageerror = () => end(m.id, "it sent a message that could not be read", true);
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    // A guest can raise these as fast as it can post messages (an uncaught error per timer tick).
    if (workers.get(m.id) !== w || !withinBudget(m.id, w)) return;
    toPage({ t: "fail", id: m.id, reason: "crash", message: String(e.message ?? "the guest worker failed").slice(0, 2000) });
  };
  const init: FrameToWorker = {
    t: "init",
    port: channel.port2,
    kind: m.kind,
    mode: m.mode,
    files: assets.files,
    modules: assets.modules,
    interrupt,
    ...(m.snapshot && pythonSnapshot ? { snapshot: pythonSnapshot } : {}),
  };
  worker.postMessage(init, [channel.port2]);
}

/** Count one error event of a worker against its budget; over it, the worker is ended. */
function withinBudget(id: number, w: GuestWorker): boolean {
  const now = performance.now();
  w.budget = Math.min(MESSAGE_BURST, w.budget + ((now - w.budgetAt) / 1000) * MESSAGES_PER_SECOND) - 1;
  w.budgetAt = now;
  if (w.budget >= 0) return true;
  end(id, `it sent messages faster than ${MESSAGES_PER_SECOND} a second`, true);
  return false;
}

function end(id: number, message: string, violation = false): void {
  const w = workers.get(id);
  if (!w) return;
  workers.delete(id);
  w.worker.terminate();
  toPage({ t: "exit", id, message, ...(violation ? { violation: true } : {}) });
}

function isShared(a: Int32Array): boolean {
  return typeof SharedArrayBuffer !== "undefined" && a.buffer instanceof SharedArrayBuffer;
}
