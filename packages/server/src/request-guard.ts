/**
 * Requests are from who they say: the Host header must name this server (DNS rebinding
 * turns any web page into a same-origin client of a local server otherwise), and a browser
 * request from another origin is refused unless that origin is allowed.
 */
import { isIP } from "node:net";
import type { FastifyRequest } from "fastify";
import type { ServerConfig } from "./config.js";
import { WasmboxError } from "@wasmbox/node";

/** Names that always mean this machine (browsers resolve `*.localhost` to loopback themselves). */
function isLoopbackName(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost");
}

/** The hostname of a Host header (lowercased, IPv6 without brackets), or undefined if it is not one. */
export function hostnameOf(hostHeader: string): string | undefined {
  if (!hostHeader || /[\s/?#@\\]/.test(hostHeader)) return undefined;
  try {
    const u = new URL(`http://${hostHeader}`);
    return u.hostname.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
  } catch {
    return undefined;
  }
}

export interface GuardOptions {
  config: ServerConfig;
  /** Whether the server requires API keys right now (decided at run time). */
  keyed: () => boolean;
}

export function createRequestGuard({ config, keyed }: GuardOptions) {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const h of config.allowedHosts) {
    if (h === "*") any = true;
    else if (h.startsWith(".")) {
      suffixes.push(h);
      exact.add(h.slice(1));
    } else exact.add(h);
  }
  // The address the server listens on, when it is a name (HOST=wasmbox.internal).
  const listenName = hostnameOf(config.host);
  if (listenName && !isIP(listenName) && listenName !== "0.0.0.0") exact.add(listenName);
  const allowedOrigins = new Set(config.allowedOrigins);

  /**
   * Host names a client may use: loopback names, IP addresses (an IP literal cannot be
   * rebound), HOST, and WASMBOX_ALLOWED_HOSTS. `*` (any name) counts only once the server
   * has API keys: on a keyless server it would be exactly the rebinding hole.
   */
  function hostAllowed(hostname: string): boolean {
    if (isLoopbackName(hostname) || isIP(hostname)) return true;
    if (exact.has(hostname) || suffixes.some((s) => hostname.endsWith(s))) return true;
    return any && keyed();
  }

  function checkHost(req: FastifyRequest): void {
    const header = req.headers.host ?? "";
    const hostname = hostnameOf(header);
    if (hostname === undefined) {
      throw new WasmboxError("HOST_NOT_ALLOWED", header ? `the Host header ${JSON.stringify(header.slice(0, 100))} is not a host name` : "send a Host header naming this server (HTTP/1.1)");
    }
    if (!hostAllowed(hostname)) {
      const hint = keyed() || config.allowedHosts.length
        ? `if this is a name of this server, add it to WASMBOX_ALLOWED_HOSTS (comma-separated: WASMBOX_ALLOWED_HOSTS=${hostname})`
        : `this server has no API keys, so it answers only to localhost, 127.0.0.1 and [::1]; to use another name, add it to WASMBOX_ALLOWED_HOSTS (WASMBOX_ALLOWED_HOSTS=${hostname}) or create an API key`;
      throw new WasmboxError("HOST_NOT_ALLOWED", `this server does not answer for the host ${JSON.stringify(hostname)} (a web page reaching it under another name is refused); ${hint}`);
    }
  }

  /**
   * The server's own origin as the browser sees it: same host and port as the Host header
   * (which has passed the host check). The scheme is not compared: behind a TLS proxy the
   * page is https while the server itself speaks http.
   */
  function isOwnOrigin(origin: URL, hostHeader: string): boolean {
    try {
      return new URL(`${origin.protocol}//${hostHeader}`).host === origin.host;
    } catch {
      return false;
    }
  }

  function checkOrigin(req: FastifyRequest): void {
    const raw = req.headers.origin;
    if (raw === undefined) {
      // No Origin: not a browser, or a same-origin GET/HEAD. A browser still says where a
      // request comes from in Sec-Fetch-Site; top-level navigation (a link to /docs) is fine.
      const site = req.headers["sec-fetch-site"];
      const navigation = req.headers["sec-fetch-mode"] === "navigate" && (req.method === "GET" || req.method === "HEAD");
      if ((site === "cross-site" || site === "same-site") && !navigation) {
        throw new WasmboxError("ORIGIN_NOT_ALLOWED", `a web page on another site may not call this API (Sec-Fetch-Site: ${site}); allow its origin with WASMBOX_ALLOWED_ORIGINS`);
      }
      return;
    }
    const value = Array.isArray(raw) ? raw[0] ?? "" : raw;
    let url: URL | undefined;
    try {
      url = value === "null" ? undefined : new URL(value);
    } catch {
      url = undefined;
    }
    if (url && isOwnOrigin(url, req.headers.host ?? "")) return;
    if (url && allowedOrigins.has(url.origin)) return;
    throw new WasmboxError(
      "ORIGIN_NOT_ALLOWED",
      url
        ? `web pages at ${url.origin} may not call this API; to allow them, add the origin to WASMBOX_ALLOWED_ORIGINS (WASMBOX_ALLOWED_ORIGINS=${url.origin})`
        : `requests from an opaque origin (Origin: ${JSON.stringify(value.slice(0, 100))}: a sandboxed frame, a file:// page) may not call this API`,
    );
  }

  return {
    /** Throws HOST_NOT_ALLOWED or ORIGIN_NOT_ALLOWED; the Host is checked first (a rebound page is "same-origin"). */
    check(req: FastifyRequest): void {
      checkHost(req);
      checkOrigin(req);
    },
    /**
     * Throws HOST_NOT_ALLOWED only: for the public static files (the playground, the SDK, the
     * runtime assets), which pages of any origin may load but a rebound name still may not.
     */
    checkHost,
    /** Whether `*` in WASMBOX_ALLOWED_HOSTS would let any name through while keyless. */
    get allowsAnyHost(): boolean {
      return any;
    },
  };
}
