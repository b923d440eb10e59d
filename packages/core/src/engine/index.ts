export { Engine, Session, type EngineOptions, type ExecuteOptions } from "./engine.js";
export type { Execution } from "./results.js";
export { compileKeyMaterial, crashSummary, wasmExportNames } from "./compile.js";
export { pchKeyMaterial, pchPlan, standardPreamble, type PchPlan } from "../runtimes/compilers/preamble.js";
export { CORE_ENGINE_OPTION_SHAPE, isParsedEngineOptions, oneOfOption, parseEngineOptions, wholeNumberOption } from "./options.js";
export { checkOutcome, isOutputPath, type CheckedOutcome } from "./outcome-check.js";
export { graceMs, RunWatch, type RunMessage, type RunWatchOptions } from "./run-watch.js";
export { SandboxPool } from "./pool.js";
export { detectImports } from "./packages.js";
export { Semaphore } from "./semaphore.js";
export type {
  CompileCache,
  CompiledModule,
  HostSandbox,
  IsolationSummary,
  IsolationWall,
  MissingPackage,
  PackageProvider,
  SandboxHost,
  SandboxRunCallbacks,
  SandboxRunResult,
  StopReason,
} from "./sandbox-host.js";
