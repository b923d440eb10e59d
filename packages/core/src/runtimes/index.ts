import type { Language } from "@wasmbox/contract";
import type { PackageWheel, RuntimeAssets, RuntimeDescriptor, SandboxKind } from "../runtime.js";

/** Every runtime wasmbox ships, keyed by sandbox kind. Loading one imports its code. */
export const RUNTIMES: Readonly<Record<SandboxKind, RuntimeDescriptor>> = {
  python: {
    kind: "python",
    languages: ["python"],
    describes: [
      { language: "python", extensions: [".py"], sessions: true, version: (v) => v.python, runtime: (v) => `Pyodide ${v.pyodide}` },
    ],
    load: async (options) => (await import("./python/python-runtime.js")).loadPythonRuntime(options),
  },
  quickjs: {
    kind: "quickjs",
    languages: ["javascript", "typescript"],
    describes: [
      {
        language: "javascript",
        extensions: [".js", ".mjs", ".cjs"],
        sessions: true,
        version: () => "ES2023",
        runtime: (v) => `QuickJS-ng (quickjs-emscripten ${v.quickjs})`,
      },
      {
        language: "typescript",
        extensions: [".ts", ".mts", ".cts"],
        sessions: true,
        version: () => "types stripped",
        runtime: (v) => `sucrase ${v.sucrase} + QuickJS-ng`,
      },
    ],
    load: async (options) => (await import("./javascript/quickjs-runtime.js")).loadQuickJSRuntime(options),
  },
  wasm: {
    kind: "wasm",
    languages: ["wasm", "c", "cpp", "assemblyscript"],
    // Every compiled program runs here once, in a fresh instance: none of them has sessions.
    describes: [
      { language: "c", extensions: [".c"], sessions: false, version: () => "C17 (wasm32-wasi)", runtime: (v) => `clang ${v.clang} in wasm (@yowasp/clang) + WASI` },
      {
        language: "cpp",
        // Headers (.h, .hpp) are not programs: they travel in `files`.
        extensions: [".cc", ".cpp", ".cxx", ".c++"],
        sessions: false,
        version: () => "C++17 (wasm32-wasi, no exceptions)",
        runtime: (v) => `clang++ ${v.clang} in wasm (@yowasp/clang) + WASI`,
      },
      {
        language: "assemblyscript",
        // Plain `.ts` is TypeScript; AssemblyScript needs its own ending (or an explicit language).
        extensions: [".as.ts"],
        sessions: false,
        version: (v) => v.assemblyscript,
        runtime: (v) => `AssemblyScript ${v.assemblyscript} (Binaryen)`,
      },
      {
        language: "wasm",
        extensions: [".wasm", ".wat"],
        sessions: false,
        version: () => "WebAssembly 2.0 + WASI preview1",
        runtime: (v) => `browser_wasi_shim ${v.wasiShim}, WAT via wabt ${v.wabt}`,
      },
    ],
    load: async (options) => (await import("./wasm/wasm-runtime.js")).loadWasmRuntime(options),
  },
  clang: {
    kind: "clang",
    languages: ["c", "cpp"],
    describes: [],
    load: async () => (await import("./compilers/clang-compiler.js")).loadClangCompiler(),
  },
  asc: {
    kind: "asc",
    languages: ["assemblyscript"],
    describes: [],
    load: async () => (await import("./compilers/assemblyscript-compiler.js")).loadAssemblyScriptCompiler(),
  },
};

/**
 * Build the Python baseline snapshot (lazy: loads Pyodide's code only when called).
 * `pyodideFactory`: see `RuntimeLoadOptions.pyodideFactory`.
 */
export async function buildPythonSnapshot(assets: RuntimeAssets, pyodideFactory?: unknown, packages?: readonly PackageWheel[]): Promise<Uint8Array> {
  return (await import("./python/python-runtime.js")).buildPythonSnapshot(assets, pyodideFactory, packages);
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
