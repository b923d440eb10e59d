/**
 * The playground end to end, all real: `npm start`'s server (Fastify, real engine) serves
 * the page at `/`, the SDK at /sdk/wasmbox.mjs and the runtimes at /assets/; Chromium runs
 * code in this browser (the SDK's Web Workers) and on the server. Then the server is
 * stopped, the page reloads from its service worker, and Python and JavaScript still run.
 * Screenshots of the main states go to test-results/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildServer, type WasmboxServer } from "@wasmbox/server";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../test-support/chromium.js";

const shots = join(dirname(fileURLToPath(import.meta.url)), "../../../test-results/screenshots");
let browser: Browser;
let server: WasmboxServer;
let url: string;
let dataDir: string;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), "wasmbox-e2e-"));
  server = await buildServer({ port: 0, host: "127.0.0.1", logLevel: "silent", poolPython: 1, poolJs: 1, dataDir });
  url = (await server.listen()).replace(/\/$/, "");
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${url}/`);
  await page.waitForSelector("body[data-ready=true]");
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function replaceCode(code: string, language?: string): Promise<void> {
  if (language) await page.selectOption("#language", language);
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(code);
}

async function runAndWait(timeoutMs = 120_000): Promise<string> {
  await page.keyboard.press("Control+Enter");
  await page.waitForSelector("#status[data-tone=running]", { timeout: 10_000 }).catch(() => {});
  await page.waitForSelector("#status:is([data-tone=ok], [data-tone=bad])", { timeout: timeoutMs });
  return (await page.locator("#status").textContent()) ?? "";
}

const output = async () => (await page.locator("#output").textContent()) ?? "";

describe("the playground, end to end on the real server", () => {
  it("is cross-origin isolated and starts empty", async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.screenshot({ path: join(shots, "e2e-empty.png") });
  });

  it("shows the download's progress in bytes the first time a runtime loads", async () => {
    // A context of its own with no service worker (its fetches would not be throttled) and a
    // slow link, so the first download can be watched: loopback is too fast to see.
    const slow = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: "block" });
    try {
      const p = await slow.newPage();
      const cdp = await slow.newCDPSession(p);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: 2 * 1024 * 1024, uploadThroughput: -1 });
      await p.goto(`${url}/`);
      await p.waitForSelector("body[data-ready=true]");
      await p.check('input[name="target"][value="browser"]');
      await p.selectOption("#language", "python");
      await p.click(".cm-content");
      await p.keyboard.press("Control+A");
      await p.keyboard.insertText('print("downloaded")\n');
      await p.keyboard.press("Control+Enter");
      await p.waitForSelector("#progress-box:not([hidden])", { timeout: 60_000 });
      await p.waitForFunction(() => Number((document.getElementById("progress") as HTMLProgressElement).value) > 0, undefined, { timeout: 60_000 });
      expect(await p.locator("#progress-text").textContent()).toMatch(/\d/);
      await p.screenshot({ path: join(shots, "e2e-loading-progress.png") });
      await p.waitForSelector("#status:is([data-tone=ok], [data-tone=bad])", { timeout: 180_000 });
      expect(await p.locator("#output").textContent()).toBe("downloaded\n");
    } finally {
      await slow.close();
    }
  }, 240_000);

  it("runs Python in this browser, then a fleet example over the bundled CSV", async () => {
    await page.check('input[name="target"][value="browser"]');
    await replaceCode('import sys\nprint("hello from", sys.platform)\n', "python");
    await runAndWait();
    expect(await output()).toBe("hello from emscripten\n");
    expect(await page.locator("#status").textContent()).toContain("in this browser");

    await page.selectOption("#example", "fleet-wheel-spread");
    await expect.poll(() => page.locator("#input-files").textContent()).toContain("data/fleet.csv");
    const status = await runAndWait();
    expect(status, await output()).toContain("ok");
    expect(await output()).toMatch(/^T1: max spread [\d.]+ km\/h/);
    await page.screenshot({ path: join(shots, "e2e-python-output.png") });
  }, 240_000);

  it("marks an error's line in the editor", async () => {
    await replaceCode("x = 1\ny = 0\nprint(x / y)\n", "python");
    await runAndWait();
    expect(await page.evaluate(() => Array.from(document.querySelectorAll(".cm-line")).findIndex((l) => l.classList.contains("cm-error-line")))).toBe(2);
    expect(await page.locator("#error").textContent()).toContain("ZeroDivisionError");
    await page.screenshot({ path: join(shots, "e2e-error-line.png") });
  });

  it("shows an image a run produced", async () => {
    await page.selectOption("#language", "python");
    await page.selectOption("#example", "fleet-plot");
    await expect.poll(() => page.locator("#input-files").textContent()).toContain("data/fleet.csv");
    const status = await runAndWait();
    expect(status, `${await output()} ${await page.locator("#error").textContent()}`).toContain("ok");
    await page.waitForSelector("#produced-files img");
    await expect.poll(() => page.$eval("#produced-files img", (i) => (i as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, "e2e-image-output.png") });
  });

  it.each([
    ["javascript", 'console.log("js", [1, 2, 3].map((x) => x * 2));\n', "js [ 2, 4, 6 ]\n"],
    ["typescript", "const n: number = 6 * 7;\nconsole.log(`ts ${n}`);\n", "ts 42\n"],
    ["c", '#include <stdio.h>\nint main(void) { printf("c %d\\n", 6 * 7); return 0; }\n', "c 42\n"],
  ])("runs %s in this browser and on the server, with the same output", async (language, code, expected) => {
    for (const target of ["browser", "server"]) {
      await page.check(`input[name="target"][value="${target}"]`);
      await replaceCode(code, language);
      const status = await runAndWait(180_000);
      expect(status, `${language} on ${target}: ${await output()} ${await page.locator("#error").textContent()}`).toContain("ok");
      expect(await output()).toBe(expected);
    }
    await page.check('input[name="target"][value="browser"]');
  }, 300_000);

  it("Stop ends `while True: pass` at once, and a timeout ends a run on its own", async () => {
    await page.check('input[name="target"][value="browser"]');
    await replaceCode("while True:\n    pass\n", "python");
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector("#status[data-tone=running]");
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    await page.click("#stop");
    await page.waitForSelector("#status[data-tone=bad]", { timeout: 10_000 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await page.locator("#status").textContent()).toContain("killed");

    await replaceCode("for (;;) {}\n", "javascript");
    // The page's default limit: the run ends with status timeout without anyone pressing Stop.
    const status = await runAndWait(60_000);
    expect(status).toContain("timeout");
  }, 120_000);

  it("is readable at phone width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(shots, "e2e-phone.png"), fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("keeps working offline: with the server stopped, the page reloads and runs Python and JavaScript", async () => {
    // The service worker controls the page after its first load; one reload makes sure.
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 20_000 });
    await server.close();
    await page.reload();
    await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.check('input[name="target"][value="browser"]');
    await replaceCode('print("offline", 6 * 7)\n', "python");
    expect(await runAndWait()).toContain("ok");
    expect(await output()).toBe("offline 42\n");
    await replaceCode('console.log("offline js")\n', "javascript");
    expect(await runAndWait()).toContain("ok");
    expect(await output()).toBe("offline js\n");
    expect(problems.filter((p) => !/Failed to load resource|ERR_CONNECTION_REFUSED|net::/.test(p))).toEqual([]);
  }, 120_000);
});
