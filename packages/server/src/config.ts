import { availableParallelism } from "node:os";
import { z } from "zod";

const MiB = 1024 * 1024;
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

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
    /** LOG_LEVEL */
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

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
  poolPython: "WASMBOX_POOL_PYTHON",
  poolJs: "WASMBOX_POOL_JS",
  poolWasm: "WASMBOX_POOL_WASM",
  poolCompilers: "WASMBOX_POOL_COMPILERS",
  shutdownGraceMs: "WASMBOX_SHUTDOWN_GRACE_MS",
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
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
