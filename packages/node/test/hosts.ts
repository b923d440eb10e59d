/**
 * The hosts the engine-level suite (conformance) runs against. It is written once against
 * core's `Engine` — the host-agnostic engine every host drives through its `SandboxHost`
 * port — and gets its engine from here, never from a host package directly:
 * - `node`: sandbox processes (@wasmbox/node);
 * - `browser`: Web Workers in real Chromium (@wasmbox/browser's `createSandbox`, driven
 *   through a page; see test-support/browser-engine.ts).
 * Choose one with WASMBOX_TEST_HOST (default: every host this machine can run; Chromium is
 * required when CI=true).
 */
import type { EngineOptions } from "@wasmbox/core";
import { createEngine as createNodeEngine } from "@wasmbox/node";
import { ChromiumEngine, type TestEngine } from "../../../test-support/browser-engine.js";
import { chromiumSkipReason } from "../../../test-support/chromium.js";

export interface TestHost {
  name: string;
  /** An engine on this host with the given core options (pool sizes, concurrency), once its pools are warm enough to serve. */
  createEngine(options: EngineOptions): Promise<TestEngine>;
}

const ALL: readonly TestHost[] = [
  { name: "node", createEngine: async (options) => createNodeEngine(options) as unknown as TestEngine },
  { name: "browser", createEngine: (options) => ChromiumEngine.start(options) },
];

/** The hosts to run against: WASMBOX_TEST_HOST=name picks one; unknown names fail loudly. */
export function testHosts(): readonly TestHost[] {
  const wanted = process.env.WASMBOX_TEST_HOST;
  if (!wanted) return ALL.filter((h) => h.name !== "browser" || chromiumSkipReason() === undefined);
  const host = ALL.find((h) => h.name === wanted);
  if (!host) throw new Error(`WASMBOX_TEST_HOST=${wanted}: known hosts are ${ALL.map((h) => h.name).join(", ")}`);
  return [host];
}
