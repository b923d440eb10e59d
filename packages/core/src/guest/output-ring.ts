import { utf8CutPoint } from "../output-bytes.js";
import type { GuestStream } from "../runtime.js";

/** One piece of output, in the order written: the bytes the guest wrote. */
export type OutputChunk = readonly [stream: GuestStream, bytes: Uint8Array];

/**
 * Guest output travels through a ring buffer in shared memory, written by the guest's
 * thread and read by its supervisor. Output therefore reaches the host even when the
 * guest thread then blocks (`time.sleep`, a native loop) or is killed, costs no message
 * per write, and a fast writer is slowed down (back-pressure) instead of queueing
 * unbounded messages.
 *
 * Layout: Int32 header [writeCount, readCount, wakeCount, claimed, lock, …], then
 * `capacity` data bytes. Records are `[stream u8][length u32 LE][bytes]`, wrapping around
 * the end. Counts only grow; they stay far below 2^31 because the writer stops at
 * `maxOutputBytes` (≤ 64 MiB). A writer that fills the ring past half bumps `wakeCount` and
 * notifies it, so a supervisor waiting on it ({@link OutputRingReader.whenFilling}) drains
 * at once instead of at its next tick: a fast writer runs at copy speed, not at the drain
 * timer's.
 *
 * A write on the same stream as the last record extends that record while the reader has
 * not claimed it yet (a line-buffered C program writes a line per call: one record per
 * drain instead of thousands). The reader claims what it will read (`claimed` = the write
 * count) under a lock the writer also takes to extend; records that start before the claim
 * are never touched again.
 */
const WRITE = 0;
const READ = 1;
const WAKE = 2;
const CLAIMED = 3;
const LOCK = 4;
const HEADER_INTS = 8;
const HEADER_BYTES = HEADER_INTS * 4;
const RECORD_HEADER = 5;
/** How long a drain spins for the lock before it gives up until the next one (the writer holds it for one copy). */
const LOCK_SPINS = 100_000;

/**
 * 4 MiB: a fast writer (a C program's 64 KiB `fwrite`s) fills half of it between two
 * wake-ups of the supervisor, so each drain moves megabytes; it is shared memory that only
 * a run writing that much ever touches.
 */
export const OUTPUT_RING_BYTES = 4 * 1024 * 1024;

export function createOutputRingBuffer(capacityBytes = OUTPUT_RING_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + capacityBytes);
}

export interface OutputRingWriterOptions {
  /** Output beyond this many bytes (stdout + stderr) is dropped. */
  maxOutputBytes: number;
  /** Called once when the cap is first exceeded, after the part that fits was written. */
  onLimit(): void;
}

/** `Atomics.waitAsync` (ES2024; Node ≥ 16, current browsers), typed here for an ES2023 lib. */
type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs?: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

export class OutputRingWriter {
  readonly #header: Int32Array;
  readonly #data: Uint8Array;
  readonly #encoder = new TextEncoder();
  #totalBytes = 0;
  #limited = false;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly options: OutputRingWriterOptions,
  ) {
    this.#header = new Int32Array(buffer, 0, HEADER_INTS);
    this.#data = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** The last record, while this writer may still extend it: where it starts, its stream and length. */
  #openAt = -1;
  #openFd = 0;
  #openLength = 0;

  get limited(): boolean {
    return this.#limited;
  }

  write(stream: GuestStream, data: string | Uint8Array): void {
    if (this.#limited || data.length === 0) return;
    let bytes = typeof data === "string" ? this.#encoder.encode(data) : data;
    const room = this.options.maxOutputBytes - this.#totalBytes;
    const over = bytes.byteLength > room;
    if (over) bytes = bytes.subarray(0, utf8CutPoint(bytes, room));
    this.#totalBytes += bytes.byteLength;
    // Records of at most half the ring: a writer never waits for a reader to empty it whole.
    const maxPayload = Math.max(1, (this.#data.byteLength >> 1) - RECORD_HEADER);
    const fd = stream === "stderr" ? 2 : 1;
    for (let offset = 0; offset < bytes.byteLength; offset += maxPayload) {
      this.#record(fd, offset === 0 && bytes.byteLength <= maxPayload ? bytes : bytes.subarray(offset, offset + maxPayload));
    }
    if (over) {
      this.#limited = true;
      this.options.onLimit();
    }
  }

  #record(fd: number, payload: Uint8Array): void {
    if (this.#extend(fd, payload)) return;
    const need = RECORD_HEADER + payload.byteLength;
    const capacity = this.#data.byteLength;
    const w = Atomics.load(this.#header, WRITE);
    let r = Atomics.load(this.#header, READ);
    // Back-pressure: wake the reader and wait for it to make room.
    while (capacity - (w - r) < need) {
      this.#wake();
      Atomics.wait(this.#header, READ, r, 50);
      r = Atomics.load(this.#header, READ);
    }
    // The record header, byte by byte (no allocation per write: small writes are the common case).
    const data = this.#data;
    const n = payload.byteLength;
    data[w % capacity] = fd;
    data[(w + 1) % capacity] = n & 0xff;
    data[(w + 2) % capacity] = (n >>> 8) & 0xff;
    data[(w + 3) % capacity] = (n >>> 16) & 0xff;
    data[(w + 4) % capacity] = (n >>> 24) & 0xff;
    const at = (w + RECORD_HEADER) % capacity;
    if (at + n <= capacity) data.set(payload, at);
    else {
      const first = capacity - at;
      data.set(payload.subarray(0, first), at);
      data.set(payload.subarray(first), 0);
    }
    Atomics.store(this.#header, WRITE, w + need);
    this.#openAt = w;
    this.#openFd = fd;
    this.#openLength = n;
    this.#wakeIfFilling(w - r, need);
  }

  /** Append to the last record, if it is on this stream, unclaimed by the reader, and there is room now. */
  #extend(fd: number, payload: Uint8Array): boolean {
    const n = payload.byteLength;
    const capacity = this.#data.byteLength;
    if (this.#openAt < 0 || fd !== this.#openFd || this.#openLength + n > (capacity >> 1) - RECORD_HEADER) return false;
    const w = Atomics.load(this.#header, WRITE);
    const r = Atomics.load(this.#header, READ);
    if (capacity - (w - r) < n) return false;
    // The reader is claiming: write a new record instead of waiting for it.
    if (Atomics.compareExchange(this.#header, LOCK, 0, 1) !== 0) return false;
    try {
      if (Atomics.load(this.#header, CLAIMED) > this.#openAt) {
        this.#openAt = -1;
        return false;
      }
      const data = this.#data;
      const at = w % capacity;
      if (at + n <= capacity) data.set(payload, at);
      else {
        data.set(payload.subarray(0, capacity - at), at);
        data.set(payload.subarray(capacity - at), 0);
      }
      const length = this.#openLength + n;
      const h = this.#openAt;
      data[(h + 1) % capacity] = length & 0xff;
      data[(h + 2) % capacity] = (length >>> 8) & 0xff;
      data[(h + 3) % capacity] = (length >>> 16) & 0xff;
      data[(h + 4) % capacity] = (length >>> 24) & 0xff;
      this.#openLength = length;
      Atomics.store(this.#header, WRITE, w + n);
    } finally {
      Atomics.store(this.#header, LOCK, 0);
    }
    this.#wakeIfFilling(w - r, n);
    return true;
  }

  /** Crossing half full: the reader should not wait for its timer. */
  #wakeIfFilling(usedBefore: number, added: number): void {
    const half = this.#data.byteLength >> 1;
    if (usedBefore < half && usedBefore + added >= half) this.#wake();
  }

  #wake(): void {
    Atomics.add(this.#header, WAKE, 1);
    Atomics.notify(this.#header, WAKE);
  }
}

export class OutputRingReader {
  readonly #header: Int32Array;
  readonly #data: Uint8Array;
  #corrupt = false;
  /** The writer's wake count when the last drain began. */
  #wakeSeen = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.#header = new Int32Array(buffer, 0, HEADER_INTS);
    this.#data = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** True once the ring held something no writer of ours could have written (guest tampering). */
  get corrupt(): boolean {
    return this.#corrupt;
  }

  /**
   * Resolves once the writer filled the ring past half (or waits for room) since the last
   * drain began: at once when it already did. Null where `Atomics.waitAsync` is
   * missing: then the reader's timer alone drains.
   */
  whenFilling(): Promise<unknown> | null {
    if (!waitAsync) return null;
    // Compared with the count seen when the last drain began: a wake-up in between (the writer
    // filled the ring again while that drain ran) resolves at once instead of being lost.
    const wait = waitAsync(this.#header, WAKE, this.#wakeSeen);
    return wait.async ? wait.value : Promise.resolve(wait.value);
  }

  /**
   * Everything written since the last drain, consecutive same-stream writes merged. The
   * chunks are views into one new array (one copy out of the ring, whatever the number of
   * records), in write order.
   */
  drain(): OutputChunk[] {
    if (this.#corrupt) return [];
    this.#wakeSeen = Atomics.load(this.#header, WAKE);
    // Claim what is written so far: from here on the writer extends no record this drain reads.
    let spins = 0;
    while (Atomics.compareExchange(this.#header, LOCK, 0, 2) !== 0) if (++spins > LOCK_SPINS) return [];
    const w = Atomics.load(this.#header, WRITE);
    Atomics.store(this.#header, CLAIMED, w);
    Atomics.store(this.#header, LOCK, 0);
    const start = Atomics.load(this.#header, READ);
    const capacity = this.#data.byteLength;
    const data = this.#data;
    // First the record headers: where each payload lies, checked before anything is copied.
    const records: number[] = []; // [fd, position, length] triples
    let total = 0;
    let r = start;
    if (w - r > capacity || w - r < 0) this.#corrupt = true;
    while (!this.#corrupt && w - r >= RECORD_HEADER) {
      const fd = data[r % capacity]!;
      const length = (data[(r + 1) % capacity]! | (data[(r + 2) % capacity]! << 8) | (data[(r + 3) % capacity]! << 16) | (data[(r + 4) % capacity]! << 24)) >>> 0;
      if ((fd !== 1 && fd !== 2) || length > capacity - RECORD_HEADER || w - r - RECORD_HEADER < length) {
        this.#corrupt = true;
        break;
      }
      if (length > 0) records.push(fd, r + RECORD_HEADER, length);
      total += length;
      r += RECORD_HEADER + length;
    }
    const bytes = new Uint8Array(total);
    const out: Array<[GuestStream, Uint8Array]> = [];
    let at = 0;
    let runStart = 0;
    for (let i = 0; i < records.length; i += 3) {
      const fd = records[i]!;
      const length = records[i + 2]!;
      const from = records[i + 1]! % capacity;
      const first = Math.min(length, capacity - from);
      bytes.set(data.subarray(from, from + first), at);
      if (first < length) bytes.set(data.subarray(0, length - first), at + first);
      at += length;
      // A stream's run ends where the next record is on the other stream (or at the end).
      if (i + 3 >= records.length || records[i + 3] !== fd) {
        out.push([fd === 2 ? "stderr" : "stdout", bytes.subarray(runStart, at)]);
        runStart = at;
      }
    }
    Atomics.store(this.#header, READ, r);
    Atomics.notify(this.#header, READ);
    return out;
  }
}
