/**
 * @wasmbox/client — a typed client for the wasmbox HTTP API, for Node.js 20+ and browsers.
 * Nothing is loaded at run time but this package: it uses the global `fetch` and parses
 * Server-Sent Events from the response stream itself. Its types come from `@wasmbox/contract`.
 * @example
 * import { WasmboxClient, isWasmboxApiError } from "@wasmbox/client";
 *
 * const client = new WasmboxClient({ baseUrl: "http://127.0.0.1:8787" });
 * const { id } = await client.runs.create({ language: "python", code: "print('hello')" });
 * for await (const event of client.runs.events(id)) {
 *   if (event.type === "stdout") process.stdout.write(event.data.text);
 *   if (event.type === "result") console.log(event.data.status);
 * }
 */
export { WasmboxClient, RunsApi, SessionsApi, type WasmboxClientOptions } from "./client.js";
export { WasmboxApiError, isWasmboxApiError, parseRetryAfter, type ClientErrorCode, type LocalErrorCode } from "./errors.js";
export { outputBytes, richOutputBytes } from "./bytes.js";
export { SseParser, readSse, type SseMessage, type SseParserOptions } from "./sse.js";
export type * from "./types.js";
