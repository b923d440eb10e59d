/**
 * Entry point of a sandbox process. It talks to the host only through length-prefixed
 * frames on fd 3 (see framing.ts) and says hello with a fresh nonce before any guest code
 * exists.
 *
 * - Python (whose guests reach the JS realm that runs them): Pyodide runs on this, the
 *   process's only thread. The process is started without `--allow-worker`, so no worker,
 *   module-hooks thread or other realm can be created from it, and it serves one run or
 *   one session, then dies.
 * - QuickJS, wasm and the compilers (whose guests cannot reach a JS realm): this thread is
 *   a supervisor that runs no guest code; the runtime lives in a worker thread, and the
 *   supervisor sets its interrupt flag and drains its output ring while it runs. These
 *   sandboxes serve many runs, each on a fresh runtime instance.
 */
import { randomUUID } from "node:crypto";
import { Socket } from "node:net";
import type { MessagePort, Worker } from "node:worker_threads";
import { concatBytes, createOutputRingBuffer, OutputRingReader, utf8CutPoint, type GuestRunInput, type GuestStream, type OutputChunk } from "@wasmbox/core/guest";
import { encodeFrameParts, FrameDecoder } from "./framing.js";
import { bootGuest, type GuestInit, type RunHandler } from "./guest-runner.js";
import { CHANNEL_FD, type HostToSandbox, type SandboxToHost, type WorkerToSupervisor } from "./protocol.js";
import { writeAllSync } from "./write-all.js";

type Unnonced<T> = T extends unknown ? Omit<T, "nonce"> : never;

const nonce = randomUUID();
const send = (m: Unnonced<SandboxToHost>) => {
  for (const part of encodeFrameParts({ ...m, nonce })) writeAllSync(CHANNEL_FD, part);
};
const utf8 = new TextEncoder();
/**
 * Output travels as one run of bytes in the frame's body, exactly as the guest wrote them,
 * with a letter per chunk for its stream (`o`/`e`) and its byte length: the JSON header
 * stays small and flat.
 */
const sendOut = (chunks: readonly OutputChunk[]) => {
  const parts = chunks.map(([, bytes]) => bytes);
  send({ t: "out", streams: chunks.map(([stream]) => (stream === "stdout" ? "o" : "e")).join(""), lengths: parts.map((p) => p.byteLength), data: joinBytes(parts) });
};

/** The parts as one array: a view when they already lie one after another (a ring drain's chunks), else a copy. */
function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  const first = parts[0];
  const last = parts.at(-1);
  if (!first || !last) return new Uint8Array(0);
  const contiguous = parts.every((p, i) => i === 0 || (p.buffer === first.buffer && p.byteOffset === parts[i - 1]!.byteOffset + parts[i - 1]!.byteLength));
  return contiguous ? new Uint8Array(first.buffer, first.byteOffset, last.byteOffset + last.byteLength - first.byteOffset) : concatBytes(parts);
}

const channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: false });
// If the host goes away, so does the sandbox: no orphans.
channel.on("end", () => process.exit(0));
channel.on("error", () => process.exit(0));
const fromHost = new FrameDecoder({ maxHeaderBytes: 512 * 1024 * 1024, maxBodyBytes: 512 * 1024 * 1024 });
channel.on("data", (chunk: Buffer) => {
  let messages: unknown[];
  try {
    messages = fromHost.push(chunk);
  } catch {
    process.exit(70);
  }
  for (const m of messages) onHostMessage(m as HostToSandbox);
});
send({ t: "hello" });

/** How often guest output is moved to the host while a run is live. */
const DRAIN_MS = 4;
let init: Extract<HostToSandbox, { t: "init" }> | undefined;
/** The process has given up (its guest thread died unexpectedly): nothing more is relayed. */
let finished = false;
let host: GuestHost | undefined;

/** Where guest code runs in this process, seen from the channel. */
interface GuestHost {
  run(input: GuestRunInput, fresh: boolean): void;
  interrupt(): void;
}

function onHostMessage(msg: HostToSandbox): void {
  switch (msg?.t) {
    case "init":
      if (init) return;
      init = msg;
      host = msg.kind === "python" ? inThread(msg) : startSupervisor(msg);
      break;
    case "run":
      host?.run(msg.input, msg.fresh === true);
      break;
    case "interrupt":
      host?.interrupt();
      break;
  }
}

// ---------------------------------------------------------------------------------------
// Python: on this thread.

function inThread(config: Extract<HostToSandbox, { t: "init" }>): GuestHost {
  // Guest code sees this process's environment: it holds nothing it did not ask for.
  for (const name of Object.keys(process.env)) delete process.env[name];
  const interrupt = new Int32Array(1);
  const out = new OutputBatcher(sendOut);
  let run: RunHandler | null = null;
  let pending: [GuestRunInput, boolean] | null = null;
  /** A run is in progress and has not reported how it ended. */
  let open = false;
  const post = (m: WorkerToSupervisor) => {
    out.flush();
    if (finished) return;
    if (m.t === "done" || m.t === "fail") open = m.t === "fail" && m.reason === "output_limit" ? open : false;
    if (m.t === "snapshot" || (m.t === "fail" && m.reason !== "output_limit")) finished = true;
    send(m);
  };
  // A runtime that dies (Pyodide's fatal errors throw from a timer) still says why.
  process.on("uncaughtException", (e) => {
    post({ t: "fail", reason: "crash", message: e instanceof Error ? e.message : String(e) });
    process.exit(70);
  });
  process.on("exit", (code) => {
    if (open) post({ t: "fail", reason: "crash", message: `the Python runtime stopped (exit code ${code})` });
  });
  const guestInit: GuestInit = {
    kind: config.kind,
    assets: config.assets,
    mode: config.mode ?? "serve",
    interrupt,
    ...(config.pythonSnapshot ? { pythonSnapshot: config.pythonSnapshot } : {}),
    ...(config.pythonSnapshotFd !== undefined ? { pythonSnapshotFd: config.pythonSnapshotFd } : {}),
    ...(config.packages?.length ? { packages: config.packages, packagesImported: config.packagesImported === true } : {}),
  };
  void bootGuest(guestInit, {
    post,
    output: (limits, onLimit) => {
      let written = 0;
      let over = false;
      return (stream, data) => {
        if (over) return;
        const bytes = typeof data === "string" ? utf8.encode(data) : data;
        const room = limits.maxOutputBytes - written;
        if (bytes.byteLength > room) {
          over = true;
          if (room > 0) out.push(stream, bytes.subarray(0, utf8CutPoint(bytes, room)));
          onLimit();
          return;
        }
        written += bytes.byteLength;
        out.push(stream, bytes);
      };
    },
  }).then((handler) => {
    run = handler;
    if (pending && run) void run(...pending);
    pending = null;
  });
  return {
    run: (input, fresh) => {
      open = true;
      Atomics.store(interrupt, 0, 0);
      if (run) void run(input, fresh);
      else pending = [input, fresh];
    },
    // Heard only while the guest yields (an await); a busy loop gets the host's kill.
    interrupt: () => Atomics.store(interrupt, 0, 2),
  };
}

/**
 * Output written on this thread goes out at once after a quiet spell, and in batches while
 * the guest writes fast (one frame per line would cost a syscall each).
 */
class OutputBatcher {
  #chunks: [GuestStream, Uint8Array[]][] = [];
  #bytes = 0;
  #lastFlush = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly sink: (chunks: OutputChunk[]) => void) {}

  push(stream: GuestStream, bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const last = this.#chunks.at(-1);
    if (last && last[0] === stream) last[1].push(bytes);
    else this.#chunks.push([stream, [bytes]]);
    this.#bytes += bytes.byteLength;
    const now = performance.now();
    if (this.#bytes >= 256 * 1024 || now - this.#lastFlush >= DRAIN_MS) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), DRAIN_MS);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastFlush = performance.now();
    if (!this.#chunks.length) return;
    const chunks = this.#chunks;
    const all = new Uint8Array(this.#bytes);
    this.#chunks = [];
    this.#bytes = 0;
    // One copy into one array; each stream's run is a view of it (sendOut sends it as it is).
    let at = 0;
    this.sink(
      chunks.map(([stream, parts]) => {
        const start = at;
        for (const p of parts) {
          all.set(p, at);
          at += p.byteLength;
        }
        return [stream, all.subarray(start, at)] as const;
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------
// QuickJS, wasm, compilers: a supervisor and a guest worker thread.

/**
 * The guest thread's stack in a wasm sandbox. Every wasm call also takes a frame on it, and
 * V8's wasm frames are larger than native ones: at 4 MiB a C program recursing 100 000 deep
 * (fine natively, within 8 MiB) ran out here first. It is reserved, not committed: only
 * the pages a deep recursion touches are resident.
 */
const WASM_THREAD_STACK_MB = 64;

interface GuestThread {
  worker: Worker;
  port: MessagePort;
  interrupt: Int32Array;
  ring: OutputRingReader;
  retired: boolean;
}

function startSupervisor(config: Extract<HostToSandbox, { t: "init" }>): GuestHost {
  let current: GuestThread | undefined;
  let queued: [GuestRunInput, boolean] | null = null;
  let drainTimer: ReturnType<typeof setInterval> | undefined;
  const drain = () => {
    const chunks = current?.ring.drain() ?? [];
    if (chunks.length) sendOut(chunks);
  };
  // Between runs nothing writes: an idle sandbox is not woken every DRAIN_MS.
  const idle = () => {
    clearInterval(drainTimer);
    drainTimer = undefined;
  };
  // A writer filling the ring is drained at once, not at the next tick of the timer.
  const drainWhenFilling = (thread: GuestThread) =>
    void thread.ring.whenFilling()?.then(() => {
      if (thread !== current || thread.retired || finished) return;
      drain();
      drainWhenFilling(thread);
    });
  void import("node:worker_threads").then(({ MessageChannel, Worker }) => {
    const spawnGuest = (): GuestThread => {
      const ports = new MessageChannel();
      const interrupt = new Int32Array(new SharedArrayBuffer(4));
      const ringBuffer = createOutputRingBuffer();
      const worker = new Worker(new URL("./guest-worker.js", import.meta.url), {
        env: {},
        argv: [],
        // No execArgv: a worker given its own execArgv does not inherit the process's
        // permission-model flags, and would run unrestricted.
        stdin: false,
        stdout: true,
        stderr: true,
        resourceLimits: { maxOldGenerationSizeMb: config.heapLimitMb, maxYoungGenerationSizeMb: 32, stackSizeMb: config.kind === "wasm" ? WASM_THREAD_STACK_MB : 4 },
      });
      const thread: GuestThread = { worker, port: ports.port1, interrupt, ring: new OutputRingReader(ringBuffer), retired: false };
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
        if (thread.retired) return;
        // Without its guest thread the sandbox is useless: say why, then end the process.
        const message = finished ? null : (failure ?? { t: "fail", reason: "crash", message: `the guest thread exited with code ${code}` });
        finished = true;
        drain();
        if (message) send(message);
        process.exit(1);
      });
      thread.port.on("message", (m: WorkerToSupervisor) => {
        if (finished || thread.retired || typeof m !== "object" || m === null) return;
        drain(); // output written before this message goes first
        switch (m.t) {
          case "ready":
            send({ t: "ready", loadMs: Number(m.loadMs) });
            break;
          case "done":
            idle();
            send({ t: "done", outcome: m.outcome, executionTimeMs: Number(m.executionTimeMs) });
            break;
          case "fail":
            if (m.reason !== "output_limit") {
              finished = true;
              idle();
            }
            send({ t: "fail", reason: m.reason, message: String(m.message) });
            break;
          case "snapshot":
            break; // never built here
        }
      });
      const guestInit: Omit<GuestInit, "interrupt"> & { t: "init"; port: unknown; interrupt: SharedArrayBuffer; output: SharedArrayBuffer } = {
        t: "init",
        port: ports.port2,
        interrupt: interrupt.buffer as SharedArrayBuffer,
        output: ringBuffer,
        kind: config.kind,
        assets: config.assets,
        mode: "serve",
        ...(config.quickjsPristineImage === false ? { quickjsPristineImage: false } : {}),
      };
      worker.postMessage(guestInit, [ports.port2]);
      return thread;
    };
    current = spawnGuest();
    drainWhenFilling(current);
    if (queued) startRun(...queued);
    queued = null;
  });
  const startRun = (input: GuestRunInput, fresh: boolean) => {
    if (!current) return void (queued = [input, fresh]);
    drainTimer ??= setInterval(drain, DRAIN_MS);
    Atomics.store(current.interrupt, 0, 0); // a session's next run starts uninterrupted
    current.port.postMessage({ t: "run", input, fresh });
  };
  return {
    run: (input, fresh) => startRun(input, fresh),
    interrupt: () => {
      if (!current) return;
      Atomics.store(current.interrupt, 0, 2); // SIGINT: QuickJS's interrupt handler stops.
      Atomics.notify(current.interrupt, 0); // wakes a guest sleeping on the flag (WASI poll_oneoff)
    },
  };
}
