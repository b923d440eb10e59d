/**
 * The one way tests start a browser: Debian's Chromium (never a downloaded one), driven by
 * playwright-core, headless, with a fresh profile per launch (playwright makes a temporary
 * user-data dir) and nothing that phones home.
 *
 * A missing Chromium fails the tests that need it when CI=true (`.ci/run` installs it); on a
 * developer's machine without it they may skip, and say why.
 * @example
 * const browser = await launchChromium();
 * try { const page = await browser.newPage(); ... } finally { await browser.close(); }
 */
import { accessSync, constants } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** WASMBOX_CHROMIUM, or Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.WASMBOX_CHROMIUM || "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const HOW_TO_INSTALL = `install Debian's chromium (apt-get install chromium) or point WASMBOX_CHROMIUM at a Chromium binary`;

/** Whether a Chromium executable is at {@link CHROMIUM_PATH}. */
export function chromiumAvailable(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the Chromium tests skip, or undefined when they run. In CI (CI=true) they always run, so
 * a missing Chromium fails them (launchChromium says what to install) instead of passing unseen.
 */
export function chromiumSkipReason(): string | undefined {
  if (chromiumAvailable() || process.env.CI === "true") return undefined;
  return `skipped outside CI: no Chromium at ${CHROMIUM_PATH}; ${HOW_TO_INSTALL}`;
}

/** A headless Chromium; close it when done (`await browser.close()`). */
export async function launchChromium(): Promise<Browser> {
  if (!chromiumAvailable()) throw new Error(`no Chromium at ${CHROMIUM_PATH}: ${HOW_TO_INSTALL}`);
  return await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
}
