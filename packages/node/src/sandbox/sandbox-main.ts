/**
 * Entry point of a sandbox process: the supervisor. It runs no guest code itself. It
 * says hello with a fresh nonce (before any guest code exists), starts the guest worker,
 * relays the worker's messages to the host, and sets the shared interrupt flag when the
 * host asks. The process serves one run (or a session's runs); the host kills it afterwards.
 */
import { randomUUID } from "node:crypto";
import { MessageChannel, Worker } from "node:worker_threads";
import { createOutputRingBuffer, OutputRingReader } from "@wasmbox/core/guest";
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

const interrupt = new Int32Array(new SharedArrayBuffer(4));
const ringBuffer = createOutputRingBuffer();
const ring = new OutputRingReader(ringBuffer);
/** How often guest output is moved from the ring to the host while a run is live. */
const DRAIN_MS = 4;
let drainTimer: ReturnType<typeof setInterval> | undefined;
let worker: Worker | undefined;
let finished = false;
let port: MessageChannel["port1"] | undefined;

process.on("message", (msg: HostToSandbox) => {
  switch (msg.t) {
    case "init":
      start(msg);
      break;
    case "run":
      drainTimer ??= setInterval(drain, DRAIN_MS);
      Atomics.store(interrupt, 0, 0); // a session's next run starts uninterrupted
      port?.postMessage({ t: "run", input: msg.input, fresh: msg.fresh === true });
      break;
    case "interrupt":
      Atomics.store(interrupt, 0, 2); // SIGINT: Pyodide raises KeyboardInterrupt, QuickJS's handler stops.
      break;
  }
});

/** Forward whatever the guest wrote since the last drain. */
function drain(): void {
  const chunks = ring.drain();
  if (chunks.length) send({ t: "out", chunks });
}

function start(init: Extract<HostToSandbox, { t: "init" }>): void {
  if (worker) return;
  const channel = new MessageChannel();
  port = channel.port1;
  worker = new Worker(new URL("./guest-worker.js", import.meta.url), {
    env: {},
    argv: [],
    // No execArgv: a worker given its own execArgv does not inherit the process's
    // permission-model flags on Node 20, and would run guest code unrestricted.
    stdin: false,
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: init.heapLimitMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
  });
  // The worker's own process.stdout/stderr are not the guest's output channel; drain and drop.
  worker.stdout.resume();
  worker.stderr.resume();
  // 'error' (an uncaught exception, the heap limit) always comes before 'exit'.
  let failure: Unnonced<SandboxToHost> | null = null;
  worker.on("error", (e: Error & { code?: string }) => {
    if (finished) return;
    const oom = e.code === "ERR_WORKER_OUT_OF_MEMORY";
    failure = { t: "fail", reason: oom ? "memory_limit" : "crash", message: e.message };
  });
  worker.on("exit", (code) => {
    // Without its guest thread the sandbox is useless: say why (if nobody was told yet), then
    // end the process so the host sees it gone rather than sending it runs nobody will serve.
    const message = finished ? null : (failure ?? { t: "fail", reason: "crash", message: `the guest thread exited with code ${code}` });
    finished = true;
    drain();
    if (message) send(message);
    exitWhenFlushed();
  });
  port.on("message", (m: WorkerToSupervisor) => {
    if (finished || typeof m !== "object" || m === null) return;
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
      kind: init.kind,
      assets: init.assets,
      mode: init.mode ?? "serve",
      pythonSnapshot: init.pythonSnapshot,
      pythonSnapshotPath: init.pythonSnapshotPath,
    },
    [channel.port2],
  );
}
