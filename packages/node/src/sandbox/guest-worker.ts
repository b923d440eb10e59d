/**
 * The guest worker: the thread of a QuickJS, wasm or compiler sandbox where the runtime
 * loads and guest code runs (those guests cannot reach this JS realm). It talks to the
 * supervisor only over a private MessagePort, and writes output to a shared ring the
 * supervisor drains. Python never runs here: see sandbox-main.
 */
import { parentPort, type MessagePort } from "node:worker_threads";
import { OutputRingWriter, type GuestRunInput } from "@wasmbox/core/guest";
import { bootGuest, type GuestInit } from "./guest-runner.js";
import type { WorkerToSupervisor } from "./protocol.js";

interface WorkerInit extends Omit<GuestInit, "interrupt"> {
  t: "init";
  port: MessagePort;
  interrupt: SharedArrayBuffer;
  output: SharedArrayBuffer;
}

if (!parentPort) throw new Error("guest-worker must run as a worker thread");

parentPort.once("message", (init: WorkerInit) => {
  const port = init.port;
  void bootGuest(
    { ...init, interrupt: new Int32Array(init.interrupt) },
    {
      post: (m: WorkerToSupervisor) => port.postMessage(m),
      output: (limits, onLimit) => {
        const ring = new OutputRingWriter(init.output, { maxOutputBytes: limits.maxOutputBytes, onLimit });
        return (stream, data) => ring.write(stream, data);
      },
    },
  ).then((run) => {
    // One run at a time (the host serialises them); a session sends several.
    if (run) port.on("message", (msg: { t: "run"; input: GuestRunInput; fresh?: boolean }) => {
      if (msg?.t === "run") void run(msg.input, msg.fresh === true);
    });
  });
});
