/**
 * "Run on the server", end to end: the built page in real Chromium, its `/v1` calls passed
 * through to a real wasmbox server (Fastify, real engine) on another port, as if one server
 * served both. No SDK is served at /sdk/wasmbox.mjs: the page must work on the server without it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildServer, type WasmboxServer } from "@wasmbox/server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetCsv } from "../scripts/fleet-csv.mjs";
import { EXAMPLES } from "../src/examples.js";
import { launchChromium } from "../../../test-support/chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const shots = join(pkg, "../../test-results/screenshots");
let browser: Browser;
let wasmbox: WasmboxServer;
let page_: StaticServer;
let dataDir: string;

beforeAll(async () => {
  // `npm test` builds first; rebuilding here would race the other suites reading dist/.
  expect(existsSync(join(pkg, "dist", "index.html")), "the playground is not built: run npm run build").toBe(true);
  dataDir = mkdtempSync(join(tmpdir(), "wasmbox-pg-"));
  wasmbox = await buildServer({ port: 0, host: "127.0.0.1", logLevel: "silent", poolPython: 1, poolJs: 1, dataDir });
  const api = new URL(await wasmbox.listen());
  page_ = await serveStatic(join(pkg, "dist"), {
    fallback(req, res) {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (!path.startsWith("/v1/")) return false;
      // Host stays the page's: to the server this is a same-origin call, as when it serves the page.
      const upstream = httpRequest({ host: api.hostname, port: api.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
      return true;
    },
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await page_?.close();
  await wasmbox?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function openOnServer(): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(page_.url);
  await page.waitForSelector("body[data-ready=true]");
  await page.check('input[name="target"][value="server"]');
  return { page, problems, close: () => context.close() };
}

async function replaceCode(page: Page, code: string): Promise<void> {
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(code);
}

describe("playground: run on the server", () => {
  it("runs JavaScript with stdout and stderr streamed and told apart", async () => {
    const { page, problems, close } = await openOnServer();
    await page.selectOption("#example", "js-fibonacci");
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector("#status[data-tone=ok]", { timeout: 60_000 });
    expect(await page.locator("#output .stdout").first().textContent()).toBe("fib(99) = 218922995834555169026\n");
    expect(await page.locator("#output .stderr").textContent()).toBe("this line goes to stderr\n");
    expect(await page.locator("#status").textContent()).toContain("ran on the server");
    expect(await page.locator("#output .value").textContent()).toBe("⇒ 100\n");
    expect(problems).toEqual([]);
    await close();
  });

  it("runs a fleet example over the bundled CSV, and the chart example's SVG shows inline", async () => {
    const { page, problems, close } = await openOnServer();
    await page.selectOption("#example", "fleet-correlation");
    await expect.poll(() => page.locator("#input-files").textContent()).toContain("data/fleet.csv");
    await page.click("#run");
    await page.waitForSelector("#status[data-tone=ok]", { timeout: 90_000 });
    expect(await page.locator("#output").textContent()).toMatch(/^samples: 420\npearson r \(altitude vs speed\): 0\.\d{4}\n$/);

    await page.selectOption("#example", "fleet-plot");
    await page.click("#run");
    await page.waitForSelector("#produced-files img", { timeout: 90_000 });
    expect(await page.locator("#produced-files a").textContent()).toMatch(/^speed\.svg \(\d+\.\d KiB\)$/);
    await expect.poll(() => page.$eval("#produced-files img", (i) => (i as HTMLImageElement).naturalWidth)).toBe(640);
    await page.screenshot({ path: join(shots, "playground-server-image.png") });
    expect(problems).toEqual([]);
    await close();
  });

  it("every example runs on the server's real engine; the fleet ones print what python3 prints", async () => {
    const { page, problems, close } = await openOnServer();
    const csvDir = mkdtempSync(join(tmpdir(), "wasmbox-pg-csv-"));
    mkdirSync(join(csvDir, "data"));
    writeFileSync(join(csvDir, "data/fleet.csv"), fleetCsv());
    try {
      for (const example of EXAMPLES) {
        await page.selectOption("#example", example.id);
        await page.click("#run");
        // C and C++ compile first (clang in wasm): give them room on a small machine.
        await page.waitForSelector("#status:is([data-tone=ok], [data-tone=bad])", { timeout: 120_000 });
        const status = await page.locator("#status").textContent();
        expect(status, `${example.id}: ${await page.locator("#error").textContent()}`).toContain("status: ok");
        const output = await page.locator("#output").textContent();
        if (example.usesFleetCsv) {
          const local = spawnSync("python3", ["-c", example.code], { cwd: csvDir, encoding: "utf8" });
          expect(output, example.id).toBe(local.stdout);
        } else {
          expect(output!.length, example.id).toBeGreaterThan(0);
        }
      }
    } finally {
      rmSync(csvDir, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
    await close();
  }, 600_000);

  it("says what is wrong when the browser SDK is missing, and still runs on the server", async () => {
    const { page, problems, close } = await openOnServer();
    await page.check('input[name="target"][value="browser"]');
    await page.click("#run");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.locator("#error").textContent()).toContain("the browser SDK did not load from /sdk/wasmbox.mjs");
    await page.check('input[name="target"][value="server"]');
    await page.click("#run");
    await page.waitForSelector("#status[data-tone=ok]", { timeout: 60_000 });
    // The only console error is the browser's own report of the SDK's 404.
    expect(problems.filter((p) => !p.includes("404"))).toEqual([]);
    await close();
  });

  it("marks a real Python error's line, and Stop ends an endless loop", async () => {
    const { page, problems, close } = await openOnServer();
    await replaceCode(page, "x = 1\ny = 0\nprint(x / y)\n");
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector("#status[data-tone=bad]", { timeout: 90_000 });
    expect(await page.evaluate(() => Array.from(document.querySelectorAll(".cm-line")).findIndex((l) => l.classList.contains("cm-error-line")))).toBe(2);
    expect(await page.locator("#error").textContent()).toContain("ZeroDivisionError (line 3)");
    await page.screenshot({ path: join(shots, "playground-server-error.png") });

    await replaceCode(page, "while True:\n    pass\n");
    await page.click("#run");
    await page.waitForSelector("#status[data-tone=running]");
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await page.click("#stop");
    await page.waitForSelector("#status[data-tone=bad]", { timeout: 30_000 });
    expect(await page.locator("#status").textContent()).toContain("status: killed");
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(problems).toEqual([]);
    await close();
  });
});
