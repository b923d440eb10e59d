/**
 * @wasmbox/core — the isomorphic engine: the runtime interface and one folder per language
 * runtime. The contract every surface shares (request/result, API shapes, error catalogue)
 * lives in `@wasmbox/contract` and is re-exported here unchanged. Nothing here is Node-only;
 * hosts live in other packages (`@wasmbox/node`, later a browser host).
 */
export * from "@wasmbox/contract";
// Named, not only `export *`: the guest side has a RunMode of its own (how a runtime runs),
// and the HTTP API's RunMode (how a run was started) is the one the package name means.
export type { RunMode } from "@wasmbox/contract";
export { formatIssues, parseExecuteRequest, parseSessionOptions, type ValidationIssue } from "./validate.js";
export { describeOutputFiles, mimeTypeFor } from "./output-files.js";
export { SNAPSHOT_RECIPE } from "./runtimes/python/snapshot-recipe.js";
export { firstError, parseAscDiagnostics, parseClangDiagnostics } from "./runtimes/compilers/diagnostics.js";
export { ASC_SOURCE_FILES, buildInputs, C_SOURCE_FILES } from "./runtimes/compilers/source-tree.js";
// Everything a sandbox uses (runtimes, output ring, runtime interface) is public too.
export * from "./guest/index.js";
