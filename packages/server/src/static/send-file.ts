/**
 * Sending one file from disk: a safe path under a root, the content type by extension, an
 * ETag with If-None-Match (304), HEAD, and the body streamed (a runtime asset is up to 75 MB:
 * it is never held in memory).
 */
import { createReadStream, type Stats } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import type { FastifyReply, FastifyRequest } from "fastify";

/** The types this server sends; anything else goes out as application/octet-stream (and nosniff holds it there). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".py": "text/plain; charset=utf-8",
  ".c": "text/plain; charset=utf-8",
  ".wat": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
  ".zip": "application/zip",
  ".tar": "application/x-tar",
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
}

/**
 * One path segment a build writes: letters, digits and `._@+-`, not starting with a dot. That
 * refuses `..`, `.`, dotfiles (`.env`, `.git`), backslashes, NULs and anything a decoded `%2f`
 * or `%5c` could smuggle in.
 */
const SEGMENT = /^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*$/;

/**
 * The file `relative` names under `root`, or undefined when the name is not a plain relative
 * path of safe segments, the file does not exist, is not a regular file, or its real path
 * (after symlinks) leaves the root.
 */
export async function resolveUnder(root: string, relative: string): Promise<{ path: string; stats: Stats } | undefined> {
  const segments = relative.split("/");
  if (!segments.every((s) => SEGMENT.test(s))) return undefined;
  try {
    const realRoot = await realpath(root);
    const path = await realpath(join(realRoot, ...segments));
    if (!path.startsWith(realRoot + sep)) return undefined;
    const stats = await stat(path);
    return stats.isFile() ? { path, stats } : undefined;
  } catch {
    return undefined;
  }
}

/** A weak validator from size and mtime: enough for `no-cache` revalidation of build output. */
export const statEtag = (stats: Stats) => `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;

/** Whether If-None-Match names `etag` (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === bare;
  });
}

export interface SendFileOptions {
  path: string;
  stats: Stats;
  etag: string;
  /** Extra response headers (caching, CORS, isolation); sent on 200 and 304 alike. */
  headers: Record<string, string>;
  contentType?: string;
}

/** Answer with the file: 304 when the client's copy is current, headers only for HEAD, else the streamed body. */
export function sendFile(req: FastifyRequest, reply: FastifyReply, options: SendFileOptions): FastifyReply {
  reply.headers(options.headers).header("etag", options.etag);
  if (etagMatches(req.headers["if-none-match"], options.etag)) return reply.code(304).send();
  reply.header("content-type", options.contentType ?? contentTypeOf(options.path)).header("content-length", String(options.stats.size));
  if (req.method === "HEAD") return reply.send();
  // A file replaced between stat and open is sent as it is now; its length header may then be
  // wrong, and the client sees a short or cut response rather than a wrong file.
  return reply.send(createReadStream(options.path, { highWaterMark: 1 << 20 }));
}
