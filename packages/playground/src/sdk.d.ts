/**
 * The browser SDK as the page uses it, declared here until `@wasmbox/browser` exists in this
 * branch. TODO(lead): delete this file at merge and take the package's own types.
 */
declare module "@wasmbox/browser" {
  import type { ExecuteRequestInput, ExecuteResult, Language } from "@wasmbox/client";

  export interface AssetProgress {
    name: string;
    loadedBytes: number;
    totalBytes: number;
    done: boolean;
  }
  export interface CreateSandboxOptions {
    assetsBaseUrl?: string | URL;
    onProgress?: (p: AssetProgress) => void;
    preload?: Language[];
    maxConcurrentRuns?: number;
  }
  export interface ExecuteOptions {
    onStdout?: (text: string) => void;
    onStderr?: (text: string) => void;
    signal?: AbortSignal;
  }
  /** core's Execution: the result plus the bytes of the files the run produced. */
  export interface Execution extends ExecuteResult {
    readonly fileContents: ReadonlyMap<string, Uint8Array>;
  }
  export interface Engine {
    execute(request: ExecuteRequestInput, options?: ExecuteOptions): Promise<Execution>;
    dispose(): Promise<void>;
  }
  export function createSandbox(options?: CreateSandboxOptions): Engine;
}
