/**
 * The HTTP API. `buildServer` assembles a Fastify app around one engine and one store;
 * `close()` shuts it down gracefully (stop accepting, let runs finish or cancel them,
 * close the database).
 */
import { join } from "node:path";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { createEngine, isWasmboxError, type Engine } from "@wasmbox/node";
import { isLoopback, loadConfig, type ServerConfig, type ServerConfigInput } from "./config.js";
import { HttpError } from "./http-error.js";
import { createMetrics } from "./metrics.js";
import { registerRunRoutes } from "./routes/runs.js";
import { registerSessionRoutes } from "./routes/sessions.js";
import { registerSystemRoutes } from "./routes/system.js";
import { RunService } from "./run-service.js";
import { SessionService } from "./session-service.js";
import { BlobStore } from "./store/blobs.js";
import { openDatabase, type Db } from "./store/database.js";
import { KeyStore } from "./store/keys.js";
import { RunStore } from "./store/runs.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The API key that made the request; null when the server runs without keys (loopback only). */
    keyId: string | null;
  }
}

export interface WasmboxServer {
  app: FastifyInstance;
  config: ServerConfig;
  engine: Engine;
  keys: KeyStore;
  runs: RunStore;
  /** Listen on `config.host:config.port`; returns the URL. Refuses a non-loopback address without keys. */
  listen(): Promise<string>;
  /** Graceful shutdown: stop accepting, finish or cancel in-flight runs, close sessions and the database. */
  close(): Promise<void>;
}

/** Paths that need no API key: probes, metrics and docs. */
const PUBLIC = /^\/(healthz|readyz|metrics|docs)(\/|$|\?)/;

export async function buildServer(options: ServerConfigInput & { engine?: Engine } = {}): Promise<WasmboxServer> {
  const { engine: givenEngine, ...overrides } = options;
  const config = loadConfig(overrides);
  const db: Db = openDatabase(config.dataDir);
  const runs = new RunStore(db);
  const keys = new KeyStore(db);
  const blobs = new BlobStore(join(config.dataDir, "blobs"));
  const recovered = runs.recoverInterrupted(Date.now());
  const engine =
    givenEngine ??
    createEngine({
      pool: { python: config.poolPython, quickjs: config.poolJs, wasm: config.poolWasm, clang: config.poolCompilers, asc: config.poolCompilers },
      maxConcurrentRuns: config.maxConcurrentRuns,
      maxQueuedRuns: config.maxQueuedRuns + 1_000, // the server answers 503 itself, before the engine's own cap
    });
  const sessions = new SessionService(engine, config);
  const metrics = createMetrics(engine, () => sessions.size);
  const service = new RunService(engine, runs, blobs, metrics, config);
  let draining = false;

  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: "x-request-id",
    genReqId: () => `req_${Math.random().toString(36).slice(2, 12)}`,
  });
  if (recovered) app.log.warn({ recovered }, "runs left queued or running by a previous process were marked killed");

  // Validation happens once, in the handlers, with the engine's zod schemas; the JSON
  // schemas on routes are for the OpenAPI document.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  // The API speaks JSON only: without this, Fastify's built-in text/plain parser hands a
  // string to the handlers, and a JSON body sent as text/plain fails with a misleading
  // "expected object, received string" instead of 415 UNSUPPORTED_MEDIA_TYPE.
  app.removeContentTypeParser("text/plain");
  app.decorateRequest("keyId", null);

  app.addHook("onRequest", async (req: FastifyRequest) => {
    if (PUBLIC.test(req.url)) return;
    if (keys.activeCount() === 0) {
      req.keyId = null;
      return;
    }
    const header = req.headers.authorization ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const keyId = match ? keys.verify(match[1]!) : null;
    if (!keyId) {
      throw new HttpError(401, "UNAUTHORIZED", match ? "the API key is not valid (revoked or mistyped)" : "send an API key: Authorization: Bearer <key> (create one with `wasmbox keys create`)", {
        "www-authenticate": "Bearer",
      });
    }
    req.keyId = keyId;
  });

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => req.keyId ?? req.ip,
    allowList: (req) => PUBLIC.test(req.url),
    errorResponseBuilder: (_req, ctx) =>
      new HttpError(429, "RATE_LIMITED", `rate limit of ${ctx.max} requests per minute reached; retry in ${ctx.after}`, {
        "retry-after": String(Math.ceil(ctx.ttl / 1000)),
      }),
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const send = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      reply.code(status).headers(headers).send({ error: { code, message } });
    if (err instanceof HttpError) return send(err.statusCode, err.code, err.message, err.headers);
    if (isWasmboxError(err)) {
      if (err.httpStatus >= 500) req.log.error({ err }, "host error");
      return send(err.httpStatus, err.code, err.message, err.code === "QUEUE_FULL" ? { "retry-after": "1" } : {});
    }
    const e = err as { statusCode?: number; code?: string; message?: string };
    switch (e.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return send(413, "BODY_TOO_LARGE", `the request body is larger than ${config.bodyLimitBytes} bytes (WASMBOX_BODY_LIMIT_BYTES)`);
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return send(415, "UNSUPPORTED_MEDIA_TYPE", "send JSON with the header content-type: application/json");
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
        return send(400, "INVALID_JSON", "the request body is empty; send a JSON object");
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        return send(400, "INVALID_JSON", `the request body is not valid JSON: ${e.message ?? ""}`);
    }
    if (err instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message ?? ""))) {
      return send(400, "INVALID_JSON", `the request body is not valid JSON: ${e.message ?? ""}`);
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return send(e.statusCode, e.code ?? "BAD_REQUEST", e.message ?? "bad request");
    req.log.error({ err }, "unhandled error");
    return send(500, "INTERNAL", `wasmbox hit an internal error; the request id is ${req.id}`);
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url.split("?")[0]}; see /docs` } });
  });

  await app.register(swagger, {
    openapi: {
      info: { title: "wasmbox", version: "0.1.0", description: "Run untrusted code safely inside WebAssembly." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  registerSystemRoutes(app, { engine, metrics, isDraining: () => draining, db });
  registerRunRoutes(app, { service, runs, blobs });
  registerSessionRoutes(app, { sessions, service });

  const retention = setInterval(() => {
    if (config.retentionDays <= 0) return;
    const { deleted, orphanedBlobs } = runs.deleteFinishedBefore(Date.now() - config.retentionDays * 86_400_000);
    for (const sha of orphanedBlobs) blobs.delete(sha);
    if (deleted) app.log.info({ deleted }, "deleted runs past retention");
  }, 3600_000);
  retention.unref();

  let closing: Promise<void> | undefined;
  return {
    app,
    config,
    engine,
    keys,
    runs,
    async listen() {
      if (!isLoopback(config.host) && keys.activeCount() === 0) {
        throw new Error(
          `refusing to listen on ${config.host} without API keys: anyone who can reach it could run code. ` +
            "Create a key with `wasmbox keys create`, or listen on 127.0.0.1 (HOST=127.0.0.1).",
        );
      }
      return await app.listen({ host: config.host, port: config.port });
    },
    close() {
      closing ??= (async () => {
        draining = true;
        clearInterval(retention);
        // Stop accepting connections; in-flight requests continue while runs drain.
        const closed = app.close();
        await service.drain(config.shutdownGraceMs);
        await sessions.closeAll();
        // app.close() closes the connections that are idle when it starts. One that still had a
        // request in flight (a sync execute, an SSE stream) goes idle only once its run ended,
        // and would then hold the shutdown until the keep-alive timeout (72 s): close those too.
        const idle = setInterval(() => app.server.closeIdleConnections(), 50);
        // Backstop: a connection whose client gave up mid-request is never answered and never
        // goes idle. Every run has ended by now, so nothing useful is left on any connection.
        const force = setTimeout(() => app.server.closeAllConnections(), 1000);
        try {
          await closed;
        } finally {
          clearInterval(idle);
          clearTimeout(force);
        }
        if (!givenEngine) await engine.dispose();
        db.close();
      })();
      return closing;
    },
  };
}
