import type { SandboxKind } from "../runtime.js";
import type { HostSandbox } from "./sandbox-host.js";

/** A pool: a sandbox kind, or a kind and a variant of it (`python#0`). */
export type PoolKey = SandboxKind | `${SandboxKind}#${number}`;

/**
 * Ready sandboxes per kind, started ahead of the requests that will use them. A run
 * takes one and the pool starts a replacement in the background, one at a time per kind
 * so refills do not crowd out live runs on a small machine; a sandbox that can serve
 * again comes back through `release`.
 *
 * The reuse rule: a sandbox process that served a tenant serves that tenant only. Fresh
 * sandboxes (no run yet) go to anyone; used ones only back to the tenant that used them,
 * so no process-wide state (V8 flags, timers, files in its tmpfs…) crosses tenants.
 */
export class SandboxPool {
  readonly #idle = new Map<PoolKey, HostSandbox[]>();
  readonly #refilling = new Set<PoolKey>();
  #disposed = false;

  /**
   * @param start starts a sandbox for a pool key: a kind, or a kind and a variant
   * (`python#0`: Python with the host's package set 0 imported)
   */
  constructor(
    private readonly start: (key: PoolKey) => HostSandbox,
    private readonly targets: Readonly<Record<PoolKey, number>>,
  ) {
    for (const key of Object.keys(targets) as PoolKey[]) this.#refill(key);
  }

  /** A sandbox for pool key `kind` for `tenant`: a pre-started one if there is one, else a new one. */
  acquire(kind: PoolKey, tenant: string): HostSandbox {
    const idle = this.#idle.get(kind) ?? [];
    // Skip any that died; never hand over one another tenant used.
    for (let i = idle.length - 1; i >= 0; i--) if (!idle[i]!.alive) idle.splice(i, 1);
    const pick = (ok: (s: HostSandbox) => boolean) => idle.findIndex((s) => ok(s) && (s.tenant === null || s.tenant === tenant));
    // Prefer the tenant's own ready sandbox, then a fresh ready one, then one still booting.
    let at = pick((s) => s.isReady && s.tenant === tenant);
    if (at < 0) at = pick((s) => s.isReady);
    if (at < 0) at = pick(() => true);
    const sandbox = at >= 0 ? idle.splice(at, 1)[0]! : this.start(kind);
    sandbox.bindTenant(tenant);
    // Refill after this turn: starting a sandbox may block for a few ms (a Node spawn) and must
    // not delay the run that just took one. (setTimeout, not setImmediate: core runs in browsers.)
    setTimeout(() => this.#refill(kind), 0);
    return sandbox;
  }

  /**
   * Take back a reusable sandbox after a run (see `HostSandbox.keepForReuse`). It goes
   * first in line; beyond the target plus `spare`, it is disposed instead.
   */
  release(sandbox: HostSandbox, spare: number): void {
    const idle = this.#idle.get(sandbox.kind) ?? [];
    this.#idle.set(sandbox.kind, idle);
    if (this.#disposed || !sandbox.healthy || idle.length >= (this.targets[sandbox.kind] ?? 0) + spare) {
      void sandbox.dispose();
      return;
    }
    idle.unshift(sandbox);
  }

  /** Sandboxes waiting for a run, per pool key: ready ones, and ones still booting. */
  size(kind: PoolKey): { ready: number; starting: number } {
    const idle = this.#idle.get(kind) ?? [];
    const ready = idle.filter((s) => s.isReady).length;
    return { ready, starting: idle.length - ready };
  }

  #refill(kind: PoolKey): void {
    if (this.#disposed || this.#refilling.has(kind)) return;
    const idle = this.#idle.get(kind) ?? [];
    this.#idle.set(kind, idle);
    if (idle.filter((s) => s.tenant === null).length >= (this.targets[kind] ?? 0)) return;
    this.#refilling.add(kind);
    const sandbox = this.start(kind);
    idle.push(sandbox);
    sandbox.ready.then(
      () => {
        this.#refilling.delete(kind);
        this.#refill(kind);
      },
      () => {
        // A sandbox that failed to boot is dropped; the next acquire surfaces the error.
        this.#refilling.delete(kind);
        const i = idle.indexOf(sandbox);
        if (i >= 0) idle.splice(i, 1);
      },
    );
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(all.map((s) => s.dispose()));
  }
}
