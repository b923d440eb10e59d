/**
 * @wasmbox/node — run untrusted code from Node.js. Guest code runs in separate sandbox
 * processes, each inside an OS sandbox (bubblewrap namespaces, a minimal read-only
 * filesystem, cgroup caps, an unprivileged uid) with Node's permission model inside,
 * pooled and pre-warmed; the host checks everything a sandbox sends. This package is the
 * Node implementation of core's `SandboxHost` port (`NodeSandboxHost`) and its wiring
 * (`createEngine`); the engine itself is core's.
 */
export { createEngine, Engine, Session, type EngineOptions, type ExecuteOptions, type Execution, type IsolationSummary, type RuntimeInfo } from "./engine.js";
export { NodeSandboxHost, type NodeHostOptions } from "./host/node-host.js";
export type { IsolationOptions, IsolationPlan, Wall } from "./host/isolation.js";
export { SandboxProcess, type SandboxProcessOptions, type SandboxRunResult, type StopReason } from "./host/sandbox-process.js";
export { locateAssets, packageDir, packageRoot, type NodeAssets } from "./host/assets.js";
export { planIsolation } from "./host/isolation.js";
export { defaultCacheDir } from "./host/snapshot-cache.js";
export { openPackageStore, PackageStore, type FetchReport, type PackageSources, type StoredPackage } from "./packages/store.js";
export { normalizeName as normalizePackageName } from "./packages/lock.js";
export * from "@wasmbox/core";
