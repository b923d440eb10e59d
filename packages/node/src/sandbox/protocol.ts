/**
 * The messages between the host and a sandbox process, carried as frames (framing.ts) on
 * fd 3. Every sandbox→host message carries the nonce the sandbox sent in `hello`, before
 * any guest code existed. The host still treats each one as hostile input: guest code can
 * write frames of its own, so every outcome is checked against the contract on the host.
 */
import type { GuestOutcome, GuestRunInput, PackageWheel, RuntimeAssets, SandboxKind } from "@wasmbox/core/guest";

/** The sandbox's end of the host channel. */
export const CHANNEL_FD = 3;
/** An inherited, read-only fd of the verified Python snapshot file, when the host passes one. */
export const SNAPSHOT_FD = 4;

export type HostToSandbox =
  | {
      t: "init";
      kind: SandboxKind;
      assets: RuntimeAssets;
      heapLimitMb: number;
      pythonSnapshot?: Uint8Array;
      pythonSnapshotFd?: number;
      mode?: "serve" | "snapshot";
      /** Python: verified wheels to install before any guest code (a pool's package set, or the set a snapshot is built with). */
      packages?: PackageWheel[];
      /** The snapshot already holds `packages` imported: only their files are unpacked again. */
      packagesImported?: boolean;
      /** QuickJS: false makes each fresh interpreter a new instance, not a restored image (to measure against). */
      quickjsPristineImage?: false;
    }
  | { t: "run"; input: GuestRunInput; fresh?: boolean }
  | { t: "interrupt" };

export type SandboxFailure = "memory_limit" | "output_limit" | "crash" | "load";

export type SandboxToHost =
  | { t: "hello"; nonce: string }
  /** The runtime is loaded. */
  | { t: "ready"; nonce: string; loadMs: number }
  | { t: "snapshot"; nonce: string; bytes: Uint8Array }
  /** Output in write order: chunk i is `lengths[i]` bytes of `data` (UTF-8), on stream `streams[i]` (`o` stdout, `e` stderr). */
  | { t: "out"; nonce: string; streams: string; lengths: number[]; data: Uint8Array }
  | { t: "done"; nonce: string; outcome: GuestOutcome; executionTimeMs: number }
  | { t: "fail"; nonce: string; reason: SandboxFailure; message: string };

/** Messages between the supervisor (sandbox main thread) and its guest worker, on a private port. */
export type WorkerToSupervisor =
  | { t: "ready"; loadMs: number }
  | { t: "snapshot"; bytes: Uint8Array }
  | { t: "done"; outcome: GuestOutcome; executionTimeMs: number }
  | { t: "fail"; reason: SandboxFailure; message: string };
