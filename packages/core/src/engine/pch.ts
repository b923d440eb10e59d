/**
 * Precompiled headers of the C++ standard library, as the engine keeps them: looked up in the
 * host's store for a build that can use one (see `pchPlan`), and built in the background when
 * missing, so no build waits for one.
 *
 * A PCH is built from the toolchain's headers alone, in a clang sandbox started for that build
 * and stopped after it (it never ran a request's compile), from `#include` lines this engine
 * wrote. Its store key is everything that changes its bytes (and the tenant, but for the few
 * lists all tenants share): no tenant can shape one. The host keeps it where no sandbox can write, and checks it on
 * every read.
 */
import type { ExecuteRequest, ResolvedLimits } from "@wasmbox/contract";
import { pchKeyMaterial, pchPlan, type PchPlan } from "../runtimes/compilers/preamble.js";
import type { CompileCache, HostSandbox, SandboxHost } from "./sandbox-host.js";

/** Builds an engine starts at most, over its life: a preamble per build, so a tenant cycling through header lists cannot keep a core busy forever. */
const MAX_BUILDS = 64;

/** A PCH build's deadline, at least. */
const BUILD_TIMEOUT_MS = 600_000;

/** What clang writes at the start of every PCH ("CPCH"). */
const PCH_MAGIC = [0x43, 0x50, 0x43, 0x48];

/**
 * Header lists whose PCH all tenants share: built for the engine's first C++ build whoever sent
 * it, so a fast build of one tells nobody what another tenant compiled. Every other list's PCH
 * is its tenant's own (like the compile cache).
 */
const SHARED_PREAMBLES: readonly (readonly string[])[] = [["iostream"]];

/** PCH builds waiting at most: more are dropped (their builds go on without a PCH). */
const MAX_PENDING = 4;

export class PrecompiledHeaders {
  readonly #pending = new Set<string>();
  readonly #builders = new Set<HostSandbox>();
  #queue: Promise<void> = Promise.resolve();
  #builds = 0;
  #warmed = false;
  #disposed = false;
  /** Builds that used a PCH; of them, those done again without it (they said something or failed); PCHs built. */
  readonly stats = { used: 0, redone: 0, built: 0 };

  constructor(
    private readonly host: SandboxHost,
    private readonly limits: ResolvedLimits,
  ) {}

  /**
   * The PCH a C++ build of `request` for `tenant` can use, when the host's store has it;
   * otherwise undefined, and it is built in the background (one build at a time) for the
   * builds that follow.
   */
  async lookup(request: ExecuteRequest, tenant: string): Promise<{ text: string; bytes: Uint8Array } | undefined> {
    const store = this.host.precompiledHeaders;
    if (!store || this.#disposed || request.language !== "cpp") return undefined;
    if (!this.#warmed) {
      this.#warmed = true;
      for (const headers of SHARED_PREAMBLES) {
        const plan = pchPlan({ language: "cpp", code: headers.map((h) => `#include <${h}>\n`).join("") });
        if (plan && !(await store.get(this.#key(plan, null)))) this.#enqueue(store, this.#key(plan, null), plan);
      }
    }
    const plan = pchPlan(request);
    if (!plan) return undefined;
    const shared = SHARED_PREAMBLES.some((h) => h.length === plan.headers.length && h.every((x, i) => x === plan.headers[i]));
    const key = this.#key(plan, shared ? null : tenant);
    const hit = await store.get(key);
    if (hit) return { text: plan.text, bytes: hit.module };
    this.#enqueue(store, key, plan);
    return undefined;
  }

  #key(plan: PchPlan, tenant: string | null): string {
    return pchKeyMaterial(plan, this.host.versions.clang, tenant);
  }

  #enqueue(store: CompileCache, key: string, plan: PchPlan): void {
    if (this.#pending.has(key) || this.#pending.size >= MAX_PENDING || this.#builds >= MAX_BUILDS) return;
    this.#pending.add(key);
    this.#builds++;
    this.#queue = this.#queue
      .then(() => (this.#disposed ? undefined : this.#build(plan.text, plan.optimize, plan.std)))
      .then((bytes) => {
        if (!bytes) return;
        this.stats.built++;
        store.set(key, { module: bytes, diagnostics: [], output: "" });
      })
      .finally(() => this.#pending.delete(key));
  }

  /** Resolves once no build is under way or waiting (benches and tests wait for a PCH with it). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await this.#queue;
  }

  async #build(text: string, optimize: string, std: string[]): Promise<Uint8Array | undefined> {
    const sandbox = this.host.start("clang");
    this.#builders.add(sandbox);
    try {
      await sandbox.ready;
      const request: ExecuteRequest = { language: "cpp", code: text, compile: { optimize: optimize as "2", flags: std } } as ExecuteRequest;
      // No request waits on it, and a fresh clang runs its first build on baseline code: it may
      // take longer than one build is allowed (minutes on a loaded machine).
      const limits = { ...this.limits, timeoutMs: Math.max(this.limits.timeoutMs, BUILD_TIMEOUT_MS) };
      const run = await sandbox.run({ request, filename: "preamble.hpp", limits, buildPrecompiledHeader: { text } });
      const bytes = run.outcome?.status === "ok" && !run.stoppedBy && run.crash === null ? run.outcome.files.get("main.pch") : undefined;
      return bytes && bytes.byteLength > PCH_MAGIC.length && PCH_MAGIC.every((b, i) => bytes[i] === b) ? bytes : undefined;
    } catch {
      // A builder that cannot start or run only means builds go on without a PCH.
      return undefined;
    } finally {
      this.#builders.delete(sandbox);
      await sandbox.dispose();
    }
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    await Promise.all([...this.#builders].map((s) => s.dispose()));
  }
}
