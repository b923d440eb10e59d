/**
 * The HTTP contract as a client sees it: every error answer is `{ error: { code, message } }`
 * with the status the one catalogue (`ERROR_CATALOGUE`) gives its code, whichever layer
 * refused (Fastify's body parser, the router, the Host guard, admission, authentication);
 * the OpenAPI document describes each route's success and error answers; and describing
 * answers does not change them (every field of a result survives, `value` is any JSON).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CATALOGUE, ERROR_CODES, type WasmboxErrorCode } from "@wasmbox/node";
import { api, openDb, rawRequest, removeDataDirs, show, startServer, type Api, type TestServer } from "./helpers.js";

const BODY_LIMIT_BYTES = 4096;

let t: TestServer;
let client: Api;

beforeAll(async () => {
  // One execution slot and no waiting room: a run that cannot start at once is refused.
  t = await startServer({ poolPython: 0, poolJs: 1, poolWasm: 0, bodyLimitBytes: BODY_LIMIT_BYTES, maxConcurrentRuns: 1, maxQueuedRuns: 0 });
  client = api(t.url);
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

/** The answer is the catalogue's: its status for `code`, the error body and nothing else. */
function expectCatalogued(res: { status: number; body: unknown; text: string }, code: WasmboxErrorCode): void {
  expect(res.status, res.text).toBe(ERROR_CATALOGUE[code].httpStatus);
  const body = res.body as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(body.error.message.length, res.text).toBeGreaterThan(10);
}

describe("the error catalogue", () => {
  it("gives every code an HTTP error status and a summary a person can act on", () => {
    expect(ERROR_CODES.length).toBeGreaterThan(30);
    for (const code of ERROR_CODES) {
      const { httpStatus, summary } = ERROR_CATALOGUE[code];
      expect(code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(httpStatus >= 400 && httpStatus <= 599, code).toBe(true);
      expect(summary.length, code).toBeGreaterThan(30);
      expect(summary, code).toMatch(/\.$/);
    }
  });

  it("is the only place the server's code names a code: no error body built by hand, no HttpError", () => {
    const src = join(import.meta.dirname, "../src");
    const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    const offences: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(src, file), "utf8");
      text.split("\n").forEach((line, i) => {
        // An error body written as an object literal, or an HttpError / error class of its own
        // (JSON-RPC errors on /mcp are MCP's wire format, numbered by JSON-RPC, not by the catalogue).
        if (/error:\s*\{\s*code:|new HttpError\(|class \w*Error extends/.test(line) && !/jsonrpc: "2\.0"/.test(line)) offences.push(`${file}:${i + 1}: ${line.trim()}`);
        // Every quoted UPPER_SNAKE word a thrown error or a refusal names must be in the catalogue.
        for (const [, code] of line.matchAll(/new WasmboxError\(\s*"([A-Z_]+)"/g)) if (!(code! in ERROR_CATALOGUE)) offences.push(`${file}:${i + 1}: ${code}`);
      });
    }
    expect(files.length).toBeGreaterThan(10);
    expect(offences).toEqual([]);
  });
});

describe("real error answers carry the catalogue's status", () => {
  it("invalid JSON → 400 INVALID_JSON", async () => {
    expectCatalogued(await client.post("/v1/execute", '{"language": "javascript", "code": '), "INVALID_JSON");
  });

  it("a request off the contract → 400 INVALID_REQUEST, naming the field in the message and in details", async () => {
    const res = await client.post("/v1/execute", { language: "javascript", code: "1", limits: { timeoutMs: 0 } });
    expect(res.status, show(res)).toBe(400);
    expect(res.body.error.code).toBe("INVALID_REQUEST");
    expect(res.body.error.message).toMatch(/limits\.timeoutMs/);
    expect(res.body.error.details).toEqual([{ path: "limits.timeoutMs", message: expect.stringMatching(/at least 1/) }]);
  });

  it("an unknown route → 404 NOT_FOUND", async () => {
    expectCatalogued(await client.get("/v1/no-such-route"), "NOT_FOUND");
  });

  it("an id longer than the router takes → 414 URI_TOO_LONG; a path that is not URL encoding → 400 BAD_REQUEST (the router's refusals)", async () => {
    expectCatalogued(await client.get(`/v1/runs/run_${"0".repeat(200)}`), "URI_TOO_LONG");
    expectCatalogued(await client.get("/v1/runs/%zz"), "BAD_REQUEST");
  });

  it("a body over WASMBOX_BODY_LIMIT_BYTES → 413 BODY_TOO_LARGE", async () => {
    expectCatalogued(await client.post("/v1/execute", { language: "javascript", code: "x".repeat(BODY_LIMIT_BYTES * 2) }), "BODY_TOO_LARGE");
  });

  it("a body that is not JSON → 415 UNSUPPORTED_MEDIA_TYPE", async () => {
    expectCatalogued(await client.request("POST", "/v1/execute", { headers: { "content-type": "text/plain" }, body: "1" }), "UNSUPPORTED_MEDIA_TYPE");
  });

  it("a Host this server does not answer for → 403 HOST_NOT_ALLOWED", async () => {
    expectCatalogued(await rawRequest(t.url, { path: "/v1/runtimes", headers: { host: "attacker.example" } }), "HOST_NOT_ALLOWED");
  });

  it("cancelling a finished run → 409 ALREADY_FINISHED", async () => {
    const run = await client.post("/v1/execute", { language: "javascript", code: "1" });
    expect(run.status, show(run)).toBe(200);
    expectCatalogued(await client.del(`/v1/runs/${run.body.id}`), "ALREADY_FINISHED");
  });

  it("a run with no free slot and no waiting room → 503 QUEUE_FULL with Retry-After", async () => {
    const slow = await client.post("/v1/runs", { language: "javascript", code: "await new Promise((r) => setTimeout(r, 1500)); 1" });
    expect(slow.status, show(slow)).toBe(202);
    const full = await client.post("/v1/execute", { language: "javascript", code: "1" });
    expectCatalogued(full, "QUEUE_FULL");
    expect(Number(full.headers.get("retry-after"))).toBeGreaterThan(0);
    await client.del(`/v1/runs/${slow.body.id}`);
  });
});

describe("the OpenAPI document", () => {
  type Operation = { responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }> };
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    const spec = await client.get("/docs/json");
    expect(spec.status).toBe(200);
    paths = spec.body.paths;
  });

  const SUCCESS: Record<string, string> = {
    "post /v1/execute": "200",
    "post /v1/runs": "202",
    "get /v1/runs": "200",
    "get /v1/runs/{id}": "200",
    "delete /v1/runs/{id}": "202",
    "get /v1/runs/{id}/files/{*}": "200",
    "get /v1/runs/{id}/events": "200",
    "post /v1/sessions": "201",
    "get /v1/sessions/{id}": "200",
    "post /v1/sessions/{id}/execute": "200",
    "delete /v1/sessions/{id}": "204",
    "get /v1/runtimes": "200",
    "get /healthz": "200",
    "get /readyz": "200",
    "get /metrics": "200",
    // MCP's streamable HTTP transport: one endpoint, JSON-RPC in and out.
    "post /mcp": "200",
    "get /mcp": "200",
    "delete /mcp": "200",
    // The drop-in Piston and Judge0 APIs (adapters/): documented too, in their own shapes.
    "get /api/v2/runtimes": "200",
    "get /api/v2/packages": "200",
    "post /api/v2/execute": "200",
    "get /languages": "200",
    "get /languages/all": "200",
    "get /languages/{id}": "200",
    "get /statuses": "200",
    "post /submissions": "201",
    "get /submissions/{token}": "200",
    "post /submissions/batch": "201",
    "get /submissions/batch": "200",
  };

  it("describes every route's success answer with its real schema", () => {
    const operations = Object.entries(paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    expect(operations.sort()).toEqual(Object.keys(SUCCESS).sort());
    for (const [operation, status] of Object.entries(SUCCESS)) {
      const [method, path] = operation.split(" ") as [string, string];
      const answer = paths[path]![method]!.responses[status];
      expect(answer, operation).toBeDefined();
      expect(answer!.description, operation).not.toBe("Default Response");
      if (status === "204") continue;
      const [, media] = Object.entries(answer!.content ?? {})[0] ?? [];
      expect(media?.schema, operation).toBeDefined();
    }
    const result = paths["/v1/execute"]!.post!.responses["200"]!.content!["application/json"]!.schema as { properties: Record<string, unknown>; required: string[] };
    for (const field of ["status", "stdout", "stderr", "output", "stdoutBase64", "stderrBase64", "outputBase64", "error", "exitCode", "value", "files", "timings", "compile", "id"]) {
      expect(result.properties, field).toHaveProperty(field);
    }
    expect(result.required).not.toContain("stdoutBase64");
    expect(result.required).not.toContain("compile");
    const detail = paths["/v1/runs/{id}"]!.get!.responses["200"]!.content!["application/json"]!.schema as { properties: Record<string, unknown> };
    expect(Object.keys(detail.properties)).toEqual(expect.arrayContaining(["id", "status", "request", "result", "startedAt"]));
    const page = paths["/v1/runs"]!.get!.responses["200"]!.content!["application/json"]!.schema as { properties: Record<string, unknown> };
    expect(Object.keys(page.properties).sort()).toEqual(["nextCursor", "runs"]);
  });

  it("describes error answers by status, each listing catalogue codes of that status", () => {
    let described = 0;
    for (const [path, methods] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, answer] of Object.entries(op.responses)) {
          if (status.startsWith("2")) continue;
          // The drop-in APIs' errors are their own shapes (Judge0: `{ error: "…" }`), without catalogue codes.
          const schema = answer.content?.["application/json"]?.schema as { properties?: { error?: { properties?: { code?: { enum: string[] } } } } } | undefined;
          const codes = schema?.properties?.error?.properties?.code?.enum;
          if (!codes) continue;
          described++;
          for (const code of codes) {
            expect(ERROR_CATALOGUE[code as WasmboxErrorCode]?.httpStatus, `${method} ${path} ${status} ${code}`).toBe(Number(status));
            expect(answer.description).toContain(ERROR_CATALOGUE[code as WasmboxErrorCode].summary);
          }
        }
      }
    }
    expect(described).toBeGreaterThan(50);
    const execute = paths["/v1/execute"]!.post!.responses;
    expect(execute["400"]!.content!["application/json"]!.schema).toMatchObject({ properties: { error: { properties: { code: { enum: expect.arrayContaining(["INVALID_JSON", "INVALID_REQUEST"]) } } } } });
    expect(execute["503"]!.description).toContain("QUEUE_FULL");
  });
});

describe("described answers are not altered", () => {
  it("a result keeps every field: the base64 of output that is not UTF-8, and any JSON value", async () => {
    const value = { list: [1, 2.5, "three", null, true, { deep: { deeper: [[]] } }], empty: {}, unicode: "é—😀", n: -0.125 };
    const res = await client.post("/v1/execute", {
      language: "javascript",
      code: `process.stdout.write(new Uint8Array([104, 105, 0xff, 10])); console.error("warn"); (${JSON.stringify(value)})`,
    });
    expect(res.status, show(res)).toBe(200);
    expect(res.body.value).toEqual(value);
    expect(res.body.stdoutBase64).toBe(Buffer.from([104, 105, 0xff, 10]).toString("base64"));
    expect(res.body.outputBase64).toBeDefined();
    expect(res.body).not.toHaveProperty("stderrBase64"); // stderr was UTF-8
    expect(res.body.stderr).toBe("warn\n");
    expect(Object.keys(res.body).sort()).toEqual(
      ["error", "exitCode", "files", "id", "output", "outputBase64", "outputs", "status", "stderr", "stdout", "stdoutBase64", "timings", "usage", "value"].sort(),
    );
    // The run's history gives back the same result.
    const stored = await client.get(`/v1/runs/${res.body.id}`);
    const { id: _id, ...result } = res.body;
    expect(stored.body.result).toEqual(result);

    // A field the response schema does not name (history written by a later version) is
    // answered too: answers are serialized as they are, never filtered through the schema.
    const db = openDb(t.dataDir);
    try {
      db.prepare("UPDATE runs SET result_json = json_set(result_json, '$.laterField', json('{\"kept\":true}')) WHERE id = ?").run(res.body.id);
    } finally {
      db.close();
    }
    expect((await client.get(`/v1/runs/${res.body.id}`)).body.result.laterField).toEqual({ kept: true });
  });

  it("a compiled run keeps `compile`, with the compiler's diagnostics", async () => {
    const res = await client.post("/v1/execute", { language: "c", code: '#include <stdio.h>\nint main(void) { int unused; printf("hi\\n"); return 0; }\n', compile: { flags: ["-Wall"] } });
    expect(res.status, show(res)).toBe(200);
    expect(res.body.stdout).toBe("hi\n");
    expect(res.body.compile).toMatchObject({ compiler: expect.stringMatching(/^clang /), cached: expect.any(Boolean), timeMs: expect.any(Number), output: expect.any(String) });
    expect(res.body.compile.diagnostics).toEqual(expect.arrayContaining([expect.objectContaining({ severity: "warning", message: expect.stringMatching(/unused/) })]));
  });
});

describe("once the server has a key", () => {
  it("a request without one → 401 UNAUTHORIZED with www-authenticate", async () => {
    t.server.keys.create("contract");
    const res = await client.get("/v1/runtimes");
    expectCatalogued(res, "UNAUTHORIZED");
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
  });
});
