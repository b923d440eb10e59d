import { availableParallelism } from "node:os";
import { PackageNameSchema } from "@wasmbox/contract";
import { z } from "zod";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A comma-separated list (from the environment) or an array (from code). */
const list = (item: z.ZodType<string, string>) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item));
const flag = z
  .union([z.boolean(), z.enum(["1", "0", "true", "false", "yes", "no", "on", "off"])])
  .transform((v) => v === true || v === "1" || v === "true" || v === "yes" || v === "on");

/** `api.example.com`, `.example.com` (that name and every subdomain), or `*` (any: needs API keys). */
const hostName = z
  .string()
  .transform((h) => h.toLowerCase().replace(/\.$/, ""))
  .refine((h) => h === "*" || /^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h), {
    error: (i) => `${JSON.stringify(i.input)} is not a host name (write names only, like api.example.com or .example.com for every subdomain; no scheme, port or path)`,
  });

/** `https://app.example.com` or `http://localhost:5173`: scheme, host and optional port, nothing else. */
const origin = z
  .string()
  .transform((o) => o.replace(/\/$/, ""))
  .refine(
    (o) => {
      try {
        const u = new URL(o);
        return (u.protocol === "http:" || u.protocol === "https:") && u.origin === o.toLowerCase();
      } catch {
        return false;
      }
    },
    { error: (i) => `${JSON.stringify(i.input)} is not an origin (write scheme, host and optional port, like https://app.example.com; no path)` },
  )
  .transform((o) => o.toLowerCase());

/** Every server setting, its default, and the environment variable that sets it. */
export const ServerConfigSchema = z
  .object({
    /** HOST — address to listen on. Non-loopback addresses need at least one API key. */
    host: z.string().min(1).default("127.0.0.1"),
    /** PORT — 0 picks a free port. */
    port: int(0, 65535).default(8787),
    /** WASMBOX_DATA_DIR — SQLite file and stored output files. */
    dataDir: z.string().min(1).default("./data"),
    /** WASMBOX_BODY_LIMIT_BYTES — largest accepted request body. */
    bodyLimitBytes: int(1024, 256 * MiB).default(32 * MiB),
    /** WASMBOX_MAX_STORED_FILE_BYTES — output files larger than this are listed but not kept. */
    maxStoredFileBytes: int(0, 1024 * MiB).default(16 * MiB),
    /** WASMBOX_RETENTION_DAYS — finished runs older than this are deleted (0 keeps forever). */
    retentionDays: int(0, 3650).default(30),
    /** WASMBOX_SESSION_TTL_MS — idle sessions are closed after this long. */
    sessionTtlMs: int(1000, 24 * 3600_000).default(10 * 60_000),
    /** WASMBOX_MAX_SESSIONS_PER_KEY */
    maxSessionsPerKey: int(0, 1000).default(8),
    /** WASMBOX_MAX_CONCURRENT_RUNS_PER_KEY — runs one key may have queued or running at once. */
    maxConcurrentRunsPerKey: int(1, 10_000).default(8),
    /** WASMBOX_RATE_LIMIT_PER_MINUTE — requests per key (or client address without keys) per minute. */
    rateLimitPerMinute: int(1, 1_000_000).default(1200),
    /** WASMBOX_MAX_CONCURRENT_RUNS — runs executing at once (default: CPU cores). */
    maxConcurrentRuns: int(1, 1024).default(availableParallelism()),
    /** WASMBOX_MAX_QUEUED_RUNS — runs waiting for a slot before the server answers 503. */
    maxQueuedRuns: int(0, 100_000).default(64),
    /**
     * WASMBOX_PYTHON_PRELOAD — Python package sets to keep a sandbox ready for, booted from a
     * snapshot with the set imported: sets separated by `;`, names by `,` (`numpy,pandas;matplotlib`).
     * The packages must be in the store (`wasmbox packages fetch`).
     */
    pythonPreload: z
      .union([z.string(), z.array(z.array(z.string()))])
      .transform((v) => (Array.isArray(v) ? v : v.split(";").map((set) => set.split(",").map((n) => n.trim()).filter(Boolean))).filter((set) => set.length > 0))
      .pipe(z.array(z.array(PackageNameSchema).max(64)).max(16))
      .default([]),
    /** WASMBOX_DETECT_IMPORTS — load the store's packages a Python program imports when its request names none. */
    detectImports: flag.default(true),
    /** WASMBOX_POOL_PYTHON / WASMBOX_POOL_JS — sandboxes kept ready. */
    poolPython: int(0, 64).default(1),
    poolJs: int(0, 64).default(2),
    /** WASMBOX_POOL_WASM — ready sandboxes for WebAssembly modules (C, C++, AssemblyScript, wasm). */
    poolWasm: int(0, 64).default(1),
    /**
     * WASMBOX_POOL_COMPILERS — clang and AssemblyScript compiler sandboxes started at boot
     * (0: each starts on its first use, ~2 s, and is kept afterwards).
     */
    poolCompilers: int(0, 16).default(0),
    /** WASMBOX_SHUTDOWN_GRACE_MS — on SIGTERM, in-flight runs get this long before they are cancelled. */
    shutdownGraceMs: int(0, 600_000).default(10_000),
    /**
     * WASMBOX_ALLOWED_HOSTS — host names the server answers for, besides loopback names
     * (localhost, 127.0.0.1, [::1]), IP addresses and HOST itself. A request naming any
     * other host in its Host header is refused (403 HOST_NOT_ALLOWED): that is what stops
     * DNS rebinding. `.example.com` also allows every subdomain; `*` allows any (only with keys).
     */
    allowedHosts: list(hostName).default([]),
    /**
     * WASMBOX_ALLOWED_ORIGINS — web origins (https://app.example.com) whose pages may call the
     * API from a browser (CORS). The server's own origin always may; any other is refused
     * (403 ORIGIN_NOT_ALLOWED).
     */
    allowedOrigins: list(origin).default([]),
    /** WASMBOX_PUBLIC_METRICS — 1 opens /metrics, /readyz and /docs without a key on a keyed server. */
    publicMetrics: flag.default(false),
    /**
     * WASMBOX_ALLOW_WEAK_ISOLATION — 1 lets a server whose sandboxes have no OS sandbox (no
     * bubblewrap: see `wasmbox runtimes`) listen beyond loopback and serve more than one API key.
     */
    allowWeakIsolation: flag.default(false),
    /** WASMBOX_REQUEST_TIMEOUT_MS — the whole request (headers and body) must arrive within this. */
    requestTimeoutMs: int(100, 3600_000).default(60_000),
    /** WASMBOX_HEADERS_TIMEOUT_MS — the request headers must arrive within this (also bounds a connection that sends nothing). */
    headersTimeoutMs: int(100, 3600_000).default(10_000),
    /** WASMBOX_KEEP_ALIVE_TIMEOUT_MS — an idle keep-alive connection is closed after this. */
    keepAliveTimeoutMs: int(100, 3600_000).default(5_000),
    /**
     * WASMBOX_IDLE_TIMEOUT_MS — a connection with no traffic either way for this long is closed
     * (a client that stops reading its answer). A run in progress does not count as idle, and
     * event streams send a heartbeat well within it.
     */
    idleTimeoutMs: int(100, 3600_000).default(60_000),
    /** WASMBOX_MAX_CONNECTIONS — open connections in all; past it new ones get 503 SERVER_BUSY and are closed. */
    maxConnections: int(1, 1_000_000).default(512),
    /** WASMBOX_MAX_CONNECTIONS_PER_CLIENT — open connections per client IP address; past it, 429 TOO_MANY_CONNECTIONS. */
    maxConnectionsPerClient: int(1, 1_000_000).default(64),
    /** WASMBOX_MAX_EVENT_STREAMS_PER_KEY — open GET /v1/runs/:id/events streams per key. */
    maxEventStreamsPerKey: int(1, 100_000).default(16),
    /**
     * WASMBOX_MAX_STORED_BYTES — run history (the SQLite file) plus stored output files, in all.
     * Past it, runs past retention are deleted at once; if that is not enough, output files
     * are no longer kept and new runs get 507 STORAGE_FULL. 0: no cap.
     */
    maxStoredBytes: int(0, Number.MAX_SAFE_INTEGER).default(10 * GiB),
    /** WASMBOX_MAX_SESSIONS — open sessions in all (each holds a sandbox process). */
    maxSessions: int(0, 100_000).default(32),
    /**
     * WASMBOX_MAX_SLOTS_PER_KEY — execution slots one key may hold at once. Default: all but
     * one when there are two or more (so another key's run never waits for a key's long runs
     * to end), all of them on a keyless server. Waiting runs get free slots round-robin by key.
     */
    maxSlotsPerKey: int(1, 1024).optional(),
    /** LOG_LEVEL */
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.headersTimeoutMs > c.requestTimeoutMs) {
      ctx.addIssue({
        code: "custom",
        path: ["headersTimeoutMs"],
        message: `must not be larger than WASMBOX_REQUEST_TIMEOUT_MS (requestTimeoutMs, ${c.requestTimeoutMs}): the headers are part of the request`,
      });
    }
  });

export type ServerConfig = z.infer<typeof ServerConfigSchema>;
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

const ENV: Record<keyof ServerConfig, string> = {
  host: "HOST",
  port: "PORT",
  dataDir: "WASMBOX_DATA_DIR",
  bodyLimitBytes: "WASMBOX_BODY_LIMIT_BYTES",
  maxStoredFileBytes: "WASMBOX_MAX_STORED_FILE_BYTES",
  retentionDays: "WASMBOX_RETENTION_DAYS",
  sessionTtlMs: "WASMBOX_SESSION_TTL_MS",
  maxSessionsPerKey: "WASMBOX_MAX_SESSIONS_PER_KEY",
  maxConcurrentRunsPerKey: "WASMBOX_MAX_CONCURRENT_RUNS_PER_KEY",
  rateLimitPerMinute: "WASMBOX_RATE_LIMIT_PER_MINUTE",
  maxConcurrentRuns: "WASMBOX_MAX_CONCURRENT_RUNS",
  maxQueuedRuns: "WASMBOX_MAX_QUEUED_RUNS",
  pythonPreload: "WASMBOX_PYTHON_PRELOAD",
  detectImports: "WASMBOX_DETECT_IMPORTS",
  poolPython: "WASMBOX_POOL_PYTHON",
  poolJs: "WASMBOX_POOL_JS",
  poolWasm: "WASMBOX_POOL_WASM",
  poolCompilers: "WASMBOX_POOL_COMPILERS",
  shutdownGraceMs: "WASMBOX_SHUTDOWN_GRACE_MS",
  allowedHosts: "WASMBOX_ALLOWED_HOSTS",
  allowedOrigins: "WASMBOX_ALLOWED_ORIGINS",
  publicMetrics: "WASMBOX_PUBLIC_METRICS",
  allowWeakIsolation: "WASMBOX_ALLOW_WEAK_ISOLATION",
  requestTimeoutMs: "WASMBOX_REQUEST_TIMEOUT_MS",
  headersTimeoutMs: "WASMBOX_HEADERS_TIMEOUT_MS",
  keepAliveTimeoutMs: "WASMBOX_KEEP_ALIVE_TIMEOUT_MS",
  idleTimeoutMs: "WASMBOX_IDLE_TIMEOUT_MS",
  maxConnections: "WASMBOX_MAX_CONNECTIONS",
  maxConnectionsPerClient: "WASMBOX_MAX_CONNECTIONS_PER_CLIENT",
  maxEventStreamsPerKey: "WASMBOX_MAX_EVENT_STREAMS_PER_KEY",
  maxStoredBytes: "WASMBOX_MAX_STORED_BYTES",
  maxSessions: "WASMBOX_MAX_SESSIONS",
  maxSlotsPerKey: "WASMBOX_MAX_SLOTS_PER_KEY",
  logLevel: "LOG_LEVEL",
};

/**
 * Settings from explicit values, then the environment, then defaults. A bad value is an
 * error that names the variable.
 */
export function loadConfig(overrides: ServerConfigInput = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const fromEnv: Record<string, string> = {};
  for (const [field, name] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== "") fromEnv[field] = v;
  }
  const parsed = ServerConfigSchema.safeParse({ ...fromEnv, ...stripUndefined(overrides) });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const field = String(i.path[0] ?? "");
      const name = ENV[field as keyof ServerConfig];
      return `${name ? `${name} (${field})` : field}: ${i.message}`;
    });
    throw new Error(`invalid server configuration: ${problems.join("; ")}`);
  }
  return parsed.data;
}

function stripUndefined(o: object): object {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || h === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(h) || /^(\[?)::ffff:127\.\d+\.\d+\.\d+\]?$/.test(h);
}

/** The environment variable behind a setting, for messages that tell an operator what to change. */
export function envName(field: keyof ServerConfig): string {
  return ENV[field];
}
