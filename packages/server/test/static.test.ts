/**
 * The browser side's static files over real HTTP: the playground (from a fixture build with a
 * CSP, a service worker, dotfiles and a symlink out), the SDK and the runtime assets (the real
 * installed files, hashed here to check the manifest), caching, HEAD, 304, traversal attempts
 * and the Host guard.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locateBrowserFiles, type AssetManifest } from "@wasmbox/server";
import { newDataDir, rawRequest, removeDataDirs, startServer, type TestServer } from "./helpers.js";

const QUIET = { poolPython: 0, poolJs: 0 } as const;
const CSP = "default-src 'self'; script-src 'self' 'sha256-abc='; connect-src 'self'";
const real = locateBrowserFiles();

/** A playground build as the real one lays it out, plus what must never be served. */
function writeFixturePlayground(): string {
  const dir = join(newDataDir(), "dist");
  mkdirSync(join(dir, "examples"), { recursive: true });
  mkdirSync(join(dir, ".git"));
  const files: Record<string, string> = {
    "index.html": "<!doctype html><title>fixture</title>",
    "csp.txt": `${CSP.replaceAll("; ", ";\n  ")}\n`,
    "app.js": "export {};",
    "app.css": "body{}",
    "sw.js": "self.addEventListener('fetch', () => {});",
    "manifest.webmanifest": "{}",
    "icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "icon-192.png": "\x89PNG",
    "examples/fleet.csv": "vehicle,t\nv1,0\n",
    "examples/.secret": "no",
    ".env": "SECRET=1",
    ".git/config": "no",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  symlinkSync("/etc/hostname", join(dir, "escape.txt"));
  return dir;
}

let t: TestServer;
let playgroundDir: string;

beforeAll(async () => {
  playgroundDir = writeFixturePlayground();
  t = await startServer({ ...QUIET, browserFiles: { ...real, playgroundDir } });
});
afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

const get = (path: string, init?: RequestInit) => fetch(t.url + path, init);

describe("the playground", () => {
  it("serves index.html at / with COOP/COEP, nosniff, no-cache, an ETag and the build's CSP (as one line)", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<!doctype html><title>fixture</title>");
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(res.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("etag")).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect(res.headers.get("content-security-policy")).toBe(CSP);
  });

  it("gives each file its type; only HTML gets the CSP; sw.js may control the whole origin", async () => {
    const cases: Array<[string, string]> = [
      ["/app.js", "text/javascript; charset=utf-8"],
      ["/app.css", "text/css; charset=utf-8"],
      ["/sw.js", "text/javascript; charset=utf-8"],
      ["/manifest.webmanifest", "application/manifest+json; charset=utf-8"],
      ["/icon.svg", "image/svg+xml"],
      ["/icon-192.png", "image/png"],
      ["/examples/fleet.csv", "text/csv; charset=utf-8"],
    ];
    for (const [path, type] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe(type);
      expect(res.headers.get("cross-origin-embedder-policy"), path).toBe("require-corp");
      expect(res.headers.get("content-security-policy"), path).toBeNull();
      expect(res.headers.get("service-worker-allowed"), path).toBe(path === "/sw.js" ? "/" : null);
      await res.arrayBuffer();
    }
  });

  it("answers 304 to a matching If-None-Match, with the isolation headers still on", async () => {
    const first = await get("/app.js");
    const etag = first.headers.get("etag")!;
    const again = await get("/app.js", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect((await get("/app.js", { headers: { "if-none-match": '"other"' } })).status).toBe(200);
  });

  it("never serves dotfiles, folders, a symlink out of the build, or anything above it", async () => {
    const attempts = [
      "/.env",
      "/.git/config",
      "/examples/.secret",
      "/examples/",
      "/escape.txt",
      "/..%2Fpackage.json",
      "/%2e%2e%2fpackage.json",
      "/examples/..%2F..%2Fpackage.json",
      "/examples/%2e%2e/%2e%2e/package.json",
      "/examples/..%5c..%5cpackage.json",
      "/csp.txt%00.html",
    ];
    for (const path of attempts) {
      const res = await rawRequest(t.url, { path });
      expect(res.status, `${path}: ${res.text}`).toBe(404);
      expect(res.body.error.code, path).toBe("NOT_FOUND");
    }
  });

  it("says how to fix a playground or SDK that is not built, and keeps the API answering", async () => {
    const empty = await startServer({ ...QUIET, browserFiles: { ...real, playgroundDir: join(newDataDir(), "dist"), sdkDir: undefined } });
    try {
      const page = await fetch(`${empty.url}/`);
      expect(page.status).toBe(404);
      expect(((await page.json()) as { error: { message: string } }).error.message).toMatch(/the playground is not built: run npm run build/);
      const sdk = await fetch(`${empty.url}/sdk/wasmbox.mjs`);
      expect(sdk.status).toBe(404);
      expect(((await sdk.json()) as { error: { message: string } }).error.message).toMatch(/browser SDK .* is not installed: run npm install/);
      expect((await fetch(`${empty.url}/healthz`)).status).toBe(200);
    } finally {
      await empty.stop();
    }
  });

  it("by default serves the installed @wasmbox/playground's dist/index.html", async () => {
    const installed = await startServer(QUIET);
    try {
      const res = await fetch(`${installed.url}/`);
      expect(real.playgroundDir).toMatch(/dist$/);
      expect(await res.text()).toBe(readFileSync(join(real.playgroundDir!, "index.html"), "utf8"));
    } finally {
      await installed.stop();
    }
  });
});

describe("the SDK", () => {
  it("serves /sdk/wasmbox.mjs from @wasmbox/browser's dist/, embeddable by any site", async () => {
    const res = await get("/sdk/wasmbox.mjs");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(readFileSync(join(real.sdkDir!, "wasmbox.mjs"), "utf8"));
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("etag")).toBeTruthy();
    const cached = await get("/sdk/wasmbox.mjs", { headers: { "if-none-match": res.headers.get("etag")! } });
    expect(cached.status).toBe(304);
  });

  it("serves nothing else of the package", async () => {
    for (const path of ["/sdk/guest-worker.js", "/sdk/../package.json", "/sdk/..%2Fpackage.json", "/sdk/%2e%2e%2fpackage.json", "/sdk/"]) {
      const res = await rawRequest(t.url, { path });
      expect(res.status, path).toBe(404);
      expect(res.body.error.code, path).toBe("NOT_FOUND");
    }
    // A refusal from the SDK's own route is readable cross-origin, so an embedder sees why.
    expect((await rawRequest(t.url, { path: "/sdk/guest-worker.js" })).headers["access-control-allow-origin"]).toBe("*");
  });
});

describe("the runtime assets", () => {
  let manifest: AssetManifest;
  let manifestRes: Response;

  beforeAll(async () => {
    manifestRes = await get("/assets/manifest.json");
    manifest = (await manifestRes.json()) as AssetManifest;
  }, 120_000);

  it("lists every allowlisted file with its size, sha256 version and sha384 integrity, computed here from the real files", () => {
    expect(manifestRes.status).toBe(200);
    expect(manifestRes.headers.get("cache-control")).toBe("no-cache");
    expect(manifestRes.headers.get("access-control-allow-origin")).toBe("*");
    expect(manifestRes.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(manifest.version).toBe(1);
    expect(Object.keys(manifest.files).sort()).toEqual([...real.assets.keys()].sort());
    for (const [name, path] of real.assets) {
      const bytes = readFileSync(path!);
      const entry = manifest.files[name]!;
      expect(entry.bytes, name).toBe(bytes.length);
      expect(entry.url, name).toBe(`${name}?v=${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}`);
      expect(entry.integrity, name).toBe(`sha384-${createHash("sha384").update(bytes).digest("base64")}`);
    }
  });

  it("serves each file under its manifest URL, immutable, with its type and length; a stale or missing ?v= revalidates", async () => {
    const types: Record<string, string> = { ".wasm": "application/wasm", ".zip": "application/zip", ".tar": "application/x-tar", ".json": "application/json; charset=utf-8", ".js": "text/javascript; charset=utf-8" };
    for (const [name, entry] of Object.entries(manifest.files)) {
      const url = new URL(entry.url, `${t.url}/assets/manifest.json`);
      const res = await fetch(url, { method: "HEAD" });
      expect(res.status, name).toBe(200);
      expect(res.headers.get("content-type"), name).toBe(types[name.slice(name.lastIndexOf("."))]);
      expect(res.headers.get("content-length"), name).toBe(String(entry.bytes));
      expect(res.headers.get("cache-control"), name).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("access-control-allow-origin"), name).toBe("*");
      expect(res.headers.get("cross-origin-resource-policy"), name).toBe("cross-origin");
    }
    const name = "quickjs/emscripten-module.wasm";
    const body = await get(`/assets/${manifest.files[name]!.url}`);
    expect(Buffer.from(await body.arrayBuffer()).equals(readFileSync(real.assets.get(name)!))).toBe(true);
    for (const path of [`/assets/${name}`, `/assets/${name}?v=0000000000000000`]) {
      const res = await get(path, { method: "HEAD" });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("cache-control"), path).toBe("no-cache");
    }
  });

  it("answers 304 to the file's ETag, and the manifest's own", async () => {
    const path = `/assets/${manifest.files["pyodide/pyodide-lock.json"]!.url}`;
    const etag = (await get(path, { method: "HEAD" })).headers.get("etag")!;
    expect(etag).toBe(`"${manifest.files["pyodide/pyodide-lock.json"]!.url.split("?v=")[1]}"`);
    const cached = await get(path, { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    expect(await cached.text()).toBe("");
    const again = await get("/assets/manifest.json", { headers: { "if-none-match": manifestRes.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("serves nothing outside the allowlist: other files of the same packages, traversal, encoded slashes", async () => {
    const attempts = [
      "/assets/pyodide/pyodide.mjs",
      "/assets/pyodide/package.json",
      "/assets/../package.json",
      "/assets/%2e%2e/package.json",
      "/assets/pyodide/%2e%2e/%2e%2e/package.json",
      "/assets/..%2fpackage.json",
      "/assets/pyodide%2f..%2f..%2fpackage.json",
      "/assets/browser/..%5cpackage.json",
      "/assets/",
    ];
    for (const path of attempts) {
      const res = await rawRequest(t.url, { path });
      expect(res.status, `${path}: ${res.text}`).toBe(404);
      expect(res.body.error.code, path).toBe("NOT_FOUND");
    }
  });

  it("leaves a file missing on disk out of the manifest, and answers 404 for it", async () => {
    const assets = new Map(real.assets);
    assets.set("pyodide/python_stdlib.zip", join(newDataDir(), "missing.zip"));
    const partial = await startServer({ ...QUIET, browserFiles: { ...real, assets } });
    try {
      const m = (await (await fetch(`${partial.url}/assets/manifest.json`)).json()) as AssetManifest;
      expect(Object.keys(m.files)).not.toContain("pyodide/python_stdlib.zip");
      expect(Object.keys(m.files)).toContain("pyodide/pyodide.asm.wasm");
      const res = await fetch(`${partial.url}/assets/pyodide/python_stdlib.zip`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not on this server's disk/);
    } finally {
      await partial.stop();
    }
  });

  it("picks up a file that changed on disk (its size or mtime): a new version in the manifest", async () => {
    const dir = newDataDir();
    const file = join(dir, "guest-worker.js");
    writeFileSync(file, "one");
    const changing = await startServer({ ...QUIET, browserFiles: { ...real, assets: new Map([["browser/guest-worker.js", file]]) } });
    try {
      const read = async () => ((await (await fetch(`${changing.url}/assets/manifest.json`)).json()) as AssetManifest).files["browser/guest-worker.js"]!;
      const before = await read();
      writeFileSync(file, "two, longer");
      const after = await read();
      expect(after.bytes).toBe(statSync(file).size);
      expect(after.url).not.toBe(before.url);
    } finally {
      await changing.stop();
    }
  });
});

describe("who may ask", () => {
  it("refuses a foreign Host on /, /assets/manifest.json and /sdk/wasmbox.mjs (DNS rebinding)", async () => {
    for (const path of ["/", "/assets/manifest.json", "/sdk/wasmbox.mjs"]) {
      const res = await rawRequest(t.url, { path, headers: { host: "attacker.example" } });
      expect(res.status, path).toBe(403);
      expect(res.body.error.code, path).toBe("HOST_NOT_ALLOWED");
    }
  });

  it("lets pages of any origin load the assets and the SDK, while the API still refuses them", async () => {
    const origin = { origin: "https://embedder.example", "sec-fetch-site": "cross-site" };
    for (const path of ["/assets/manifest.json", "/sdk/wasmbox.mjs"]) {
      const res = await rawRequest(t.url, { path, headers: origin });
      expect(res.status, path).toBe(200);
      expect(res.headers["access-control-allow-origin"], path).toBe("*");
    }
    const api = await rawRequest(t.url, { path: "/v1/runtimes", headers: origin });
    expect(api.status).toBe(403);
    expect(api.body.error.code).toBe("ORIGIN_NOT_ALLOWED");
  });

  it("keeps Access-Control-Allow-Origin: * on the assets where WASMBOX_ALLOWED_ORIGINS gives the API its own CORS", async () => {
    const cors = await startServer({ ...QUIET, allowedOrigins: ["https://app.example"], browserFiles: { ...real, playgroundDir } });
    try {
      for (const origin of ["https://app.example", "https://other.example"]) {
        const res = await rawRequest(cors.url, { path: "/assets/manifest.json", headers: { origin } });
        expect(res.status, origin).toBe(200);
        expect(res.headers["access-control-allow-origin"], origin).toBe("*");
      }
      const api = await rawRequest(cors.url, { path: "/v1/runtimes", headers: { origin: "https://app.example" } });
      expect(api.status).toBe(200);
      expect(api.headers["access-control-allow-origin"]).toBe("https://app.example");
    } finally {
      await cors.stop();
    }
  });

  it("needs no API key on a keyed server, which still asks one for the API", async () => {
    const keyed = await startServer({ ...QUIET, browserFiles: { ...real, playgroundDir } });
    try {
      keyed.server.keys.create("someone");
      for (const path of ["/", "/app.js", "/sdk/wasmbox.mjs", "/assets/manifest.json"]) {
        expect((await fetch(keyed.url + path)).status, path).toBe(200);
      }
      expect((await fetch(`${keyed.url}/v1/runtimes`)).status).toBe(401);
      expect((await fetch(`${keyed.url}/v1/nope`)).status).toBe(401);
    } finally {
      await keyed.stop();
    }
  });
});
