import type { SandboxKind } from "@wasmbox/core";
import type { SandboxProcess } from "./sandbox-process.js";

/**
 * Ready sandboxes per kind, started ahead of the requests that will use them. A run
 * takes one (it is never returned: sandboxes are single-use) and the pool starts a
 * replacement in the background, one at a time per kind so refills do not crowd out
 * live runs on a small machine.
 */
export class SandboxPool {
  readonly #idle = new Map<SandboxKind, SandboxProcess[]>();
  readonly #refilling = new Set<SandboxKind>();
  #disposed = false;

  constructor(
    private readonly start: (kind: SandboxKind) => SandboxProcess,
    private readonly targets: Readonly<Record<SandboxKind, number>>,
  ) {
    for (const kind of Object.keys(targets) as SandboxKind[]) this.#refill(kind);
  }

  /** A sandbox for `kind`: a pre-started one if there is one, else a new one. */
  acquire(kind: SandboxKind): SandboxProcess {
    const idle = this.#idle.get(kind) ?? [];
    let sandbox: SandboxProcess | undefined;
    while ((sandbox = idle.shift()) && !sandbox.alive) {
      // died while idle (killed from outside): skip it
    }
    this.#refill(kind);
    return sandbox ?? this.start(kind);
  }

  /** Sandboxes waiting, per kind. */
  size(kind: SandboxKind): number {
    return this.#idle.get(kind)?.length ?? 0;
  }

  #refill(kind: SandboxKind): void {
    if (this.#disposed || this.#refilling.has(kind)) return;
    const idle = this.#idle.get(kind) ?? [];
    this.#idle.set(kind, idle);
    if (idle.length >= (this.targets[kind] ?? 0)) return;
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
