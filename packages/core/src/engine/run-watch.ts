/**
 * What every host does while a run is live, from outside the guest: the output cap (cut on a
 * character boundary, streamed to `onOutput`), the deadline (the interrupt flag, then a kill
 * after a grace), Stop (`signal`), and the sandbox's `out` / `done` / `fail` messages read as
 * hostile input. A host supplies how to interrupt and kill its sandbox, feeds the messages in,
 * says when the sandbox is gone, and gets the port's {@link SandboxRunResult} back, its
 * outcome checked against the contract (`checkOutcome`).
 */
import type { ResolvedLimits } from "@wasmbox/contract";
import { OutputRecorder, utf8CutPoint } from "../output-bytes.js";
import type { GuestStream } from "../runtime.js";
import { checkOutcome } from "./outcome-check.js";
import type { SandboxRunCallbacks, SandboxRunResult, StopReason } from "./sandbox-host.js";

/** Time between the cooperative interrupt and the kill: a quarter of the limit, 0.1–2 s. */
export function graceMs(timeoutMs: number): number {
  return Math.min(2000, Math.max(100, Math.round(timeoutMs * 0.25)));
}

export interface RunWatchOptions {
  limits: ResolvedLimits;
  callbacks: SandboxRunCallbacks;
  /** A session or a reused sandbox: an output limit interrupts first, so the sandbox may survive it. */
  cooperative: boolean;
  /** A compiler sandbox (its one file is `main.wasm`). */
  compiler: boolean;
  interrupt(): void;
  kill(): void;
}

/** How a run ended, before its outcome is checked. */
interface RunEnd {
  outcome: unknown;
  crash: string | null;
  executionTimeMs?: number;
}

/** A message from the sandbox during a run, before its fields are checked. */
export interface RunMessage {
  t: string;
  [field: string]: unknown;
}

export class RunWatch {
  readonly recorder = new OutputRecorder();
  /** Set when a limit or the caller stopped the run. */
  stoppedBy: StopReason | null = null;
  /** Set when the sandbox broke the protocol (it was killed). */
  violation: string | null = null;
  /** The sandbox said it crashed (or its runtime failed): it serves nothing more. */
  crashed = false;
  readonly #options: RunWatchOptions;
  readonly #t0 = performance.now();
  readonly #ended: Promise<RunEnd>;
  #resolve!: (end: RunEnd) => void;
  #settled = false;
  #endedAt: number | undefined;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #deadline: ReturnType<typeof setTimeout>;
  readonly #onAbort = () => this.stop("killed");

  constructor(options: RunWatchOptions) {
    this.#options = options;
    this.#ended = new Promise<RunEnd>((resolve) => (this.#resolve = resolve));
    // The deadline asks first: a guest that stops at once reports where it was.
    this.#deadline = setTimeout(() => this.#interruptThenKill("timeout"), options.limits.timeoutMs);
    const { signal } = options.callbacks;
    if (signal?.aborted) this.#onAbort();
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Wall time of the run as the host saw it: from this watch's start to the run's end (or now). */
  get wallTimeMs(): number {
    return Math.round(((this.#endedAt ?? performance.now()) - this.#t0) * 100) / 100;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Stop the run now for `reason` (the first reason counts). */
  stop(reason: StopReason): void {
    this.stoppedBy ??= reason;
    this.#options.kill();
  }

  /** The sandbox broke the protocol: kill it, and say so in the run. */
  breach(why: string): void {
    this.markViolation(`the sandbox broke the host protocol (${why}) and was stopped`);
    this.#options.kill();
  }

  /** The host found the sandbox out of protocol elsewhere (its channel's frames): the run reports that. */
  markViolation(message: string): void {
    this.violation ??= message;
  }

  /** Time and output limits ask the guest to stop first; the kill follows after the grace. */
  #interruptThenKill(reason: StopReason): void {
    if (this.stoppedBy && this.#killTimer) return;
    this.stoppedBy ??= reason;
    this.#options.interrupt();
    this.#killTimer = setTimeout(() => this.stop(reason), graceMs(this.#options.limits.timeoutMs));
  }

  #outputLimit(): void {
    if (this.#options.cooperative) this.#interruptThenKill("output_limit");
    else this.stop("output_limit");
  }

  /** Output the guest wrote: kept up to the cap, streamed, and a stop once it overflows. */
  append(stream: GuestStream, bytes: Uint8Array): void {
    const room = this.#options.limits.maxOutputBytes - this.recorder.byteLength;
    const kept = bytes.byteLength > room ? bytes.subarray(0, utf8CutPoint(bytes, room)) : bytes;
    if (kept.byteLength) {
      this.recorder.append(stream, kept);
      this.#options.callbacks.onOutput?.(stream, kept);
    }
    if (bytes.byteLength > room) this.#outputLimit();
  }

  /**
   * One message from the sandbox: `out` (chunk i is `lengths[i]` bytes of `data` on stream
   * `streams[i]`, `o` or `e`), `done`, or `fail`. Anything else, or out of shape, is a breach.
   */
  receive(m: RunMessage): void {
    if (this.#settled) return;
    switch (m.t) {
      case "out": {
        const { streams, lengths, data } = m;
        if (typeof streams !== "string" || !Array.isArray(lengths) || !(data instanceof Uint8Array) || streams.length !== lengths.length) return this.breach("output out of shape");
        let at = 0;
        for (let i = 0; i < lengths.length; i++) {
          const n = lengths[i] as unknown;
          const stream = streams[i] === "o" ? "stdout" : streams[i] === "e" ? "stderr" : null;
          if (!stream || typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || at + n > data.byteLength) return this.breach("output out of shape");
          this.append(stream, data.subarray(at, at + n));
          at += n;
        }
        return;
      }
      case "done": {
        // The sandbox's own clock is the finer one, but it is the guest's to forge: never more
        // than the host measured (nor infinite, negative or NaN, which JSON cannot carry).
        const measuredMs = performance.now() - this.#t0;
        const said = m.executionTimeMs;
        return this.#finish({ outcome: m.outcome, crash: null, executionTimeMs: typeof said === "number" && said >= 0 && said <= measuredMs ? said : measuredMs });
      }
      case "fail": {
        const message = typeof m.message === "string" ? m.message.slice(0, 2000) : "";
        if (m.reason === "output_limit") return this.#outputLimit();
        if (m.reason === "memory_limit") {
          this.stop("memory_limit");
          return this.#finish({ outcome: null, crash: null });
        }
        this.crashed = true;
        return this.#finish({ outcome: null, crash: m.reason === "crash" ? `the sandbox crashed: ${message}` : message });
      }
      default:
        this.breach(`an unexpected ${String(m.t).slice(0, 40)} message during a run`);
    }
  }

  /** The sandbox is gone; `unexpected` says why when nothing the host did explains it. */
  gone(unexpected: string): void {
    this.#finish({ outcome: null, crash: this.stoppedBy || this.violation ? null : unexpected });
  }

  #finish(end: RunEnd): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#endedAt = performance.now();
    clearTimeout(this.#deadline);
    clearTimeout(this.#killTimer);
    this.#options.callbacks.signal?.removeEventListener("abort", this.#onAbort);
    this.#resolve(end);
  }

  /**
   * The port's result once the run ended. `refused`: its outcome was out of shape (the sandbox
   * is not to be trusted with another run).
   */
  async result(peakRssBytes: () => number): Promise<SandboxRunResult & { refused: boolean }> {
    const end = await this.#ended;
    const checked = end.outcome !== null && end.outcome !== undefined && !this.violation ? checkOutcome(end.outcome, this.#options.limits, this.#options.compiler) : null;
    if (checked?.valueOverLimit) this.stoppedBy ??= "output_limit";
    return {
      outcome: checked?.outcome ?? null,
      violations: checked?.violations ?? [],
      stoppedBy: this.violation ? null : this.stoppedBy,
      crash: end.crash,
      protocolViolation: this.violation,
      streams: this.recorder.fields(),
      executionTimeMs: end.executionTimeMs ?? performance.now() - this.#t0,
      peakRssBytes: peakRssBytes(),
      // The host fills in what it can measure beyond the clock (CPU, memory).
      usage: { cpuTimeMs: null, wallTimeMs: this.wallTimeMs, peakMemoryBytes: null },
      refused: (checked?.violations.length ?? 0) > 0,
    };
  }
}
