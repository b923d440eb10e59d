/**
 * The static routes in real Chromium: the playground page is cross-origin isolated (so it
 * has SharedArrayBuffer), and a page on another site, itself under COEP require-corp, can
 * fetch the asset manifest and import the SDK from the wasmbox server.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext } from "playwright-core";
import { chromiumSkipReason, launchChromium } from "../../../test-support/chromium.js";
import { removeDataDirs, startServer, type TestServer } from "./helpers.js";

const skip = chromiumSkipReason();

/** A page on another site (localhost vs the server's 127.0.0.1), cross-origin isolated itself. */
function startEmbedder(): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    res.end("<!doctype html><title>embedder</title><p>an embedding site</p>");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://localhost:${(server.address() as AddressInfo).port}` })));
}

describe.skipIf(skip !== undefined)(`the static routes in Chromium${skip ? ` (${skip})` : ""}`, () => {
  let t: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let embedder: { server: Server; url: string };

  beforeAll(async () => {
    t = await startServer({ poolPython: 0, poolJs: 0 });
    embedder = await startEmbedder();
    browser = await launchChromium();
    context = await browser.newContext();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await new Promise((r) => embedder?.server.close(r));
    await t?.stop();
    removeDataDirs();
  });

  it("the playground at / is cross-origin isolated and reads the asset manifest", async () => {
    const page = await context.newPage();
    const res = await page.goto(`${t.url}/`);
    expect(res?.status()).toBe(200);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe("function");
    const manifest = await page.evaluate(async () => {
      const r = await fetch("/assets/manifest.json");
      return { status: r.status, body: (await r.json()) as { version: number; files: Record<string, unknown> } };
    });
    expect(manifest.status).toBe(200);
    expect(manifest.body.version).toBe(1);
    expect(Object.keys(manifest.body.files)).toContain("pyodide/pyodide.asm.wasm");
    await page.close();
  });

  it("a page on another site under COEP require-corp fetches the manifest, an asset and imports the SDK", async () => {
    const page = await context.newPage();
    await page.goto(embedder.url);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const got = await page.evaluate(async (server) => {
      const manifest = (await (await fetch(`${server}/assets/manifest.json`)).json()) as { files: Record<string, { url: string; integrity: string }> };
      const worker = manifest.files["browser/guest-worker.js"]!;
      // The SDK checks each asset's integrity; the browser does the same check here.
      const asset = await fetch(new URL(worker.url, `${server}/assets/manifest.json`), { integrity: worker.integrity });
      // What COEP asks of a no-cors load (a <script>, an <img>, a worker's importScripts): CORP cross-origin.
      const noCors = await fetch(new URL(worker.url, `${server}/assets/manifest.json`), { mode: "no-cors" }).then(
        (r) => r.type,
        (e: Error) => e.message,
      );
      // The control: a response without CORP is blocked by this page's COEP, so the above passing means something.
      const blocked = await fetch(`${server}/healthz`, { mode: "no-cors" }).then(
        () => false,
        () => true,
      );
      return { files: Object.keys(manifest.files), assetStatus: asset.status, noCors, blocked };
    }, t.url);
    // A string, so that the test runner's transform leaves this import() alone: it runs in the page.
    const sdkExports = await page.evaluate<string[]>(`import(${JSON.stringify(`${t.url}/sdk/wasmbox.mjs`)}).then((m) => Object.keys(m))`);
    expect(got.files).toContain("quickjs/emscripten-module.wasm");
    expect(got.assetStatus).toBe(200);
    expect(sdkExports.length).toBeGreaterThan(0);
    expect(got.noCors).toBe("opaque");
    expect(got.blocked).toBe(true);
    await page.close();
  });
});
