/**
 * Fair admission to execution slots. The engine runs at most `slots` programs at once; the
 * server decides which waiting run gets a slot that frees up: that of the waiting key that
 * holds the fewest slots (ties: the one served longest ago — round-robin), never the
 * oldest run regardless of key, and never a key that already holds `perKey` slots. So one
 * key's queue of long runs cannot starve another key, and (with `perKey` < `slots`) cannot
 * hold every slot while another key's run waits. Each key's own runs start in order.
 */

interface Waiter {
  tenant: string;
  grant: (release: () => void) => void;
}

export class FairScheduler {
  #active = 0;
  readonly #running = new Map<string, number>();
  /** Waiters per tenant, FIFO. */
  readonly #waiting = new Map<string, Waiter[]>();
  /** When each tenant last got a slot (a counter), for round-robin among equals. */
  readonly #servedAt = new Map<string, number>();
  #grants = 0;
  #queued = 0;

  constructor(
    private readonly slots: number,
    private readonly perKey: () => number,
  ) {}

  /** Runs waiting for a slot. */
  get queued(): number {
    return this.#queued;
  }

  /** Runs holding a slot. */
  get active(): number {
    return this.#active;
  }

  runningOf(tenant: string): number {
    return this.#running.get(tenant) ?? 0;
  }

  /** Whether a run of `tenant` would get a slot at once (none waiting ahead of it could take it). */
  canStartNow(tenant: string): boolean {
    return this.#active < this.slots && this.runningOf(tenant) < this.perKey() && !this.#waiting.has(tenant);
  }

  /**
   * Wait for a slot. Resolves to a release function, or to null when `signal` aborts while
   * the run waits (it leaves the queue at once; nothing to release).
   */
  acquire(tenant: string, signal?: AbortSignal): Promise<(() => void) | null> {
    if (signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        tenant,
        grant: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const queue = this.#waiting.get(tenant);
        const i = queue?.indexOf(waiter) ?? -1;
        if (queue && i >= 0) {
          queue.splice(i, 1);
          this.#queued--;
          if (!queue.length) this.#waiting.delete(tenant);
        }
        resolve(null);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const queue = this.#waiting.get(tenant);
      if (queue) queue.push(waiter);
      else this.#waiting.set(tenant, [waiter]);
      this.#queued++;
      this.#pump();
    });
  }

  /** Hand free slots to waiting tenants: fewest slots held first, then least recently served. */
  #pump(): void {
    while (this.#active < this.slots && this.#queued > 0) {
      let chosen: string | undefined;
      let best: [number, number] = [Infinity, Infinity];
      for (const tenant of this.#waiting.keys()) {
        const running = this.runningOf(tenant);
        if (running >= this.perKey()) continue; // at its share
        const served = this.#servedAt.get(tenant) ?? -1;
        if (running < best[0] || (running === best[0] && served < best[1])) {
          chosen = tenant;
          best = [running, served];
        }
      }
      if (chosen === undefined) return; // every waiting tenant is at its share
      const queue = this.#waiting.get(chosen)!;
      const waiter = queue.shift()!;
      this.#queued--;
      if (!queue.length) this.#waiting.delete(chosen);
      this.#active++;
      this.#running.set(chosen, this.runningOf(chosen) + 1);
      this.#servedAt.set(chosen, ++this.#grants);
      waiter.grant(this.#releaser(chosen));
    }
  }

  #releaser(tenant: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      const n = this.runningOf(tenant) - 1;
      if (n > 0) this.#running.set(tenant, n);
      else {
        this.#running.delete(tenant);
        if (!this.#waiting.has(tenant)) this.#servedAt.delete(tenant); // forget idle tenants
      }
      this.#pump();
    };
  }
}
