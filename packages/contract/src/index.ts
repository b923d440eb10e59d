/**
 * @wasmbox/contract — what every wasmbox surface agrees on, and nothing that runs code: the
 * request/result schemas and their types, the HTTP API's shapes (runs, sessions, events), the
 * error catalogue and the compile-flag rules. Its one dependency is zod, so a client or a
 * browser SDK can depend on it without installing Pyodide, clang or binaryen.
 *
 * `@wasmbox/contract/flags` holds the compile-flag rules alone (no zod): the compilers inside
 * a sandbox import them from there.
 */
export * from "./contract.js";
export * from "./api.js";
export * from "./errors.js";
export * from "./flags.js";
