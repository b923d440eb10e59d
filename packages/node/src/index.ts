/**
 * @wasmbox/node — run untrusted code from Node.js. Guest code runs in separate,
 * locked-down sandbox processes (Node permission model, empty environment, no network,
 * unprivileged uid where possible), pooled and pre-warmed.
 */
export { createEngine, Engine, Session, type EngineOptions, type ExecuteOptions, type Execution, type RuntimeInfo } from "./engine.js";
export type { IsolationOptions, IsolationPlan } from "./host/isolation.js";
export { SandboxProcess, type SandboxProcessOptions, type SandboxRunResult, type StopReason } from "./host/sandbox-process.js";
export { locateAssets, type NodeAssets } from "./host/assets.js";
export { planIsolation } from "./host/isolation.js";
export * from "@wasmbox/core";
