/**
 * Group commit for run history: writes queued in one turn of the event loop (or up to
 * `maxBatch` of them) commit together in one SQLite transaction, instead of one transaction
 * each. A write's promise settles only once its transaction committed, so a caller that waits
 * for it before answering (a run's result) never answers with something a crash could lose.
 */
import type { Db } from "./database.js";

interface Pending {
  write: () => void;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface GroupCommitOptions {
  /** Writes that commit at once, without waiting for the end of the turn. Default 256. */
  maxBatch?: number;
  /**
   * How long a batch may wait for more writes: 0 (the default) commits when the current turn
   * of the event loop ends (setImmediate), so a write waits for no timer; more gathers more
   * writes per transaction at that much latency.
   */
  maxDelayMs?: number;
}

export class GroupCommit {
  #queue: Pending[] = [];
  #scheduled: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  /** Transactions committed, the writes they carried, and the ms spent committing (for the bench and tests). */
  readonly stats = { commits: 0, writes: 0, commitMs: 0 };

  constructor(
    private readonly db: Db,
    options: GroupCommitOptions = {},
  ) {
    this.#maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.#maxDelayMs = Math.max(0, options.maxDelayMs ?? 0);
  }

  /** Writes queued and not committed yet. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Queue `write` (synchronous statements); resolves once it committed, rejects if it failed.
   * A `lazy` write schedules no commit of its own: it rides with the next write that does, or
   * the next read (which flushes first), so it costs no transaction of its own.
   */
  write(write: () => void, { lazy = false }: { lazy?: boolean } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ write, resolve, reject });
      if (this.#queue.length >= this.#maxBatch) this.flush();
      else if (!lazy) this.#schedule();
    });
  }

  /**
   * Commit every queued write now. Reads call this first, so they see every write made
   * before them (a run's state, its events) whether or not its batch was due.
   */
  flush(): void {
    if (this.#scheduled !== undefined) {
      if (this.#maxDelayMs > 0) clearTimeout(this.#scheduled as ReturnType<typeof setTimeout>);
      else clearImmediate(this.#scheduled as ReturnType<typeof setImmediate>);
      this.#scheduled = undefined;
    }
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#commit(batch);
    }
  }

  #schedule(): void {
    if (this.#scheduled !== undefined) return;
    const run = () => {
      this.#scheduled = undefined;
      this.flush();
    };
    this.#scheduled = this.#maxDelayMs > 0 ? setTimeout(run, this.#maxDelayMs) : setImmediate(run);
  }

  #commit(batch: Pending[]): void {
    if (!this.db.open) {
      const e = new Error("the history database is closed");
      for (const p of batch) p.reject(e);
      return;
    }
    const t0 = performance.now();
    try {
      this.#commitBatch(batch);
    } finally {
      this.stats.commitMs += performance.now() - t0;
    }
  }

  #commitBatch(batch: Pending[]): void {
    try {
      this.db.transaction(() => {
        for (const p of batch) p.write();
      })();
      this.stats.commits++;
      this.stats.writes += batch.length;
      for (const p of batch) p.resolve();
      return;
    } catch {
      // One write failed and the transaction rolled back: commit each on its own, so only
      // the write that fails is refused and the rest of the batch is kept.
    }
    for (const p of batch) {
      try {
        this.db.transaction(p.write)();
        this.stats.commits++;
        this.stats.writes++;
        p.resolve();
      } catch (e) {
        p.reject(e);
      }
    }
  }
}
