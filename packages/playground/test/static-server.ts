/**
 * A tiny static server for the built page, with the headers the wasmbox server sends it:
 * COOP/COEP (cross-origin isolation) and the page's own CSP from dist/csp.txt. Extra routes
 * (the stub SDK of the page-wiring test) are served from memory. Every request is recorded.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".json": "application/json", ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml", ".png": "image/png",
  ".csv": "text/csv", ".map": "application/json", ".txt": "text/plain",
};

export interface StaticServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function serveStatic(
  root: string,
  options: { extra?: Record<string, { type: string; body: string | Uint8Array }>; fallback?: (req: IncomingMessage, res: ServerResponse) => boolean } = {},
): Promise<StaticServer> {
  const csp = (await readFile(join(root, "csp.txt"), "utf8")).trim();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      requests.push(`${req.method} ${path}`);
      res.setHeader("cross-origin-opener-policy", "same-origin");
      res.setHeader("cross-origin-embedder-policy", "require-corp");
      res.setHeader("cross-origin-resource-policy", "same-origin");
      res.setHeader("content-security-policy", csp);
      if (options.fallback?.(req, res)) return;
      const extra = options.extra?.[path];
      if (extra) {
        res.writeHead(200, { "content-type": extra.type }).end(extra.body);
        return;
      }
      const file = normalize(join(root, path === "/" ? "index.html" : path));
      if (!file.startsWith(root)) return void res.writeHead(403).end();
      try {
        const body = await readFile(file);
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
      } catch {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
