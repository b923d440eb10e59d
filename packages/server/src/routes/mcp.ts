/**
 * `/mcp`: the MCP tools over streamable HTTP, behind the same Host/Origin guard, API keys and
 * rate limit as the rest of the API (they are global hooks). Runs and sessions go through the
 * run and session services, so per-key caps, the fair scheduler and run history apply to
 * them as to `/v1/execute` and `/v1/sessions`. Each MCP session (`Mcp-Session-Id`) belongs to
 * the key that opened it; another key gets 404, as for a run or a session.
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpServer, type CodeRunner, type RunOptions } from "@wasmbox/mcp";
import { WasmboxError, type Engine } from "@wasmbox/node";
import type { ServerConfig } from "../config.js";
import type { LiveEvent, RunService } from "../run-service.js";
import type { SessionService } from "../session-service.js";
import type { BlobStore } from "../store/blobs.js";
import { errorAnswers } from "./schemas.js";
import type { RunStore } from "../store/runs.js";

export interface McpRouteDeps {
  engine: Engine;
  service: RunService;
  sessions: SessionService;
  runs: RunStore;
  blobs: BlobStore;
  config: ServerConfig;
}

/** MCP sessions one key may hold open at once (each is a protocol connection, not a sandbox). */
const MAX_MCP_SESSIONS_PER_KEY = 32;

interface McpConnection {
  transport: StreamableHTTPServerTransport;
  keyId: string | null;
  lastSeenAt: number;
  inFlight: number;
}

/** The runner a key's MCP tools use: the server's own services, as that key. */
export function serverRunner(keyId: string | null, deps: McpRouteDeps): CodeRunner {
  const { engine, service, sessions, runs, blobs } = deps;
  const onEvent = (o: RunOptions) => {
    const onOutput = o.onOutput;
    if (!onOutput) return undefined;
    return (e: LiveEvent) => {
      if (e.type === "stdout" || e.type === "stderr") onOutput(e.type, (JSON.parse(e.data) as { text: string }).text);
    };
  };
  const outcome = ({ id, ...result }: Awaited<ReturnType<RunService["executeSync"]>>) => ({ runId: id, result });
  return {
    runtimes: () => engine.runtimes(),
    execute: async (request, o = {}) => outcome(await service.executeSync(keyId, request, o.signal, { onEvent: onEvent(o) })),
    openSession: (o) => sessions.open(keyId, o),
    async executeInSession(id, request, o = {}) {
      const entry = sessions.get(id, keyId);
      const events = onEvent(o);
      return outcome(await sessions.use(entry, () => service.executeInSession(keyId, id, entry.session, request, { ...(o.signal ? { signal: o.signal } : {}), ...(events ? { onEvent: events } : {}) })));
    },
    sessionInfo: (id) => sessions.info(id, keyId),
    closeSession: (id) => sessions.close(id, keyId),
    async readRunFile(runId, path) {
      if (!runs.get(runId, keyId)) return undefined;
      const file = runs.file(runId, path);
      const bytes = file?.stored ? blobs.get(file.sha256) : undefined;
      return file && bytes ? { bytes, mime: file.mime } : undefined;
    },
  };
}

export function registerMcpRoutes(app: FastifyInstance, deps: McpRouteDeps): { closeAll(): Promise<void> } {
  const { config } = deps;
  const connections = new Map<string, McpConnection>();

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, c] of connections) {
      if (c.inFlight === 0 && now - c.lastSeenAt > config.sessionTtlMs) {
        connections.delete(id);
        void c.transport.close();
      }
    }
  }, Math.min(10_000, Math.max(250, config.sessionTtlMs / 4)));
  sweeper.unref();

  const open = (keyId: string | null): StreamableHTTPServerTransport => {
    const mine = [...connections.values()].filter((c) => c.keyId === keyId).length;
    if (mine >= MAX_MCP_SESSIONS_PER_KEY) {
      throw new WasmboxError("TOO_MANY_SESSIONS", `this API key already has ${mine} MCP sessions open (at most ${MAX_MCP_SESSIONS_PER_KEY}); close one (DELETE /mcp with its Mcp-Session-Id) or let it expire`);
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => `mcp_${randomUUID().replaceAll("-", "")}`,
      onsessioninitialized: (id) => void connections.set(id, { transport, keyId, lastSeenAt: Date.now(), inFlight: 0 }),
      onsessionclosed: (id) => void connections.delete(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) connections.delete(transport.sessionId);
    };
    return transport;
  };

  app.route({
    method: ["GET", "POST", "DELETE"],
    url: "/mcp",
    schema: {
      tags: ["mcp"],
      summary:
        "The Model Context Protocol (streamable HTTP transport): tools run_code, open_session, run_in_session, close_session, read_file, write_file, list_runtimes; Authorization: Bearer <key> as for the API",
      response: {
        200: {
          description: "A JSON-RPC answer, as JSON or as an event stream (MCP streamable HTTP); the Mcp-Session-Id header names the MCP session an initialize opened.",
          content: { "application/json": { schema: { type: "object" } }, "text/event-stream": { schema: { type: "string" } } },
        },
        ...errorAnswers("TOO_MANY_SESSIONS"),
        400: { description: "A JSON-RPC error: a GET or DELETE without Mcp-Session-Id, or a message that is not MCP.", content: { "application/json": { schema: { type: "object" } } } },
        404: { description: "A JSON-RPC error: the MCP session expired, was closed, or belongs to another API key; initialize a new one.", content: { "application/json": { schema: { type: "object" } } } },
      },
    },
    handler: async (req, reply) => {
      const header = req.headers["mcp-session-id"];
      const sessionId = Array.isArray(header) ? header[0] : header;
      let connection: McpConnection | undefined;
      let transport: StreamableHTTPServerTransport;
      if (sessionId !== undefined) {
        connection = connections.get(sessionId);
        // Another key's MCP session does not exist for this one.
        if (!connection || connection.keyId !== req.keyId) {
          return reply.code(404).send({ jsonrpc: "2.0", error: { code: -32001, message: `no MCP session ${JSON.stringify(sessionId.slice(0, 100))} (it expired or was closed); initialize a new one` }, id: null });
        }
        connection.lastSeenAt = Date.now();
        transport = connection.transport;
      } else {
        if (req.method !== "POST") {
          return reply.code(400).send({ jsonrpc: "2.0", error: { code: -32000, message: "send Mcp-Session-Id, or POST an initialize request to open an MCP session" }, id: null });
        }
        transport = open(req.keyId);
        await createMcpServer(serverRunner(req.keyId, deps)).connect(transport);
      }
      reply.hijack();
      const res = reply.raw;
      res.setHeader("x-request-id", req.id);
      res.setHeader("x-content-type-options", "nosniff");
      if (req.method === "POST") follow(req, res, transport, connection);
      await transport.handleRequest(req.raw, res, req.body);
    },
  });

  /**
   * A POST's tool calls answer on its own response (SSE): while it is open the client is
   * waiting, not idle; and if it closes before the answers, the client is gone — its runs are
   * cancelled, as the client's own notifications/cancelled would.
   */
  function follow(req: FastifyRequest, res: ServerResponse, transport: StreamableHTTPServerTransport, connection: McpConnection | undefined): void {
    const messages = (Array.isArray(req.body) ? req.body : [req.body]) as Partial<JSONRPCMessage & { id: string | number; method: string }>[];
    const ids = messages.filter((m) => m && typeof m === "object" && typeof m.method === "string" && m.id !== undefined).map((m) => m.id!);
    if (!ids.length) return;
    const socket = req.raw.socket;
    socket.setTimeout(0);
    if (connection) connection.inFlight++;
    res.once("close", () => {
      if (connection) {
        connection.inFlight--;
        connection.lastSeenAt = Date.now();
      }
      if (!socket.destroyed) socket.setTimeout(config.idleTimeoutMs);
      if (res.writableFinished) return;
      for (const requestId of ids) {
        transport.onmessage?.({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId, reason: "the client went away" } });
      }
    });
  }

  return {
    async closeAll() {
      clearInterval(sweeper);
      const all = [...connections.values()];
      connections.clear();
      await Promise.all(all.map((c) => c.transport.close()));
    },
  };
}
