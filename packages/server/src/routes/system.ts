import type { FastifyInstance } from "fastify";
import type { Engine } from "@wasmbox/node";
import type { Metrics } from "../metrics.js";
import type { FairScheduler } from "../scheduler.js";
import type { Db } from "../store/database.js";
import { drainingAnswer, errorAnswers, healthAnswer, mediaAnswer, readyAnswer, runtimesAnswer } from "./schemas.js";

export function registerSystemRoutes(app: FastifyInstance, deps: { engine: Engine; metrics: Metrics; isDraining: () => boolean; db: Db; scheduler: FairScheduler }): void {
  const { engine, metrics, scheduler } = deps;
  // The engine never queues (the server admits runs as slots free up): its queue is the server's.
  const stats = () => ({ ...engine.stats(), queued: scheduler.queued, active: scheduler.active });
  app.get("/healthz", { schema: { tags: ["system"], summary: "Liveness: the process answers (open to everyone, on any Host)", response: { 200: healthAnswer } } }, async () => ({ status: "ok" }));

  // Its 503 is the draining answer (a readiness probe reads the status); the error 503s share it.
  app.get("/readyz", { schema: { tags: ["system"], summary: "Readiness: not shutting down, database reachable", response: { ...errorAnswers(), 200: readyAnswer, 503: drainingAnswer } } }, async (_req, reply) => {
    if (deps.isDraining()) return reply.code(503).send({ status: "draining", ...stats() });
    deps.db.prepare("SELECT 1").get();
    return { status: "ready", ...stats() };
  });

  app.get("/metrics", { schema: { tags: ["system"], summary: "Prometheus metrics", response: { 200: mediaAnswer("Metrics in the Prometheus text format.", "text/plain"), ...errorAnswers() } } }, async (_req, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return await metrics.registry.metrics();
  });

  app.get("/v1/runtimes", { schema: { tags: ["system"], summary: "Languages, runtime versions and the isolation in force", response: { 200: runtimesAnswer, ...errorAnswers() } } }, async () => ({
    runtimes: engine.runtimes(),
    isolation: engine.isolation,
    packages: (engine.packageStore?.list() ?? []).map((p) => ({ name: p.name, version: p.version, source: p.source })),
  }));
}
