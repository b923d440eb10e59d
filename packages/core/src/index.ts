/**
 * @wasmbox/core — the isomorphic engine: the contract every surface shares, the error
 * catalogue, and the runtime interface. Nothing here is Node-only; hosts live in other
 * packages (`@wasmbox/node`, later a browser host).
 */
export * from "./contract.js";
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
export { formatIssues, parseExecuteRequest, parseSessionOptions, type ValidationIssue } from "./validate.js";
export { describeOutputFiles, mimeTypeFor } from "./output-files.js";
export { describeRuntimes, languageDescription, languageForFilename, supportsSessions, type RuntimeInfo } from "./runtimes/describe.js";
export { SNAPSHOT_RECIPE } from "./runtimes/python/snapshot-recipe.js";
export { checkCompileFlag, DEFAULT_STACK_BYTES, stackBytesOf, type CompiledLanguage } from "./runtimes/compilers/flags.js";
export { firstError, parseAscDiagnostics, parseClangDiagnostics } from "./runtimes/compilers/diagnostics.js";
export { ASC_SOURCE_FILES, buildInputs, C_SOURCE_FILES } from "./runtimes/compilers/source-tree.js";
// Everything a sandbox uses (runtimes, output ring, runtime interface) is public too.
export * from "./guest/index.js";
