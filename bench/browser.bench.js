/* global window -- the functions handed to page.evaluate run in the page */
// npm run bench:browser — the browser host in headless Chromium (Debian's), against a real
// wasmbox server on loopback: first visit (bytes, time to Python ready), a cached visit, warm
// runs from Run to first output, a fresh Python worker's boot. Medians; prints a table with
// the issue's goals and writes bench/results/browser.json. These machines are noisy.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { buildServer } from "@wasmbox/server";

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const N = { cached: quick ? 2 : 5, pyWarm: quick ? 5 : 20, jsWarm: quick ? 10 : 30, boot: quick ? 2 : 5 };
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const HARNESS = "/__bench__.html";
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const r1 = (x) => Math.round(x * 10) / 10;

const dataDir = mkdtempSync(join(tmpdir(), "wasmbox-bench-browser-"));
const profile = mkdtempSync(join(tmpdir(), "wasmbox-bench-profile-"));
const server = await buildServer({ port: 0, host: "127.0.0.1", logLevel: "silent", poolPython: 0, poolJs: 0, dataDir });
const url = (await server.listen()).replace(/\/$/, "");
// One persistent profile: the second visit finds what the first one cached.
const context = await chromium.launchPersistentContext(profile, { executablePath: process.env.WASMBOX_CHROMIUM || "/usr/bin/chromium", headless: true, args: FLAGS });
await context.route(`${url}${HARNESS}`, (route) =>
  route.fulfill({
    status: 200,
    contentType: "text/html",
    headers: { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" },
    body: `<!doctype html><script type="module">import * as w from "/sdk/wasmbox.mjs"; window.wasmbox = w; window.loaded = true;</script>`,
  }),
);

/** Open the harness, create an engine that preloads Python; resolve with ms until a Python sandbox is ready and the bytes received. */
async function visit() {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  cdp.on("Network.loadingFinished", (e) => (bytes += e.encodedDataLength));
  const t0 = Date.now();
  await page.goto(`${url}${HARNESS}`);
  await page.waitForFunction(() => window.loaded === true);
  await page.evaluate(() => {
    window.engine = window.wasmbox.createSandbox({ preload: ["python", "javascript"] });
  });
  await page.waitForFunction(() => window.engine.stats().pool.python.ready >= 1, undefined, { timeout: 180_000, polling: 10 });
  const readyMs = Date.now() - t0;
  await page.waitForFunction(() => window.engine.stats().pool.quickjs.ready >= 1, undefined, { timeout: 60_000, polling: 10 });
  // Every worker the sandbox frame started is a fetch too (none should reach the network): count after all boots.
  return { page, readyMs, bytes };
}

/** Run to first output, in the page, on a pre-warmed sandbox (waits for the pool to refill between runs). */
async function warm(page, language, code, n, pauseMs = 0) {
  return page.evaluate(
    async ({ language, code, n, pauseMs }) => {
      const kind = language === "python" ? "python" : "quickjs";
      const times = [];
      for (let i = 0; i < n + 2; i++) {
        while (window.engine.stats().pool[kind].ready < 1) await new Promise((r) => setTimeout(r, 5));
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
        const t0 = performance.now();
        let first = 0;
        const r = await window.engine.execute({ language, code }, { onStdout: () => (first ||= performance.now()) });
        if (r.status !== "ok") throw new Error(`${language}: ${r.status} ${JSON.stringify(r.error)}`);
        if (i >= 2) times.push(first - t0); // two runs warm the page's own code paths first
      }
      return times;
    },
    { language, code, n, pauseMs },
  );
}

const rows = [];
const record = (name, value, unit, goal, note = "") => rows.push({ name, median: r1(value), unit, goal, meets: goal === null ? null : value <= goal, note });

try {
  const first = await visit();
  record("first visit: Python ready", first.readyMs, "ms", null, `${(first.bytes / 1048576).toFixed(1)} MiB transferred (SDK, worker, Pyodide, QuickJS; snapshot built)`);
  rows.push({ name: "first visit: bytes transferred", median: first.bytes, unit: "B", goal: null, meets: null, note: "" });
  await first.page.close();

  const cached = [];
  let cachedBytes = 0;
  for (let i = 0; i < N.cached; i++) {
    const v = await visit();
    cached.push(v.readyMs);
    cachedBytes = v.bytes;
    if (i < N.cached - 1) await v.page.close();
    else {
      record("cached visit: Python ready", median(cached), "ms", 1500, `n=${N.cached}; ${(cachedBytes / 1024).toFixed(0)} KiB transferred (revalidations)`);
      record("warm print(1+1): Run → output", median(await warm(v.page, "python", "print(1+1)", N.pyWarm)), "ms", 20, `n=${N.pyWarm}, pre-warmed Python worker`);
      record("warm console.log(2): Run → output", median(await warm(v.page, "javascript", "console.log(2)", N.jsWarm, 100)), "ms", 5, `n=${N.jsWarm}, 100 ms apart (a person's pace): the next fresh QuickJS instance is prepared between runs`);
      record("back-to-back console.log(2): Run → output", median(await warm(v.page, "javascript", "console.log(2)", N.jsWarm)), "ms", null, `n=${N.jsWarm}, no pause: preparing each next instance is on the path`);
      const boots = await v.page.evaluate(async (n) => {
        const out = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          const s = window.engine.host.start("python");
          s.bindTenant("bench");
          await s.ready;
          out.push(performance.now() - t0);
          await s.dispose();
        }
        return out;
      }, N.boot);
      record("fresh Python worker: boot from snapshot", median(boots), "ms", null, `n=${N.boot}; what the pool pays after each Python run, off the critical path`);
      await v.page.close();
    }
  }
} finally {
  await context.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}

console.log("\nwasmbox in headless Chromium (medians)\n");
for (const r of rows) console.log(`${r.name.padEnd(42)} ${String(r.median).padStart(12)} ${r.unit.padEnd(3)} ${r.goal === null ? "" : `goal ≤ ${r.goal} ${r.meets ? "✓" : "✗"}`}  ${r.note}`);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "browser.json"), JSON.stringify({ at: new Date().toISOString(), quick, rows }, null, 2) + "\n");
