// Minimal keep-alive HTTP client for the bench's own request loops (per-request timing,
// status, headers, body). Loopback only; every request has a deadline so nothing can hang.
import { Buffer } from "node:buffer";
import http from "node:http";
import { clearTimeout } from "node:timers";

export function createClient(baseUrl, { maxSockets = 16 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const base = new URL(baseUrl);

  /** One request. Resolves {status, headers, body, json, ms} or {status: 0, error, ms} on a client-side failure. */
  function request(method, path, body, { timeoutMs = 30_000 } = {}) {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const t0 = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (r) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...r, ms: performance.now() - t0 });
      };
      const req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path,
          headers: payload ? { "content-type": "application/json", "content-length": payload.length } : {},
        },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let json = null;
            try {
              json = JSON.parse(text);
            } catch {
              // not JSON; keep the text
            }
            done({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
          });
          res.on("error", (e) => done({ status: 0, error: e.message }));
        },
      );
      const timer = setTimeout(() => {
        done({ status: 0, error: `client timeout after ${timeoutMs} ms`, timedOut: true });
        req.destroy();
      }, timeoutMs);
      req.on("error", (e) => done({ status: 0, error: e.message }));
      req.end(payload);
    });
  }

  return {
    request,
    post: (path, body, opts) => request("POST", path, body, opts),
    get: (path, opts) => request("GET", path, undefined, opts),
    close: () => agent.destroy(),
  };
}
