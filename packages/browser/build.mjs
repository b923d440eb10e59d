/**
 * Builds the browser side with esbuild:
 * - dist/guest-worker.js: a guest worker (classic script: the frame starts it from a blob:
 *   URL) with every runtime but AssemblyScript, Pyodide's module factory included;
 * - the sandbox frame's script, inlined into the SDK with its CSP hash;
 * - dist/wasmbox.mjs: the SDK (engine + browser host), an ES module for <script type=module>
 *   and bundlers. It never loads a runtime itself: those live in the worker.
 * Types come from tsc (dist/types).
 */
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { locateAssets } from "@wasmbox/node";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
mkdirSync(dist, { recursive: true });
// The versions the Node host reads from the runtime packages, inlined for the browser host.
const { versions } = locateAssets();

/** Node-only branches of runtime packages (Pyodide's, wabt's) reach for these; never run in a browser. */
const NODE_ONLY = ["fs", "path", "crypto", "ws", "child_process", "url", "vm", "module", "os", "util", "worker_threads"];
const nodeOnly = {
  name: "node-only",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, external: true }));
    b.onResolve({ filter: new RegExp(`^(${NODE_ONLY.join("|")})$`) }, (a) => ({ path: a.path, external: true }));
  },
};

/** `import.meta.url` of a runtime package file → its address under the worker's virtual asset origin. */
const virtualImportMeta = {
  name: "virtual-import-meta",
  setup(b) {
    b.onLoad({ filter: /node_modules.*\.m?js$/ }, (a) => {
      const text = readFileSync(a.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const rel = relative(join(here, "..", ".."), a.path).split("node_modules/").pop();
      return { contents: text.replaceAll("import.meta.url", JSON.stringify(`https://assets.wasmbox.invalid/${rel}`)), loader: "js" };
    });
  },
};

/** Runtime implementations the SDK (page side) must never include; they load in workers only. */
const runtimesOnlyInWorkers = (also = []) => ({
  name: "runtimes-only-in-workers",
  setup(b) {
    const names = ["python/python-runtime", "javascript/quickjs-runtime", "wasm/wasm-runtime", "compilers/clang-compiler", "compilers/assemblyscript-compiler", ...also];
    const filter = new RegExp(`(^|/)(${names.map((n) => n.replace("/", "\\/")).join("|")})\\.js$`);
    b.onResolve({ filter }, (a) => ({ path: a.path, namespace: "not-here" }));
    b.onLoad({ filter: /.*/, namespace: "not-here" }, (a) => ({ contents: `throw new Error(${JSON.stringify(`${a.path} is not available here`)});`, loader: "js" }));
  },
});

// 1. The guest worker. AssemblyScript (Binaryen, 14 MB) is not in the browser yet.
const onlyCompilersNotHere = {
  name: "no-assemblyscript",
  setup(b) {
    b.onResolve({ filter: /compilers\/assemblyscript-compiler\.js$/ }, (a) => ({ path: a.path, namespace: "no-asc" }));
    b.onLoad({ filter: /.*/, namespace: "no-asc" }, () => ({ contents: `export async function loadAssemblyScriptCompiler() { throw new Error("AssemblyScript does not run in the browser yet"); }`, loader: "js" }));
  },
};
await build({
  entryPoints: [join(here, "src/worker/guest-worker.ts")],
  outfile: join(dist, "guest-worker.js"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: "external",
  legalComments: "external",
  plugins: [nodeOnly, virtualImportMeta, onlyCompilersNotHere],
  logLevel: "warning",
  logOverride: { "empty-import-meta": "silent", "unsupported-dynamic-import": "silent" },
});

// 2. The sandbox frame's script, inlined into the SDK and allowed by its hash.
const frame = await build({
  entryPoints: [join(here, "src/frame/frame-main.ts")],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  minify: true,
  write: false,
  logLevel: "warning",
});
const frameScript = frame.outputFiles[0].text.trim().replaceAll("</script", "<\\/script");
const frameHash = createHash("sha256").update(frameScript, "utf8").digest("base64");

// 3. The SDK.
await build({
  entryPoints: [join(here, "src/index.ts")],
  outfile: join(dist, "wasmbox.mjs"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: "linked",
  legalComments: "eof",
  define: {
    __WASMBOX_FRAME_SCRIPT__: JSON.stringify(frameScript),
    __WASMBOX_FRAME_SCRIPT_SHA256__: JSON.stringify(frameHash),
    __WASMBOX_VERSIONS__: JSON.stringify(versions),
  },
  plugins: [nodeOnly, runtimesOnlyInWorkers()],
  logLevel: "warning",
});
writeFileSync(join(dist, "frame.json"), JSON.stringify({ sha256: frameHash }, null, 2) + "\n");
