/**
 * The browser side, as static files: the playground at `/`, the browser SDK at
 * `/sdk/wasmbox.mjs`, and the runtime assets under `/assets/` (an allowlist, with a manifest of
 * versions and integrity hashes). All of it from installed packages, nothing from a CDN.
 *
 * These routes need no API key (they are the same files for everyone) and take requests from
 * any origin (an embedding site imports the SDK), but the Host guard still holds: a page
 * reaching a local server under a rebound name is refused here as on the API. Their route
 * config says `publicFile`, which the server's hooks read.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import { WasmboxError } from "@wasmbox/node";
import { AssetCatalogue } from "../static/asset-catalogue.js";
import type { BrowserFiles } from "../static/locate.js";
import { etagMatches, resolveUnder, sendFile, statEtag } from "../static/send-file.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** A public static file: no API key, any Origin; the Host guard still applies. */
    publicFile?: boolean;
  }
}

/** The page needs SharedArrayBuffer (interrupting a guest), so it must be cross-origin isolated. */
const PAGE_HEADERS = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cache-control": "no-cache",
};
/** Anything any site may load: CORS for fetch and module scripts, CORP for pages under COEP. */
const OPEN_HEADERS = {
  "access-control-allow-origin": "*",
  "cross-origin-resource-policy": "cross-origin",
};
const IMMUTABLE = "public, max-age=31536000, immutable";
/** What the SDK package serves under /sdk/. */
const SDK_FILES = new Set(["wasmbox.mjs", "wasmbox.mjs.map"]);
/** Top-level names under which the server has routes of its own: a playground folder by that name is not served. */
const RESERVED = new Set(["assets", "sdk", "docs", "v1", "healthz", "readyz", "metrics"]);

const ROUTE = { config: { publicFile: true }, schema: { hide: true } };
const METHODS: HTTPMethods[] = ["GET", "HEAD"];

const notBuilt = (what: string, dir: string | undefined) =>
  new WasmboxError(
    "NOT_FOUND",
    dir ? `the ${what} is not built: run npm run build (${dir} has no such file)` : `the ${what} is not installed: run npm install, then npm run build`,
  );

/** The page's Content-Security-Policy, which the playground's build writes (it holds a script hash) as one header value. */
async function readCsp(playgroundDir: string): Promise<string | undefined> {
  const text = await readFile(join(playgroundDir, "csp.txt"), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const value = text.replace(/\s+/g, " ").trim();
  // Serving the page without its policy would drop a wall the page relies on: refuse instead.
  if (!value || /[^\x20-\x7e]/.test(value)) throw new WasmboxError("INTERNAL", `${join(playgroundDir, "csp.txt")} is not a valid Content-Security-Policy value; rebuild the playground`);
  return value;
}

/** Subfolders of the playground's build served as they are (examples/ and any other the build writes). */
function playgroundFolders(dir: string | undefined): string[] {
  const found = new Set(["examples"]);
  try {
    for (const e of readdirSync(dir ?? "", { withFileTypes: true })) if (e.isDirectory() && /^[a-z0-9][a-z0-9_-]*$/i.test(e.name)) found.add(e.name);
  } catch {
    // Not built yet: examples/ is still routed, and answers "not built".
  }
  return [...found].filter((name) => !RESERVED.has(name));
}

export function registerStaticRoutes(app: FastifyInstance, files: BrowserFiles): void {
  const { playgroundDir, sdkDir } = files;
  const catalogue = new AssetCatalogue(files.assets, (name, path) =>
    app.log.warn({ asset: name, path: path ?? null }, "a runtime asset is not on disk; it is left out of /assets/manifest.json (run npm install / npm run build)"),
  );

  const servePlayground = async (req: FastifyRequest, reply: FastifyReply, relative: string) => {
    const file = playgroundDir ? await resolveUnder(playgroundDir, relative) : undefined;
    if (!file) {
      if (relative === "index.html") throw notBuilt("playground", playgroundDir);
      throw new WasmboxError("NOT_FOUND", `no file ${JSON.stringify(relative.slice(0, 200))} in the playground`);
    }
    const headers: Record<string, string> = { ...PAGE_HEADERS };
    if (file.path.endsWith(".html")) {
      const csp = await readCsp(playgroundDir!);
      if (csp) headers["content-security-policy"] = csp;
    }
    // The service worker lives at /sw.js and controls the whole origin.
    if (relative === "sw.js") headers["service-worker-allowed"] = "/";
    return sendFile(req, reply, { ...file, etag: statEtag(file.stats), headers });
  };

  app.route({ ...ROUTE, method: METHODS, url: "/", handler: (req, reply) => servePlayground(req, reply, "index.html") });
  app.route<{ Params: { file: string } }>({ ...ROUTE, method: METHODS, url: "/:file", handler: (req, reply) => servePlayground(req, reply, req.params.file) });
  for (const folder of playgroundFolders(playgroundDir)) {
    app.route<{ Params: { "*": string } }>({ ...ROUTE, method: METHODS, url: `/${folder}/*`, handler: (req, reply) => servePlayground(req, reply, `${folder}/${req.params["*"]}`) });
  }

  app.route<{ Params: { file: string } }>({
    ...ROUTE,
    method: METHODS,
    url: "/sdk/:file",
    handler: async (req, reply) => {
      reply.headers(OPEN_HEADERS);
      const name = req.params.file;
      if (!SDK_FILES.has(name)) throw new WasmboxError("NOT_FOUND", `no file ${JSON.stringify(name.slice(0, 200))} in the SDK; it is served at /sdk/wasmbox.mjs`);
      const file = sdkDir ? await resolveUnder(sdkDir, name) : undefined;
      if (!file) {
        if (name === "wasmbox.mjs") throw notBuilt("browser SDK (@wasmbox/browser)", sdkDir);
        throw new WasmboxError("NOT_FOUND", `the browser SDK has no ${name}`);
      }
      return sendFile(req, reply, { ...file, etag: statEtag(file.stats), headers: { "cache-control": "no-cache" } });
    },
  });

  app.route({
    ...ROUTE,
    method: METHODS,
    url: "/assets/manifest.json",
    handler: async (req, reply) => {
      reply.headers({ ...OPEN_HEADERS, "cache-control": "no-cache" });
      const body = JSON.stringify(await catalogue.manifest());
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
      reply.header("etag", etag);
      if (etagMatches(req.headers["if-none-match"], etag)) return reply.code(304).send();
      return reply.header("content-type", "application/json; charset=utf-8").send(body);
    },
  });

  app.route<{ Params: { "*": string }; Querystring: { v?: string } }>({
    ...ROUTE,
    method: METHODS,
    url: "/assets/*",
    handler: async (req, reply) => {
      reply.headers(OPEN_HEADERS);
      const name = req.params["*"];
      if (!catalogue.has(name)) throw new WasmboxError("NOT_FOUND", `no runtime asset ${JSON.stringify(name.slice(0, 200))}; /assets/manifest.json lists them`);
      const file = await catalogue.get(name);
      if (!file) throw new WasmboxError("NOT_FOUND", `the runtime asset ${name} is not on this server's disk: run npm install (and npm run build for browser/*)`);
      // Cached for good only under the URL of its current version: a stale ?v= revalidates.
      const cacheControl = req.query.v === file.hash.version ? IMMUTABLE : "no-cache";
      return sendFile(req, reply, { path: file.path, stats: file.stats, etag: `"${file.hash.version}"`, headers: { "cache-control": cacheControl } });
    },
  });
}

