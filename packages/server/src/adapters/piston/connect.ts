/**
 * Piston v2's WebSocket, `/api/v2/connect`: the client sends `init` (an execute body), the
 * server answers `runtime`, then `stage`, `data` (stdout/stderr) and `exit` events, and
 * closes with 4999 "Job Completed"; a `signal` message stops the run. Piston's close codes:
 * 4000 already initialized, 4001 no init within a second, 4002 an error (sent first as
 * `{ type: "error", message }`), 4003 not yet initialized, 4005 an invalid signal.
 *
 * What differs: wasmbox takes stdin up front (`stdin` in `init`), so a `data` message for
 * stdin is an error (4002) naming that; and a compiled language's output arrives once its
 * run ended (the compile stage's end is only known then), an interpreted one's as written.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { isWasmboxError } from "@wasmbox/node";
import type { LiveEvent, RunService } from "../../run-service.js";
import type { RunStore } from "../../store/runs.js";
import { parsePistonBody, toPistonAnswer, toWasmboxRequest, type pistonRuntimes } from "./translate.js";

/** Piston's signal names (its globals.SIGNALS): any of them stops the run. */
const SIGNALS = new Set([
  "SIGABRT", "SIGALRM", "SIGBUS", "SIGCHLD", "SIGCLD", "SIGCONT", "SIGEMT", "SIGFPE", "SIGHUP", "SIGILL", "SIGINFO", "SIGINT", "SIGIO",
  "SIGIOT", "SIGKILL", "SIGLOST", "SIGPIPE", "SIGPOLL", "SIGPROF", "SIGPWR", "SIGQUIT", "SIGSEGV", "SIGSTKFLT", "SIGSTOP", "SIGTSTP",
  "SIGSYS", "SIGTERM", "SIGTRAP", "SIGTTIN", "SIGTTOU", "SIGUNUSED", "SIGURG", "SIGUSR1", "SIGUSR2", "SIGVTALRM", "SIGXCPU", "SIGXFSZ", "SIGWINCH",
]);
const INIT_TIMEOUT_MS = 1000;

export interface ConnectDeps {
  service: RunService;
  runs: RunStore;
  runtimes: ReturnType<typeof pistonRuntimes>;
}

export function registerPistonConnect(scope: FastifyInstance, deps: ConnectDeps): void {
  const { service, runs, runtimes } = deps;
  scope.get(
    "/api/v2/connect",
    { websocket: true, schema: { tags: ["piston"], summary: "Piston v2 WebSocket: init, then runtime / stage / data / exit events (stdin is taken in init)", hide: true } },
    (socket: WebSocket, req: FastifyRequest) => {
      let runId: string | null = null;
      let initialized = false;
      let unsubscribe: (() => void) | undefined;
      const send = (message: unknown) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
      };
      const close = (code: number, reason: string) => {
        unsubscribe?.();
        if (socket.readyState === socket.OPEN) socket.close(code, reason);
      };
      const notify = (message: string) => {
        send({ type: "error", message });
        close(4002, "Notified Error");
      };
      const initTimer = setTimeout(() => {
        if (!initialized) close(4001, "Initialization Timeout");
      }, INIT_TIMEOUT_MS);
      socket.on("close", () => {
        clearTimeout(initTimer);
        unsubscribe?.();
        // The client went away: its run stops too.
        if (runId) service.cancel(runId, req.keyId);
      });

      const start = (msg: Record<string, unknown>) => {
        const { body, runtime } = parsePistonBody(msg, runtimes);
        const request = toWasmboxRequest(body, runtime.wasmbox);
        const { id } = service.createAsync(req.keyId, request, "piston");
        runId = id;
        const compiled = runtime.wasmbox === "c" || runtime.wasmbox === "cpp" || runtime.wasmbox === "assemblyscript";
        send({ type: "runtime", language: runtime.language, version: runtime.version });
        send({ type: "stage", stage: compiled ? "compile" : "run" });
        const held: LiveEvent[] = [];
        const finish = () => {
          const record = runs.get(id, req.keyId);
          if (!record?.result) return notify("the run ended without a result");
          const result = { ...record.result, files: [] };
          const answer = toPistonAnswer(result, runtime, compiled);
          if (compiled && answer.compile) {
            const failed = answer.compile === answer.run;
            // A failed compile's output is what was held (the compiler's diagnostics, as stderr).
            if (failed) for (const e of held) forward(e);
            send({ type: "exit", stage: "compile", code: answer.compile.code, signal: answer.compile.signal });
            if (!failed) {
              send({ type: "stage", stage: "run" });
              for (const e of held) forward(e);
              send({ type: "exit", stage: "run", code: answer.run.code, signal: answer.run.signal });
            }
          } else send({ type: "exit", stage: "run", code: answer.run.code, signal: answer.run.signal });
          close(4999, "Job Completed");
        };
        const forward = (e: LiveEvent) => {
          const data = JSON.parse(e.data) as { text?: string };
          send({ type: "data", stream: e.type, data: data.text ?? "" });
        };
        const onEvent = (e: LiveEvent) => {
          if (e.type === "stdout" || e.type === "stderr") {
            // A compiled language's compile errors also arrive as stderr: hold output until the stage is known.
            if (compiled) held.push(e);
            else forward(e);
          } else if (e.type === "result") finish();
        };
        unsubscribe = service.subscribe(id, onEvent);
        // Finished before the subscription (it cannot, as runs start asynchronously, but say so plainly if it did).
        if (!unsubscribe) finish();
      };

      socket.on("message", (raw: Buffer) => {
        let msg: Record<string, unknown>;
        try {
          const parsed = JSON.parse(raw.toString("utf8")) as unknown;
          if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new SyntaxError("a message must be a JSON object");
          msg = parsed as Record<string, unknown>;
        } catch (e) {
          return notify(e instanceof Error ? e.message : "a message must be JSON");
        }
        switch (msg["type"]) {
          case "init":
            if (initialized) return close(4000, "Already Initialized");
            initialized = true;
            try {
              start(msg);
            } catch (e) {
              return notify(isWasmboxError(e) || e instanceof Error ? e.message : String(e));
            }
            return;
          case "data":
            if (!initialized) return close(4003, "Not yet initialized");
            if (msg["stream"] !== "stdin") return close(4004, "Can only write to stdin");
            return notify("wasmbox takes a program's stdin up front: send it as `stdin` in the init message");
          case "signal":
            if (!initialized) return close(4003, "Not yet initialized");
            if (typeof msg["signal"] !== "string" || !SIGNALS.has(msg["signal"])) return close(4005, "Invalid signal");
            if (runId) service.cancel(runId, req.keyId);
            return;
        }
      });
    },
  );
}
