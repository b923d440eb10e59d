/**
 * The HTTP API. `buildServer` assembles a Fastify app around one engine and one store;
 * `close()` shuts it down gracefully (stop accepting, let runs finish or cancel them,
 * close the database).
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import { join } from "node:path";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { createEngine, isWasmboxError, WasmboxError, type Engine, type WasmboxErrorCode } from "@wasmbox/node";
import { isLoopback, loadConfig, type ServerConfig, type ServerConfigInput } from "./config.js";
import { capConnections } from "./connections.js";
import { errorAnswer, errorJson, httpStatusOf } from "./http-error.js";
import { createMetrics } from "./metrics.js";
import { createRequestGuard } from "./request-guard.js";
import { registerJudge0Routes } from "./adapters/judge0/index.js";
import { registerPistonRoutes } from "./adapters/piston/index.js";
import { registerMcpRoutes } from "./routes/mcp.js";
import { registerRunRoutes } from "./routes/runs.js";
import { registerSessionRoutes } from "./routes/sessions.js";
import { registerStaticRoutes } from "./routes/static.js";
import { registerSystemRoutes } from "./routes/system.js";
import { RunService } from "./run-service.js";
import { FairScheduler } from "./scheduler.js";
import { SessionService } from "./session-service.js";
import { locateBrowserFiles, type BrowserFiles } from "./static/locate.js";
import { Storage } from "./storage.js";
import { BlobStore } from "./store/blobs.js";
import { openDatabase, type Db } from "./store/database.js";
import type { GroupCommitOptions } from "./store/group-commit.js";
import { KeyStore } from "./store/keys.js";
import { RunStore } from "./store/runs.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The API key that made the request; null on a keyless server (loopback only) and on opened operational endpoints. */
    keyId: string | null;
  }
}

export interface WasmboxServer {
  app: FastifyInstance;
  config: ServerConfig;
  engine: Engine;
  keys: KeyStore;
  runs: RunStore;
  /** Whether requests need an API key. Once true it stays true for the life of the process. */
  readonly keyed: boolean;
  /** Listen on `config.host:config.port`; returns the URL. Refuses a non-loopback address without keys. */
  listen(): Promise<string>;
  /** Graceful shutdown: stop accepting, finish or cancel in-flight runs, close sessions and the database. */
  close(): Promise<void>;
}

/** Liveness: open to everyone, on any Host (probes connect by IP), even on a keyed server. */
const LIVENESS = "/healthz";
/** Operational endpoints: need a key on a keyed server unless WASMBOX_PUBLIC_METRICS=1. */
const OPERATIONAL = /^\/(metrics|readyz|docs)(\/|$)/;
/** A client's own X-Request-Id is logged (as clientRequestId), never used as the server's id. */
const CLIENT_REQUEST_ID_MAX = 128;

/** Codes counted in wasmbox_refused_total: a guard or a cap said no. */
const REFUSALS: ReadonlySet<WasmboxErrorCode> = new Set<WasmboxErrorCode>([
  "UNAUTHORIZED",
  "HOST_NOT_ALLOWED",
  "ORIGIN_NOT_ALLOWED",
  "RATE_LIMITED",
  "TOO_MANY_RUNS",
  "TOO_MANY_SESSIONS",
  "TOO_MANY_STREAMS",
  "TOO_MANY_CONNECTIONS",
  "QUEUE_FULL",
  "SESSIONS_FULL",
  "SERVER_BUSY",
  "STORAGE_FULL",
  "REQUEST_TIMEOUT",
  "BODY_TOO_LARGE",
  "HEADERS_TOO_LARGE",
]);

const pathOf = (req: { url: string }) => req.url.split("?")[0] ?? "";
/** The playground, the SDK and the runtime assets (routes/static.ts): no key, any Origin, the Host still checked. */
const isPublicFile = (req: FastifyRequest) => req.routeOptions.config?.publicFile === true;

export interface BuildServerOptions extends ServerConfigInput {
  /** An engine to serve instead of a new one (it is not disposed on close). */
  engine?: Engine;
  /** Where the browser side's files are; by default found through the installed packages (tests point it elsewhere). */
  browserFiles?: BrowserFiles;
  /**
   * How run history group-commits (see RunStore): by default a batch commits when the event
   * loop's turn ends, or at 256 writes. A longer `maxDelayMs` gathers more runs per commit, and
   * delays every answer by up to that much (an answer waits for its run's commit).
   */
  historyBatch?: GroupCommitOptions;
}

export async function buildServer(options: BuildServerOptions = {}): Promise<WasmboxServer> {
  const { engine: givenEngine, browserFiles, historyBatch, ...overrides } = options;
  const config = loadConfig(overrides);
  const db: Db = openDatabase(config.dataDir);
  const runs = new RunStore(db, historyBatch);
  const keys = new KeyStore(db);
  const blobs = new BlobStore(join(config.dataDir, "blobs"));
  const storage = new Storage(db, runs, blobs, config);
  const recovered = runs.recoverInterrupted(Date.now());
  const early: string[] = [];
  let logReady = false;
  const engine =
    givenEngine ??
    createEngine({
      pool: { python: config.poolPython, quickjs: config.poolJs, wasm: config.poolWasm, clang: config.poolCompilers, asc: config.poolCompilers },
      maxConcurrentRuns: config.maxConcurrentRuns,
      maxQueuedRuns: config.maxQueuedRuns + 1_000, // the server answers 503 itself, before the engine's own cap
      // Told before the app (and its logger) exists: kept until it does.
      packages: { detectImports: config.detectImports, preload: config.pythonPreload, log: (message) => (logReady ? app.log.info(message) : early.push(message)) },
    });

  // Keyless serving is a mode chosen at start, and only on loopback. Once the server has a
  // key (now or later, created by `wasmbox keys create` on the same data directory) it
  // needs one for good: revoking the last key refuses every request, it never reopens.
  let keyed = !isLoopback(config.host) || keys.activeCount() > 0;
  const isKeyed = () => {
    if (!keyed && keys.activeCount() > 0) keyed = true;
    return keyed;
  };

  const scheduler = new FairScheduler(config.maxConcurrentRuns, () =>
    Math.min(config.maxConcurrentRuns, config.maxSlotsPerKey ?? (keyed ? Math.max(1, config.maxConcurrentRuns - 1) : config.maxConcurrentRuns)),
  );
  const sessions = new SessionService(engine, config);
  let connections: { open: number } = { open: 0 };
  const metrics = createMetrics(engine, {
    sessionsOpen: () => sessions.size,
    queued: () => scheduler.queued,
    connectionsOpen: () => connections.open,
    storedBytes: () => storage.bytes,
  });
  const service = new RunService(engine, runs, blobs, metrics, config, scheduler, storage);
  const guard = createRequestGuard({ config, keyed: isKeyed });
  const streams = new Map<string, number>();
  let draining = false;

  const app = Fastify({
    logger: { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    // Request ids are the server's own; a client's X-Request-Id is only logged, capped.
    requestIdHeader: false,
    genReqId: () => `req_${randomUUID().replaceAll("-", "").slice(0, 16)}`,
    childLoggerFactory(logger, bindings, opts, rawReq) {
      const header = rawReq.headers["x-request-id"];
      const clientRequestId = (Array.isArray(header) ? header[0] : header)?.replace(/[^\x21-\x7e]/g, "").slice(0, CLIENT_REQUEST_ID_MAX);
      return logger.child(clientRequestId ? { ...bindings, clientRequestId } : bindings, opts);
    },
    // Slow and idle clients cost nothing: the whole request must arrive within
    // requestTimeoutMs, its headers within headersTimeoutMs (a connection that sends nothing
    // is cut then too), a keep-alive connection closes after keepAliveTimeoutMs, and one
    // silent both ways for idleTimeoutMs is dropped.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.idleTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.headersTimeoutMs,
      // How often Node checks those timeouts (its default, 30 s, would let them run over by that much).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(config.headersTimeoutMs, config.requestTimeoutMs) / 4))),
    },
    // What the router refuses before any hook runs (a bad URL encoding, a path parameter over
    // maxParamLength) is answered like every other error, not with Fastify's own body.
    frameworkErrors: (err, req, reply) => answerError(err, req, reply),
    clientErrorHandler(err, socket) {
      if (err.code === "ECONNRESET" || socket.destroyed) return;
      const [code, message]: [WasmboxErrorCode, string] =
        err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [
              "REQUEST_TIMEOUT",
              `the request did not arrive in time: its headers must arrive within ${config.headersTimeoutMs} ms (WASMBOX_HEADERS_TIMEOUT_MS), all of it within ${config.requestTimeoutMs} ms (WASMBOX_REQUEST_TIMEOUT_MS)`,
            ]
          : err.code === "HPE_HEADER_OVERFLOW"
            ? ["HEADERS_TOO_LARGE", "the request headers are too large"]
            : ["BAD_REQUEST", "the request is not valid HTTP"];
      if (REFUSALS.has(code)) metrics.refused.inc({ code });
      const status = httpStatusOf(code);
      const body = errorJson(code, message);
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    },
  });
  logReady = true;
  for (const message of early.splice(0)) app.log.info(message);
  connections = capConnections(app.server, config, (code) => metrics.refused.inc({ code }));
  if (recovered) app.log.warn({ recovered }, "runs left queued or running by a previous process were marked killed");

  // Validation happens once, in the handlers, with the engine's zod schemas; the JSON
  // schemas on routes are for the OpenAPI document.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  // Answers are serialized as they are, with JSON.stringify, as on a route without a response
  // schema: Fastify's schema serializer (fast-json-stringify) would drop every property the
  // schema does not name and coerce the rest, and a result's `value` is any JSON.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // The API speaks JSON only: without this, Fastify's built-in text/plain parser hands a
  // string to the handlers, and a JSON body sent as text/plain fails with a misleading
  // "expected object, received string" instead of 415 UNSUPPORTED_MEDIA_TYPE.
  app.removeContentTypeParser("text/plain");
  app.decorateRequest("keyId", null);

  // 1. Who is asking: the Host must name this server and a browser's Origin must be allowed.
  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id).header("x-content-type-options", "nosniff");
    if (pathOf(req) === LIVENESS) return;
    if (isPublicFile(req)) guard.checkHost(req);
    else guard.check(req);
  });
  // A WebSocket upgrade that is refused (a foreign Origin or Host, no key, a rate limit) is
  // answered on the raw socket, which nothing else would close: without this, every refused
  // upgrade held a socket open for good, and shutdown waited on it.
  app.addHook("onResponse", async (req, reply) => {
    if (req.raw.headers.upgrade !== undefined && reply.statusCode !== 101) req.raw.socket.destroy();
  });
  // 2. CORS, only for the origins WASMBOX_ALLOWED_ORIGINS names (it answers their preflights
  //    before authentication, which a preflight never carries). Others get no CORS headers.
  if (config.allowedOrigins.length) {
    await app.register(cors, {
      origin: config.allowedOrigins,
      methods: ["GET", "HEAD", "POST", "DELETE"],
      exposedHeaders: ["retry-after", "x-request-id", "content-disposition", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "mcp-session-id"],
      maxAge: 600,
    });
  }
  // 3. Authentication, decided per request: see isKeyed.
  app.addHook("onRequest", async (req: FastifyRequest) => {
    const path = pathOf(req);
    if (path === LIVENESS || isPublicFile(req)) return;
    if (!isKeyed()) {
      req.keyId = null;
      return;
    }
    if (config.publicMetrics && OPERATIONAL.test(path)) return;
    // Judge0 clients send their key as X-Auth-Token (Judge0's AUTHN_HEADER default).
    const authToken = req.headers["x-auth-token"];
    const header = req.headers.authorization ?? (typeof authToken === "string" && authToken ? `Bearer ${authToken}` : "");
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const keyId = match ? keys.verify(match[1]!) : null;
    if (!keyId) {
      const none = keys.activeCount() === 0;
      throw new WasmboxError(
        "UNAUTHORIZED",
        none
          ? "this server requires an API key and has no active one (the last was revoked); create one with `wasmbox keys create`"
          : match
            ? "the API key is not valid (revoked or mistyped)"
            : "send an API key: Authorization: Bearer <key> (create one with `wasmbox keys create`)",
      );
    }
    // Without the OS sandbox, tenants would share a wall that guest code can reach: one key only.
    if (engine.isolation.weak && !config.allowWeakIsolation && keys.activeCount() > 1) {
      throw new WasmboxError(
        "WEAK_ISOLATION",
        "this server's sandboxes run without an OS sandbox (install bubblewrap; see `wasmbox runtimes`), so it serves one API key only; revoke the others or set WASMBOX_ALLOW_WEAK_ISOLATION=1",
      );
    }
    req.keyId = keyId;
  });

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => req.keyId ?? req.ip,
    allowList: (req) => {
      const path = pathOf(req);
      return path === LIVENESS || OPERATIONAL.test(path);
    },
    errorResponseBuilder: (_req, ctx) =>
      new WasmboxError("RATE_LIMITED", `rate limit of ${ctx.max} requests per minute reached (WASMBOX_RATE_LIMIT_PER_MINUTE); retry in ${ctx.after}`, {
        retryAfterSeconds: Math.ceil(ctx.ttl / 1000),
      }),
  });

  // An answer sent before the request's body was read (a refusal, a body too large) closes
  // the connection: otherwise Node would go on reading, and discarding, what the client sends.
  app.addHook("onSend", async (req, reply) => {
    if (!req.raw.complete) reply.header("connection", "close");
  });

  /** Every error answer: `{ error: { code, message, details? } }` with the catalogue's status for its code. */
  const answerError = (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = toWasmboxError(err, req);
    if (REFUSALS.has(e.code)) metrics.refused.inc({ code: e.code });
    if (e.httpStatus >= 500 && e.code !== "INTERNAL") req.log.error({ err }, "host error");
    if (e.retryAfterSeconds !== undefined) reply.header("retry-after", String(e.retryAfterSeconds));
    if (e.code === "UNAUTHORIZED") reply.header("www-authenticate", "Bearer");
    return reply.code(e.httpStatus).send(errorAnswer(e.code, e.message, e.details));
  };
  /** Fastify's and Node's own errors, as catalogue errors. */
  const toWasmboxError = (err: unknown, req: FastifyRequest): WasmboxError => {
    if (isWasmboxError(err)) return err;
    const e = err as { statusCode?: number; code?: string; message?: string };
    switch (e.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return new WasmboxError("BODY_TOO_LARGE", `the request body is larger than ${config.bodyLimitBytes} bytes (WASMBOX_BODY_LIMIT_BYTES)`);
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return new WasmboxError("UNSUPPORTED_MEDIA_TYPE", "send JSON with the header content-type: application/json");
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
        return new WasmboxError("INVALID_JSON", "the request body is empty; send a JSON object");
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        return new WasmboxError("INVALID_JSON", `the request body is not valid JSON: ${e.message ?? ""}`);
    }
    if (err instanceof SyntaxError || (e.statusCode === 400 && /JSON/i.test(e.message ?? ""))) {
      return new WasmboxError("INVALID_JSON", `the request body is not valid JSON: ${e.message ?? ""}`);
    }
    // Fastify's other 4xx: a path parameter over maxParamLength, a missing static file; the rest
    // is a request wrong in a way no code names.
    if (e.code === "FST_ERR_MAX_PARAM_LENGTH") return new WasmboxError("URI_TOO_LONG", "a path segment is longer than this server accepts (ids are at most 100 characters)");
    if (e.code === "FST_ERR_BAD_URL") return new WasmboxError("BAD_REQUEST", `the path ${JSON.stringify(pathOf(req).slice(0, 200))} is not valid URL encoding`);
    if (e.statusCode === 404) return new WasmboxError("NOT_FOUND", `no ${req.method} ${pathOf(req)}; see /docs`);
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new WasmboxError("BAD_REQUEST", e.message ?? "bad request");
    req.log.error({ err }, "unhandled error");
    return new WasmboxError("INTERNAL", `wasmbox hit an internal error; the request id is ${req.id}`);
  };
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((req, reply) => answerError(new WasmboxError("NOT_FOUND", `no route ${req.method} ${pathOf(req)}; see /docs`), req, reply));

  await app.register(swagger, {
    openapi: {
      info: { title: "wasmbox", version: "0.1.0", description: "Run untrusted code safely inside WebAssembly." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  registerSystemRoutes(app, { engine, metrics, isDraining: () => draining, db, scheduler });
  registerRunRoutes(app, { service, runs, blobs, config, streams });
  registerSessionRoutes(app, { sessions, service, config });
  const mcp = registerMcpRoutes(app, { engine, service, sessions, runs, blobs, config });
  // Drop-in Piston and Judge0 APIs: thin translations over the same run service.
  await registerPistonRoutes(app, { engine, service, runs, config });
  await registerJudge0Routes(app, { engine, service, runs, db, config });
  registerStaticRoutes(app, browserFiles ?? locateBrowserFiles());

  const retention = setInterval(() => {
    const deleted = storage.sweep();
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
    get keyed() {
      return isKeyed();
    },
    async listen() {
      if (engine.isolation.weak && !config.allowWeakIsolation && (!isLoopback(config.host) || keys.activeCount() > 1)) {
        throw new Error(
          `refusing to ${isLoopback(config.host) ? "serve more than one API key" : `listen on ${config.host}`} with weak isolation: sandboxes here run without an OS sandbox ` +
            "(install the 'bubblewrap' package; it needs user namespaces — see `wasmbox runtimes`). Listen on 127.0.0.1 with one key, or set WASMBOX_ALLOW_WEAK_ISOLATION=1 to accept the risk.",
        );
      }
      if (!isLoopback(config.host) && keys.activeCount() === 0) {
        throw new Error(
          `refusing to listen on ${config.host} without API keys: anyone who can reach it could run code. ` +
            "Create a key with `wasmbox keys create`, or listen on 127.0.0.1 (HOST=127.0.0.1).",
        );
      }
      if (guard.allowsAnyHost && !isKeyed()) {
        throw new Error(
          "refusing WASMBOX_ALLOWED_HOSTS=* without API keys: any web page could then reach this server under a name of its own (DNS rebinding) and run code. " +
            "Name the hosts instead, or create a key with `wasmbox keys create`.",
        );
      }
      const url = await app.listen({ host: config.host, port: config.port });
      if (!isKeyed()) app.log.info("no API keys: serving this machine only (loopback), without authentication, until a key is created");
      return url;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        clearInterval(retention);
        // Stop accepting connections; in-flight requests continue while runs drain.
        const closed = app.close();
        await service.drain(config.shutdownGraceMs);
        await mcp.closeAll();
        await sessions.closeAll();
        // app.close() closes the connections that are idle when it starts. One that still had a
        // request in flight (a sync execute, an SSE stream) goes idle only once its run ended,
        // and would then hold the shutdown until the keep-alive timeout: close those too.
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
        runs.flush();
        db.close();
      })();
      return closing;
    },
  };
}
