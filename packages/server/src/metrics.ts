import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Engine } from "@wasmbox/node";

/** Prometheus metrics, one registry per server (so tests can run several). */
export function createMetrics(engine: Engine, sources: { sessionsOpen: () => number; queued: () => number; connectionsOpen: () => number; storedBytes: () => number }) {
  const { sessionsOpen } = sources;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "wasmbox_process_" });
  const stats = () => engine.stats();
  let reportedStarts = 0;
  return {
    registry,
    runsTotal: new Counter({ name: "wasmbox_runs_total", help: "Runs finished, by language and status", labelNames: ["language", "status"], registers: [registry] }),
    runDuration: new Histogram({
      name: "wasmbox_run_duration_seconds",
      help: "Run duration from request to result, by language",
      labelNames: ["language"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    runsActive: new Gauge({ name: "wasmbox_runs_in_flight", help: "Runs queued or executing", registers: [registry] }),
    queueDepth: new Gauge({
      name: "wasmbox_queue_depth",
      help: "Runs waiting for an execution slot",
      registers: [registry],
      collect() {
        this.set(sources.queued());
      },
    }),
    poolReady: new Gauge({
      name: "wasmbox_pool_ready",
      help: "Sandboxes started and ready, by kind",
      labelNames: ["kind"],
      registers: [registry],
      collect() {
        const pool = stats().pool;
        for (const kind of Object.keys(pool) as Array<keyof typeof pool>) this.set({ kind }, pool[kind].ready);
      },
    }),
    sandboxStarts: new Counter({
      name: "wasmbox_sandbox_starts_total",
      help: "Sandbox processes started",
      registers: [registry],
      collect() {
        // Counters only go up: add what was started since the last scrape.
        const n = stats().sandboxStarts;
        if (n > reportedStarts) this.inc(n - reportedStarts);
        reportedStarts = n;
      },
    }),
    connectionsOpen: new Gauge({
      name: "wasmbox_connections_open",
      help: "Open HTTP connections",
      registers: [registry],
      collect() {
        this.set(sources.connectionsOpen());
      },
    }),
    storedBytes: new Gauge({
      name: "wasmbox_stored_bytes",
      help: "Bytes of run history and stored output files (capped by WASMBOX_MAX_STORED_BYTES)",
      registers: [registry],
      collect() {
        this.set(sources.storedBytes());
      },
    }),
    refused: new Counter({
      name: "wasmbox_refused_total",
      help: "Requests and connections refused by a guard or a cap, by error code",
      labelNames: ["code"],
      registers: [registry],
    }),
    sessionsOpen: new Gauge({
      name: "wasmbox_sessions_open",
      help: "Open sessions",
      registers: [registry],
      collect() {
        this.set(sessionsOpen());
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
