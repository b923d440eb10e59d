/**
 * Where a run happens: in this browser (the SDK's Web Worker sandboxes) or on the server the
 * page came from (`@wasmbox/client`, output streamed over Server-Sent Events). Both report
 * through the same callbacks, so the output panel does not know which ran.
 */
import type * as BrowserSdk from "@wasmbox/browser";
import type { AssetProgress, Engine } from "@wasmbox/browser";
import { type ExecuteRequestInput, type ExecuteResult, WasmboxClient } from "@wasmbox/client";
import type { ProducedFile } from "./files.js";

export type RunTarget = "browser" | "server";

export interface RunCallbacks {
  onStdout: (text: string) => void;
  onStderr: (text: string) => void;
  signal: AbortSignal;
}

export interface RunOutcome {
  result: ExecuteResult;
  files: ProducedFile[];
}

/** The most produced files the page downloads from the server after a run. */
const MAX_SERVER_FILES = 32;

export class Runner {
  #engine: Engine | undefined;
  readonly #onProgress: (p: AssetProgress) => void;
  readonly #apiKey: () => string;

  constructor(options: { onProgress: (p: AssetProgress) => void; apiKey: () => string }) {
    this.#onProgress = options.onProgress;
    this.#apiKey = options.apiKey;
  }

  /**
   * The in-browser engine, made on first use (its runtimes download then, with progress).
   * The SDK is imported here, not at the top: a page whose SDK is missing still loads, edits,
   * shares and runs on the server, and says what is wrong when asked to run in the browser.
   */
  async #browserEngine(): Promise<Engine> {
    if (this.#engine) return this.#engine;
    let sdk: typeof BrowserSdk;
    try {
      sdk = await import("@wasmbox/browser");
    } catch (e) {
      throw new Error(`the browser SDK did not load from ${new URL("sdk/wasmbox.mjs", location.href).pathname} (${e instanceof Error ? e.message : String(e)}); run on the server, or check that the server serves the SDK`);
    }
    this.#engine = sdk.createSandbox({ onProgress: this.#onProgress });
    return this.#engine;
  }

  async run(target: RunTarget, request: ExecuteRequestInput, callbacks: RunCallbacks): Promise<RunOutcome> {
    return target === "browser" ? await this.#runInBrowser(request, callbacks) : await this.#runOnServer(request, callbacks);
  }

  async #runInBrowser(request: ExecuteRequestInput, { onStdout, onStderr, signal }: RunCallbacks): Promise<RunOutcome> {
    const engine = await this.#browserEngine();
    const execution = await engine.execute(request, { onStdout, onStderr, signal });
    const files = execution.files.map((f) => ({ path: f.path, mime: f.mime, bytes: execution.fileContents.get(f.path) ?? new Uint8Array() }));
    return { result: execution, files };
  }

  async #runOnServer(request: ExecuteRequestInput, { onStdout, onStderr, signal }: RunCallbacks): Promise<RunOutcome> {
    const key = this.#apiKey().trim();
    const client = new WasmboxClient({ baseUrl: location.origin, ...(key ? { apiKey: key } : {}) });
    const { id } = await client.runs.create(request, { signal });
    // Stop: cancel the run on the server too (closing the stream alone would leave it running).
    const cancel = (): void => void client.runs.cancel(id).catch(() => undefined);
    signal.addEventListener("abort", cancel, { once: true });
    try {
      for await (const event of client.runs.events(id)) {
        if (event.type === "stdout") onStdout(event.data.text);
        else if (event.type === "stderr") onStderr(event.data.text);
        else if (event.type === "result") {
          const result = event.data;
          const files: ProducedFile[] = [];
          for (const f of result.files.slice(0, MAX_SERVER_FILES)) {
            const { bytes } = await client.runs.file(id, f.path);
            files.push({ path: f.path, mime: f.mime, bytes });
          }
          return { result, files };
        }
      }
      throw new Error("the server closed the run's event stream before its result");
    } finally {
      signal.removeEventListener("abort", cancel);
    }
  }
}
