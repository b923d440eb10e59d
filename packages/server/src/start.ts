import type { ServerConfigInput } from "./config.js";
import { buildServer, type WasmboxServer } from "./server.js";

/**
 * Start the server and shut it down gracefully on SIGTERM/SIGINT (a second signal forces
 * the exit). Used by `npm start` and `wasmbox serve`.
 */
export async function startServer(options: ServerConfigInput = {}): Promise<WasmboxServer> {
  const server = await buildServer(options);
  try {
    const url = await server.listen();
    server.app.log.info({ url, dataDir: server.config.dataDir, isolation: server.engine.isolation }, `wasmbox listening on ${url}`);
  } catch (e) {
    await server.close();
    throw e;
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      server.app.log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    server.app.log.info({ signal }, "shutting down: finishing in-flight runs");
    void server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        server.app.log.error({ err: e }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return server;
}
