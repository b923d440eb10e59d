/** Pyodide's Emscripten module factory (bundled into the guest worker: see build.mjs). */
declare module "pyodide/pyodide.asm.mjs" {
  const createPyodideModule: unknown;
  export default createPyodideModule;
}
