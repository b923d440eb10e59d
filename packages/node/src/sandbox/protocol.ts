/**
 * The small message protocol between the host and a sandbox process (Node IPC with
 * structured-clone serialization). Every sandbox→host message carries the nonce the
 * sandbox sent in `hello`, before any guest code existed; the host drops anything else,
 * so guest code that writes to the IPC channel cannot forge a result.
 */
import type { GuestOutcome, GuestRunInput, OutputChunk, RuntimeAssets, SandboxKind } from "@wasmbox/core/guest";

export type HostToSandbox =
  | { t: "init"; kind: SandboxKind; assets: RuntimeAssets; heapLimitMb: number; pythonSnapshot?: Uint8Array; pythonSnapshotPath?: string; mode?: "serve" | "snapshot" }
  | { t: "run"; input: GuestRunInput; fresh?: boolean; recycle?: boolean }
  | { t: "interrupt" };

export type SandboxFailure = "memory_limit" | "output_limit" | "crash" | "load";

export type SandboxToHost =
  | { t: "hello"; nonce: string }
  /** The runtime is loaded; sent again whenever a recycled guest thread is ready. */
  | { t: "ready"; nonce: string; loadMs: number }
  | { t: "snapshot"; nonce: string; bytes: Uint8Array }
  | { t: "out"; nonce: string; chunks: OutputChunk[] }
  | { t: "done"; nonce: string; outcome: GuestOutcome; executionTimeMs: number }
  | { t: "fail"; nonce: string; reason: SandboxFailure; message: string };

/** Messages between the supervisor (sandbox main thread) and its guest worker, on a private port. */
export type WorkerToSupervisor =
  | { t: "ready"; loadMs: number }
  | { t: "snapshot"; bytes: Uint8Array }
  | { t: "done"; outcome: GuestOutcome; executionTimeMs: number }
  | { t: "fail"; reason: SandboxFailure; message: string };
