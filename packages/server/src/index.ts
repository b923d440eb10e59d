/**
 * @wasmbox/server — the HTTP API over the wasmbox engine, with embedded SQLite.
 * @example
 * const server = await buildServer({ port: 8787 });
 * console.log(await server.listen());
 */
export { buildServer, type BuildServerOptions, type WasmboxServer } from "./server.js";
export { loadConfig, isLoopback, ServerConfigSchema, type ServerConfig, type ServerConfigInput } from "./config.js";
export { KeyStore, type ApiKeyInfo } from "./store/keys.js";
export { openDatabase } from "./store/database.js";
export { GroupCommit, type GroupCommitOptions } from "./store/group-commit.js";
export { startServer } from "./start.js";
// Error codes and their HTTP statuses: ERROR_CATALOGUE in @wasmbox/core (re-exported by @wasmbox/node).
export { locateBrowserFiles, type BrowserFiles } from "./static/locate.js";
export type { AssetManifest, ManifestEntry } from "./static/asset-catalogue.js";
