import type { FastifyInstance, FastifyReply } from "fastify";
import { LANGUAGES, STATUSES, type Language } from "@wasmbox/node";
import { HttpError, notFound } from "../http-error.js";
import type { LiveEvent, RunService } from "../run-service.js";
import type { BlobStore } from "../store/blobs.js";
import type { RunRecord, RunState, RunStore } from "../store/runs.js";
import { executeBodySchema, idParams } from "./schemas.js";

const RUN_STATES: readonly string[] = ["queued", "running", ...STATUSES];
const HEARTBEAT_MS = 15_000;

export function registerRunRoutes(app: FastifyInstance, deps: { service: RunService; runs: RunStore; blobs: BlobStore }): void {
  const { service, runs, blobs } = deps;

  app.post(
    "/v1/execute",
    { schema: { tags: ["runs"], summary: "Run code and answer with the result (stored in run history)", body: executeBodySchema } },
    async (req, reply) => {
      // A client that disconnects before the answer cancels its run: no sandbox works for nobody.
      const gone = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableEnded) gone.abort();
      };
      reply.raw.once("close", onClose);
      try {
        return await service.executeSync(req.keyId, req.body, gone.signal);
      } finally {
        reply.raw.off("close", onClose);
      }
    },
  );

  app.post(
    "/v1/runs",
    { schema: { tags: ["runs"], summary: "Start a run in the background; follow it with GET /v1/runs/:id/events", body: executeBodySchema } },
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
      },
    },
    async (req) => {
      const q = req.query as Record<string, string | undefined>;
      const unknown = Object.keys(q).filter((k) => !["status", "language", "limit", "cursor"].includes(k));
      if (unknown.length) throw new HttpError(400, "INVALID_QUERY", `unknown query parameter ${unknown.map((k) => JSON.stringify(k)).join(", ")}; use status, language, limit, cursor`);
      if (q.status !== undefined && !RUN_STATES.includes(q.status)) {
        throw new HttpError(400, "INVALID_QUERY", `status must be one of ${RUN_STATES.join(", ")}`);
      }
      if (q.language !== undefined && !(LANGUAGES as readonly string[]).includes(q.language)) {
        throw new HttpError(400, "INVALID_QUERY", `language must be one of ${LANGUAGES.join(", ")}`);
      }
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new HttpError(400, "INVALID_QUERY", "limit must be a whole number from 1 to 200");
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

  app.get("/v1/runs/:id", { schema: { tags: ["runs"], summary: "A run: its request, state and result", params: idParams } }, async (req) => {
    const { id } = req.params as { id: string };
    const run = runs.get(id, req.keyId);
    if (!run) throw notFound("run", id);
    return detail(run);
  });

  app.delete("/v1/runs/:id", { schema: { tags: ["runs"], summary: "Cancel a queued or running run (it ends as killed)", params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const run = runs.get(id, req.keyId);
    if (!run) throw notFound("run", id);
    const cancelled = service.cancel(id, req.keyId);
    return reply.code(cancelled ? 202 : 409).send(
      cancelled ? { id, cancelled: true } : { error: { code: "ALREADY_FINISHED", message: `run ${id} already finished with status ${run.status}` } },
    );
  });

  app.get(
    "/v1/runs/:id/files/*",
    { schema: { tags: ["runs"], summary: "A file the run produced, with its MIME type" } },
    async (req, reply) => {
      const { id, "*": path } = req.params as { id: string; "*": string };
      const run = runs.get(id, req.keyId);
      if (!run) throw notFound("run", id);
      const file = runs.file(id, path);
      if (!file) throw new HttpError(404, "NOT_FOUND", `run ${id} produced no file ${JSON.stringify(path)}`);
      if (!file.stored) {
        throw new HttpError(404, "FILE_NOT_STORED", `${path} (${file.size} bytes) was larger than WASMBOX_MAX_STORED_FILE_BYTES and was not kept`);
      }
      const bytes = blobs.get(file.sha256);
      if (!bytes) throw new HttpError(404, "FILE_NOT_STORED", `${path} is no longer stored (retention)`);
      return reply
        .header("content-type", file.mime)
        .header("etag", `"${file.sha256}"`)
        .header("content-disposition", contentDisposition(path.split("/").pop() || "file"))
        .send(bytes);
    },
  );

  app.get(
    "/v1/runs/:id/events",
    { schema: { tags: ["runs"], summary: "Server-Sent Events: status, stdout, stderr, result. Resume with Last-Event-ID.", params: idParams } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const run = runs.get(id, req.keyId);
      if (!run) throw notFound("run", id);
      const header = req.headers["last-event-id"] ?? (req.query as { lastEventId?: string }).lastEventId;
      const lastSeen = header === undefined ? 0 : Number(header);
      if (!Number.isInteger(lastSeen) || lastSeen < 0) throw new HttpError(400, "INVALID_LAST_EVENT_ID", "Last-Event-ID must be a whole number (the id of the last event received)");
      streamEvents(reply, run, lastSeen, service, runs);
    },
  );
}

function streamEvents(reply: FastifyReply, run: RunRecord, lastSeen: number, service: RunService, runs: RunStore): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
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
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
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
 * `inline` with the file's own name: a plain ASCII `filename` (quotes, backslashes and
 * non-ASCII replaced) for old clients, and the exact name as RFC 5987 `filename*`.
 */
function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `inline; filename="${ascii}"; filename*=UTF-8''${exact}`;
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
  throw new HttpError(400, "INVALID_CURSOR", "cursor is not one this server issued; pass the nextCursor of a previous page");
}
