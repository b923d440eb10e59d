import type { FastifyInstance } from "fastify";
import type { Engine } from "@wasmbox/node";
import type { Metrics } from "../metrics.js";
import type { Db } from "../store/database.js";

export function registerSystemRoutes(app: FastifyInstance, deps: { engine: Engine; metrics: Metrics; isDraining: () => boolean; db: Db }): void {
  const { engine, metrics } = deps;
  app.get("/healthz", { schema: { tags: ["system"], summary: "Liveness: the process answers" } }, async () => ({ status: "ok" }));

  app.get("/readyz", { schema: { tags: ["system"], summary: "Readiness: not shutting down, database reachable" } }, async (_req, reply) => {
    const stats = engine.stats();
    if (deps.isDraining()) return reply.code(503).send({ status: "draining", ...stats });
    deps.db.prepare("SELECT 1").get();
    return { status: "ready", ...stats };
  });

  app.get("/metrics", { schema: { tags: ["system"], summary: "Prometheus metrics" } }, async (_req, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return await metrics.registry.metrics();
  });

  app.get("/v1/runtimes", { schema: { tags: ["system"], summary: "Languages, runtime versions and the isolation in force" } }, async () => ({
    runtimes: engine.runtimes(),
    isolation: engine.isolation,
  }));
}
