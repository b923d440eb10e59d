import { WasmboxError } from "@wasmbox/contract";

/** A counting semaphore with a bounded wait queue: over capacity is an error, never a hang. */
export class Semaphore {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly maxQueued: number,
  ) {}

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Wait for a slot. Resolves to a release function, or to null if `signal` aborted while
   * waiting (the waiter leaves the queue at once; nothing to release).
   */
  async acquire(signal?: AbortSignal): Promise<(() => void) | null> {
    if (signal?.aborted) return null;
    if (this.#active < this.max) {
      this.#active++;
      return this.#releaser();
    }
    if (this.#waiting.length >= this.maxQueued) {
      throw new WasmboxError("QUEUE_FULL", `${this.#waiting.length} runs are already waiting (maxQueuedRuns); retry later`, { retryAfterSeconds: 1 });
    }
    const granted = await new Promise<boolean>((resolve) => {
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(wake);
        if (i >= 0) this.#waiting.splice(i, 1);
        resolve(false);
      };
      this.#waiting.push(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    if (!granted) return null;
    this.#active++;
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#waiting.shift()?.();
    };
  }
}
