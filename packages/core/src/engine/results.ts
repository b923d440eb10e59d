/**
 * Results the engine assembles: a run's outcome as the host reported it becomes the result a
 * caller sees, with limit errors that name the option to raise, and the result of a run
 * cancelled before it left the queue.
 */
import { LIMIT_BOUNDS, type ExecuteResult, type GuestError, type ResolvedLimits } from "@wasmbox/contract";
import { describeOutputFiles } from "../output-files.js";
import type { SandboxRunResult } from "./sandbox-host.js";

/** The result contract plus the bytes of the files the guest produced (not part of the JSON). */
export interface Execution extends ExecuteResult {
  readonly fileContents: ReadonlyMap<string, Uint8Array>;
}

export async function assembleResult(
  run: SandboxRunResult,
  limits: ResolvedLimits,
  t: { queuedMs: number; startMs: number; t0: number },
): Promise<Execution> {
  const { outcome, stoppedBy } = run;
  let status: ExecuteResult["status"];
  let error: GuestError | null;
  let exitCode: number | null;
  if (run.protocolViolation) {
    // The sandbox wrote out of protocol (guest code writing to the channel): it was killed.
    status = "killed";
    exitCode = null;
    error = { name: "SandboxCrash", message: run.protocolViolation, traceback: "", line: null };
  } else if (run.violations.length) {
    // The outcome was out of shape (forged, or a tampered runtime): what failed was dropped.
    status = "error";
    exitCode = outcome?.exitCode ?? null;
    error = { name: "SandboxProtocolError", message: `the sandbox reported a result the host refused: ${run.violations.slice(0, 5).join("; ")}`, traceback: "", line: null };
  } else if (stoppedBy) {
    status = stoppedBy;
    exitCode = null;
    error = limitError(stoppedBy, limits, outcome?.error ?? null);
  } else if (outcome) {
    status = outcome.status;
    exitCode = outcome.exitCode;
    // A MemoryError the guest itself hit is still the memory limit: say which option raises it.
    error =
      status === "memory_limit" && outcome.error?.name !== "MemoryLimitError" ? limitError("memory_limit", limits, outcome.error) : outcome.error;
  } else {
    status = "error";
    exitCode = null;
    error = { name: "SandboxCrash", message: run.crash ?? "the sandbox stopped without a result", traceback: "", line: null };
  }
  const files = outcome && !stoppedBy && !run.protocolViolation ? outcome.files : new Map<string, Uint8Array>();
  return {
    status,
    ...run.streams,
    error,
    exitCode,
    value: outcome && !stoppedBy ? outcome.value : null,
    files: await describeOutputFiles(files),
    outputs: outcome && !stoppedBy && !run.protocolViolation ? (outcome.outputs ?? []) : [],
    timings: {
      queuedMs: round(t.queuedMs),
      startMs: round(t.startMs),
      executionTimeMs: round(run.executionTimeMs),
      totalMs: round(performance.now() - t.t0),
    },
    ...(run.usage ? { usage: run.usage } : {}),
    fileContents: files,
  };
}

/** The result of a run cancelled before it left the queue: nothing ran. */
export function cancelledWhileQueued(queuedMs: number): Execution {
  return {
    status: "killed",
    stdout: "",
    stderr: "",
    output: "",
    error: { name: "Killed", message: "the run was cancelled while it waited in the queue; nothing ran", traceback: "", line: null },
    exitCode: null,
    value: null,
    files: [],
    outputs: [],
    timings: { queuedMs: round(queuedMs), startMs: 0, executionTimeMs: 0, totalMs: round(queuedMs) },
    fileContents: new Map(),
  };
}

export function limitError(reason: Exclude<ExecuteResult["status"], "ok" | "error" | "compile_error">, limits: ResolvedLimits, guest: GuestError | null): GuestError {
  const where = { traceback: guest?.traceback ?? "", line: guest?.line ?? null };
  switch (reason) {
    case "timeout":
      return {
        name: "TimeoutError",
        message: `the run exceeded timeoutMs (${limits.timeoutMs} ms); raise limits.timeoutMs (at most ${LIMIT_BOUNDS.timeoutMs.max}) to allow longer runs`,
        ...where,
      };
    case "memory_limit":
      return {
        name: "MemoryLimitError",
        message: `the run used more memory than memoryLimitBytes (${limits.memoryLimitBytes} bytes); raise limits.memoryLimitBytes (at most ${LIMIT_BOUNDS.memoryLimitBytes.max})`,
        ...where,
      };
    case "output_limit":
      return {
        name: "OutputLimitError",
        message: `the run wrote more than maxOutputBytes (${limits.maxOutputBytes} bytes) to stdout/stderr; output past it was dropped. Raise limits.maxOutputBytes or write large results to a file`,
        ...where,
      };
    case "killed":
      return { name: "Killed", message: "the run was cancelled before it finished", ...where };
  }
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
