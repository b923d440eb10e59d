/**
 * @wasmbox/core — the isomorphic engine: the runtime interface, one folder per language
 * runtime, and the `Engine` with the `SandboxHost` port it drives. The contract every surface
 * shares (request/result, API shapes, error catalogue) lives in `@wasmbox/contract` and is
 * re-exported here unchanged. Nothing here is Node-only; hosts live in other packages
 * (`@wasmbox/node`, later a browser host).
 */
export * from "@wasmbox/contract";
// Named, not only `export *`: the HTTP API's RunMode (how a run was started).
export type { RunMode } from "@wasmbox/contract";
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
export { describeRuntimes, languageDescription, languageForFilename, supportsSessions, type RuntimeInfo } from "./runtimes/describe.js";
export { SHARED_LIBRARIES_MARK, SNAPSHOT_RECIPE } from "./runtimes/python/snapshot-recipe.js";
export { firstError, parseAscDiagnostics, parseClangDiagnostics } from "./runtimes/compilers/diagnostics.js";
export { ASC_SOURCE_FILES, buildInputs, C_SOURCE_FILES } from "./runtimes/compilers/source-tree.js";
// Everything a sandbox uses (runtimes, output ring, runtime interface) is public too.
export * from "./guest/index.js";
