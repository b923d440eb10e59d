/**
 * A browser test stack, all real: a wasmbox server on a loopback port (serving the SDK at
 * /sdk/wasmbox.mjs and the runtime files at /assets/), Debian's Chromium, and a bare harness
 * page on the server's own origin (cross-origin isolated, as the playground is) that loads
 * the SDK. The server's access log records every request that reaches it, so a test can say
 * that a guest's request never arrived.
 */
import type { IncomingMessage } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildServer, type ServerConfigInput, type WasmboxServer } from "@wasmbox/server";
import { launchChromium } from "./chromium.js";

export interface BrowserStack {
  /** The server's base URL, no trailing slash. */
  url: string;
  server: WasmboxServer;
  browser: Browser;
  /** Every request the server received: method and path with query. */
  accessLog: string[];
  /** A new page (own browser context: own caches) on the harness, with `window.wasmbox` loaded. */
  harness(options?: { isolated?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

/** The harness page: loads the SDK from the server, as an embedding site would. */
export const HARNESS_PATH = "/__harness__.html";
const HARNESS_HTML = `<!doctype html><meta charset="utf-8"><title>wasmbox harness</title>
<script type="module">import * as wasmbox from "/sdk/wasmbox.mjs"; window.wasmbox = wasmbox; window.harnessReady = true;</script>`;

export async function startBrowserStack(config: ServerConfigInput = {}): Promise<BrowserStack> {
  const dataDir = mkdtempSync(join(tmpdir(), "wasmbox-browser-test-"));
  const server = await buildServer({ port: 0, host: "127.0.0.1", logLevel: "silent", poolPython: 0, poolJs: 0, ...config, dataDir });
  const accessLog: string[] = [];
  let url: string;
  let browser: Browser;
  try {
    url = (await server.listen()).replace(/\/$/, "");
    server.app.server.on("request", (req: IncomingMessage) => accessLog.push(`${req.method} ${req.url}`));
    browser = await launchChromium();
  } catch (e) {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const contexts: BrowserContext[] = [];
  return {
    url,
    server,
    browser,
    accessLog,
    async harness(options = {}) {
      const context = await browser.newContext();
      contexts.push(context);
      const isolated = options.isolated ?? true;
      // The harness is served on the server's origin by the browser itself (the server has no such page).
      await context.route(`${url}${HARNESS_PATH}`, (route) =>
        route.fulfill({
          status: 200,
          contentType: "text/html",
          headers: isolated ? { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" } : {},
          body: HARNESS_HTML,
        }),
      );
      const page = await context.newPage();
      await page.goto(`${url}${HARNESS_PATH}`);
      await page.waitForFunction(() => (window as unknown as { harnessReady?: boolean }).harnessReady === true, undefined, { timeout: 30_000 });
      return page;
    },
    async close() {
      await Promise.allSettled(contexts.map((c) => c.close()));
      await browser.close().catch(() => {});
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
