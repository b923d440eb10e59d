/**
 * The guest worker: the thread inside a sandbox process where a language runtime loads
 * and guest code runs. It talks to the supervisor only over a private MessagePort handed
 * over before any guest code exists (guest code cannot reach it: it lives in this
 * module's closure). It serves one run, or a session's runs one after another.
 */
import { readFileSync } from "node:fs";
import { parentPort, type MessagePort } from "node:worker_threads";
import { buildPythonSnapshot, OutputRingWriter, RUNTIMES, type RuntimeLoadOptions, type GuestRunInput, type LoadedRuntime, type RuntimeAssets, type SandboxKind } from "@wasmbox/core/guest";
import { lockDownRealm } from "./lockdown.js";
import type { WorkerToSupervisor } from "./protocol.js";

interface WorkerInit {
  t: "init";
  port: MessagePort;
  interrupt: SharedArrayBuffer;
  output: SharedArrayBuffer;
  kind: SandboxKind;
  assets: RuntimeAssets;
  /** `snapshot`: build the Python baseline snapshot and hand it back; no guest code ever runs. */
  mode: "serve" | "snapshot";
  pythonSnapshot?: Uint8Array;
  /** Read the snapshot from this file (verified by the host) instead. */
  pythonSnapshotPath?: string;
  /** `pyodide.asm.wasm`, compiled once by the supervisor for all its guest threads. */
  pythonWasm?: RuntimeLoadOptions["pythonWasm"];
}

if (!parentPort) throw new Error("guest-worker must run as a worker thread");

parentPort.once("message", (init: WorkerInit) => {
  void boot(init);
});

async function boot(init: WorkerInit): Promise<void> {
  const port = init.port;
  const post = (m: WorkerToSupervisor) => port.postMessage(m);
  const interrupt = new Int32Array(init.interrupt);
  let runtime: LoadedRuntime;
  try {
    assertPermissionModel();
    lockDownRealm();
    if (init.mode === "snapshot") {
      const bytes = await buildPythonSnapshot(init.assets);
      port.postMessage({ t: "snapshot", bytes } satisfies WorkerToSupervisor, [bytes.buffer as ArrayBuffer]);
      return;
    }
    const t0 = performance.now();
    const pythonSnapshot = aligned(init.pythonSnapshotPath ? new Uint8Array(readFileSync(init.pythonSnapshotPath)) : init.pythonSnapshot);
    // QuickJS is compiled once per sandbox; every fresh run instantiates it anew.
    const quickjsWasmModule =
      init.kind === "quickjs" && init.assets.quickjsWasmURL ? await compileWasm(readFileSync(init.assets.quickjsWasmURL)) : undefined;
    runtime = await RUNTIMES[init.kind].load({
      assets: init.assets,
      interruptBuffer: interrupt,
      ...(pythonSnapshot ? { pythonSnapshot } : {}),
      ...(quickjsWasmModule ? { quickjsWasmModule } : {}),
      ...(init.pythonWasm ? { pythonWasm: init.pythonWasm } : {}),
    });
    post({ t: "ready", loadMs: performance.now() - t0 });
  } catch (e) {
    post({ t: "fail", reason: "load", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    return;
  }
  // One run at a time (the host serialises them); a session sends several.
  port.on("message", (msg: { t: "run"; input: GuestRunInput; fresh?: boolean }) => {
    if (msg?.t === "run") void run(runtime, msg.input, msg.fresh === true, init.output, post);
  });
}

/** `WebAssembly.compile`, typed for this package (whose lib has no DOM/wasm declarations). */
function compileWasm(bytes: Uint8Array): Promise<RuntimeLoadOptions["quickjsWasmModule"]> {
  const wasm = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<RuntimeLoadOptions["quickjsWasmModule"]> } }).WebAssembly;
  return wasm.compile(bytes);
}

/**
 * Pyodide reads the snapshot through 32-bit views, so it must start on a word boundary.
 * Bytes that crossed IPC may sit at any offset inside a larger buffer: copy those.
 */
function aligned(bytes: Uint8Array | undefined): Uint8Array | undefined {
  return bytes && bytes.byteOffset % 8 !== 0 ? bytes.slice() : bytes;
}

/**
 * Refuse to load anything a guest could use unless Node's permission model is really in
 * force in this thread: no file writes, no child processes. Fails closed.
 */
function assertPermissionModel(): void {
  const permission = (process as unknown as { permission?: { has(scope: string, ref?: string): boolean } }).permission;
  if (!permission || permission.has("fs.write") || permission.has("child") || permission.has("fs.read", "/etc/passwd")) {
    throw new Error("refusing to run guest code: Node's permission model is not in force in the guest thread");
  }
}

async function run(
  runtime: LoadedRuntime,
  input: GuestRunInput,
  fresh: boolean,
  ring: SharedArrayBuffer,
  post: (m: WorkerToSupervisor) => void,
): Promise<void> {
  const output = new OutputRingWriter(ring, {
    maxOutputBytes: input.limits.maxOutputBytes,
    onLimit: () => post({ t: "fail", reason: "output_limit", message: "output exceeded maxOutputBytes" }),
  });
  const t0 = performance.now();
  try {
    const outcome = await runtime.run(input, { write: (stream, text) => output.write(stream, text) }, { fresh });
    post({ t: "done", outcome, executionTimeMs: performance.now() - t0 });
  } catch (e) {
    post({ t: "fail", reason: "crash", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
}
