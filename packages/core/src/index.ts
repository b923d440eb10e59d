/**
 * @wasmbox/core — the isomorphic engine: the contract every surface shares, the error
 * catalogue, and the runtime interface. Nothing here is Node-only; hosts live in other
 * packages (`@wasmbox/node`, later a browser host).
 */
export * from "./contract.js";
export type { RunDetail, RunMode, RunPage, RunState, RunSummary, SessionInfo, StoredRequest } from "./api.js";
export { ERROR_CATALOGUE, ERROR_CODES, WasmboxError, isWasmboxError, isWasmboxErrorCode, type ErrorCodeInfo, type WasmboxErrorCode, type WasmboxErrorOptions } from "./errors.js";
export { formatIssues, parseExecuteRequest, parseSessionOptions, type ValidationIssue } from "./validate.js";
export { describeOutputFiles, mimeTypeFor } from "./output-files.js";
export { SNAPSHOT_RECIPE } from "./runtimes/python/snapshot-recipe.js";
export { checkCompileFlag, type CompiledLanguage } from "./runtimes/compilers/flags.js";
export { firstError, parseAscDiagnostics, parseClangDiagnostics } from "./runtimes/compilers/diagnostics.js";
export { ASC_SOURCE_FILES, buildInputs, C_SOURCE_FILES } from "./runtimes/compilers/source-tree.js";
// Everything a sandbox uses (runtimes, output ring, runtime interface) is public too.
export * from "./guest/index.js";
