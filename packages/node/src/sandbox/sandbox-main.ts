/**
 * Entry point of a sandbox process: the supervisor. It runs no guest code itself. It
 * says hello with a fresh nonce (before any guest code exists), starts the guest worker,
 * relays the worker's messages to the host, and sets the shared interrupt flag when the
 * host asks. It serves one run, a session's runs, or — reused — many runs: each on a fresh
 * runtime instance (QuickJS, wasm) or, when the host asks, on a fresh guest thread (Python).
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { createOutputRingBuffer, OutputRingReader, type RuntimeLoadOptions } from "@wasmbox/core/guest";
import type { HostToSandbox, SandboxToHost, WorkerToSupervisor } from "./protocol.js";

type Unnonced<T> = T extends unknown ? Omit<T, "nonce"> : never;

const ipcSend = process.send?.bind(process);
if (!ipcSend) throw new Error("sandbox-main must be started by the wasmbox host with an IPC channel");
const nonce = randomUUID();
let pendingSends = 0;
let exiting = false;
const send = (m: Unnonced<SandboxToHost>) => {
  pendingSends++;
  ipcSend({ ...m, nonce } as SandboxToHost, undefined, undefined, () => {
    pendingSends--;
    if (exiting && pendingSends === 0) process.exit(1);
  });
};
/** End the sandbox once every message already sent has left (a 30 MB snapshot takes a while). */
const exitWhenFlushed = () => {
  exiting = true;
  if (pendingSends === 0) process.exit(1);
};

// If the host goes away, so does the sandbox: no orphans.
process.on("disconnect", () => process.exit(0));
send({ t: "hello" });

/** How often guest output is moved from the ring to the host while a run is live. */
const DRAIN_MS = 4;
let drainTimer: ReturnType<typeof setInterval> | undefined;
let init: Extract<HostToSandbox, { t: "init" }> | undefined;
/**
 * The guest thread serving runs now. Each has its own interrupt flag and output ring, so a
 * retired thread shares no memory with its successor.
 */
let current: GuestThread | undefined;
/** Python: pyodide.asm.wasm compiled once, shared by every guest thread this process boots. */
let pythonWasm: RuntimeLoadOptions["pythonWasm"];
/** The process has given up (its guest thread died unexpectedly): nothing more is relayed. */
let finished = false;

interface GuestThread {
  worker: Worker;
  port: MessagePort;
  interrupt: Int32Array;
  ring: OutputRingReader;
  /** Replace this thread with a fresh one once its run is done (reused Python sandboxes). */
  recycleAfterRun: boolean;
  retired: boolean;
}

process.on("message", (msg: HostToSandbox) => {
  switch (msg.t) {
    case "init":
      if (init) return;
      init = msg;
      void compilePythonWasm(msg).then((compiled) => {
        pythonWasm = compiled;
        current = spawnGuest();
      });
      break;
    case "run":
      if (!current) return;
      drainTimer ??= setInterval(drain, DRAIN_MS);
      current.recycleAfterRun = msg.recycle === true;
      Atomics.store(current.interrupt, 0, 0); // a session's next run starts uninterrupted
      current.port.postMessage({ t: "run", input: msg.input, fresh: msg.fresh === true });
      break;
    case "interrupt":
      if (!current) return;
      Atomics.store(current.interrupt, 0, 2); // SIGINT: Pyodide raises KeyboardInterrupt, QuickJS's handler stops.
      Atomics.notify(current.interrupt, 0); // wakes a guest sleeping on the flag (WASI poll_oneoff)
      break;
  }
});

/** Forward whatever the guest wrote since the last drain. */
function drain(): void {
  const chunks = current?.ring.drain() ?? [];
  if (chunks.length) send({ t: "out", chunks });
}

/**
 * Retire the thread that just served a run and boot a fresh one (a new V8 isolate and a new
 * runtime instance): the next run finds nothing of this one. The host hears "ready" again.
 */
function recycle(old: GuestThread): void {
  old.retired = true;
  current = spawnGuest();
  void old.worker.terminate();
}

/**
 * Compile Pyodide's wasm here, in the supervisor (which runs no guest code), so guest threads
 * only instantiate it. Any failure just leaves each thread to compile it itself.
 */
async function compilePythonWasm(config: Extract<HostToSandbox, { t: "init" }>): Promise<typeof pythonWasm> {
  if (config.kind !== "python" || config.mode === "snapshot") return undefined;
  try {
    const bytes = await readFile(`${config.assets.pyodideIndexURL}pyodide.asm.wasm`);
    const wasm = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<NonNullable<typeof pythonWasm>["module"]> } }).WebAssembly;
    return { module: await wasm.compile(bytes), byteLength: bytes.byteLength };
  } catch {
    return undefined;
  }
}

function spawnGuest(): GuestThread {
  const config = init!;
  const channel = new MessageChannel();
  const interrupt = new Int32Array(new SharedArrayBuffer(4));
  const ringBuffer = createOutputRingBuffer();
  const worker = new Worker(new URL("./guest-worker.js", import.meta.url), {
    env: {},
    argv: [],
    // No execArgv: a worker given its own execArgv does not inherit the process's
    // permission-model flags on Node 20, and would run guest code unrestricted.
    stdin: false,
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: config.heapLimitMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
  });
  const thread: GuestThread = { worker, port: channel.port1, interrupt, ring: new OutputRingReader(ringBuffer), recycleAfterRun: false, retired: false };
  // The worker's own process.stdout/stderr are not the guest's output channel; drain and drop.
  worker.stdout.resume();
  worker.stderr.resume();
  // 'error' (an uncaught exception, the heap limit) always comes before 'exit'.
  let failure: Unnonced<SandboxToHost> | null = null;
  worker.on("error", (e: Error & { code?: string }) => {
    if (finished || thread.retired) return;
    const oom = e.code === "ERR_WORKER_OUT_OF_MEMORY";
    failure = { t: "fail", reason: oom ? "memory_limit" : "crash", message: e.message };
  });
  worker.on("exit", (code) => {
    if (thread.retired) return; // replaced on purpose
    // Without its guest thread the sandbox is useless: say why (if nobody was told yet), then
    // end the process so the host sees it gone rather than sending it runs nobody will serve.
    const message = finished ? null : (failure ?? { t: "fail", reason: "crash", message: `the guest thread exited with code ${code}` });
    finished = true;
    drain();
    if (message) send(message);
    exitWhenFlushed();
  });
  thread.port.on("message", (m: WorkerToSupervisor) => {
    if (finished || thread.retired || typeof m !== "object" || m === null) return;
    drain(); // output written before this message goes first
    switch (m.t) {
      case "ready":
        send({ t: "ready", loadMs: Number(m.loadMs) });
        break;
      case "snapshot":
        finished = true;
        send({ t: "snapshot", bytes: m.bytes });
        break;
      case "done":
        send({ t: "done", outcome: m.outcome, executionTimeMs: Number(m.executionTimeMs) });
        if (thread.recycleAfterRun) recycle(thread);
        break;
      case "fail":
        if (m.reason !== "output_limit") finished = true;
        send({ t: "fail", reason: m.reason, message: String(m.message) });
        break;
    }
  });
  worker.postMessage(
    {
      t: "init",
      port: channel.port2,
      interrupt: interrupt.buffer,
      output: ringBuffer,
      kind: config.kind,
      assets: config.assets,
      mode: config.mode ?? "serve",
      pythonSnapshot: config.pythonSnapshot,
      pythonSnapshotPath: config.pythonSnapshotPath,
      pythonWasm,
    },
    [channel.port2],
  );
  return thread;
}
