/**
 * Judge0 CE, drop-in: `POST /submissions` (`?base64_encoded=`, `?wait=`, `?fields=`), `GET
 * /submissions/:token`, `POST` and `GET /submissions/batch`, `GET /languages` (and
 * `/languages/all`, `/languages/:id`) and `GET /statuses`, so a Judge0 client switches by
 * changing its base URL. A token is the wasmbox run id: runs go through the same run service
 * as `/v1/runs` (engine, limits, keys, rate limit, history with `api: "judge0"`). The key is
 * the Bearer key, or Judge0's `X-Auth-Token` header. Errors are Judge0's: `{ error }`, and
 * field errors `{ field: [messages] }` with 422.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from "fastify";
import { isWasmboxError, WasmboxError, type Engine } from "@wasmbox/node";
import type { ServerConfig } from "../../config.js";
import type { RunService } from "../../run-service.js";
import type { Db } from "../../store/database.js";
import type { RunStore } from "../../store/runs.js";
import { answerErrorsAs, whileClientWaits } from "../shared.js";
import { judge0Schemas } from "./schemas.js";
import { Judge0Store } from "./store.js";
import { JUDGE0_STATUSES, judge0Languages, languageDetail } from "./catalogue.js";
import { requestedFields, toSubmission } from "./serialize.js";
import { translateSubmission } from "./translate.js";

export interface Judge0Deps {
  engine: Engine;
  service: RunService;
  runs: RunStore;
  db: Db;
  config: ServerConfig;
}

/** Judge0 CE's default cap on a batch (MAX_SUBMISSION_BATCH_SIZE). */
const MAX_BATCH = 20;

type Query = Record<string, string | undefined>;

export async function registerJudge0Routes(app: FastifyInstance, deps: Judge0Deps): Promise<void> {
  const { engine, service, runs, config } = deps;
  const store = new Judge0Store(deps.db);
  const languages = judge0Languages(engine.runtimes());
  // Refusals are catalogue errors (their status), answered as Judge0's `{ error }`.
  const fail = (code: "INVALID_QUERY" | "INVALID_REQUEST" | "NOT_FOUND", error: string) => new WasmboxError(code, error);
  /** Judge0 reads booleans from the query as the string "true". */
  const flag = (q: Query, name: string) => q[name] === "true";
  const fieldsOf = (q: Query) => {
    const asked = requestedFields(q["fields"]);
    if ("invalid" in asked) throw fail("INVALID_QUERY", `invalid fields: [${asked.invalid.join(", ")}]`);
    return asked.fields;
  };
  const submission = (req: FastifyRequest, token: string, fields: readonly string[], base64: boolean) => {
    const run = runs.get(token, req.keyId);
    const extras = run && store.get(run.id);
    if (!run || !extras) return undefined;
    // Output that is not UTF-8 travels exactly only as base64, as Judge0 says.
    if (!base64 && (run.result?.stdoutBase64 !== undefined || run.result?.stderrBase64 !== undefined)) {
      throw fail("INVALID_QUERY", "some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter");
    }
    return toSubmission(run, extras, languages, fields, base64);
  };

  await app.register(async (scope) => {
    answerErrorsAs(scope, config, (_status, message) => ({ error: message }));
    const s = judge0Schemas;
    // Judge0 (Rails) takes `/submissions/?…` as `/submissions?…`, and its docs write it so:
    // each route also answers with a trailing slash (kept out of the OpenAPI document).
    scope.addHook("onRoute", (route) => {
      // HEAD twins of GET routes come with their GET twins.
      if (route.method === "HEAD" || route.url.endsWith("/") || route.url.includes(":")) return;
      const { url, path: _p, prefix: _x, websocket: _w, ...rest } = route as typeof route & { path?: string; prefix?: string };
      twins.push({ ...rest, url: `${url}/`, schema: { ...(rest.schema ?? {}), hide: true } });
    });
    const twins: RouteOptions[] = [];

    scope.get("/languages", { schema: { tags: ["judge0"], summary: "Judge0: the languages, with Judge0 CE's ids and names for what runs them", response: { 200: s.languages } } }, async () =>
      languages.map(({ id, name }) => ({ id, name })),
    );
    scope.get("/languages/all", { schema: { tags: ["judge0"], summary: "Judge0: every language, archived or not (none is)", response: { 200: s.languagesAll } } }, async () =>
      languages.map(({ id, name }) => ({ id, name, is_archived: false })),
    );
    scope.get(
      "/languages/:id",
      { schema: { tags: ["judge0"], summary: "Judge0: one language", params: s.idParams, response: { 200: s.language, 404: s.error } } },
      async (req) => {
        const { id } = req.params as { id: string };
        const language = languages.find((l) => String(l.id) === id);
        if (!language) throw fail("NOT_FOUND", `language with id ${id} doesn't exist on this server`);
        return languageDetail(language);
      },
    );
    scope.get("/statuses", { schema: { tags: ["judge0"], summary: "Judge0: the statuses a submission can have", response: { 200: s.statuses } } }, async () => JUDGE0_STATUSES);

    scope.post(
      "/submissions",
      {
        schema: {
          tags: ["judge0"],
          summary: "Judge0: create a submission; with ?wait=true, answer once it ran",
          querystring: s.createQuery,
          body: s.submissionBody,
          response: { 201: s.submission, 400: s.error, 422: s.fieldErrors },
        },
      },
      async (req, reply) => {
        const q = req.query as Query;
        const fields = fieldsOf(q);
        const base64 = flag(q, "base64_encoded");
        const translated = translateSubmission(req.body, languages, base64);
        // Field errors are Judge0's answer, not an error: 422 with each field's messages.
        if ("errors" in translated) return reply.code(422).send(translated.errors);
        if (!flag(q, "wait")) {
          const { id } = service.createAsync(req.keyId, translated.request, "judge0");
          store.put(id, translated.extras);
          return reply.code(201).send({ token: id });
        }
        const result = await whileClientWaits(req, reply, config, (signal) => service.executeSync(req.keyId, translated.request, signal, { api: "judge0" }));
        store.put(result.id, translated.extras);
        return reply.code(201).send(submission(req, result.id, fields, base64));
      },
    );

    scope.get(
      "/submissions/batch",
      {
        schema: {
          tags: ["judge0"],
          summary: "Judge0: several submissions by token (?tokens=a,b,c); an unknown token is null",
          querystring: s.batchQuery,
          response: { 200: s.batchAnswer, 400: s.error },
        },
      },
      async (req) => {
        const q = req.query as Query;
        const tokens = (q["tokens"] ?? (req.headers["tokens"] as string | undefined) ?? "").trim().split(",").map((t) => t.trim()).filter(Boolean);
        if (tokens.length > MAX_BATCH) throw fail("INVALID_REQUEST", `number of submissions in a batch should be less than or equal to ${MAX_BATCH}`);
        if (tokens.length === 0) throw fail("INVALID_REQUEST", "there should be at least one submission in a batch");
        const fields = fieldsOf(q);
        const base64 = flag(q, "base64_encoded");
        return { submissions: tokens.map((t) => submission(req, t, fields, base64) ?? null) };
      },
    );

    scope.post(
      "/submissions/batch",
      {
        schema: {
          tags: ["judge0"],
          summary: "Judge0: create several submissions (no wait); each answer is a token or that submission's field errors",
          querystring: s.batchCreateQuery,
          body: s.batchBody,
          response: { 201: s.batchCreated, 400: s.error, 422: s.batchCreated },
        },
      },
      async (req, reply) => {
        const q = req.query as Query;
        const base64 = flag(q, "base64_encoded");
        const list = (req.body as { submissions?: unknown } | null)?.submissions;
        const count = Array.isArray(list) ? list.length : 0;
        if (count > MAX_BATCH) throw fail("INVALID_REQUEST", `number of submissions in a batch should be less than or equal to ${MAX_BATCH}`);
        if (count === 0) throw fail("INVALID_REQUEST", "there should be at least one submission in a batch");
        let created = 0;
        const answers = (list as unknown[]).map((item) => {
          const translated = translateSubmission(item, languages, base64);
          if ("errors" in translated) return translated.errors;
          try {
            const { id } = service.createAsync(req.keyId, translated.request, "judge0");
            store.put(id, translated.extras);
            created++;
            return { token: id };
          } catch (e) {
            // Refused by wasmbox (a compile flag it does not allow; this key's runs in flight, the
            // queue, storage): that submission alone is refused, in the batch's answer.
            if (isWasmboxError(e)) return { error: e.message };
            throw e;
          }
        });
        return reply.code(created ? 201 : 422).send(answers);
      },
    );

    scope.get(
      "/submissions/:token",
      {
        schema: {
          tags: ["judge0"],
          summary: "Judge0: a submission by token (the wasmbox run id)",
          params: s.tokenParams,
          querystring: s.showQuery,
          response: { 200: s.submission, 400: s.error, 404: s.error },
        },
      },
      async (req) => {
        const { token } = req.params as { token: string };
        const q = req.query as Query;
        const found = submission(req, token, fieldsOf(q), flag(q, "base64_encoded"));
        if (!found) throw fail("NOT_FOUND", `no submission with token ${token}`);
        return found;
      },
    );
    for (const twin of twins.splice(0)) scope.route(twin);
  });
}
