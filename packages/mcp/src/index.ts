/**
 * @wasmbox/mcp — wasmbox as a Model Context Protocol server: `run_code`, sessions
 * (`open_session`, `run_in_session`, `close_session`, `read_file`, `write_file`) and
 * `list_runtimes`, with produced files as resources. `createMcpServer` serves any
 * {@link CodeRunner}: `engineRunner` over a local engine (`wasmbox mcp`, stdio), or the HTTP
 * server's runner (`/mcp` on `wasmbox serve`).
 */
export { createMcpServer, type McpServerOptions } from "./server.js";
export { engineRunner, type EngineRunnerOptions } from "./engine-runner.js";
export { fileUri, formatResult, type FormatOptions } from "./results.js";
export type { CodeRunner, RunFile, RunOptions, RunOutcome } from "./runner.js";
export { serveStdio } from "./stdio.js";
