/**
 * The contract's plain constants, zod-free, for what must start fast and load nothing else
 * (the CLI's help and flag bounds): `contract.ts` re-exports them unchanged.
 */

/** Languages the engine knows. `wasmbox runtimes` lists which are installed. */
/** Languages the engine knows. `wasmbox runtimes` lists which are installed. */
export const LANGUAGES = ["python", "javascript", "typescript", "c", "cpp", "assemblyscript", "wasm"] as const;

/** How a run ended. */
export const STATUSES = [
  "ok",
  "error",
  "timeout",
  "memory_limit",
  "output_limit",
  "compile_error",
  "killed",
] as const;

const MiB = 1024 * 1024;

/** Defaults applied when a request leaves a limit out. */
export const DEFAULT_LIMITS = {
  timeoutMs: 10_000,
  memoryLimitBytes: 256 * MiB,
  maxOutputBytes: 1 * MiB,
} as const;

/** The widest limits a request may ask for; hosts may narrow them further. */
export const LIMIT_BOUNDS = {
  timeoutMs: { min: 1, max: 15 * 60_000 },
  memoryLimitBytes: { min: 16 * MiB, max: 4096 * MiB },
  maxOutputBytes: { min: 1, max: 64 * MiB },
} as const;
