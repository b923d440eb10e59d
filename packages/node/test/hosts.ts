/**
 * The hosts the engine-level suites (conformance, limits, reuse) run against. Those suites
 * are written once against core's `Engine` — the host-agnostic engine every host drives
 * through its `SandboxHost` port — and get their engine from here, never from a host package
 * directly. A new host (the browser's Web Workers, a remote worker) adds an entry; choose one
 * with WASMBOX_TEST_HOST (default: every host this machine can run).
 */
import type { Engine, EngineOptions } from "@wasmbox/core";
import { createEngine as createNodeEngine } from "@wasmbox/node";

export interface TestHost {
  name: string;
  /** An engine on this host with the given core options (pool sizes, concurrency). */
  createEngine(options: EngineOptions): Engine;
}

const ALL: readonly TestHost[] = [{ name: "node", createEngine: (options) => createNodeEngine(options) }];

/** The hosts to run against: WASMBOX_TEST_HOST=name picks one; unknown names fail loudly. */
export function testHosts(): readonly TestHost[] {
  const wanted = process.env.WASMBOX_TEST_HOST;
  if (!wanted) return ALL;
  const host = ALL.find((h) => h.name === wanted);
  if (!host) throw new Error(`WASMBOX_TEST_HOST=${wanted}: known hosts are ${ALL.map((h) => h.name).join(", ")}`);
  return [host];
}
