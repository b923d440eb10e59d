/**
 * @wasmbox/core — the isomorphic engine: the contract every surface shares, the error
 * catalogue, the runtime interface, and the `Engine` with the `SandboxHost` port it drives.
 * Nothing here is Node-only; hosts live in other packages (`@wasmbox/node`, later a browser host).
 */
export * from "./contract.js";
// Named, not `export *`: the guest side has a RunMode of its own (how a runtime runs), and
// the HTTP API's RunMode (how a run was started) is the one the package name means.
export {
  ErrorAnswerSchema,
  RunDetailSchema,
  RunModeSchema,
  RunPageSchema,
  RunResultSchema,
  RunStateSchema,
  RunSummarySchema,
  SessionInfoSchema,
  StoredRequestSchema,
  type ErrorAnswer,
  type RunDetail,
  type RunMode,
  type RunPage,
  type RunResult,
  type RunState,
  type RunSummary,
  type SessionInfo,
  type StoredRequest,
} from "./api.js";
export { ERROR_CATALOGUE, ERROR_CODES, WasmboxError, isWasmboxError, type ErrorCodeInfo, type WasmboxErrorCode, type WasmboxErrorOptions } from "./errors.js";
export {
  formatIssues,
  isParsedExecuteRequest,
  parseExecuteRequest,
  parseSessionOptions,
  withDefaultLimits,
  type ParsedExecuteRequest,
  type ValidationIssue,
} from "./validate.js";
// The engine every host shares, and the port a host implements (engine/sandbox-host.ts).
export * from "./engine/index.js";
export { describeOutputFiles, mimeTypeFor } from "./output-files.js";
export { SNAPSHOT_RECIPE } from "./runtimes/python/snapshot-recipe.js";
export { checkCompileFlag, DEFAULT_STACK_BYTES, stackBytesOf, type CompiledLanguage } from "./runtimes/compilers/flags.js";
export { firstError, parseAscDiagnostics, parseClangDiagnostics } from "./runtimes/compilers/diagnostics.js";
export { ASC_SOURCE_FILES, buildInputs, C_SOURCE_FILES } from "./runtimes/compilers/source-tree.js";
// Everything a sandbox uses (runtimes, output ring, runtime interface) is public too.
export * from "./guest/index.js";
