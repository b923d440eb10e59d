import { WasmboxError } from "@wasmbox/core";

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

  async acquire(): Promise<() => void> {
    if (this.#active < this.max) {
      this.#active++;
      return this.#releaser();
    }
    if (this.#waiting.length >= this.maxQueued) {
      throw new WasmboxError("QUEUE_FULL", `${this.#waiting.length} runs are already waiting (maxQueuedRuns); retry later`);
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
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
