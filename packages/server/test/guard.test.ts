/**
 * Requests are from who they say: DNS rebinding (a page whose name re-resolves to 127.0.0.1,
 * so it is "same-origin" to the server) is refused by the Host check, cross-origin browser
 * requests are refused unless their origin is allowed (then they get CORS), and the real
 * origin keeps working. Request ids are the server's own.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer } from "@wasmbox/server";
import { api, errorBody, listAllRuns, newDataDir, rawRequest, removeDataDirs, show, startServer, TEST_DEFAULTS, type RawResponse, type TestServer } from "./helpers.js";

let t: TestServer;
let port: string;

beforeAll(async () => {
  t = await startServer({ poolPython: 0, poolJs: 1 });
  port = new URL(t.url).port;
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

const js = { language: "javascript", code: "console.log('ran')" };

function expectRefused(res: RawResponse, code: string, setting: RegExp) {
  expect(res.status, `${res.status} ${res.text}`).toBe(403);
  expect(res.body?.error?.code, res.text).toBe(code);
  expect(res.body.error.message).toMatch(setting);
  // Still no CORS: a refused origin learns nothing it could read.
  expect(res.headers["access-control-allow-origin"]).toBeUndefined();
}

describe("DNS rebinding on a keyless loopback server", () => {
  it("a rebound page (Host and Origin attacker.example) cannot run code or read history", async () => {
    const rebound = { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` };
    const exec = await rawRequest(t.url, { method: "POST", path: "/v1/execute", headers: rebound, body: js });
    expectRefused(exec, "HOST_NOT_ALLOWED", /WASMBOX_ALLOWED_HOSTS/);
    expect(exec.body.error.message).toContain("attacker.example");
    const runs = await rawRequest(t.url, { path: "/v1/runs", headers: rebound });
    expectRefused(runs, "HOST_NOT_ALLOWED", /WASMBOX_ALLOWED_HOSTS/);
    // A GET without Origin (a navigation, an <img>) under the rebound name: refused too.
    expectRefused(await rawRequest(t.url, { path: "/v1/runs", headers: { host: `attacker.example:${port}` } }), "HOST_NOT_ALLOWED", /WASMBOX_ALLOWED_HOSTS/);
    expectRefused(await rawRequest(t.url, { path: "/docs/json", headers: { host: "attacker.example" } }), "HOST_NOT_ALLOWED", /WASMBOX_ALLOWED_HOSTS/);
    expect(await listAllRuns(api(t.url))).toEqual([]);
  });

  it("the real origin works: 127.0.0.1, localhost and [::1] names, with or without their own Origin", async () => {
    for (const name of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
      const res = await rawRequest(t.url, { method: "POST", path: "/v1/execute", headers: { host: name, origin: `http://${name}` }, body: js });
      expect(res.status, `${name}: ${res.text}`).toBe(200);
      expect(res.body).toMatchObject({ status: "ok", stdout: "ran\n" });
    }
    expect((await api(t.url).post("/v1/execute", js)).status).toBe(200); // fetch: no Origin at all
    expect(await listAllRuns(api(t.url))).toHaveLength(5);
  });

  it("a page on another origin is refused with 403 ORIGIN_NOT_ALLOWED naming WASMBOX_ALLOWED_ORIGINS, and gets no CORS", async () => {
    const host = `127.0.0.1:${port}`;
    for (const origin of ["https://evil.example", `http://127.0.0.1:${Number(port) + 1}`, "http://localhost:5173", `http://attacker.example:${port}`]) {
      expectRefused(await rawRequest(t.url, { method: "POST", path: "/v1/execute", headers: { host, origin }, body: js }), "ORIGIN_NOT_ALLOWED", /WASMBOX_ALLOWED_ORIGINS/);
      expectRefused(await rawRequest(t.url, { path: "/v1/runs", headers: { host, origin } }), "ORIGIN_NOT_ALLOWED", /WASMBOX_ALLOWED_ORIGINS/);
    }
    // Its CORS preflight too.
    const preflight = await rawRequest(t.url, {
      method: "OPTIONS",
      path: "/v1/execute",
      headers: { host, origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expectRefused(preflight, "ORIGIN_NOT_ALLOWED", /WASMBOX_ALLOWED_ORIGINS/);
    // An opaque origin (sandboxed frame, file:// page).
    expect((await rawRequest(t.url, { method: "POST", path: "/v1/execute", headers: { host, origin: "null" }, body: js })).body.error.code).toBe("ORIGIN_NOT_ALLOWED");
    // A cross-site request the browser sends without Origin (an <img>, a no-cors GET).
    const noCors = await rawRequest(t.url, { path: "/v1/runs", headers: { host, "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors" } });
    expectRefused(noCors, "ORIGIN_NOT_ALLOWED", /WASMBOX_ALLOWED_ORIGINS/);
    // A simple cross-site form post is refused as well (and was already, as not JSON).
    const form = await rawRequest(t.url, { method: "POST", path: "/v1/execute", headers: { host, origin: "https://evil.example", "content-type": "text/plain" }, body: JSON.stringify(js) });
    expect(form.status).toBe(403);
    const ownForm = await rawRequest(t.url, { method: "POST", path: "/v1/execute", headers: { host, origin: `http://${host}`, "content-type": "text/plain" }, body: JSON.stringify(js) });
    expect(ownForm.status, ownForm.text).toBe(415);
    expect(await listAllRuns(api(t.url))).toHaveLength(5);
  });

  it("following a link to the docs from another site still works (a top-level navigation)", async () => {
    const res = await rawRequest(t.url, { path: "/docs/json", headers: { host: `localhost:${port}`, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" } });
    expect(res.status, res.text.slice(0, 200)).toBe(200);
  });

  it("/healthz answers on any Host (liveness probes connect by IP or a service name)", async () => {
    const res = await rawRequest(t.url, { path: "/healthz", headers: { host: "kube-probe.internal:9999" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });
});

describe("deployments: WASMBOX_ALLOWED_HOSTS and WASMBOX_ALLOWED_ORIGINS", () => {
  let d: TestServer;
  let key: string;

  beforeAll(async () => {
    d = await startServer({ poolPython: 0, poolJs: 1, allowedHosts: "wasmbox.example, .corp.example", allowedOrigins: "https://app.example" });
    key = d.server.keys.create("web").key;
  });

  afterAll(async () => {
    await d?.stop();
  });

  it("answers for the configured names (and subdomains of a leading-dot entry), refuses others", async () => {
    const auth = { authorization: `Bearer ${key}` };
    for (const host of ["wasmbox.example", "WASMBOX.example:443", "corp.example", "api.eu.corp.example"]) {
      const res = await rawRequest(d.url, { path: "/v1/runs", headers: { ...auth, host } });
      expect(res.status, `${host}: ${res.text}`).toBe(200);
    }
    for (const host of ["other.example", "wasmbox.example.evil", "notcorp.example"]) {
      expectRefused(await rawRequest(d.url, { path: "/v1/runs", headers: { ...auth, host } }), "HOST_NOT_ALLOWED", /WASMBOX_ALLOWED_HOSTS/);
    }
  });

  it("an allowed origin gets CORS: its preflight is answered without a key, its requests carry Access-Control-Allow-Origin", async () => {
    const host = "wasmbox.example";
    const preflight = await rawRequest(d.url, {
      method: "OPTIONS",
      path: "/v1/execute",
      headers: { host, origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(preflight.status, preflight.text).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(String(preflight.headers["access-control-allow-methods"])).toContain("POST");

    const res = await rawRequest(d.url, { method: "POST", path: "/v1/execute", headers: { host, origin: "https://app.example", authorization: `Bearer ${key}` }, body: js });
    expect(res.status, res.text).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(res.body.stdout).toBe("ran\n");

    // The key is still required: an allowed origin is not a credential.
    const noKey = await rawRequest(d.url, { method: "POST", path: "/v1/execute", headers: { host, origin: "https://app.example" }, body: js });
    expect(noKey.status).toBe(401);
    // Another origin: refused, no CORS.
    expectRefused(
      await rawRequest(d.url, { method: "POST", path: "/v1/execute", headers: { host, origin: "https://app.example.evil", authorization: `Bearer ${key}` }, body: js }),
      "ORIGIN_NOT_ALLOWED",
      /WASMBOX_ALLOWED_ORIGINS/,
    );
  });

  it("settings are validated, naming the variable", async () => {
    const { loadConfig } = await import("@wasmbox/server");
    expect(loadConfig({}, { WASMBOX_ALLOWED_HOSTS: "a.example,.b.example" }).allowedHosts).toEqual(["a.example", ".b.example"]);
    expect(loadConfig({}, { WASMBOX_ALLOWED_ORIGINS: "https://App.example/" }).allowedOrigins).toEqual(["https://app.example"]);
    expect(() => loadConfig({}, { WASMBOX_ALLOWED_HOSTS: "https://a.example" })).toThrow(/WASMBOX_ALLOWED_HOSTS.*not a host name/);
    expect(() => loadConfig({}, { WASMBOX_ALLOWED_ORIGINS: "https://a.example/path" })).toThrow(/WASMBOX_ALLOWED_ORIGINS.*not an origin/);
  });

  it("WASMBOX_ALLOWED_HOSTS=* is refused on a server without keys (it would reopen rebinding)", async () => {
    const server = await buildServer({ ...TEST_DEFAULTS, dataDir: newDataDir(), poolPython: 0, poolJs: 0, allowedHosts: "*" });
    try {
      await expect(server.listen()).rejects.toThrow(/WASMBOX_ALLOWED_HOSTS=\*.*API keys/);
      expect(server.app.server.listening).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe("request ids", () => {
  it("are generated by the server; a client's X-Request-Id is not taken as the id", async () => {
    const a = await api(t.url).get("/v1/runtimes", { headers: { "x-request-id": "client-chosen" } });
    const b = await api(t.url).get("/v1/runtimes", { headers: { "x-request-id": "client-chosen" } });
    expect(a.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{16}$/);
    expect(b.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{16}$/);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });

  it("the client's id is logged beside the server's, as clientRequestId, capped at 128 printable characters (a real server process's log)", async () => {
    const script = [
      'import { buildServer } from "@wasmbox/server";',
      `const server = await buildServer({ dataDir: process.argv[1], port: 0, host: "127.0.0.1", logLevel: "info", poolPython: 0, poolJs: 0 });`,
      "console.error('URL ' + await server.listen());",
    ].join("\n");
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, newDataDir()], {
      cwd: fileURLToPath(new URL(".", import.meta.url)),
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += String(d)));
      const url = await new Promise<string>((resolve, reject) => {
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => {
          stderr += String(d);
          const m = /URL (\S+)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
      });
      const sent = `trace ${"x".repeat(300)}`;
      const res = await api(url).get("/healthz", { headers: { "x-request-id": sent } });
      const id = res.headers.get("x-request-id");
      expect(id).toMatch(/^req_/);
      const deadline = Date.now() + 5000;
      let line: { reqId?: string; clientRequestId?: string } | undefined;
      while (!line && Date.now() < deadline) {
        line = stdout
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as { reqId?: string; clientRequestId?: string })
          .find((l) => l.reqId === id);
        if (!line) await new Promise((r) => setTimeout(r, 50));
      }
      expect(line, stdout.slice(0, 2000)).toBeDefined();
      expect(line!.clientRequestId).toBe(`trace${"x".repeat(300)}`.slice(0, 128)); // printable, no spaces, capped
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("guard answers are plain errors", () => {
  it("refusals use the standard error body", async () => {
    const res = await api(t.url).get("/v1/runs", { headers: { origin: "https://evil.example" } });
    expect(res.status, show(res)).toBe(403);
    expect(errorBody(res).code).toBe("ORIGIN_NOT_ALLOWED");
  });
});
