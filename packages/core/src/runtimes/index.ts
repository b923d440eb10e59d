import type { Language } from "@wasmbox/contract";
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
  wasm: {
    kind: "wasm",
    languages: ["wasm", "c", "cpp", "assemblyscript"],
    load: async (options) => (await import("./wasm/wasm-runtime.js")).loadWasmRuntime(options),
  },
  clang: {
    kind: "clang",
    languages: ["c", "cpp"],
    load: async () => (await import("./compilers/clang-compiler.js")).loadClangCompiler(),
  },
  asc: {
    kind: "asc",
    languages: ["assemblyscript"],
    load: async () => (await import("./compilers/assemblyscript-compiler.js")).loadAssemblyScriptCompiler(),
  },
};

/** Build the Python baseline snapshot (lazy: loads Pyodide's code only when called). */
export async function buildPythonSnapshot(assets: RuntimeAssets): Promise<Uint8Array> {
  return (await import("./python/python-runtime.js")).buildPythonSnapshot(assets);
}

/** The sandbox kind that runs a language (compiled languages run their module in `wasm`). */
export function sandboxKindFor(language: Language): SandboxKind {
  switch (language) {
    case "python":
      return "python";
    case "javascript":
    case "typescript":
      return "quickjs";
    default:
      return "wasm";
  }
}

/** The sandbox kind that compiles a language to WebAssembly, if it needs compiling. */
export function compilerKindFor(language: Language): "clang" | "asc" | null {
  return language === "c" || language === "cpp" ? "clang" : language === "assemblyscript" ? "asc" : null;
}
