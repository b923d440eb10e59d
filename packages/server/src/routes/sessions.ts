import type { FastifyInstance } from "fastify";
import type { ServerConfig } from "../config.js";
import type { RunService } from "../run-service.js";
import type { SessionService } from "../session-service.js";
import { whileRunning } from "./runs.js";
import { ADMISSION_ERRORS, BODY_ERRORS, errorAnswers, idParams, noContentAnswer, runResultAnswer, sessionAnswer, sessionBodySchema, sessionExecuteBodySchema } from "./schemas.js";

export function registerSessionRoutes(app: FastifyInstance, deps: { sessions: SessionService; service: RunService; config: ServerConfig }): void {
  const { sessions, service, config } = deps;
  app.post(
    "/v1/sessions",
    {
      schema: {
        tags: ["sessions"],
        summary: "Open a stateful session (its own sandbox; variables, imports and files persist)",
        body: sessionBodySchema,
        response: {
          201: sessionAnswer("The session is open; run code in it with `POST /v1/sessions/:id/execute`."),
          ...errorAnswers(BODY_ERRORS, "TOO_MANY_SESSIONS", "SESSIONS_FULL", "SANDBOX_START_FAILED"),
        },
      },
    },
    async (req, reply) => reply.code(201).send(await whileRunning(req, config, () => sessions.open(req.keyId, req.body))),
  );
  app.get(
    "/v1/sessions/:id",
    { schema: { tags: ["sessions"], summary: "A session's state", params: idParams, response: { 200: sessionAnswer("The session."), ...errorAnswers("NOT_FOUND", "SESSION_CLOSED", "URI_TOO_LONG") } } },
    async (req) => {
      const { id } = req.params as { id: string };
      return sessions.info(id, req.keyId);
    },
  );
  app.post(
    "/v1/sessions/:id/execute",
    {
      schema: {
        tags: ["sessions"],
        summary: "Run code in the session and wait for the result",
        params: idParams,
        body: sessionExecuteBodySchema,
        response: { 200: runResultAnswer, ...errorAnswers(BODY_ERRORS, ADMISSION_ERRORS, "NOT_FOUND", "SESSION_CLOSED", "SESSION_BUSY", "URI_TOO_LONG") },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const entry = sessions.get(id, req.keyId);
      return await whileRunning(req, config, () => sessions.use(entry, () => service.executeInSession(req.keyId, id, entry.session, req.body)));
    },
  );
  app.delete(
    "/v1/sessions/:id",
    { schema: { tags: ["sessions"], summary: "Close a session and its sandbox", params: idParams, response: { 204: noContentAnswer, ...errorAnswers("NOT_FOUND", "SESSION_CLOSED", "URI_TOO_LONG") } } },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      await sessions.close(id, req.keyId);
      return reply.code(204).send();
    },
  );
}
