import type { GuestStream } from "../runtime.js";

/** One piece of output, in the order written. */
export type OutputChunk = readonly [stream: GuestStream, text: string];

export interface OutputBatcherOptions {
  /** Receives batches of chunks, in order. */
  flush(chunks: OutputChunk[]): void;
  /** Output beyond this many UTF-8 bytes (stdout + stderr) is dropped. */
  maxOutputBytes: number;
  /** Called once when the cap is first exceeded, after the kept part was flushed. */
  onLimit(): void;
  /** Flush when this many bytes are pending. */
  batchBytes?: number;
  /** Flush when the oldest pending chunk is this old (checked on each write). */
  batchMs?: number;
  now?: () => number;
}

/**
 * Collects guest output and hands it on in batches, so a loop of tiny prints does not
 * cost one message each, while output still streams during a long synchronous run
 * (flushes happen on write, not on a timer the busy thread could never run).
 */
export class OutputBatcher {
  #pending: OutputChunk[] = [];
  #pendingBytes = 0;
  #firstPendingAt = 0;
  #totalBytes = 0;
  #limited = false;
  readonly #o: Required<OutputBatcherOptions>;

  constructor(options: OutputBatcherOptions) {
    this.#o = { batchBytes: 64 * 1024, batchMs: 10, now: () => performance.now(), ...options };
  }

  get limited(): boolean {
    return this.#limited;
  }

  write(stream: GuestStream, text: string): void {
    if (this.#limited || text.length === 0) return;
    const bytes = utf8Length(text);
    const room = this.#o.maxOutputBytes - this.#totalBytes;
    if (bytes > room) {
      const kept = truncateUtf8(text, room);
      if (kept) this.#push(stream, kept, utf8Length(kept));
      this.#limited = true;
      this.flush();
      this.#o.onLimit();
      return;
    }
    this.#push(stream, text, bytes);
    if (this.#pendingBytes >= this.#o.batchBytes || this.#o.now() - this.#firstPendingAt >= this.#o.batchMs) {
      this.flush();
    }
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    const chunks = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#o.flush(chunks);
  }

  #push(stream: GuestStream, text: string, bytes: number): void {
    if (this.#pending.length === 0) this.#firstPendingAt = this.#o.now();
    const last = this.#pending.at(-1);
    // Merge consecutive writes to the same stream: fewer, larger chunks, same order.
    if (last && last[0] === stream) this.#pending[this.#pending.length - 1] = [stream, last[1] + text];
    else this.#pending.push([stream, text]);
    this.#pendingBytes += bytes;
    this.#totalBytes += bytes;
  }
}

/** UTF-8 length of a JS string without allocating the encoded bytes. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** The longest prefix of `s` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (maxBytes <= 0) return "";
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let w = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    let step = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        w = 4;
        step = 2;
      }
    }
    if (n + w > maxBytes) return s.slice(0, i);
    n += w;
    i += step - 1;
  }
  return s;
}
