import { writeSync } from "node:fs";

const pause = new Int32Array(new SharedArrayBuffer(4));

/** The first wait on a full socket buffer (ms); it doubles up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 0.02;
const MAX_PAUSE_MS = 1;

/**
 * Write every byte to `fd` synchronously, waiting out a full socket buffer (EAGAIN) without
 * returning to the event loop: guest output must leave while a guest computes. The wait
 * starts short: the host empties the buffer within microseconds while it keeps up, and a
 * fixed 1 ms per full buffer (~200 KiB) held output to ~200 MB/s at best.
 */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let pauseMs = FIRST_PAUSE_MS;
  for (let at = 0; at < bytes.byteLength; ) {
    try {
      at += writeSync(fd, bytes, at, bytes.byteLength - at);
      pauseMs = FIRST_PAUSE_MS;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(pause, 0, 0, pauseMs);
      pauseMs = Math.min(MAX_PAUSE_MS, pauseMs * 2);
    }
  }
}
