import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { LANGUAGES, STATUSES, WasmboxError, type Language } from "@wasmbox/node";
import type { ServerConfig } from "../config.js";
import { notFound } from "../http-error.js";
import { tenantOf, type LiveEvent, type RunService } from "../run-service.js";
import type { BlobStore } from "../store/blobs.js";
import type { RunRecord, RunState, RunStore } from "../store/runs.js";
import {
  ADMISSION_ERRORS,
  BODY_ERRORS,
  errorAnswers,
  executeBodySchema,
  idParams,
  mediaAnswer,
  runCancelledAnswer,
  runCreatedAnswer,
  runDetailAnswer,
  runPageAnswer,
  runResultAnswer,
} from "./schemas.js";

const RUN_STATES: readonly string[] = ["queued", "running", ...STATUSES];
const HEARTBEAT_MS = 15_000;

/** Types a browser shows as a picture and nothing more: the only ones served inline, and only when asked. */
const PLAIN_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp", "image/x-icon"]);

/**
 * Headers on everything a run produced: the type is the one its name gave (never sniffed),
 * and a document that a browser would render anyway runs sandboxed (an opaque origin, no
 * scripts), so guest HTML/SVG/JS can never act as the API's own origin.
 */
export const GUEST_CONTENT_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "sandbox",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "private, no-cache",
} as const;

export interface RunRouteDeps {
  service: RunService;
  runs: RunStore;
  blobs: BlobStore;
  config: ServerConfig;
  /** Event streams open per tenant, capped at WASMBOX_MAX_EVENT_STREAMS_PER_KEY. */
  streams: Map<string, number>;
}

export function registerRunRoutes(app: FastifyInstance, deps: RunRouteDeps): void {
  const { service, runs, blobs, config, streams } = deps;

  app.post(
    "/v1/execute",
    {
      schema: {
        tags: ["runs"],
        summary: "Run code and answer with the result (stored in run history)",
        body: executeBodySchema,
        response: { 200: runResultAnswer, ...errorAnswers(BODY_ERRORS, ADMISSION_ERRORS) },
      },
    },
    async (req, reply) => {
      // A client that disconnects before the answer cancels its run: no sandbox works for nobody.
      const gone = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableEnded) gone.abort();
      };
      reply.raw.once("close", onClose);
      try {
        const answer = await whileRunning(req, config, () => service.executeSync(req.keyId, req.body, gone.signal));
        const json = service.answerJson(answer);
        return json === undefined ? answer : reply.type("application/json; charset=utf-8").send(json);
      } finally {
        reply.raw.off("close", onClose);
      }
    },
  );

  app.post(
    "/v1/runs",
    {
      schema: {
        tags: ["runs"],
        summary: "Start a run in the background; follow it with GET /v1/runs/:id/events",
        body: executeBodySchema,
        response: { 202: runCreatedAnswer, ...errorAnswers(BODY_ERRORS, ADMISSION_ERRORS) },
      },
    },
    async (req, reply) => reply.code(202).send(service.createAsync(req.keyId, req.body)),
  );

  app.get(
    "/v1/runs",
    {
      schema: {
        tags: ["runs"],
        summary: "List this key's runs, newest first",
        querystring: {
          type: "object",
          properties: {
            status: { type: "string", enum: [...RUN_STATES] },
            language: { type: "string", enum: [...LANGUAGES] },
            limit: { type: "integer", minimum: 1, maximum: 200, default: 50 },
            cursor: { type: "string" },
          },
        },
        response: { 200: runPageAnswer, ...errorAnswers("INVALID_QUERY", "INVALID_CURSOR") },
      },
    },
    async (req) => {
      const q = req.query as Record<string, string | undefined>;
      const unknown = Object.keys(q).filter((k) => !["status", "language", "limit", "cursor"].includes(k));
      if (unknown.length) throw new WasmboxError("INVALID_QUERY", `unknown query parameter ${unknown.map((k) => JSON.stringify(k)).join(", ")}; use status, language, limit, cursor`);
      if (q.status !== undefined && !RUN_STATES.includes(q.status)) {
        throw new WasmboxError("INVALID_QUERY", `status must be one of ${RUN_STATES.join(", ")}`);
      }
      if (q.language !== undefined && !(LANGUAGES as readonly string[]).includes(q.language)) {
        throw new WasmboxError("INVALID_QUERY", `language must be one of ${LANGUAGES.join(", ")}`);
      }
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new WasmboxError("INVALID_QUERY", "limit must be a whole number from 1 to 200");
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const page = runs.list({
        keyId: req.keyId,
        status: q.status as RunState | undefined,
        language: q.language as Language | undefined,
        limit: limit + 1,
        after,
      });
      const more = page.length > limit;
      const items = page.slice(0, limit);
      const last = items.at(-1);
      return {
        runs: items.map(summary),
        nextCursor: more && last ? encodeCursor(last) : null,
      };
    },
  );

  app.get(
    "/v1/runs/:id",
    { schema: { tags: ["runs"], summary: "A run: its request, state and result", params: idParams, response: { 200: runDetailAnswer, ...errorAnswers("NOT_FOUND", "URI_TOO_LONG") } } },
    async (req) => {
      const { id } = req.params as { id: string };
      const run = runs.get(id, req.keyId);
      if (!run) throw notFound("run", id);
      return detail(run);
    },
  );

  app.delete(
    "/v1/runs/:id",
    {
      schema: {
        tags: ["runs"],
        summary: "Cancel a queued or running run (it ends as killed)",
        params: idParams,
        response: { 202: runCancelledAnswer, ...errorAnswers("NOT_FOUND", "ALREADY_FINISHED", "URI_TOO_LONG") },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const run = runs.get(id, req.keyId);
      if (!run) throw notFound("run", id);
      const cancelled = service.cancel(id, req.keyId);
      if (!cancelled) throw new WasmboxError("ALREADY_FINISHED", `run ${id} already finished with status ${run.status}`);
      return reply.code(202).send({ id, cancelled: true });
    },
  );

  app.get(
    "/v1/runs/:id/files/*",
    {
      schema: {
        tags: ["runs"],
        summary:
          "A file the run produced, with the MIME type its name gives, as an attachment (sandboxed, never sniffed); ?inline=1 shows a plain image (PNG, JPEG, GIF, WebP, AVIF, BMP, ICO) inline",
        querystring: { type: "object", properties: { inline: { type: "string", enum: ["0", "1", "true", "false"] } } },
        response: {
          200: mediaAnswer("The file's bytes, with the content type its name gives (`application/octet-stream` when none).", "*/*", { type: "string", format: "binary" }),
          ...errorAnswers("NOT_FOUND", "FILE_NOT_STORED", "URI_TOO_LONG"),
        },
      },
    },
    async (req, reply) => {
      const { id, "*": path } = req.params as { id: string; "*": string };
      const { inline } = req.query as { inline?: string };
      const run = runs.get(id, req.keyId);
      if (!run) throw notFound("run", id);
      const file = runs.file(id, path);
      if (!file) throw new WasmboxError("NOT_FOUND", `run ${id} produced no file ${JSON.stringify(path)}`);
      if (!file.stored) {
        throw new WasmboxError(
          "FILE_NOT_STORED",
          file.size > config.maxStoredFileBytes
            ? `${path} (${file.size} bytes) was larger than WASMBOX_MAX_STORED_FILE_BYTES and was not kept`
            : `${path} (${file.size} bytes) was not kept: the server's storage was full (WASMBOX_MAX_STORED_BYTES)`,
        );
      }
      const bytes = blobs.get(file.sha256);
      if (!bytes) throw new WasmboxError("FILE_NOT_STORED", `${path} is no longer stored (retention)`);
      const asked = inline === "1" || inline === "true";
      const disposition = asked && PLAIN_IMAGES.has(file.mime) ? "inline" : "attachment";
      return reply
        .headers(GUEST_CONTENT_HEADERS)
        .header("content-type", file.mime)
        .header("etag", `"${file.sha256}"`)
        .header("content-disposition", contentDisposition(disposition, path.split("/").pop() || "file"))
        .send(bytes);
    },
  );

  app.get(
    "/v1/runs/:id/events",
    {
      schema: {
        tags: ["runs"],
        summary: "Server-Sent Events: status, stdout, stderr, result. Resume with Last-Event-ID.",
        params: idParams,
        response: {
          200: mediaAnswer(
            "Events `status` ({ status }), `stdout` and `stderr` ({ text, base64? }: base64 when the bytes are not valid UTF-8) and last `result` (the result, as `GET /v1/runs/:id` gives it); each event's id resumes the stream.",
            "text/event-stream",
          ),
          ...errorAnswers("NOT_FOUND", "INVALID_LAST_EVENT_ID", "TOO_MANY_STREAMS", "URI_TOO_LONG"),
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const run = runs.get(id, req.keyId);
      if (!run) throw notFound("run", id);
      const header = req.headers["last-event-id"] ?? (req.query as { lastEventId?: string }).lastEventId;
      const lastSeen = header === undefined ? 0 : Number(header);
      if (!Number.isInteger(lastSeen) || lastSeen < 0) throw new WasmboxError("INVALID_LAST_EVENT_ID", "Last-Event-ID must be a whole number (the id of the last event received)");
      const tenant = tenantOf(req.keyId);
      const open = streams.get(tenant) ?? 0;
      if (open >= config.maxEventStreamsPerKey) {
        throw new WasmboxError(
          "TOO_MANY_STREAMS",
          `this API key already has ${open} event streams open (WASMBOX_MAX_EVENT_STREAMS_PER_KEY=${config.maxEventStreamsPerKey}); close one, or poll GET /v1/runs/:id`,
          { retryAfterSeconds: 1 },
        );
      }
      streams.set(tenant, open + 1);
      reply.raw.once("close", () => {
        const n = (streams.get(tenant) ?? 1) - 1;
        if (n > 0) streams.set(tenant, n);
        else streams.delete(tenant);
      });
      streamEvents(req, reply, run, lastSeen, service, runs, Math.min(HEARTBEAT_MS, Math.floor(config.idleTimeoutMs / 3)));
    },
  );
}

/**
 * Run `fn` (a run the client waits for) with the connection's idle timeout suspended: the
 * client is silent while it waits for the answer, and that is not idleness. Restored after.
 */
export async function whileRunning<T>(req: FastifyRequest, config: ServerConfig, fn: () => Promise<T>): Promise<T> {
  const socket = req.raw.socket;
  socket.setTimeout(0);
  try {
    return await fn();
  } finally {
    if (!socket.destroyed) socket.setTimeout(config.idleTimeoutMs);
  }
}

function streamEvents(req: FastifyRequest, reply: FastifyReply, run: RunRecord, lastSeen: number, service: RunService, runs: RunStore, heartbeatMs: number): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...GUEST_CONTENT_HEADERS,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "x-request-id": req.id,
  });
  let cursor = lastSeen;
  let finished = false;
  const write = (e: LiveEvent) => {
    if (e.seq <= cursor || finished) return;
    cursor = e.seq;
    res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${e.data}\n\n`);
    if (e.type === "result") end();
  };
  // Subscribe first, buffer, then replay what is stored: no event is lost or sent twice.
  const buffered: LiveEvent[] = [];
  let live = false;
  const unsubscribe = service.subscribe(run.id, (e) => (live ? write(e) : buffered.push(e)));
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), heartbeatMs);
  function end() {
    if (finished) return;
    finished = true;
    clearInterval(heartbeat);
    unsubscribe?.();
    res.end();
  }
  res.on("close", end);

  const stored = runs.events(run.id, lastSeen);
  if (stored.length) for (const e of stored) write({ seq: e.seq, type: e.type as LiveEvent["type"], data: e.data });
  else if (!unsubscribe) {
    // A finished run with no stored events (a synchronous run): its result says it all.
    const fresh = runs.get(run.id, run.keyId);
    if (fresh?.result) for (const e of synthesize(fresh)) write(e);
  }
  live = true;
  for (const e of buffered) write(e);
  if (!unsubscribe) end();
}

/**
 * `attachment` (or `inline`) with the file's own name: a plain ASCII `filename` (quotes,
 * backslashes and non-ASCII replaced) for old clients, and the exact name as RFC 5987 `filename*`.
 */
function contentDisposition(type: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

function synthesize(run: RunRecord): LiveEvent[] {
  const result = run.result!;
  const events: LiveEvent[] = [];
  let seq = 0;
  events.push({ seq: ++seq, type: "status", data: JSON.stringify({ status: "running" }) });
  if (result.stdout) events.push({ seq: ++seq, type: "stdout", data: JSON.stringify({ text: result.stdout }) });
  if (result.stderr) events.push({ seq: ++seq, type: "stderr", data: JSON.stringify({ text: result.stderr }) });
  events.push({ seq: ++seq, type: "result", data: JSON.stringify({ ...result, files: run.files }) });
  return events;
}

function summary(run: RunRecord) {
  return {
    id: run.id,
    status: run.status,
    language: run.language,
    mode: run.mode,
    api: run.api,
    sessionId: run.sessionId,
    createdAt: new Date(run.createdAt).toISOString(),
    finishedAt: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(),
  };
}

function detail(run: RunRecord) {
  return {
    ...summary(run),
    startedAt: run.startedAt === null ? null : new Date(run.startedAt).toISOString(),
    request: run.request,
    result: run.result ? { ...run.result, files: run.files } : null,
  };
}

function encodeCursor(run: RunRecord): string {
  return Buffer.from(JSON.stringify([run.createdAt, run.id])).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof createdAt === "number" && typeof id === "string") return { createdAt, id };
  } catch {
    // fall through
  }
  throw new WasmboxError("INVALID_CURSOR", "cursor is not one this server issued; pass the nextCursor of a previous page");
}
