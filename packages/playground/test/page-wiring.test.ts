/**
 * Page-wiring test of the playground, in real Chromium: the built page (dist/, with its CSP
 * and COOP/COEP headers) against a STUB SDK at /sdk/wasmbox.mjs that runs nothing (see
 * stub-sdk.ts). It checks what the page does — editor, pickers, examples, Ctrl+Enter, output,
 * error marks, files, progress, Stop, share links, layouts, keyboard — not the runtimes: the
 * real SDK's end-to-end tests live with packages/browser.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iconPng } from "../scripts/icon.mjs";
import { launchChromium } from "../../../test-support/chromium.js";
import { serveStatic, type StaticServer } from "./static-server.js";
import { stubSdkModule } from "./stub-sdk.js";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const shots = join(pkg, "../../test-results/screenshots");

let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  // `npm test` builds first; rebuilding here would race the other suites reading dist/.
  expect(existsSync(join(pkg, "dist", "index.html")), "the playground is not built: run npm run build").toBe(true);
  mkdirSync(shots, { recursive: true });
  server = await serveStatic(join(pkg, "dist"), {
    extra: { "/sdk/wasmbox.mjs": { type: "text/javascript", body: stubSdkModule(iconPng(64).toString("base64")) } },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Opened {
  context: BrowserContext;
  page: Page;
  problems: string[];
}

/** A fresh context at a viewport; console errors, page errors and requests elsewhere are collected. */
async function open(width: number, height: number, hash = ""): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems: string[] = [];
  const host = new URL(server.url).host;
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  context.on("request", (r) => {
    const url = new URL(r.url());
    if ((url.protocol === "http:" || url.protocol === "https:") && url.host !== host) problems.push(`request to another host: ${r.url()}`);
  });
  await page.goto(`${server.url}/${hash}`);
  await page.waitForSelector("body[data-ready=true]");
  await page.waitForSelector(".cm-content");
  return { context, page, problems };
}

const editorText = (page: Page): Promise<string> => page.evaluate(() => Array.from(document.querySelectorAll(".cm-line")).map((l) => l.textContent).join("\n"));

async function replaceCode(page: Page, code: string): Promise<void> {
  await page.click(".cm-content");
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(code);
}

describe("playground page wiring (stub SDK)", () => {
  it("loads the editor, switches highlighting per language, loads examples and runs with Ctrl+Enter", async () => {
    const { context, page, problems } = await open(1280, 800);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.getAttribute(".cm-content", "data-language")).toBe("python");
    expect(await editorText(page)).toContain('print("Hello from Python"');
    // Highlighting: the Python starter has highlighted tokens (spans inside lines).
    expect(await page.locator(".cm-line span").count()).toBeGreaterThan(3);
    await page.screenshot({ path: join(shots, "playground-empty.png") });

    for (const [lang, cmName, snippet] of [["javascript", "javascript", "BigInt"], ["typescript", "typescript", "interface Sample"], ["c", "cpp", "#include <stdio.h>"], ["cpp", "cpp", "std::map"], ["wasm", "wast", "(module"], ["python", "python", "import sys"]] as const) {
      await page.selectOption("#language", lang);
      expect(await page.getAttribute(".cm-content", "data-language")).toBe(cmName);
      expect(await editorText(page)).toContain(snippet);
    }

    await page.selectOption("#example", "fleet-sharp-turns");
    await expect.poll(() => page.locator("#input-files").textContent()).toContain("data/fleet.csv");
    expect(await page.inputValue("#language")).toBe("python");
    expect(await editorText(page)).toContain("statistics.quantiles");

    await page.click(".cm-content");
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector("#status[data-tone=ok]");
    const runs = await page.evaluate(() => (window as unknown as { __stubRuns: { language: string; code: string; files: string[]; firstFile: { encoding: string; content: string } } [] }).__stubRuns);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.language).toBe("python");
    expect(runs[0]!.code).toContain("statistics.quantiles");
    expect(runs[0]!.files).toEqual(["data/fleet.csv"]);
    expect(atob(runs[0]!.firstFile.content).startsWith("trip_id,t_s,speed_kmh,heading_deg")).toBe(true);
    // Streamed in order, stderr told apart by its own element and label.
    expect(await page.locator("#output").textContent()).toBe("ran python: " + runs[0]!.code.length + " chars\na line on stderr\nafter stderr\n⇒ 2\n");
    expect(await page.locator("#output .value").textContent()).toBe("⇒ 2\n");
    expect(await page.locator("#output .stderr").textContent()).toBe("a line on stderr\n");
    expect(await page.getAttribute("#output .stderr", "aria-label")).toBe("standard error");
    const status = await page.locator("#status").textContent();
    expect(status).toContain("status: ok");
    expect(status).toContain("exit code: 0");
    expect(status).toContain("executionTimeMs: 1.5");
    expect(status).toContain("limits (defaults): 10000 ms, 256.0 MiB memory, 1.0 MiB output");
    // What the run used, in a small line under the output; unknown where the host cannot measure.
    expect(await page.locator("#usage").textContent()).toBe("used: CPU unknown · wall 2 ms · peak memory unknown");
    expect(await page.isVisible("#usage")).toBe(true);
    await page.screenshot({ path: join(shots, "playground-python-output.png") });
    expect(problems).toEqual([]);
    await context.close();
  });

  it("marks the error's line in the editor and shows the message; a change clears the mark", async () => {
    const { context, page, problems } = await open(1280, 800);
    await replaceCode(page, "x = 1\ny = 0\nprint(x / y)  # STUB:error\nprint('never')\n");
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector("#status[data-tone=bad]");
    const marked = await page.evaluate(() => Array.from(document.querySelectorAll(".cm-line")).findIndex((l) => l.classList.contains("cm-error-line")));
    expect(marked).toBe(2);
    expect(await page.locator(".cm-error-gutter .error-marker").count()).toBe(1);
    expect(await page.locator("#error").textContent()).toContain("ZeroDivisionError (line 3): division by zero");
    expect(await page.locator("#status").textContent()).toContain("status: error · exit code: 1");
    await page.screenshot({ path: join(shots, "playground-error.png") });
    await page.keyboard.type("#");
    expect(await page.locator(".cm-error-line").count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("lists produced files with downloads and shows PNG and SVG inline as images (the SVG's script never runs)", async () => {
    const { context, page, problems } = await open(1280, 800);
    await replaceCode(page, "# STUB:image\n");
    await page.click("#run");
    await page.waitForSelector("#produced-files img");
    const links = await page.$$eval("#produced-files a", (as) => as.map((a) => ({ text: a.textContent, download: (a as HTMLAnchorElement).download, href: (a as HTMLAnchorElement).href })));
    expect(links.map((l) => l.download)).toEqual(["chart.png", "chart.svg"]);
    expect(links.every((l) => l.href.startsWith("blob:"))).toBe(true);
    await expect.poll(() => page.$$eval("#produced-files img", (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth))).toEqual([64, 120]);
    expect(await page.evaluate(() => (window as unknown as { __svgScriptRan?: boolean }).__svgScriptRan)).toBeUndefined();
    expect(await page.locator("#produced-files svg").count()).toBe(0);
    await page.screenshot({ path: join(shots, "playground-image.png") });
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows rich outputs inline, in order: images from data: URLs, guest HTML only in a sandboxed frame whose scripts never run, markdown and JSON as text", async () => {
    const { context, page, problems } = await open(1280, 800);
    await replaceCode(page, "# STUB:rich\n");
    await page.click("#run");
    await page.waitForSelector("#rich-outputs figure");
    const shown = await page.$$eval("#rich-outputs figure", (figs) => figs.map((f) => ({ kind: (f as HTMLElement).dataset["kind"], tag: f.firstElementChild!.tagName, text: f.firstElementChild!.tagName === "PRE" ? f.textContent : null })));
    expect(shown).toEqual([
      { kind: "display", tag: "IMG", text: null },
      { kind: "display", tag: "IMG", text: null },
      { kind: "display", tag: "IFRAME", text: null },
      { kind: "display", tag: "PRE", text: "# <b>not bold</b>" },
      { kind: "result", tag: "PRE", text: '{\n  "a": [\n    1,\n    2\n  ]\n}' },
    ]);
    const srcs = await page.$$eval("#rich-outputs img", (imgs) => imgs.map((i) => (i as HTMLImageElement).src.slice(0, 26)));
    expect(srcs).toEqual(["data:image/png;base64,iVBO", "data:image/svg+xml;base64,"]);
    await expect.poll(() => page.$$eval("#rich-outputs img", (imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth))).toEqual([64, 120]);
    const frame = page.locator("#rich-outputs iframe");
    expect(await frame.getAttribute("sandbox")).toBe("");
    expect(await page.frameLocator("#rich-outputs iframe").locator("#guest").textContent()).toBe("guest html");
    expect(await page.locator("#rich-outputs b, #rich-outputs script, #rich-outputs svg, #guest").count()).toBe(0);
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => (window as unknown as { __htmlScriptRan?: boolean; __svgScriptRan?: boolean }).__htmlScriptRan ?? (window as unknown as { __svgScriptRan?: boolean }).__svgScriptRan)).toBeUndefined();
    await page.screenshot({ path: join(shots, "playground-rich-outputs.png") });
    // Chromium reports what the frame was refused: its scripts (the sandbox), and the guest's
    // <img src=x> (an opaque origin under the page's COEP cannot load even this server's URLs).
    // Nothing else may go wrong.
    expect(problems.filter((p) => !/sandboxed and the 'allow-scripts' permission is not set|ERR_BLOCKED_BY_RESPONSE\.NotSameOrigin/.test(p))).toEqual([]);
    // The next run starts with none.
    await replaceCode(page, "print(1)\n");
    await page.click("#run");
    await expect.poll(() => page.locator("#rich-outputs figure").count()).toBe(0);
    expect(await page.locator("#rich-outputs").isHidden()).toBe(true);
    await context.close();
  });

  it("sends picked and dropped files as data/<name>, and a removed one no longer", async () => {
    const { context, page, problems } = await open(1280, 800);
    await page.setInputFiles("#file-input", { name: "sales.csv", mimeType: "text/csv", buffer: Buffer.from("region,total\nnorth,3\n") });
    await expect.poll(() => page.locator("#input-files").textContent()).toContain("data/sales.csv");
    // A drop anywhere on the page, as a person drags a file in from the desktop.
    const transfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array([0, 255, 7])], "blob.bin"));
      return dt;
    });
    await page.dispatchEvent("main", "drop", { dataTransfer: transfer });
    await expect.poll(() => page.locator("#input-files").textContent()).toContain("data/blob.bin");
    expect(await page.locator("#notice").textContent()).toContain("data/blob.bin");
    await page.click("#run");
    await page.waitForSelector("#status[data-tone=ok]");
    await page.click('button[aria-label="Remove data/sales.csv"]');
    await page.click("#run");
    await page.waitForSelector("#status[data-tone=ok]");
    const runs = await page.evaluate(() => (window as unknown as { __stubRuns: { files: string[] }[] }).__stubRuns.map((r) => r.files));
    expect(runs).toEqual([["data/sales.csv", "data/blob.bin"], ["data/blob.bin"]]);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows download progress in bytes and Stop ends the run", async () => {
    const { context, page, problems } = await open(1280, 800);
    await replaceCode(page, "while True: pass  # STUB:slow\n");
    await page.click("#run");
    await page.waitForSelector("#progress-box:not([hidden])");
    expect(await page.locator("#progress-text").textContent()).toContain("5.0 MiB of 12.0 MiB");
    expect(await page.getAttribute("#progress", "value")).toBe(String(5 * 1024 * 1024));
    expect(await page.isDisabled("#run")).toBe(true);
    await page.screenshot({ path: join(shots, "playground-progress.png") });
    await page.click("#stop");
    await page.waitForSelector("#status[data-tone=bad]");
    expect(await page.locator("#status").textContent()).toContain("status: killed");
    expect(await page.isHidden("#progress-box")).toBe(true);
    expect(await page.isEnabled("#run")).toBe(true);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("round-trips code and language through the share link; a broken link says so", async () => {
    const { context, page, problems } = await open(1280, 800);
    await page.selectOption("#language", "typescript");
    const code = "const greeting: string = \"héllo ✓\";\nconsole.log(greeting);\n";
    await replaceCode(page, code);
    await page.click("#share");
    await expect.poll(() => page.evaluate(() => location.hash)).toMatch(/^#lang=typescript&z=[A-Za-z0-9_-]+$/);
    const hash = await page.evaluate(() => location.hash);
    const second = await open(1280, 800, hash);
    await expect.poll(() => editorText(second.page)).toBe(code.replace(/\n$/, "\n"));
    expect(await second.page.inputValue("#language")).toBe("typescript");
    expect(await second.page.getAttribute(".cm-content", "data-language")).toBe("typescript");
    // A plain (undeflated) link made by hand reads too.
    const plain = Buffer.from("console.log(1)").toString("base64url");
    const third = await open(1280, 800, `#lang=javascript&code=${plain}`);
    await expect.poll(() => editorText(third.page)).toBe("console.log(1)");
    const broken = await open(1280, 800, "#lang=python&z=not-deflate");
    await expect.poll(() => broken.page.locator("#notice").textContent()).toContain("damaged");
    const unknown = await open(1280, 800, "#lang=cobol&code=eA");
    await expect.poll(() => unknown.page.locator("#notice").textContent()).toContain('"cobol"');
    for (const o of [second, third, broken, unknown]) {
      expect(o.problems).toEqual([]);
      await o.context.close();
    }
    expect(problems).toEqual([]);
    await context.close();
  });

  it("is usable by keyboard alone: Tab reaches every control in order, focus is visible", async () => {
    const { context, page, problems } = await open(1280, 800);
    const order: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return "";
        return el.id || (el as HTMLInputElement).value || el.className || el.tagName;
      }));
    }
    const at = (name: string): number => order.findIndex((o) => o.includes(name));
    for (const name of ["language", "example", "browser", "run", "share", "cm-content", "file-input", "output"]) expect(at(name), `${name} in ${order.join(", ")}`).toBeGreaterThanOrEqual(0);
    expect(at("language")).toBeLessThan(at("run"));
    expect(at("run")).toBeLessThan(at("cm-content"));
    expect(at("cm-content")).toBeLessThan(at("output"));
    // Tab leaves the editor (it does not trap focus) and the focused control shows an outline.
    await page.focus("#run");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe("solid");
    // Ctrl+Enter runs from outside the editor too, once.
    await page.focus("#language");
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector("#status[data-tone=ok]");
    expect(await page.evaluate(() => (window as unknown as { __stubRuns: unknown[] }).__stubRuns.length)).toBe(1);
    expect(await page.getAttribute("#status", "aria-live")).toBe("polite");
    expect(await page.getAttribute("#output", "role")).toBe("log");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("lays out editor above output at 390px, side by side at 1280px, without sideways scrolling", async () => {
    for (const [width, height, name] of [[1280, 800, "laptop"], [390, 844, "phone"]] as const) {
      const { context, page, problems } = await open(width, height);
      await page.selectOption("#example", "fleet-fuel-rail");
      await page.keyboard.press("Control+Enter");
      await page.waitForSelector("#status[data-tone=ok]");
      const editorBox = (await page.locator("#editor").boundingBox())!;
      const outputBox = (await page.locator("#output").boundingBox())!;
      if (width < 900) expect(outputBox.y).toBeGreaterThanOrEqual(editorBox.y + editorBox.height);
      else expect(outputBox.x).toBeGreaterThanOrEqual(editorBox.x + editorBox.width);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: join(shots, `playground-${name}.png`), fullPage: true });
      expect(problems).toEqual([]);
      await context.close();
    }
  });

  it("serves the app manifest and icons, and registers the service worker for /", async () => {
    const { context, page, problems } = await open(1280, 800);
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${server.url}/`);
    const manifest = await page.evaluate(async () => (await fetch("/manifest.webmanifest")).json());
    expect(manifest).toMatchObject({ name: "wasmbox playground", start_url: "/", display: "standalone" });
    for (const icon of manifest.icons as { src: string }[]) expect(server.requests).toContain(`GET ${icon.src}`);
    expect(problems).toEqual([]);
    await context.close();
  });
});
