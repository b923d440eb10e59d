/**
 * One sandbox of the browser host: a Web Worker in the sandbox frame, seen from the page.
 * It mirrors the Node host's sandbox process: it boots ahead of the run that will use it,
 * serves one run (Python, whose guests reach the worker's realm) or many, each on a fresh
 * runtime instance (QuickJS, wasm, compilers), or a session; and it enforces the run's
 * limits from the page, outside the guest: the deadline (the interrupt flag, then
 * `worker.terminate()` after a grace), the output cap, Stop. Everything the worker says is
 * hostile input: its output is capped, its outcome checked against the contract.
 */
import {
  OutputRecorder,
  RunWatch,
  WasmboxError,
  type GuestRunInput,
  type HostSandbox,
  type RunMessage,
  type SandboxKind,
  type SandboxRunCallbacks,
  type SandboxRunResult,
} from "@wasmbox/core";
import type { FrameToPage, FrameToWorker, PageToFrame, WorkerToFrame } from "../protocol.js";
import type { SandboxFrame } from "./sandbox-frame.js";

export interface BrowserSandboxOptions {
  kind: SandboxKind;
  id: number;
  frame: SandboxFrame;
  /** Resolves once the frame holds this kind's runtime files (and, for Python, with the snapshot). */
  prepare: () => Promise<{ snapshot?: boolean }>;
  startTimeoutMs: number;
  mode?: "serve" | "snapshot";
  /** Called when the sandbox is bound to a tenant (the engine took it for a run). */
  onBind?: () => void;
}

/** What a sandbox hears during boot and runs: its worker's messages, and the frame's report of a crash. */
type Incoming = WorkerToFrame | Extract<FrameToPage, { t: "fail" }>;

/** Messages a worker may send: a burst, then a steady rate (its output is batched every 4 ms). */
const MESSAGE_BURST = 4000;
const MESSAGES_PER_SECOND = 2000;
const WORKER_MESSAGES = new Set(["ready", "snapshot", "out", "done", "fail"]);
const MiB = 1024 * 1024;
/** Output bytes a worker may send between runs (a session's timer printing): a burst, then a trickle. */
const IDLE_BYTE_BURST = 2 * MiB;
const IDLE_BYTES_PER_SECOND = 64 * 1024;

export class BrowserSandbox implements HostSandbox {
  readonly kind: SandboxKind;
  readonly ready: Promise<void>;
  /** In `snapshot` mode: the snapshot the worker built. */
  readonly snapshot: Promise<Uint8Array> | undefined;
  runCount = 0;
  loadMs = 0;
  readonly #id: number;
  readonly #frame: SandboxFrame;
  #onMessage: ((m: Incoming) => void) | null = null;
  /** The worker's own channel (from the frame, at spawn). */
  #channel: MessagePort | null = null;
  #budget = MESSAGE_BURST;
  #budgetAt = performance.now();
  #idleBytes = IDLE_BYTE_BURST;
  /** Output bytes the live run may still send: twice its output cap and some room (like the Node host's channel cap). */
  #runBytesLeft = 0;
  #stopListening: () => void = () => {};
  #booted = false;
  #exited = false;
  #exitMessage = "";
  #exitWasViolation = false;
  #markGone!: () => void;
  readonly #gone: Promise<void>;
  #used = false;
  #running = false;
  #session = false;
  #reusable = false;
  #freshNext = false;
  #broken = false;
  #tenant: string | null = null;
  readonly #onBind: (() => void) | undefined;

  constructor(options: BrowserSandboxOptions) {
    this.kind = options.kind;
    this.#id = options.id;
    this.#onBind = options.onBind;
    this.#frame = options.frame;
    this.#gone = new Promise<void>((resolve) => (this.#markGone = resolve));
    this.#stopListening = this.#frame.listen(this.#id, (m) => {
      if (m.t === "exit") return this.#exit(typeof m.message === "string" ? m.message.slice(0, 2000) : "", m.violation === true);
      if (m.t === "channel" && m.port instanceof MessagePort && !this.#channel) {
        this.#channel = m.port;
        m.port.onmessage = (e: MessageEvent) => this.#fromWorker(e.data);
        m.port.onmessageerror = () => this.#violate("a message that could not be read");
        return;
      }
      if (m.t === "fail") this.#onMessage?.(m);
    });
    let resolveSnapshot: ((b: Uint8Array) => void) | undefined;
    if (options.mode === "snapshot") this.snapshot = new Promise((r) => (resolveSnapshot = r));
    this.ready = this.#boot(options, resolveSnapshot);
    this.ready.catch(() => {});
  }

  async #boot(options: BrowserSandboxOptions, onSnapshot?: (b: Uint8Array) => void): Promise<void> {
    const fail = (why: string) => new WasmboxError("SANDBOX_START_FAILED", `a ${this.kind} sandbox failed to start: ${why}`);
    let prepared: { snapshot?: boolean };
    try {
      await this.#frame.ready;
      prepared = await options.prepare();
    } catch (err) {
      this.kill();
      throw err instanceof WasmboxError ? err : fail(err instanceof Error ? err.message : String(err));
    }
    if (this.#exited) throw fail("it was disposed before it started");
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const done = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#onMessage = null;
        if (err) {
          this.kill();
          reject(err);
        } else resolve();
      };
      const timer = setTimeout(() => done(fail(`not ready after ${options.startTimeoutMs} ms`)), options.startTimeoutMs);
      void this.#gone.then(() => done(fail(this.#exitMessage || "its worker stopped during start-up")));
      this.#onMessage = (m) => {
        if (m.t === "ready") {
          this.loadMs = performance.now() - t0;
          this.#booted = true;
          done();
        } else if (m.t === "snapshot" && onSnapshot && m.bytes instanceof Uint8Array) {
          onSnapshot(m.bytes);
          done();
        } else if (m.t === "fail") done(fail(String(m.message).slice(0, 2000)));
      };
      this.#send({ t: "spawn", id: this.#id, kind: this.kind, mode: options.mode ?? "serve", ...(prepared.snapshot ? { snapshot: true } : {}) });
    });
  }

  /**
   * A message from the worker: hostile (Python guests reach its realm). Out of shape or too
   * many, and the sandbox is stopped; its fields are checked again where they are used.
   */
  #fromWorker(raw: unknown): void {
    if (this.#exited) return;
    const now = performance.now();
    this.#budget = Math.min(MESSAGE_BURST, this.#budget + ((now - this.#budgetAt) / 1000) * MESSAGES_PER_SECOND) - 1;
    if (this.#budget < 0) return this.#violate(`it sent messages faster than ${MESSAGES_PER_SECOND} a second`);
    this.#idleBytes = Math.min(IDLE_BYTE_BURST, this.#idleBytes + ((now - this.#budgetAt) / 1000) * IDLE_BYTES_PER_SECOND);
    this.#budgetAt = now;
    const t = typeof raw === "object" && raw !== null ? (raw as { t?: unknown }).t : undefined;
    if (typeof t !== "string" || !WORKER_MESSAGES.has(t)) return this.#violate("a message out of shape");
    // Output costs the page memory as it arrives: a run gets a byte budget, the time between
    // runs next to none. The message is heard first, so a run over its output cap ends as
    // output_limit with what fitted; a sandbox that keeps sending after that is stopped.
    const data = t === "out" ? (raw as { data?: unknown }).data : undefined;
    const bytes = data instanceof Uint8Array ? data.byteLength : 0;
    const over = this.#running ? (this.#runBytesLeft -= bytes) < 0 : (this.#idleBytes -= bytes) < 0;
    this.#onMessage?.(raw as WorkerToFrame);
    if (over) this.#violate(this.#running ? "it sent more output than a run may" : "it kept sending output between runs");
  }

  /** The worker broke the protocol: stop it, and say so in its run. */
  #violate(why: string): void {
    if (this.#exited) return;
    this.#send({ t: "kill", id: this.#id });
    this.#exit(why, true);
  }

  get isReady(): boolean {
    return this.#booted && !this.#exited;
  }

  get alive(): boolean {
    return !this.#exited;
  }

  get healthy(): boolean {
    return this.alive && !this.#broken;
  }

  get tenant(): string | null {
    return this.#tenant;
  }

  bindTenant(tenant: string): void {
    if (this.#tenant !== null && this.#tenant !== tenant) throw new WasmboxError("ALREADY_USED", "a sandbox serves one tenant only");
    this.#tenant = tenant;
    this.#onBind?.();
  }

  keepForReuse(): void {
    // Python guests reach the worker's realm: such a worker serves one run only.
    if (this.kind !== "python") this.#reusable = true;
  }

  keepForSession(): void {
    this.#session = true;
    this.#reusable = false;
    this.#freshNext = this.runCount > 0;
  }

  get reusable(): boolean {
    return this.#reusable && this.healthy;
  }

  async run(input: GuestRunInput, callbacks: SandboxRunCallbacks = {}): Promise<SandboxRunResult> {
    if (this.#running) throw new WasmboxError("ALREADY_USED", "a sandbox runs one program at a time");
    if (this.#used && !this.#session && !this.#reusable) throw new WasmboxError("ALREADY_USED", "a sandbox serves exactly one run");
    this.#used = true;
    this.#running = true;
    this.runCount++;
    try {
      const result = await this.#runOnce(input, callbacks);
      if (result.crash !== null) this.#broken = true;
      return result;
    } finally {
      this.#running = false;
      if (!this.#session && !this.#reusable) this.kill();
    }
  }

  async #runOnce(input: GuestRunInput, callbacks: SandboxRunCallbacks): Promise<SandboxRunResult> {
    await this.ready;
    if (this.#exited) {
      return { outcome: null, violations: [], stoppedBy: null, crash: "the sandbox has already stopped", protocolViolation: null, streams: new OutputRecorder().fields(), executionTimeMs: 0, peakRssBytes: 0 };
    }
    this.#runBytesLeft = 2 * input.limits.maxOutputBytes + 16 * MiB;
    // Limits, Stop and the worker's messages: core's RunWatch, as on every host.
    const watch = new RunWatch({
      limits: input.limits,
      callbacks,
      cooperative: this.#session || this.#reusable,
      compiler: this.kind === "clang" || this.kind === "asc",
      interrupt: () => this.interrupt(),
      kill: () => this.kill(),
    });
    this.#onMessage = (m) => watch.receive(m as unknown as RunMessage);
    void this.#gone.then(() => {
      if (this.#exitWasViolation) watch.breach(this.#exitMessage);
      watch.gone(`the sandbox's worker stopped unexpectedly${this.#exitMessage ? `: ${this.#exitMessage}` : ""}`);
    });
    const fresh = this.#reusable || this.#freshNext;
    this.#freshNext = false;
    this.#channel?.postMessage({ t: "run", input, fresh } satisfies FrameToWorker);
    // A browser does not say how much memory one worker uses.
    const { refused, ...result } = await watch.result(() => 0);
    this.#onMessage = null;
    if (watch.crashed) this.#broken = true;
    // A runtime stopped mid-run may be left inconsistent, and one that reports out of shape was tampered with.
    if ((result.stoppedBy && this.#reusable) || refused) this.#broken = true;
    return result;
  }

  interrupt(): void {
    this.#send({ t: "interrupt", id: this.#id });
  }

  kill(): void {
    this.#broken = true;
    if (this.#exited) return;
    this.#send({ t: "kill", id: this.#id });
    this.#exit("stopped", false);
  }

  #exit(message: string, violation: boolean): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#broken = true;
    this.#exitMessage = message;
    this.#exitWasViolation = violation;
    this.#stopListening();
    this.#channel?.close();
    this.#markGone();
  }

  async dispose(): Promise<void> {
    this.kill();
    await this.#gone;
  }

  #send(m: PageToFrame, transfer: Transferable[] = []): void {
    if (!this.#exited) this.#frame.send(m, transfer);
  }
}
