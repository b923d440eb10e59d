/**
 * Builds the playground into dist/: the page (index.html, app.js, app.css), its service worker
 * (sw.js), the web-app manifest and icons, the bundled sample CSV, and csp.txt — the page's
 * Content-Security-Policy, which the server sends as a header with the page.
 *
 * The SDK is not bundled: `@wasmbox/browser` stays an import of "./sdk/wasmbox.mjs", the one
 * copy the server serves at /sdk/wasmbox.mjs (embedding pages import the same file).
 */
import { build } from "esbuild";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { fleetCsv } from "./scripts/fleet-csv.mjs";
import { iconPng, iconSvg } from "./scripts/icon.mjs";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
/** Bumped with the package version: the service worker's cache name comes from it. */
const { version } = JSON.parse(await readFile(join(root, "package.json"), "utf8"));

/** Keep the SDK external, at the path the server serves it from, relative to the page. */
const sdkExternal = {
  name: "sdk-external",
  setup(b) {
    b.onResolve({ filter: /^@wasmbox\/browser$/ }, () => ({ path: "./sdk/wasmbox.mjs", external: true }));
  },
};

/** The sha256 CSP source of the SDK's sandbox-frame inline script, when the SDK exports it. */
/** The sandbox frame's inline-script hash, which the page's policy must allow (the frame inherits it). */
async function frameScriptHash() {
  const file = createRequire(import.meta.url).resolve("@wasmbox/browser/frame.json");
  const { sha256 } = JSON.parse(await readFile(file, "utf8"));
  if (typeof sha256 !== "string" || !sha256) throw new Error(`${file} holds no sha256: build @wasmbox/browser first`);
  return sha256;
}

function contentSecurityPolicy(frameHash) {
  const hash = frameHash ? ` '${frameHash.startsWith("sha256-") ? frameHash : `sha256-${frameHash}`}'` : "";
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' blob:${hash}`,
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "img-src 'self' data: blob:",
    "style-src 'self' 'unsafe-inline'",
    "frame-src 'self' blob: data:",
    "object-src 'none'",
    "base-uri 'none'",
  ].join("; ");
}

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "examples"), { recursive: true });

const common = { bundle: true, format: "esm", target: "es2022", minify: true, sourcemap: true, logLevel: "warning", legalComments: "linked" };
await build({ ...common, entryPoints: [join(root, "src/main.ts")], outfile: join(dist, "app.js"), plugins: [sdkExternal] });
await build({
  ...common,
  entryPoints: [join(root, "src/sw.ts")],
  outfile: join(dist, "sw.js"),
  // A classic service worker (module workers are not needed): the cache name carries the version.
  format: "iife",
  define: { __CACHE_VERSION__: JSON.stringify(version) },
});

for (const file of ["index.html", "app.css", "manifest.webmanifest"]) await copyFile(join(root, "static", file), join(dist, file));
await writeFile(join(dist, "icon.svg"), iconSvg());
await writeFile(join(dist, "icon-192.png"), iconPng(192));
await writeFile(join(dist, "icon-512.png"), iconPng(512));
await writeFile(join(dist, "examples/fleet.csv"), fleetCsv());
await writeFile(join(dist, "csp.txt"), contentSecurityPolicy(await frameScriptHash()) + "\n");
