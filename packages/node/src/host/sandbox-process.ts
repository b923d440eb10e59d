/**
 * The host's handle on one sandbox process. A sandbox is started ahead of the request
 * that will use it (so pools can pre-warm), inside the walls of its isolation plan (see
 * isolation.ts), with its own cgroup where the host has them. By default it serves one run
 * and is killed; `keepForReuse` lets a QuickJS, wasm or compiler sandbox serve many runs of
 * one tenant, each in a fresh runtime instance (never Python: its guests reach the process's
 * realm), and `keepForSession` keeps it for a session's runs in one interpreter.
 *
 * Everything the sandbox sends is hostile input: frames are parsed with caps (framing.ts),
 * messages must carry the nonce of its hello, their shape is checked, traffic is rate- and
 * size-capped (per run, and between runs), and the outcome is checked against the contract
 * (outcome-check.ts). Anything out of protocol kills that sandbox alone — the host keeps
 * serving. Limits are enforced here, outside the sandbox: a deadline (interrupt, then
 * SIGKILL after a grace), a memory watchdog on the whole sandbox (its cgroup's usage, else
 * the RSS of its process tree) behind the cgroup's hard cap, and an output cap (a kill at
 * once for a one-run sandbox; for a reused or session sandbox an interrupt first, like the
 * deadline). A reused sandbox that a limit stopped, or whose runtime misbehaved, serves no
 * further run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import {
  OUTPUT_FILE_CAPS,
  OutputRecorder,
  RICH_OUTPUT_CAPS,
  RunWatch,
  WasmboxError,
  type GuestRunInput,
  type HostSandbox,
  type PackageWheel,
  type SandboxKind,
  type SandboxRunCallbacks,
  type SandboxRunResult,
  type StopReason,
} from "@wasmbox/core";
import { encodeFrame, FrameDecoder, FrameError } from "../sandbox/framing.js";
import { SNAPSHOT_FD, type HostToSandbox } from "../sandbox/protocol.js";
import type { NodeAssets } from "./assets.js";
import { SandboxCgroup } from "./cgroup.js";
import { sandboxCommand, type IsolationPlan } from "./isolation.js";
import { pidsCpuMs, treeCpuMs, treePids, treeRssBytes } from "./proc-tree.js";
import type { PythonSnapshot } from "./snapshot-cache.js";

// bench/engine.bench.js reads a sandbox's RSS from here.
export { readRssBytes, treeRssBytes } from "./proc-tree.js";

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
  /**
   * Python: verified wheels installed before any guest code (a pool's package set, or what a
   * snapshot is built with), and whether the snapshot already holds them imported.
   */
  packages?: Promise<{ wheels: PackageWheel[]; imported: boolean }>;
}

// The run's outcome and its stop reasons are the port's (core engine/sandbox-host.ts).
export type { SandboxRunResult, StopReason };
export type SandboxRunHandlers = SandboxRunCallbacks;

const MiB = 1024 * 1024;
/**
 * Largest JSON header of a frame during a run: output travels in the body, a result's value
 * and error text are cut to fit (8 MiB), and its rich outputs (JSON, as their cap measures
 * them) come on top.
 */
const RUN_HEADER_BYTES = 8 * MiB + RICH_OUTPUT_CAPS.maxTotalBytes + MiB;
/** Frame caps outside a run (hello, ready, a failure message). */
const IDLE_FRAME_CAPS = { maxHeaderBytes: MiB, maxBodyBytes: MiB };
/** Frames a sandbox may send: a burst, then a steady rate (its output is batched every 4 ms). */
const FRAME_BURST = 4000;
const FRAMES_PER_SECOND = 2000;
/** Bytes a sandbox may send outside a run (boot, a late line of output): a burst, then a trickle. */
const IDLE_BYTE_BURST = 2 * MiB;
const IDLE_BYTES_PER_SECOND = 64 * 1024;

/** Slack above `memoryLimitBytes` for the process as a whole (runtime bookkeeping, buffers). */
const RSS_SLACK_BYTES = 64 * 1024 * 1024;
const MEMORY_POLL_MS = 20;
const CGROUP_CAP_STEP_BYTES = 4 * 1024 * 1024;

/** A sandbox process: the Node host's {@link HostSandbox}. */
export class SandboxProcess implements HostSandbox, AsyncDisposable {
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
  #channel: Duplex | undefined;
  #decoder: FrameDecoder | undefined;
  readonly #cgroup: SandboxCgroup | null;
  readonly #markGone: () => void;
  #nonce: string | null = null;
  #protocolViolation: string | null = null;
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
  #onMessage: ((m: Message) => void) | null = null;
  #onSnapshot: ((bytes: Uint8Array) => void) | null = null;
  /** In `snapshot` mode: the snapshot the sandbox built. */
  snapshot: Promise<Uint8Array> | undefined;
  readonly #gone: Promise<void>;

  private constructor(options: SandboxProcessOptions) {
    this.kind = options.kind;
    this.#cgroup = options.isolation.cgroups ? SandboxCgroup.create(options.isolation.cgroups, options.kind) : null;
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
    const python = options.kind === "python";
    const nodeArgs = [
      isolation.permissionFlag,
      ...assets.readPaths.map((p) => `--allow-fs-read=${p}`),
      // Python guests reach this process's JS realm: that process gets no worker threads at
      // all (a worker given its own execArgv would run without the permission model).
      ...(python ? [] : ["--allow-worker"]),
      "--no-addons",
      "--no-warnings",
      "--disable-proto=delete",
      // V8 flags are fixed once the process runs: v8.setFlagsFromString from guest code (to turn
      // off wasm bounds checks, say) aborts the sandbox instead of changing how it runs.
      "--freeze-flags-after-init",
      // node:sqlite opens files in C, past the permission model; no WebSocket client either.
      "--no-experimental-sqlite",
      "--no-experimental-websocket",
      "--disable-sigusr1",
      python ? `--max-old-space-size=${options.heapLimitMb ?? 1024}` : "--max-old-space-size=64",
      ...(python ? ["--stack-size=3800"] : []),
      assets.sandboxEntry,
    ];
    // The snapshot goes in as an open, read-only fd: the sandbox sees that one file, never the cache.
    let snapshotFd: number | undefined;
    if (snapshot?.path) {
      try {
        snapshotFd = openSync(snapshot.path, "r");
      } catch {
        snapshotFd = undefined;
      }
    }
    this.#snapshotInit = snapshotFd !== undefined ? { pythonSnapshotFd: SNAPSHOT_FD } : snapshot ? { pythonSnapshot: snapshot.bytes } : {};
    const [cmd, ...args] = sandboxCommand(
      isolation,
      { readPaths: assets.readPaths, fds: snapshotFd === undefined ? [] : [SNAPSHOT_FD], ...(this.#cgroup ? { cgroupProcs: this.#cgroup.procsFiles } : {}) },
      [isolation.nodeBinary, ...nodeArgs],
    );
    let child: ChildProcess;
    try {
      child = spawn(cmd!, args, {
        // An empty directory of its own: on Node 24.22 a worker thread may read everything
        // under the process's cwd despite --permission (started in "/", every file; the guest
        // thread's own check refuses to load then). Inside bubblewrap it is an empty folder
        // of the sandbox's private /tmp.
        cwd: this.#cwd(),
        // Nothing from the host's environment. One malloc arena: fewer idle MiB per sandbox.
        env: { MALLOC_ARENA_MAX: "1" },
        stdio: ["ignore", "ignore", "pipe", "pipe", ...(snapshotFd === undefined ? [] : [snapshotFd])],
      });
    } finally {
      if (snapshotFd !== undefined) closeSync(snapshotFd);
    }
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (d: string) => {
      this.#stderrTail = (this.#stderrTail + d).slice(-4000);
    });
    const channel = child.stdio[3] as Duplex;
    this.#channel = channel;
    // A snapshot build sends ~30 MB at once; a serving sandbox's largest frame is a run's files.
    this.#buildsSnapshot = options.mode === "snapshot";
    this.#decoder = new FrameDecoder(options.mode === "snapshot" ? { maxHeaderBytes: MiB, maxBodyBytes: 512 * MiB } : IDLE_FRAME_CAPS);
    channel.on("data", (chunk: Buffer) => this.#receiveBytes(chunk));
    channel.on("error", () => this.kill());
    child.on("exit", this.#markGone);
    child.on("error", this.#markGone);
    return child;
  }

  #cwdDir: string | null = null;

  #cwd(): string {
    this.#cwdDir ??= mkdtempSync(join(tmpdir(), "wasmbox-sandbox-"));
    return this.#cwdDir;
  }

  #snapshotInit: Pick<Extract<HostToSandbox, { t: "init" }>, "pythonSnapshot" | "pythonSnapshotFd"> = {};

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

  /** The tenant this sandbox serves once it served one (see SandboxPool); null while fresh. */
  get tenant(): string | null {
    return this.#tenant;
  }

  /** Bind this sandbox to a tenant; a sandbox bound to another one refuses. */
  bindTenant(tenant: string): void {
    if (this.#tenant !== null && this.#tenant !== tenant) throw new WasmboxError("ALREADY_USED", "a sandbox serves one tenant only");
    this.#tenant = tenant;
  }

  /** Whether this sandbox can take another request's run (see `keepForReuse`). */
  get reusable(): boolean {
    return this.#reusable && this.healthy;
  }

  #tenant: string | null = null;

  /** Processes in this sandbox now (its cgroup), or undefined without one. */
  processCount(): number | undefined {
    return this.#cgroup?.processCount();
  }

  /**
   * Reuse this sandbox for many runs, each in a fresh runtime instance (QuickJS, wasm,
   * compilers: guests cannot reach the sandbox's JS realm). A run that a limit stopped retires
   * the sandbox (an interrupted runtime may be left inconsistent). Python sandboxes are never
   * reused: their guests reach the process's realm, so each serves one run.
   */
  keepForReuse(): void {
    if (this.kind !== "python") this.#reusable = true;
  }

  /**
   * Resolves when the sandbox can start a run at once (today: once booted). Rejects like
   * `ready` if the sandbox failed to start.
   */
  async readyForRun(): Promise<void> {
    await this.ready;
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
    return this.startMs > 0 && !this.#exited;
  }

  get alive(): boolean {
    return !this.#exited;
  }

  async #boot(options: SandboxProcessOptions): Promise<void> {
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    const snapshot = (await options.pythonSnapshot) ?? null;
    const packages = await options.packages;
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
        if (m.t === "snapshot" && !settled && m.bytes instanceof Uint8Array && options.mode === "snapshot") {
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
          this.loadMs = typeof m.loadMs === "number" ? m.loadMs : 0;
          this.readyRssBytes = this.#memoryBytes() ?? 0;
          resolve();
        } else if (m.t === "fail") fail(text(m.message, 2000));
      };
      this.#send({
        t: "init",
        kind: options.kind,
        assets: options.assets.assets,
        heapLimitMb: options.heapLimitMb ?? 1024,
        // A diagnostic switch, for benchmarks: QuickJS without its pristine image (the slower way).
        ...(options.kind === "quickjs" && process.env.WASMBOX_QUICKJS_PRISTINE_IMAGE === "off" ? { quickjsPristineImage: false as const } : {}),
        mode: options.mode ?? "serve",
        ...this.#snapshotInit,
        ...(packages?.wheels.length ? { packages: packages.wheels, packagesImported: packages.imported } : {}),
      });
    });
  }

  /** Bytes from the channel: frames, parsed with caps. Anything malformed kills this sandbox. */
  #receiveBytes(chunk: Buffer): void {
    if (this.#exited || this.#protocolViolation) return;
    // Frames cost the host to decode: a sandbox gets a steady rate and a burst, no more.
    const now = performance.now();
    const elapsedS = (now - this.#budgetAt) / 1000;
    this.#frameBudget = Math.min(FRAME_BURST, this.#frameBudget + elapsedS * FRAMES_PER_SECOND);
    this.#idleByteBudget = Math.min(IDLE_BYTE_BURST, this.#idleByteBudget + elapsedS * IDLE_BYTES_PER_SECOND);
    this.#budgetAt = now;
    // Between runs a sandbox has next to nothing to say.
    if (!this.#running && !this.#buildsSnapshot && (this.#idleByteBudget -= chunk.byteLength) < 0) {
      this.#breach("it kept sending between runs");
      return;
    }
    let messages: unknown[];
    try {
      messages = this.#decoder!.push(chunk);
    } catch (e) {
      this.#breach(e instanceof FrameError ? e.message : "an unreadable frame");
      return;
    }
    if (this.#running && this.#decoder!.received - this.#runStartBytes > this.#runByteCap) {
      this.#breach(`it sent more than ${this.#runByteCap} bytes during one run`);
      return;
    }
    this.#frameBudget -= messages.length;
    if (this.#frameBudget < 0) {
      this.#breach(`it sent frames faster than ${FRAMES_PER_SECOND} a second`);
      return;
    }
    for (const m of messages) {
      if (this.#exited || this.#protocolViolation) return;
      this.#receive(m);
    }
  }

  #buildsSnapshot = false;
  #frameBudget = FRAME_BURST;
  #idleByteBudget = IDLE_BYTE_BURST;
  #budgetAt = performance.now();

  /** The sandbox broke the protocol: kill it, and say so in its run. */
  #breach(why: string): void {
    this.#protocolViolation ??= `the sandbox broke the host protocol (${why}) and was stopped`;
    this.#watch?.markViolation(this.#protocolViolation);
    this.kill();
  }

  #runStartBytes = 0;
  /** The live run's watch (limits, messages), while one runs. */
  #watch: RunWatch | null = null;
  #runByteCap = Infinity;

  #receive(raw: unknown): void {
    const m = asMessage(raw);
    if (!m) return this.#breach("a message out of shape");
    if (this.#nonce === null) {
      // The first message comes before any guest code exists: it fixes the nonce.
      if (m.t === "hello" && typeof m.nonce === "string") this.#nonce = m.nonce;
      else this.#breach("no hello");
      return;
    }
    if (m.nonce !== this.#nonce) return this.#breach("a message without the sandbox's nonce");
    this.#onMessage?.(m);
  }

  #send(m: HostToSandbox): void {
    if (!this.#exited && this.#channel?.writable) this.#channel.write(encodeFrame(m));
  }

  /** CPU time of the whole sandbox so far (ms): its cgroup (v2), else its process tree's /proc accounting. */
  #cpuMs(): number | undefined {
    const cgroup = this.#cgroup?.cpuTimeMs();
    if (cgroup !== undefined) return cgroup;
    // Walking the tree's threads costs ~0.3 ms: once per sandbox, after boot (it starts no process).
    if (this.isReady && this.pid !== undefined) return pidsCpuMs((this.#treePids ??= treePids(this.pid)));
    return treeCpuMs(this.pid);
  }

  #treePids: number[] | undefined;
  /** The hard cap last written to the cgroup (a write costs ~0.4 ms of kernel time). */
  #cgroupCapBytes: number | undefined;

  /** The sandbox's CPU time as its cgroup said just before the cgroup went (a run its limit killed). */
  #cpuAtExitMs: number | undefined;

  /** Memory charged to the whole sandbox: its cgroup, else the RSS of its process tree. */
  #memoryBytes(): number | undefined {
    return this.#cgroup?.usageBytes() ?? treeRssBytes(this.pid);
  }

  /**
   * Run one request in this sandbox. Resolves (never rejects for guest behaviour) once
   * the guest finished or a limit stopped it; afterwards the sandbox is killed, unless it
   * is kept for reuse or for a session.
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
      return { outcome: null, violations: [], stoppedBy: null, crash: "the sandbox has already stopped", protocolViolation: this.#protocolViolation, streams: new OutputRecorder().fields(), executionTimeMs: 0, peakRssBytes: 0 };
    }
    const { memoryLimitBytes, maxOutputBytes } = input.limits;
    // The memory limit applies to this run's growth: measure from where the process is now.
    const baselineRss = this.runCount > 1 ? (this.#memoryBytes() ?? this.readyRssBytes) : this.readyRssBytes;
    let peakRssBytes = baselineRss;
    // CPU time is a difference: a reused sandbox's earlier runs are not this run's.
    const cpuStartMs = this.#cpuMs();
    let cpuLastMs = cpuStartMs;
    // CPU time only grows: a sample of a dying process (a zombie's counters read 0) never lowers it.
    const sampleCpu = (ms: number | undefined) => {
      if (ms !== undefined) cpuLastMs = Math.max(cpuLastMs ?? ms, ms);
    };

    // What a run may send: its output (twice, for framing), files and rich outputs, plus room for the rest.
    this.#runStartBytes = this.#decoder?.received ?? 0;
    this.#runByteCap = 2 * maxOutputBytes + OUTPUT_FILE_CAPS.maxTotalBytes + RICH_OUTPUT_CAPS.maxTotalBytes + (input.module?.byteLength ?? 0) + 16 * MiB;
    // A frame of this run holds at most its output (or result) as JSON, and its files.
    this.#decoder?.setCaps({ maxHeaderBytes: RUN_HEADER_BYTES, maxBodyBytes: OUTPUT_FILE_CAPS.maxTotalBytes + 2 * maxOutputBytes + MiB });
    // The deadline, the output cap, Stop and the sandbox's messages: core's RunWatch, as on every host.
    const watch = new RunWatch({
      limits: input.limits,
      callbacks: handlers,
      cooperative: this.#session || this.#reusable,
      compiler: this.kind === "clang" || this.kind === "asc",
      interrupt: () => this.interrupt(),
      kill: () => this.kill(),
    });
    this.#watch = watch;
    // Memory is this host's own: a watchdog on the whole sandbox, with the kernel's cap behind it
    // for growth faster than a poll.
    const memoryCap = baselineRss + memoryLimitBytes + RSS_SLACK_BYTES;
    // The kernel's cap, a backstop above the watchdog's: rounded up to 4 MiB so that runs of
    // the same limits leave it as it is, rather than rewrite it each time.
    const hardCap = Math.ceil((memoryCap + RSS_SLACK_BYTES) / CGROUP_CAP_STEP_BYTES) * CGROUP_CAP_STEP_BYTES;
    if (this.#cgroup && hardCap !== this.#cgroupCapBytes) this.#cgroupCapBytes = this.#cgroup.setMemoryLimit(hardCap) ? hardCap : undefined;
    const memoryWatch = setInterval(() => {
      sampleCpu(this.#cpuMs());
      const rss = this.#memoryBytes();
      if (rss === undefined) return;
      peakRssBytes = Math.max(peakRssBytes, rss);
      if (rss > memoryCap) watch.stop("memory_limit");
    }, MEMORY_POLL_MS);
    void this.#gone.then(() => {
      // Killed by the kernel at the cgroup's cap: that is the memory limit.
      if (!watch.stoppedBy && !this.#protocolViolation && this.#cgroup?.oomKilled()) watch.stoppedBy = "memory_limit";
      if (this.#protocolViolation) watch.markViolation(this.#protocolViolation);
      watch.gone("the sandbox process exited unexpectedly");
    });
    this.#onMessage = (m) => watch.receive(m);
    const fresh = this.#reusable || this.#freshNext;
    this.#freshNext = false;
    this.#send({ t: "run", input, fresh });
    const { refused, ...result } = await watch.result(() => {
      // Once the run ended, one last sample: a run shorter than a poll still has its memory and CPU counted.
      if (!this.#exited) {
        peakRssBytes = Math.max(peakRssBytes, this.#memoryBytes() ?? 0);
        sampleCpu(this.#cpuMs());
      } else sampleCpu(this.#cpuAtExitMs);
      return peakRssBytes;
    });
    clearInterval(memoryWatch);
    result.usage = {
      cpuTimeMs: cpuStartMs === undefined || cpuLastMs === undefined ? null : Math.round(Math.max(0, cpuLastMs - cpuStartMs) * 100) / 100,
      wallTimeMs: watch.wallTimeMs,
      peakMemoryBytes: peakRssBytes > 0 ? Math.round(peakRssBytes) : null,
    };
    this.#onMessage = null;
    this.#watch = null;
    this.#runByteCap = Infinity;
    this.#decoder?.setCaps(IDLE_FRAME_CAPS);
    if (watch.crashed) this.#broken = true;
    // A runtime stopped mid-run (an interrupt inside a promise-job chain, say) may be left
    // inconsistent: a reused sandbox is not trusted with another request after that. One that
    // reports out of shape was tampered with: it serves nothing more.
    if ((result.stoppedBy && this.#reusable) || refused) this.#broken = true;
    return result;
  }

  /** Ask the running guest to stop (the interrupt flag); a run's deadline does this itself, then kills. */
  interrupt(): void {
    this.#send({ t: "interrupt" });
  }

  /** Kill the process now (idempotent). */
  kill(): void {
    // Retired at once: a sandbox being killed is never handed out again, even before it exits.
    this.#broken = true;
    if (this.#exited) return;
    if (this.#child) {
      this.#child.kill("SIGKILL");
      // Every process of the sandbox goes with it, whatever it started.
      this.#cgroup?.killAll();
    } else this.#markGone(); // not spawned yet: it never will be
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
    this.#cpuAtExitMs = this.#cgroup?.cpuTimeMs();
    this.#channel?.destroy();
    this.#cgroup?.remove();
    if (this.#cwdDir) rmSync(this.#cwdDir, { recursive: true, force: true });
  }
}

/** A message from a sandbox, before its fields are checked. */
interface Message {
  t: string;
  nonce?: unknown;
  [field: string]: unknown;
}

function asMessage(raw: unknown): Message | null {
  return raw !== null && typeof raw === "object" && typeof (raw as { t?: unknown }).t === "string" ? (raw as Message) : null;
}

/** A string field of a hostile message, cut to `max` characters. */
function text(v: unknown, max: number): string {
  return typeof v === "string" ? v.slice(0, max) : "";
}
