/**
 * Offline, in real Chromium: after one visit the service worker serves the page shell and the
 * runtime assets with the server stopped, with the headers the server sent (the page stays
 * cross-origin isolated), and never caches the API. The SDK here is the page-wiring STUB
 * (stub-sdk.ts): what is checked is the page's service worker, not the runtimes.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iconPng } from "../scripts/icon.mjs";
import { launchChromium } from "../../../test-support/chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";
import { stubSdkModule } from "./stub-sdk.js";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
let browser: Browser;
let server: StaticServer;
let apiCalls = 0;

beforeAll(async () => {
  // `npm test` builds first; rebuilding here would race the other suites reading dist/.
  expect(existsSync(join(pkg, "dist", "index.html")), "the playground is not built: run npm run build").toBe(true);
  server = await serveStatic(join(pkg, "dist"), {
    extra: {
      "/sdk/wasmbox.mjs": { type: "text/javascript", body: stubSdkModule(iconPng(16).toString("base64")) },
      "/assets/manifest.json": { type: "application/json", body: JSON.stringify({ files: ["runtime.bin"] }) },
      "/assets/runtime.bin": { type: "application/octet-stream", body: new Uint8Array([1, 2, 3, 4]) },
    },
    fallback(req, res) {
      if (!req.url?.startsWith("/v1/")) return false;
      apiCalls++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ n: apiCalls }));
      return true;
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe("playground offline (service worker)", () => {
  it("reloads and runs with the server stopped, cross-origin isolated, assets from the cache, API never cached", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready=true]");
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
    });
    // A versioned runtime asset, fetched once online; the API, twice.
    expect(await page.evaluate(async () => [...new Uint8Array(await (await fetch("/assets/runtime.bin?v=abc")).arrayBuffer())])).toEqual([1, 2, 3, 4]);
    expect(await page.evaluate(async () => (await (await fetch("/v1/thing")).json()).n)).toBe(1);
    expect(await page.evaluate(async () => (await (await fetch("/v1/thing")).json()).n)).toBe(2);

    await server.close();
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.getAttribute(".cm-content", "data-language")).toBe("python");
    expect(await page.evaluate(async () => [...new Uint8Array(await (await fetch("/assets/runtime.bin?v=abc")).arrayBuffer())])).toEqual([1, 2, 3, 4]);
    // Another version of the asset was never fetched: offline it fails rather than serving the old one.
    expect(await page.evaluate(async () => fetch("/assets/runtime.bin?v=other").then(() => "served", () => "failed"))).toBe("failed");
    expect(await page.evaluate(async () => fetch("/v1/thing").then(() => "served", () => "failed"))).toBe("failed");
    // The example CSV and the SDK come from the cache: a fleet example runs offline.
    await page.selectOption("#example", "fleet-wheel-spread");
    await page.waitForFunction(() => document.querySelector("#input-files")?.textContent?.includes("data/fleet.csv"));
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector("#status[data-tone=ok]");
    expect(await page.locator("#output").textContent()).toContain("ran python");
    expect(errors).toEqual([]);
    await context.close();
  });
});
