/**
 * @wasmbox/browser — wasmbox in the browser. The same engine as on a server (core's
 * `Engine`: `execute`, sessions, limits, the same results), with every sandbox a Web Worker
 * inside an opaque-origin frame whose Content-Security-Policy forbids all connections.
 * Nothing is installed and no code leaves the device: the runtimes download once from the
 * wasmbox server (or `assetsBaseUrl`) and are cached by the browser.
 *
 * ```js
 * import { createSandbox } from "http://localhost:8787/sdk/wasmbox.mjs";
 * const sandbox = createSandbox();
 * const result = await sandbox.execute({ language: "python", code: "print(1 + 1)" }, { onStdout: (t) => console.log(t) });
 * ```
 */
import { Engine, parseEngineOptions, sandboxKindFor, type EngineOptions, type ExecuteRequestInput, type Language, type SandboxKind } from "@wasmbox/core";
import type { AssetProgress } from "./host/assets.js";
import { BrowserSandboxHost } from "./host/browser-host.js";
import { FRAME_CSP, FRAME_SCRIPT_SHA256 } from "./host/sandbox-frame.js";

export type { AssetProgress } from "./host/assets.js";
export { BrowserSandboxHost } from "./host/browser-host.js";
export type * from "@wasmbox/core";
export { WasmboxError, ERROR_CATALOGUE } from "@wasmbox/core";
/** Add `'sha256-…'` of this to the embedding page's `script-src` if the page has a CSP: the sandbox frame's inline script. */
export { FRAME_SCRIPT_SHA256, FRAME_CSP };

export interface CreateSandboxOptions extends EngineOptions {
  /**
   * Where the runtime files are served, with their `manifest.json`. Default: the `/assets/`
   * of the wasmbox server this module was loaded from (`new URL("../assets/", import.meta.url)`).
   */
  assetsBaseUrl?: string | URL;
  /** Download progress of runtime files (the first C/C++ run downloads ~105 MB of clang; Python ~12 MB). */
  onProgress?: (progress: AssetProgress) => void;
  /** Languages whose runtime starts loading now instead of on first use. */
  preload?: Language[];
  /** How long a runtime may take to boot once its files are here, in milliseconds. Default 60000. */
  startTimeoutMs?: number;
}

/** The engine of {@link createSandbox}: core's `Engine`, whose `dispose` also removes the sandbox frame. */
export class BrowserEngine extends Engine {
  readonly host: BrowserSandboxHost;

  constructor(host: BrowserSandboxHost, options: EngineOptions) {
    super(host, options);
    this.host = host;
  }

  override async dispose(): Promise<void> {
    await super.dispose();
    this.host.close();
  }
}

/** An engine whose sandboxes run in this browser. */
export function createSandbox(options: CreateSandboxOptions = {}): BrowserEngine {
  const { assetsBaseUrl, onProgress, preload, startTimeoutMs, ...engineOptions } = options;
  parseEngineOptions(engineOptions);
  const base = new URL(assetsBaseUrl ?? "../assets/", import.meta.url);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const kinds = new Set<SandboxKind>((preload ?? []).map((l) => sandboxKindFor(l)));
  const host = new BrowserSandboxHost({
    assetsBaseUrl: base,
    ...(onProgress ? { onProgress } : {}),
    ...(startTimeoutMs !== undefined ? { startTimeoutMs } : {}),
    preload: [...kinds],
  });
  return new BrowserEngine(host, engineOptions);
}

let shared: BrowserEngine | undefined;

/**
 * The one-call form coding platforms use: run `code`, get its interleaved output, the error
 * (name: message, as a person reads it) or null, and the execution time in milliseconds.
 * Runs share one engine, created on first call.
 */
export async function executeCode(code: string, language: Language, timeoutMs?: number): Promise<{ output: string; error: string | null; executionTime: number }> {
  shared ??= createSandbox();
  const request: ExecuteRequestInput = { language, code, ...(timeoutMs !== undefined ? { limits: { timeoutMs } } : {}) };
  const result = await shared.execute(request);
  const error = result.error ? `${result.error.name}: ${result.error.message}` : result.status === "ok" ? null : result.status;
  return { output: result.output, error, executionTime: result.timings.executionTimeMs };
}
