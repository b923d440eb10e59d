/**
 * Where the browser side's files are on this machine: the playground's and the SDK's `dist/`,
 * and the runtime assets, all found through the packages that ship them (node_modules, never
 * a CDN). The runtimes are @wasmbox/core's dependencies, resolved from core's own location as
 * @wasmbox/node resolves them for its sandboxes, so both serve the same files.
 */
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageDir, packageRoot } from "@wasmbox/node";

export interface BrowserFiles {
  /** @wasmbox/playground's dist/, or undefined when the package is not installed. */
  playgroundDir: string | undefined;
  /** @wasmbox/browser's dist/, or undefined when the package is not installed. */
  sdkDir: string | undefined;
  /** Logical asset name → absolute file path (which may not exist: not built), or undefined when its package is not installed. */
  assets: ReadonlyMap<string, string | undefined>;
}

/** The runtime assets a browser sandbox loads: logical name → package and path inside it. Nothing else under /assets/ is served. */
const ASSET_ALLOWLIST: ReadonlyArray<readonly [name: string, pkg: string, file: string]> = [
  ["browser/guest-worker.js", "@wasmbox/browser", "dist/guest-worker.js"],
  ["pyodide/pyodide.asm.wasm", "pyodide", "pyodide.asm.wasm"],
  ["pyodide/python_stdlib.zip", "pyodide", "python_stdlib.zip"],
  ["pyodide/pyodide-lock.json", "pyodide", "pyodide-lock.json"],
  ["quickjs/emscripten-module.wasm", "@jitl/quickjs-ng-wasmfile-release-sync", "dist/emscripten-module.wasm"],
  ...["llvm.core.wasm", "llvm.core2.wasm", "llvm.core3.wasm", "llvm.core4.wasm", "llvm-resources.tar"].map(
    (f) => [`clang/${f}`, "@yowasp/clang", `gen/${f}`] as const,
  ),
];

/** The real directory of `name` as Node would resolve it from `fromDir`. */
function realPackageDir(fromDir: string, name: string): string | undefined {
  const dir = packageDir(fromDir, name);
  return dir && realpathSync(dir);
}

export function locateBrowserFiles(): BrowserFiles {
  const serverDir = packageRoot(fileURLToPath(import.meta.url));
  const nodeDir = realPackageDir(serverDir, "@wasmbox/node");
  const coreDir = nodeDir && realPackageDir(nodeDir, "@wasmbox/core");
  const browserDir = realPackageDir(serverDir, "@wasmbox/browser");
  const playgroundDir = realPackageDir(serverDir, "@wasmbox/playground");
  const from = (pkg: string) => (pkg === "@wasmbox/browser" ? browserDir : coreDir && realPackageDir(coreDir, pkg));
  const assets = new Map<string, string | undefined>();
  for (const [name, pkg, file] of ASSET_ALLOWLIST) {
    const dir = from(pkg);
    assets.set(name, dir && join(dir, file));
  }
  return {
    playgroundDir: playgroundDir && join(playgroundDir, "dist"),
    sdkDir: browserDir && join(browserDir, "dist"),
    assets,
  };
}
