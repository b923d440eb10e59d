/** Pyodide's Emscripten module factory (bundled into the guest worker: see build.mjs). */
declare module "pyodide/pyodide.asm.mjs" {
  const createPyodideModule: unknown;
  export default createPyodideModule;
}

/** Inlined by build.mjs: the sandbox frame's one script, and its CSP hash. */
declare const __WASMBOX_FRAME_SCRIPT__: string;
declare const __WASMBOX_FRAME_SCRIPT_SHA256__: string;
/** Inlined by build.mjs: the versions of the packages the runtimes come from. */
declare const __WASMBOX_VERSIONS__: {
  pyodide: string;
  python: string;
  quickjs: string;
  sucrase: string;
  clang: string;
  assemblyscript: string;
  wabt: string;
  wasiShim: string;
};
