/**
 * In-realm hardening of the realm guest code runs in, applied before any guest code exists.
 *
 * This is defence in depth, not the boundary: Python guests can reach this realm
 * (`import js`), so what holds the line is outside it — the OS sandbox (bubblewrap
 * namespaces, a minimal read-only filesystem, cgroups, an unprivileged uid) and Node's
 * permission model (no fs writes, reads only of runtime assets, no child processes, no
 * addons, no inspector, no worker threads for Python). What the permission model does not
 * cover (network, signals) is removed here as well.
 */
import { createRequire, syncBuiltinESMExports } from "node:module";

const require = createRequire(import.meta.url);

function denied(what: string): () => never {
  return () => {
    const err = new Error(`${what} is not available in the wasmbox sandbox`) as Error & { code: string };
    err.code = "ERR_ACCESS_DENIED";
    throw err;
  };
}

function replaceAll(target: Record<string, unknown>, names: readonly string[], label: string): void {
  for (const name of names) {
    if (name in target) {
      try {
        Object.defineProperty(target, name, { value: denied(`${label}.${name}`), writable: false, configurable: false });
      } catch {
        // A non-configurable builtin property: leave it; the process boundary still applies.
      }
    }
  }
}

export function lockDownRealm(): void {
  const net = require("node:net") as Record<string, unknown> & { Socket: { prototype: object }; Server: { prototype: object } };
  replaceAll(net, ["connect", "createConnection", "createServer"], "net");
  replaceAll(net.Socket.prototype as Record<string, unknown>, ["connect"], "net.Socket");
  replaceAll(net.Server.prototype as Record<string, unknown>, ["listen"], "net.Server");
  replaceAll(require("node:tls"), ["connect", "createServer", "createSecureContext"], "tls");
  replaceAll(require("node:dgram"), ["createSocket"], "dgram");
  replaceAll(require("node:http"), ["request", "get", "createServer"], "http");
  replaceAll(require("node:https"), ["request", "get", "createServer"], "https");
  replaceAll(require("node:http2"), ["connect", "createServer", "createSecureServer"], "http2");
  const dns = require("node:dns") as Record<string, unknown> & { promises: Record<string, unknown> };
  const dnsNames = Object.keys(dns).filter((k) => typeof dns[k] === "function" && k !== "Resolver");
  replaceAll(dns, [...dnsNames, "Resolver"], "dns");
  replaceAll(dns.promises, Object.keys(dns.promises), "dns.promises");
  replaceAll(require("node:worker_threads"), ["Worker"], "worker_threads");
  const childProcess = require("node:child_process") as Record<string, unknown>;
  replaceAll(childProcess, ["spawn", "exec", "execSync", "execFile", "execFileSync", "fork"], "child_process");
  // Emscripten's system() (Python's os.system) calls spawnSync and cannot survive a throw
  // inside wasm: answer like a shell that found no command, so the guest gets a status.
  Object.defineProperty(childProcess, "spawnSync", {
    value: () => ({ pid: 0, status: 127, signal: null, output: [null, "", ""], stdout: "", stderr: "", error: new Error("no processes in the wasmbox sandbox") }),
    writable: false,
    configurable: false,
  });
  replaceAll(require("node:cluster"), ["fork", "setupPrimary", "setupMaster"], "cluster");
  syncBuiltinESMExports();

  const g = globalThis as Record<string, unknown>;
  for (const name of ["WebSocket", "EventSource", "BroadcastChannel", "XMLHttpRequest"]) {
    if (name in g) Object.defineProperty(g, name, { value: denied(name), writable: false, configurable: false });
  }
  // `fetch` answers only `data:` URLs (bundled code inlines wasm that way, e.g. the
  // AssemblyScript compiler); anything that would touch a network is refused.
  const realFetch = g.fetch as (input: string, init?: unknown) => Promise<unknown>;
  const refuseFetch = denied("fetch");
  Object.defineProperty(g, "fetch", {
    value: (input: unknown, init?: unknown) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : "";
      return url.startsWith("data:") ? realFetch(url, init) : Promise.resolve().then(refuseFetch);
    },
    writable: false,
    configurable: false,
  });

  const proc = process as unknown as Record<string, unknown>;
  for (const name of ["kill", "dlopen", "_kill", "_debugProcess", "_debugEnd", "_startProfilerIdleNotifier", "abort"]) {
    if (name in proc) Object.defineProperty(proc, name, { value: denied(`process.${name}`), writable: false, configurable: false });
  }
  // Pyodide's NODEFS reads fs constants through process.binding, which the permission
  // model forbids; hand it exactly that and nothing else.
  const constants = (require("node:fs") as { constants: object }).constants;
  Object.defineProperty(proc, "binding", {
    value: (name: string) => {
      if (name === "constants") return { fs: constants };
      return denied(`process.binding(${JSON.stringify(name)})`)();
    },
    writable: false,
    configurable: false,
  });
}
