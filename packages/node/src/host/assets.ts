/**
 * Where the runtime assets live on this machine (all from node_modules: never a CDN),
 * and the exact list of directories a sandbox process may read.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RuntimeAssets, RuntimeVersions } from "@wasmbox/core";

export interface NodeAssets {
  assets: RuntimeAssets;
  /**
   * What a sandbox may read: @wasmbox/node's dist/ and package.json (not the rest of the
   * package), @wasmbox/core and core's dependencies.
   */
  readPaths: string[];
  /** @wasmbox/node's own directory. */
  nodePackageDir: string;
  /** Entry script of a sandbox process. */
  sandboxEntry: string;
  /** Read from the packages' own package.json (Python's from pyodide-lock.json). */
  versions: RuntimeVersions;
}

let cached: NodeAssets | undefined;

/** Locate assets once per host process. */
export function locateAssets(): NodeAssets {
  if (cached) return cached;
  const nodePkg = packageRoot(fileURLToPath(import.meta.url));
  const coreLink = findPackageDir(createRequire(join(nodePkg, "package.json")), "@wasmbox/core");
  if (!coreLink) throw new Error("@wasmbox/core is not installed next to @wasmbox/node; run npm install");
  const corePkg = realpathSync(coreLink);
  const deps = dependencyClosure(corePkg);
  const pyodideDir = deps.get("pyodide");
  if (!pyodideDir) throw new Error("pyodide is not installed next to @wasmbox/core; run npm install");
  const lock = JSON.parse(readFileSync(join(pyodideDir, "pyodide-lock.json"), "utf8")) as { info?: { python?: string } };
  const version = (name: string) => {
    const dir = deps.get(name);
    return dir ? (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version : "missing";
  };
  cached = {
    assets: {
      pyodideIndexURL: `${pyodideDir}/`,
      quickjsWasmURL: join(deps.get("@jitl/quickjs-ng-wasmfile-release-sync") ?? "", "dist", "emscripten-module.wasm"),
    },
    // Both the linked and the real location of each package: module resolution stats both.
    readPaths: [
      ...new Set([
        join(nodePkg, "dist"),
        join(nodePkg, "package.json"),
        ...[coreLink, ...deps.values()].flatMap((p) => [p, realpathSync(p)]),
      ]),
    ],
    nodePackageDir: nodePkg,
    sandboxEntry: join(nodePkg, "dist", "sandbox", "sandbox-main.js"),
    versions: {
      pyodide: version("pyodide"),
      python: lock.info?.python ?? "unknown",
      quickjs: version("@jitl/quickjs-ng-wasmfile-release-sync"),
      sucrase: version("sucrase"),
      clang: version("@yowasp/clang"),
      assemblyscript: version("assemblyscript"),
      wabt: version("wabt"),
      wasiShim: version("@bjorn3/browser_wasi_shim"),
    },
  };
  return cached;
}

/** The directory of package `name` as Node would resolve it from `fromDir` (the package need not export its package.json). */
export function packageDir(fromDir: string, name: string): string | undefined {
  return findPackageDir(createRequire(join(fromDir, "package.json")), name);
}

/** The directory holding the nearest package.json above `file`. */
export function packageRoot(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${file}`);
    dir = up;
  }
  return dir;
}

/** Every runtime dependency of the package at `root`, transitively, resolved the way Node would. */
function dependencyClosure(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const queue = [root];
  while (queue.length) {
    const dir = queue.shift()!;
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    const require = createRequire(join(dir, "package.json"));
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (found.has(name)) continue;
      const depDir = findPackageDir(require, name);
      if (!depDir) continue;
      found.set(name, depDir);
      queue.push(depDir);
    }
  }
  return found;
}

function findPackageDir(require: NodeJS.Require, name: string): string | undefined {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = join(base, name);
    if (existsSync(join(dir, "package.json"))) return dir;
  }
  return undefined;
}
