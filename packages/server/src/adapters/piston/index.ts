/**
 * Piston v2, drop-in: `GET /api/v2/runtimes`, `POST /api/v2/execute`, `GET
 * /api/v2/packages` and the WebSocket `/api/v2/connect` (connect.ts), so a Piston client switches by changing its base URL. Runs go through
 * the same run service as `/v1/execute` (engine, limits, keys, rate limit, history with
 * `api: "piston"`). Piston has no authentication: a server with keys wants the same Bearer
 * key here; a keyless one (loopback only) is keyless here too. Errors are Piston's:
 * `{ message }`, 400 for a bad request.
 */
import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import type { Engine } from "@wasmbox/node";
import type { ServerConfig } from "../../config.js";
import type { RunService } from "../../run-service.js";
import type { RunStore } from "../../store/runs.js";
import { registerPistonConnect } from "./connect.js";
import { answerErrorsAs, readTextAsJson, whileClientWaits } from "../shared.js";
import { pistonAnswerSchema, pistonErrorAnswer, pistonExecuteBody, pistonPackagesAnswer, pistonRuntimesAnswer } from "./schemas.js";
import { parsePistonBody, pistonRuntimes, toPistonAnswer, toWasmboxRequest } from "./translate.js";

export interface PistonDeps {
  engine: Engine;
  service: RunService;
  runs: RunStore;
  config: ServerConfig;
}

const COMPILED = new Set(["c", "cpp", "assemblyscript"]);

export async function registerPistonRoutes(app: FastifyInstance, deps: PistonDeps): Promise<void> {
  const { engine, service, runs, config } = deps;
  const runtimes = pistonRuntimes(engine.runtimes());
  const listed = runtimes.map(({ wasmbox: _w, ...r }) => r);
  await app.register(async (scope) => {
    answerErrorsAs(scope, config, (_status, message) => ({ message }));
    readTextAsJson(scope);
    // The interactive protocol: a message is at most what an execute body may be.
    await scope.register(websocket, { options: { maxPayload: config.bodyLimitBytes } });
    registerPistonConnect(scope, { service, runs, runtimes });
    const translate = (body: unknown) => {
      const { body: piston, runtime } = parsePistonBody(body, runtimes);
      return { request: toWasmboxRequest(piston, runtime.wasmbox), runtime };
    };

    scope.get(
      "/api/v2/runtimes",
      { schema: { tags: ["piston"], summary: "Piston v2: the languages offered, with Piston's names and aliases", response: { 200: pistonRuntimesAnswer } } },
      async () => listed,
    );

    scope.get(
      "/api/v2/packages",
      { schema: { tags: ["piston"], summary: "Piston v2: the installed packages (every runtime wasmbox offers; nothing to install)", response: { 200: pistonPackagesAnswer } } },
      async () => runtimes.map((r) => ({ language: r.language, language_version: r.version, installed: true })),
    );

    scope.post(
      "/api/v2/execute",
      {
        schema: {
          tags: ["piston"],
          summary: "Piston v2: run a program (the first file is the entry point) and answer with its run and compile stages",
          body: pistonExecuteBody,
          response: { 200: pistonAnswerSchema, 400: pistonErrorAnswer },
        },
      },
      async (req, reply) => {
        const { request, runtime } = translate(req.body);
        const result = await whileClientWaits(req, reply, config, (signal) => service.executeSync(req.keyId, request, signal, { api: "piston" }));
        return toPistonAnswer(result, runtime, COMPILED.has(runtime.wasmbox));
      },
    );
  });
}
