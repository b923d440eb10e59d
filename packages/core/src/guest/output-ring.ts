import { concatBytes, utf8CutPoint } from "../output-bytes.js";
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
 * Layout: Int32 header [writeCount, readCount], then `capacity` data bytes. Records are
 * `[stream u8][length u32 LE][bytes]`, wrapping around the end. Counts only grow;
 * they stay far below 2^31 because the writer stops at `maxOutputBytes` (≤ 64 MiB).
 */
const WRITE = 0;
const READ = 1;
const HEADER_BYTES = 8;
const RECORD_HEADER = 5;

export function createOutputRingBuffer(capacityBytes = 1024 * 1024): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + capacityBytes);
}

export interface OutputRingWriterOptions {
  /** Output beyond this many bytes (stdout + stderr) is dropped. */
  maxOutputBytes: number;
  /** Called once when the cap is first exceeded, after the part that fits was written. */
  onLimit(): void;
}

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
    this.#header = new Int32Array(buffer, 0, 2);
    this.#data = new Uint8Array(buffer, HEADER_BYTES);
  }

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
    const maxPayload = this.#data.byteLength - RECORD_HEADER;
    for (let offset = 0; offset < bytes.byteLength; offset += maxPayload) {
      this.#record(stream === "stderr" ? 2 : 1, bytes.subarray(offset, offset + maxPayload));
    }
    if (over) {
      this.#limited = true;
      this.options.onLimit();
    }
  }

  #record(fd: number, payload: Uint8Array): void {
    const need = RECORD_HEADER + payload.byteLength;
    const capacity = this.#data.byteLength;
    const w = Atomics.load(this.#header, WRITE);
    // Back-pressure: wait for the reader to make room (it polls every few ms).
    for (;;) {
      const r = Atomics.load(this.#header, READ);
      if (capacity - (w - r) >= need) break;
      Atomics.wait(this.#header, READ, r, 50);
    }
    const head = new Uint8Array(RECORD_HEADER);
    head[0] = fd;
    new DataView(head.buffer).setUint32(1, payload.byteLength, true);
    this.#copyIn(w, head);
    this.#copyIn(w + RECORD_HEADER, payload);
    Atomics.store(this.#header, WRITE, w + need);
  }

  #copyIn(position: number, bytes: Uint8Array): void {
    const capacity = this.#data.byteLength;
    const at = position % capacity;
    const first = Math.min(bytes.byteLength, capacity - at);
    this.#data.set(bytes.subarray(0, first), at);
    if (first < bytes.byteLength) this.#data.set(bytes.subarray(first), 0);
  }
}

export class OutputRingReader {
  readonly #header: Int32Array;
  readonly #data: Uint8Array;
  #corrupt = false;

  constructor(buffer: SharedArrayBuffer) {
    this.#header = new Int32Array(buffer, 0, 2);
    this.#data = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** True once the ring held something no writer of ours could have written (guest tampering). */
  get corrupt(): boolean {
    return this.#corrupt;
  }

  /** Everything written since the last drain, as bytes, consecutive same-stream writes merged. */
  drain(): OutputChunk[] {
    const out: Array<[GuestStream, Uint8Array[]]> = [];
    if (this.#corrupt) return [];
    const w = Atomics.load(this.#header, WRITE);
    let r = Atomics.load(this.#header, READ);
    const capacity = this.#data.byteLength;
    while (w - r >= RECORD_HEADER) {
      const head = this.#copyOut(r, RECORD_HEADER);
      const fd = head[0];
      const length = new DataView(head.buffer).getUint32(1, true);
      if ((fd !== 1 && fd !== 2) || length > capacity - RECORD_HEADER || w - r - RECORD_HEADER < length || w - r > capacity) {
        this.#corrupt = true;
        break;
      }
      const bytes = this.#copyOut(r + RECORD_HEADER, length);
      r += RECORD_HEADER + length;
      if (length === 0) continue;
      const stream: GuestStream = fd === 2 ? "stderr" : "stdout";
      const last = out.at(-1);
      if (last && last[0] === stream) last[1].push(bytes);
      else out.push([stream, [bytes]]);
    }
    Atomics.store(this.#header, READ, r);
    Atomics.notify(this.#header, READ);
    return out.map(([stream, parts]) => [stream, concatBytes(parts)] as const);
  }

  #copyOut(position: number, length: number): Uint8Array {
    const capacity = this.#data.byteLength;
    const at = position % capacity;
    const out = new Uint8Array(length);
    const first = Math.min(length, capacity - at);
    out.set(this.#data.subarray(at, at + first));
    if (first < length) out.set(this.#data.subarray(0, length - first), first);
    return out;
  }
}
