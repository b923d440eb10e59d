/**
 * Loading a runtime and serving runs, wherever guest code lives in a sandbox process: in a
 * worker thread (QuickJS, wasm, compilers: guests that cannot reach the JS realm) or on the
 * process's only thread (Python, whose guests can: that process has no worker threads at
 * all, so no thread escapes Node's permission model). Runs before any guest code exists.
 */
import { fstatSync, readSync } from "node:fs";
import { buildPythonSnapshot, outcomeWithinLimits, RUNTIMES, type GuestRunInput, type PackageWheel, type GuestStream, type LoadedRuntime, type RuntimeAssets, type RuntimeLoadOptions, type SandboxKind } from "@wasmbox/core/guest";
import { lockDownRealm } from "./lockdown.js";
import type { WorkerToSupervisor } from "./protocol.js";

export interface GuestInit {
  kind: SandboxKind;
  assets: RuntimeAssets;
  /** `snapshot`: build the Python baseline snapshot and hand it back; no guest code ever runs. */
  mode: "serve" | "snapshot";
  interrupt: Int32Array;
  pythonSnapshot?: Uint8Array;
  /** Read the snapshot from this inherited, read-only fd (opened and verified by the host). */
  pythonSnapshotFd?: number;
  /** Python: wheels to install at boot, before any guest code; imported unless `packagesImported`. */
  packages?: PackageWheel[];
  packagesImported?: boolean;
  /** QuickJS: false makes each fresh interpreter a new instance rather than a restored image. */
  quickjsPristineImage?: boolean;
  /** `pyodide.asm.wasm`, compiled once by the supervisor for all its guest threads. */
  pythonWasm?: RuntimeLoadOptions["pythonWasm"];
}

export interface GuestLink {
  post(message: WorkerToSupervisor): void;
  /** A writer for one run's output, which stops at `maxOutputBytes` and then calls `onLimit` once. */
  output(limits: { maxOutputBytes: number }, onLimit: () => void): (stream: GuestStream, data: string | Uint8Array) => void;
}

export type RunHandler = (input: GuestRunInput, fresh: boolean) => Promise<void>;

/** Load the runtime; resolves to the run handler, or null once a snapshot was built or loading failed (already reported). */
export async function bootGuest(init: GuestInit, link: GuestLink): Promise<RunHandler | null> {
  let runtime: LoadedRuntime;
  try {
    assertPermissionModel();
    lockDownRealm();
    if (init.mode === "snapshot") {
      link.post({ t: "snapshot", bytes: await buildPythonSnapshot(init.assets, undefined, init.packages) });
      return null;
    }
    const t0 = performance.now();
    const pythonSnapshot = init.pythonSnapshotFd !== undefined ? readWholeFd(init.pythonSnapshotFd) : aligned(init.pythonSnapshot);
    // QuickJS is compiled once per sandbox; every fresh run instantiates it anew.
    const quickjsWasmModule = init.kind === "quickjs" && init.assets.quickjsWasmURL ? await compileWasm(init.assets.quickjsWasmURL) : undefined;
    runtime = await RUNTIMES[init.kind].load({
      assets: init.assets,
      interruptBuffer: init.interrupt,
      ...(pythonSnapshot ? { pythonSnapshot } : {}),
      ...(quickjsWasmModule ? { quickjsWasmModule } : {}),
      ...(init.quickjsPristineImage === false ? { quickjsPristineImage: false } : {}),
      ...(init.pythonWasm ? { pythonWasm: init.pythonWasm } : {}),
      pythonWarmUpRun: true,
    });
    if (init.packages?.length) await runtime.installPackages?.(init.packages, { importModules: init.packagesImported !== true });
    link.post({ t: "ready", loadMs: performance.now() - t0 });
  } catch (e) {
    link.post({ t: "fail", reason: "load", message: e instanceof Error ? e.message : String(e) });
    return null;
  }
  return async (input, fresh) => {
    const write = link.output(input.limits, () => link.post({ t: "fail", reason: "output_limit", message: "output exceeded maxOutputBytes" }));
    const t0 = performance.now();
    try {
      const outcome = await runtime.run(input, { write }, { fresh });
      link.post({ t: "done", outcome: outcomeWithinLimits(outcome, input.limits.maxOutputBytes), executionTimeMs: performance.now() - t0 });
    } catch (e) {
      link.post({ t: "fail", reason: "crash", message: e instanceof Error ? e.message : String(e) });
    }
  };
}

/** `WebAssembly.compile` of a file, typed for this package (whose lib has no wasm declarations). */
async function compileWasm(path: string): Promise<RuntimeLoadOptions["quickjsWasmModule"]> {
  const { readFile } = await import("node:fs/promises");
  const wasm = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<RuntimeLoadOptions["quickjsWasmModule"]> } }).WebAssembly;
  return wasm.compile(await readFile(path));
}

/** All bytes of an inherited fd, read with positions (pread), so any thread may read it again. */
function readWholeFd(fd: number): Uint8Array {
  const size = fstatSync(fd).size;
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; ) {
    const n = readSync(fd, bytes, at, size - at, at);
    if (n === 0) throw new Error("the snapshot file ended early");
    at += n;
  }
  return bytes;
}

/**
 * Pyodide reads the snapshot through 32-bit views, so it must start on a word boundary.
 * Bytes that crossed a channel may sit at any offset inside a larger buffer: copy those.
 */
function aligned(bytes: Uint8Array | undefined): Uint8Array | undefined {
  return bytes && bytes.byteOffset % 8 !== 0 ? bytes.slice() : bytes;
}

/**
 * Refuse to load anything a guest could use unless Node's permission model is really in
 * force in this thread: no file writes, no child processes, no host reads. Fails closed.
 */
function assertPermissionModel(): void {
  const permission = (process as unknown as { permission?: { has(scope: string, ref?: string): boolean } }).permission;
  if (!permission || permission.has("fs.write") || permission.has("child") || permission.has("fs.read", "/etc/passwd")) {
    throw new Error("refusing to run guest code: Node's permission model is not in force in the guest thread");
  }
}
