/**
 * What the drop-in APIs (Piston, Judge0) share: their errors are answered in their own shape
 * (with the status wasmbox's catalogue gives the same refusal: 401 without a key, 429 over
 * the rate limit, 503 while draining…), and a run a client waits for is cancelled when the
 * client goes away, as on `/v1/execute`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isWasmboxError, type WasmboxError } from "@wasmbox/node";
import type { ServerConfig } from "../config.js";
import { whileRunning } from "../routes/runs.js";

/**
 * Answer every error of the routes in `scope` in an API's own shape. `shape` gets the status
 * and a message a person can act on; catalogue errors keep their status and Retry-After. An
 * adapter refuses with catalogue errors too (INVALID_REQUEST, NOT_FOUND…), in its API's words.
 */
export function answerErrorsAs(scope: FastifyInstance, config: ServerConfig, shape: (status: number, message: string) => unknown): void {
  scope.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    if (isWasmboxError(err)) return answerCatalogued(err, reply, shape);
    const e = err as Partial<FastifyError>;
    const [status, message] = ((): [number, string] => {
      switch (e.code) {
        case "FST_ERR_CTP_BODY_TOO_LARGE":
          return [413, `the request body is larger than ${config.bodyLimitBytes} bytes (WASMBOX_BODY_LIMIT_BYTES)`];
        case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
          return [415, "requests must be of type application/json"];
        case "FST_ERR_CTP_EMPTY_JSON_BODY":
          return [400, "the request body is empty; send a JSON object"];
      }
      if (e.code === "FST_ERR_CTP_INVALID_JSON_BODY" || err instanceof SyntaxError) return [400, `the request body is not valid JSON: ${e.message ?? ""}`];
      if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return [e.statusCode, e.message ?? "bad request"];
      req.log.error({ err }, "unhandled error in a drop-in API");
      return [500, `wasmbox hit an internal error; the request id is ${req.id}`];
    })();
    if (!req.raw.complete) reply.header("connection", "close");
    return reply.code(status).send(shape(status, message));
  });
}

function answerCatalogued(e: WasmboxError, reply: FastifyReply, shape: (status: number, message: string) => unknown) {
  if (e.retryAfterSeconds !== undefined) reply.header("retry-after", String(e.retryAfterSeconds));
  if (e.code === "UNAUTHORIZED") reply.header("www-authenticate", "Bearer");
  return reply.code(e.httpStatus).send(shape(e.httpStatus, e.message));
}

/**
 * Run `fn` while the client waits: the connection's idle timeout is suspended, and a client
 * that disconnects before the answer cancels the run (its signal aborts).
 */
export async function whileClientWaits<T>(req: FastifyRequest, reply: FastifyReply, config: ServerConfig, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const gone = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableEnded) gone.abort();
  };
  reply.raw.once("close", onClose);
  try {
    return await whileRunning(req, config, () => fn(gone.signal));
  } finally {
    reply.raw.off("close", onClose);
  }
}

/**
 * Clients of these APIs do not always label their JSON (piston-client posts it as
 * text/plain): in an adapter's scope, a text/plain body is read as JSON.
 */
export function readTextAsJson(scope: FastifyInstance): void {
  scope.addContentTypeParser("text/plain", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}
