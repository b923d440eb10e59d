/**
 * A pristine image of a QuickJS instance's linear memory, taken once its runtime, context
 * and prelude exist and before any guest code ran, and written back over the instance
 * before each fresh run: a fresh interpreter for the price of a copy, instead of a new wasm
 * instance and the prelude evaluated again (~20 ms of CPU, and a new 16 MiB memory for the
 * GC to reclaim).
 *
 * The restore is exact whatever the last run did to the memory, even a run that took over
 * the interpreter and wrote anywhere: every page the image holds is copied back, and every
 * other page is checked to be zero (a SIMD scan) and cleared if it is not. The instance's
 * only other state is its stack pointer (its one mutable global: back at its base whenever
 * no wasm call is in progress; a run whose call trapped is never restored, see the runtime)
 * and its function table (not exported, never written by QuickJS's C code). A memory that
 * grew cannot shrink back: that instance is replaced instead.
 *
 * One field of the context is per run, not per image, and is written after each restore:
 * Math.random's seed (else every run would draw the same numbers); its address is found when
 * the image is taken, by what a draw does to it. (`performance.timeOrigin` stays the image's:
 * `performance.now()` counts from when the sandbox made its image, as it counted before from
 * when the context was made, after the previous run.)
 */

const PAGE_BYTES = 4096;

export class PristineImage {
  readonly #byteLength: number;
  /** The runs of pages that are not all zero, ascending: [start, end) byte offsets, and their bytes in that order. */
  readonly #runs: Uint32Array;
  readonly #bytes: Uint8Array;
  readonly #randomStateAt: number;
  readonly #scan: (fromBytes: number, toBytes: number) => number;

  private constructor(memory: WebAssembly.Memory, scan: (fromBytes: number, toBytes: number) => number, randomStateAt: number) {
    const live = new Uint8Array(memory.buffer);
    this.#byteLength = live.byteLength;
    this.#scan = scan;
    const runs: number[] = [];
    for (let at = this.#scan(0, live.byteLength); at < live.byteLength; at = this.#scan(at + PAGE_BYTES, live.byteLength)) {
      if (runs.length && runs.at(-1) === at) runs[runs.length - 1] = at + PAGE_BYTES;
      else runs.push(at, at + PAGE_BYTES);
    }
    this.#runs = Uint32Array.from(runs);
    this.#bytes = new Uint8Array(runs.reduce((sum, at, i) => sum + (i % 2 ? at - runs[i - 1]! : 0), 0));
    for (let i = 0, stored = 0; i < runs.length; i += 2) {
      this.#bytes.set(live.subarray(runs[i], runs[i + 1]), stored);
      stored += runs[i + 1]! - runs[i]!;
    }
    this.#randomStateAt = randomStateAt;
  }

  /**
   * Take the image of `memory` as it is now. `drawRandom` runs `Math.random()` in the
   * context; the seed is the one 64-bit word the draw advanced by QuickJS's xorshift64* step.
   * Null if it cannot be found (another QuickJS build): the runtime then makes every fresh
   * interpreter from scratch.
   */
  static take(memory: WebAssembly.Memory, drawRandom: () => void): PristineImage | null {
    const scan = zeroScanner(memory);
    const byteLength = memory.buffer.byteLength;
    // The seed is never zero, so it sits in a page that is not: only those are compared.
    const pages: number[] = [];
    for (let at = scan(0, byteLength); at < byteLength; at = scan(at + PAGE_BYTES, byteLength)) pages.push(at);
    const before = new Uint8Array(pages.length * PAGE_BYTES);
    pages.forEach((at, i) => before.set(new Uint8Array(memory.buffer, at, PAGE_BYTES), i * PAGE_BYTES));
    drawRandom();
    if (memory.buffer.byteLength !== byteLength) return null;
    const after = new DataView(memory.buffer);
    const was = new DataView(before.buffer);
    const seeds: number[] = [];
    pages.forEach((page, i) => {
      for (let offset = 0; offset < PAGE_BYTES; offset += 8) {
        const now = after.getBigUint64(page + offset, true);
        const then = was.getBigUint64(i * PAGE_BYTES + offset, true);
        if (now !== then && now === xorshiftStep(then)) seeds.push(page + offset);
      }
    });
    if (seeds.length !== 1) return null;
    return new PristineImage(memory, scan, seeds[0]!);
  }

  /** Bytes of memory the image spans, and how many of them it holds (its non-zero pages). */
  get byteLength(): number {
    return this.#byteLength;
  }

  get storedBytes(): number {
    return this.#bytes.byteLength;
  }

  /**
   * Write the image back over `memory` and give the context a new Math.random seed.
   * False (nothing written) if the memory grew since: that instance cannot be made pristine.
   */
  restore(memory: WebAssembly.Memory): boolean {
    const live = new Uint8Array(memory.buffer);
    if (live.byteLength !== this.#byteLength) return false;
    // Clear every page outside the image that is not zero, between and after the image's runs of pages.
    let from = 0;
    let stored = 0;
    for (let i = 0; i <= this.#runs.length; i += 2) {
      const to = i < this.#runs.length ? this.#runs[i]! : live.byteLength;
      for (let at = this.#scan(from, to); at < to; at = this.#scan(at + PAGE_BYTES, to)) live.fill(0, at, at + PAGE_BYTES);
      if (i === this.#runs.length) break;
      from = this.#runs[i + 1]!;
      live.set(this.#bytes.subarray(stored, stored + from - to), to);
      stored += from - to;
    }
    new DataView(memory.buffer).setBigUint64(this.#randomStateAt, nextSeed(), true);
    return true;
  }
}

const MASK_64 = (1n << 64n) - 1n;

/** Seeds drawn from the platform's CSPRNG a batch at a time (a draw costs tens of µs). */
const seeds = new BigUint64Array(256);
let seedsLeft = 0;

/** A new Math.random seed, never zero (xorshift's one fixed point). */
function nextSeed(): bigint {
  for (;;) {
    if (seedsLeft === 0) {
      crypto.getRandomValues(seeds);
      seedsLeft = seeds.length;
    }
    const seed = seeds[--seedsLeft]!;
    seeds[seedsLeft] = 0n;
    if (seed !== 0n) return seed;
  }
}

/** QuickJS's Math.random state update (xorshift64*, before its output multiply). */
function xorshiftStep(state: bigint): bigint {
  let x = state;
  x ^= x >> 12n;
  x = (x ^ (x << 25n)) & MASK_64;
  x ^= x >> 27n;
  return x;
}

/**
 * `firstNonZeroPage(from, to)`: the offset of the first 4 KiB page in [from, to) of the
 * imported memory that is not all zero, or `to`. From this WAT (wabt, SIMD):
 *
 *   (module (import "wasmbox" "memory" (memory 1))
 *     (func (export "firstNonZeroPage") (param $at i32) (param $to i32) (result i32)
 *       (local $end i32) (local $acc v128)
 *       (block $done (loop $page
 *         (br_if $done (i32.ge_u (local.get $at) (local.get $to)))
 *         (local.set $end (i32.add (local.get $at) (i32.const 4096)))
 *         (local.set $acc (v128.const i64x2 0 0))
 *         (loop $chunk
 *           (local.set $acc (v128.or (local.get $acc)
 *             (v128.or (v128.or (v128.load (local.get $at)) (v128.load offset=16 (local.get $at)))
 *                      (v128.or (v128.load offset=32 (local.get $at)) (v128.load offset=48 (local.get $at))))))
 *           (local.set $at (i32.add (local.get $at) (i32.const 64)))
 *           (br_if $chunk (i32.lt_u (local.get $at) (local.get $end))))
 *         (if (v128.any_true (local.get $acc)) (then (return (i32.sub (local.get $at) (i32.const 4096)))))
 *         (br $page)))
 *       (local.get $to)))
 */
const ZERO_SCAN_WASM =
  "AGFzbQEAAAABBwFgAn9/AX8CEwEHd2FzbWJveAZtZW1vcnkCAAEDAgEABxQBEGZpcnN0Tm9uWmVyb1BhZ2UAAAp5AXcCAX8BewJAA0AgACABTw0BIABBgCBqIQL9DAAAAAAAAAAAAAAAAAAAAAAhAwNAIAMgAP0ABAAgAP0ABBD9UCAA/QAEICAA/QAEMP1Q/VD9UCEDIABBwABqIQAgACACSQ0ACyAD/VMEQCAAQYAgaw8LDAALCyABCw==";

/** The SIMD scanner over `memory`, or the same scan in plain JS where wasm SIMD is missing. */
function zeroScanner(memory: WebAssembly.Memory): (fromBytes: number, toBytes: number) => number {
  try {
    const bytes = Uint8Array.from(atob(ZERO_SCAN_WASM), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { wasmbox: { memory } });
    return instance.exports.firstNonZeroPage as (fromBytes: number, toBytes: number) => number;
  } catch {
    return (fromBytes, toBytes) => {
      const words = new Int32Array(memory.buffer);
      for (let page = fromBytes >> 2; page < toBytes >> 2; page += PAGE_BYTES >> 2) {
        for (let i = page; i < page + (PAGE_BYTES >> 2); i++) if (words[i] !== 0) return page << 2;
      }
      return toBytes;
    };
  }
}
