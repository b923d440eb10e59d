import type { Language } from "../contract.js";
import type { RuntimeAssets, RuntimeDescriptor, SandboxKind } from "../runtime.js";

/** Every runtime wasmbox ships, keyed by sandbox kind. Loading one imports its code. */
export const RUNTIMES: Readonly<Record<SandboxKind, RuntimeDescriptor>> = {
  python: {
    kind: "python",
    languages: ["python"],
    load: async (options) => (await import("./python/python-runtime.js")).loadPythonRuntime(options),
  },
  quickjs: {
    kind: "quickjs",
    languages: ["javascript", "typescript"],
    load: async (options) => (await import("./javascript/quickjs-runtime.js")).loadQuickJSRuntime(options),
  },
};

/** Build the Python baseline snapshot (lazy: loads Pyodide's code only when called). */
export async function buildPythonSnapshot(assets: RuntimeAssets): Promise<Uint8Array> {
  return (await import("./python/python-runtime.js")).buildPythonSnapshot(assets);
}

/** The sandbox kind that runs a language. */
export function sandboxKindFor(language: Language): SandboxKind {
  return language === "python" ? "python" : "quickjs";
}
