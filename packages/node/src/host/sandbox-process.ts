/**
 * The host's handle on one sandbox process. A sandbox is started ahead of the request
 * that will use it (so pools can pre-warm), serves exactly one run, and is then killed.
 * Limits are enforced here, outside the sandbox: a deadline (interrupt, then SIGKILL),
 * a memory watchdog on the process's RSS, and an output cap.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { truncateUtf8, utf8Length, WasmboxError, type GuestOutcome, type GuestRunInput, type GuestStream, type SandboxKind } from "@wasmbox/core";
import type { HostToSandbox, SandboxFailure, SandboxToHost } from "../sandbox/protocol.js";
import type { NodeAssets } from "./assets.js";
import { readableByOthers, type IsolationPlan } from "./isolation.js";
import type { PythonSnapshot } from "./snapshot-cache.js";

export interface SandboxProcessOptions {
  kind: SandboxKind;
  assets: NodeAssets;
  isolation: IsolationPlan;
  /** V8 heap cap for the guest thread (MiB). The RSS watchdog bounds everything else. */
  heapLimitMb?: number;
  /** How long booting a runtime may take before the sandbox is declared broken. */
  startTimeoutMs?: number;
  /** Python: boot from this baseline snapshot (null: boot from scratch). */
  pythonSnapshot?: Promise<PythonSnapshot | null>;
  /** `snapshot`: build the Python baseline snapshot instead of serving runs. */
  mode?: "serve" | "snapshot";
}

/** Why a run was stopped from outside the guest. */
export type StopReason = "timeout" | "memory_limit" | "output_limit" | "killed";

export interface SandboxRunHandlers {
  onOutput?: (stream: GuestStream, text: string) => void;
  signal?: AbortSignal;
}

export interface SandboxRunResult {
  /** The guest's own account of how it ended; null if it was stopped before it could say. */
  outcome: GuestOutcome | null;
  /** Set when a limit or the caller stopped the run. */
  stoppedBy: StopReason | null;
  /** A crash of the sandbox that was no limit (the guest broke its runtime, or the process died). */
  crash: string | null;
  stdout: string;
  stderr: string;
  output: string;
  executionTimeMs: number;
  peakRssBytes: number;
}

/** Slack above `memoryLimitBytes` for the process as a whole (runtime bookkeeping, buffers). */
const RSS_SLACK_BYTES = 64 * 1024 * 1024;
const MEMORY_POLL_MS = 20;

export class SandboxProcess implements AsyncDisposable {
  readonly kind: SandboxKind;
  readonly ready: Promise<void>;
  readonly startedAt = performance.now();
  /** Time from spawn until the runtime reported ready. */
  startMs = 0;
  /** Time the runtime itself took to load inside the sandbox (from the guest thread's view). */
  loadMs = 0;
  /** Resident memory once ready: the baseline the run's memory limit is added to. */
  readyRssBytes = 0;

  #child: ChildProcess | undefined;
  readonly #markGone: () => void;
  readonly #cwd: string;
  #nonce: string | null = null;
  #stderrTail = "";
  #exited = false;
  #used = false;
  #running = false;
  #session = false;
  #reusable = false;
  #freshNext = false;
  #broken = false;
  /** Runs this sandbox has served. */
  runCount = 0;
  #onMessage: ((m: SandboxToHost) => void) | null = null;
  /**
   * Reused Python sandboxes replace their guest thread after every run; until the new one
   * says "ready", the sandbox is not ready for the next run.
   */
  #threadReady: Promise<void> = Promise.resolve();
  #threadIsReady = true;
  #onThreadReady: (() => void) | null = null;
  #onSnapshot: ((bytes: Uint8Array) => void) | null = null;
  #snapshotPath: string | null = null;
  #snapshotBytes: Uint8Array | null = null;
  /** In `snapshot` mode: the snapshot the sandbox built. */
  snapshot: Promise<Uint8Array> | undefined;
  readonly #gone: Promise<void>;

  private constructor(options: SandboxProcessOptions) {
    this.kind = options.kind;
    this.#cwd = mkdtempSync(join(tmpdir(), "wasmbox-sandbox-"));
    let gone!: () => void;
    this.#gone = new Promise<void>((resolve) => (gone = resolve));
    this.#markGone = () => {
      if (this.#exited) return;
      this.#exited = true;
      this.#cleanup();
      gone();
    };
    this.ready = this.#boot(options);
    // A sandbox nobody awaits yet must not crash the host with an unhandled rejection.
    this.ready.catch(() => {});
  }

  #spawn(options: SandboxProcessOptions, snapshot: PythonSnapshot | null): ChildProcess {
    const { assets, isolation } = options;
    // The sandbox reads the snapshot file itself when its uid can: cheaper than sending 30 MB.
    this.#snapshotPath = snapshot?.path && (isolation.uid === null || readableByOthers([snapshot.path])) ? snapshot.path : null;
    this.#snapshotBytes = snapshot && !this.#snapshotPath ? snapshot.bytes : null;
    const nodeArgs = [
      isolation.permissionFlag,
      ...[...assets.readPaths, ...(this.#snapshotPath ? [this.#snapshotPath] : [])].map((p) => `--allow-fs-read=${p}`),
      "--allow-worker",
      "--no-addons",
      "--no-warnings",
      "--max-old-space-size=64",
      assets.sandboxEntry,
    ];
    const [cmd, ...args] = [...isolation.wrapper, process.execPath, ...nodeArgs];
    const child = spawn(cmd!, args, {
      cwd: this.#cwd,
      // Nothing from the host's environment. One malloc arena: a sandbox that boots a fresh
      // guest thread per run otherwise keeps ~100 MiB more resident in per-thread arenas.
      env: { MALLOC_ARENA_MAX: "1" },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (d: string) => {
      this.#stderrTail = (this.#stderrTail + d).slice(-4000);
    });
    child.on("message", (m: SandboxToHost) => this.#receive(m));
    child.on("exit", this.#markGone);
    child.on("error", this.#markGone);
    return child;
  }

  /**
   * Start a sandbox: spawn it (once its Python snapshot, if any, is at hand) and load its
   * runtime. Await `ready` before `run`.
   */
  static start(options: SandboxProcessOptions): SandboxProcess {
    return new SandboxProcess(options);
  }

  /**
   * Keep this sandbox for a session: it serves several runs one after another, and a run
   * stopped by its time or output limit is interrupted cooperatively, so the session
   * survives if the guest stops within the grace period.
   */
  keepForSession(): void {
    this.#session = true;
    this.#reusable = false;
    // A sandbox that already served other requests starts the session in a fresh interpreter.
    this.#freshNext = this.runCount > 0;
  }

  /**
   * Reuse this sandbox for many runs, each in a fresh interpreter: a new runtime instance
   * (QuickJS, wasm: guests cannot reach the sandbox's JS realm) or, for Python, whose guests
   * can, a new guest thread (its own V8 isolate) booted after every run. Like a session, a
   * time or output limit interrupts first, so a guest that stops leaves the sandbox usable.
   */
  keepForReuse(): void {
    this.#reusable = true;
  }

  /**
   * Resolves when the sandbox can start a run at once: booted, and (reused Python) its fresh
   * guest thread is up. Rejects like `ready` if the sandbox failed to start.
   */
  async readyForRun(): Promise<void> {
    await this.ready;
    await Promise.race([this.#threadReady, this.#gone]);
  }

  /** Alive, and no run broke it: it can take another run (sessions, reusable sandboxes). */
  get healthy(): boolean {
    return this.alive && !this.#broken;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** True once the runtime has loaded and the sandbox can take a run at once. */
  get isReady(): boolean {
    return this.startMs > 0 && !this.#exited && this.#threadIsReady;
  }

  get alive(): boolean {
    return !this.#exited;
  }

  async #boot(options: SandboxProcessOptions): Promise<void> {
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const snapshot = (await options.pythonSnapshot) ?? null;
    if (this.#exited) throw new WasmboxError("SANDBOX_START_FAILED", `a ${this.kind} sandbox was disposed before it started`);
    this.#child = this.#spawn(options, snapshot);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#onMessage = null;
        this.kill();
        reject(
          new WasmboxError("SANDBOX_START_FAILED", `a ${this.kind} sandbox failed to start: ${why}${this.#stderrTail ? `\n${this.#stderrTail.trim()}` : ""}`),
        );
      };
      const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
      if (options.mode === "snapshot") this.snapshot = new Promise((r) => (this.#onSnapshot = r));
      void this.#gone.then(() => fail("the sandbox process exited during start-up"));
      this.#onMessage = (m) => {
        if (m.t === "snapshot" && !settled) {
          settled = true;
          clearTimeout(timer);
          this.#onMessage = null;
          this.#onSnapshot?.(m.bytes);
          resolve();
          return;
        }
        if (m.t === "ready" && !settled) {
          settled = true;
          clearTimeout(timer);
          this.#onMessage = null;
          this.startMs = performance.now() - this.startedAt;
          this.loadMs = m.loadMs;
          this.readyRssBytes = readRssBytes(this.pid) ?? 0;
          resolve();
        } else if (m.t === "fail") fail(m.message);
      };
      this.#send({
        t: "init",
        kind: options.kind,
        assets: options.assets.assets,
        heapLimitMb: options.heapLimitMb ?? 1024,
        mode: options.mode ?? "serve",
        ...(this.#snapshotPath ? { pythonSnapshotPath: this.#snapshotPath } : {}),
        ...(this.#snapshotBytes ? { pythonSnapshot: this.#snapshotBytes } : {}),
      });
    });
  }

  #receive(m: SandboxToHost): void {
    if (typeof m !== "object" || m === null || typeof m.nonce !== "string") return;
    if (this.#nonce === null) {
      // The first message comes before any guest code exists: it fixes the nonce.
      if (m.t === "hello") this.#nonce = m.nonce;
      return;
    }
    if (m.nonce !== this.#nonce) return; // out of protocol: ignored
    if (m.t === "ready" && this.startMs > 0) {
      // A recycled guest thread is up.
      this.#threadIsReady = true;
      this.#onThreadReady?.();
      return;
    }
    this.#onMessage?.(m);
  }

  #send(m: HostToSandbox): void {
    if (!this.#exited && this.#child?.connected) this.#child.send(m);
  }

  /**
   * Run one request in this sandbox. Resolves (never rejects for guest behaviour) once
   * the guest finished or a limit stopped it; the sandbox is killed afterwards.
   */
  async run(input: GuestRunInput, handlers: SandboxRunHandlers = {}): Promise<SandboxRunResult> {
    if (this.#running) throw new WasmboxError("ALREADY_USED", "a sandbox runs one program at a time");
    if (this.#used && !this.#session && !this.#reusable) throw new WasmboxError("ALREADY_USED", "a sandbox serves exactly one run");
    this.#used = true;
    this.#running = true;
    this.runCount++;
    try {
      const result = await this.#runOnce(input, handlers);
      if (result.crash !== null) this.#broken = true;
      return result;
    } finally {
      this.#running = false;
      if (!this.#session && !this.#reusable) this.kill();
    }
  }

  async #runOnce(input: GuestRunInput, handlers: SandboxRunHandlers): Promise<SandboxRunResult> {
    await this.readyForRun();
    if (this.#exited) {
      return { outcome: null, stoppedBy: null, crash: "the sandbox has already stopped", stdout: "", stderr: "", output: "", executionTimeMs: 0, peakRssBytes: 0 };
    }
    const { timeoutMs, memoryLimitBytes, maxOutputBytes } = input.limits;
    const stdout: string[] = [];
    const stderr: string[] = [];
    const output: string[] = [];
    let outputBytes = 0;
    let stoppedBy: StopReason | null = null;
    // The memory limit applies to this run's growth: measure from where the process is now.
    const baselineRss = this.runCount > 1 ? (readRssBytes(this.pid) ?? this.readyRssBytes) : this.readyRssBytes;
    let peakRssBytes = baselineRss;
    const t0 = performance.now();

    const result = await new Promise<Pick<SandboxRunResult, "outcome" | "crash"> & { executionTimeMs?: number }>((resolve) => {
      let settled = false;
      const finish = (r: Pick<SandboxRunResult, "outcome" | "crash"> & { executionTimeMs?: number }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        clearTimeout(killTimer);
        clearInterval(memoryWatch);
        handlers.signal?.removeEventListener("abort", onAbort);
        this.#onMessage = null;
        resolve(r);
      };
      const stop = (reason: StopReason) => {
        stoppedBy ??= reason;
        this.kill();
      };
      // Time and output limits ask the guest to stop first; the kill follows after a grace.
      const interruptThenKill = (reason: StopReason) => {
        if (stoppedBy && killTimer) return;
        stoppedBy ??= reason;
        this.#send({ t: "interrupt" });
        killTimer = setTimeout(() => stop(reason), graceMs(timeoutMs));
      };
      const append = (stream: GuestStream, text: string) => {
        const room = maxOutputBytes - outputBytes;
        const bytes = utf8Length(text);
        const kept = bytes > room ? truncateUtf8(text, room) : text;
        if (kept) {
          outputBytes += bytes > room ? utf8Length(kept) : bytes;
          (stream === "stdout" ? stdout : stderr).push(kept);
          output.push(kept);
          handlers.onOutput?.(stream, kept);
        }
        if (bytes > room) (this.#session || this.#reusable ? interruptThenKill : stop)("output_limit");
      };

      // Deadline: ask nicely (interrupt flag), then kill. The grace lets a cooperative
      // stop report where the guest was; `time.sleep` and long native calls get the kill.
      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const deadline = setTimeout(() => interruptThenKill("timeout"), timeoutMs);
      const memoryCap = baselineRss + memoryLimitBytes + RSS_SLACK_BYTES;
      const memoryWatch = setInterval(() => {
        const rss = readRssBytes(this.pid);
        if (rss === undefined) return;
        peakRssBytes = Math.max(peakRssBytes, rss);
        if (rss > memoryCap) stop("memory_limit");
      }, MEMORY_POLL_MS);
      const onAbort = () => stop("killed");
      if (handlers.signal?.aborted) onAbort();
      handlers.signal?.addEventListener("abort", onAbort, { once: true });

      void this.#gone.then(() => finish({ outcome: null, crash: stoppedBy ? null : `the sandbox process exited unexpectedly${this.#stderrTail ? `: ${this.#stderrTail.trim().slice(-500)}` : ""}` }));
      this.#onMessage = (m) => {
        switch (m.t) {
          case "out":
            for (const [stream, text] of m.chunks) if (stream === "stdout" || stream === "stderr") append(stream, String(text));
            break;
          case "done":
            finish({ outcome: m.outcome, crash: null, executionTimeMs: m.executionTimeMs });
            break;
          case "fail":
            if (m.reason === "output_limit") (this.#session || this.#reusable ? interruptThenKill : stop)("output_limit");
            else if (m.reason === "memory_limit") {
              stop("memory_limit");
              finish({ outcome: null, crash: null });
            } else {
              finish({ outcome: null, crash: failureMessage(m.reason, m.message) });
            }
            break;
        }
      };
      const fresh = this.#reusable || this.#freshNext;
      this.#freshNext = false;
      const recycle = this.#reusable && this.kind === "python";
      if (recycle) {
        this.#threadIsReady = false;
        this.#threadReady = new Promise<void>((resolve) => (this.#onThreadReady = resolve));
      }
      this.#send({ t: "run", input, fresh, recycle });
    });
    return {
      outcome: result.outcome,
      stoppedBy,
      crash: result.crash,
      stdout: stdout.join(""),
      stderr: stderr.join(""),
      output: output.join(""),
      executionTimeMs: result.executionTimeMs ?? performance.now() - t0,
      peakRssBytes,
    };
  }

  /** Kill the process now (idempotent). */
  kill(): void {
    if (this.#exited) return;
    if (this.#child) this.#child.kill("SIGKILL");
    else this.#markGone(); // not spawned yet: it never will be
  }

  /** Kill the process and wait until it is gone. */
  async dispose(): Promise<void> {
    this.kill();
    await this.#gone;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #cleanup(): void {
    try {
      rmSync(this.#cwd, { recursive: true, force: true });
    } catch {
      // best effort: an empty temp dir
    }
  }
}

/** Time between the cooperative interrupt and the kill. */
export function graceMs(timeoutMs: number): number {
  return Math.min(2000, Math.max(100, Math.round(timeoutMs * 0.25)));
}

function failureMessage(reason: SandboxFailure, message: string): string {
  return reason === "crash" ? `the sandbox crashed: ${message}` : message;
}

/** Resident set size of a process, from /proc (Linux). Undefined where unavailable. */
export function readRssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
