import type { RichOutput } from "@wasmbox/contract";
import { utf8Length } from "./utf8.js";

export interface RichOutputCaps {
  /** Outputs a run may return; later ones are dropped. */
  maxOutputs: number;
  /** Their size in all, as {@link richOutputBytes} measures it. */
  maxTotalBytes: number;
}

/**
 * What a run may return as rich outputs. Images are far larger than text: a matplotlib
 * figure at its default size is 20–100 KB of PNG (a third more as base64), a DataFrame's
 * HTML a few tens of KB (pandas cuts it at 60 rows), so 16 MiB holds a hundred figures while
 * bounding what one run adds to a frame, a stored result and a page. Independent of
 * `maxOutputBytes`, which is about stdout and stderr.
 */
export const RICH_OUTPUT_CAPS = { maxOutputs: 100, maxTotalBytes: 16 * 1024 * 1024 } as const satisfies RichOutputCaps;

/**
 * The size of one output: the UTF-8 bytes of its `data` as JSON, which is what it costs on
 * the wire (the sandbox channel's frames are JSON) and in a stored result. Base64 images cost
 * their base64 length.
 */
export function richOutputBytes(output: RichOutput): number {
  return utf8Length(JSON.stringify(output.data));
}

export interface CappedRichOutputs {
  kept: RichOutput[];
  /** Outputs dropped because the count cap was reached, and because the bytes cap was. */
  dropped: { count: number; bytes: number };
}

/**
 * The outputs a run may return, in order: the first `maxOutputs`, each kept when it fits in
 * the bytes left (a too-large figure is dropped, a small table after it still kept).
 */
export function capRichOutputs(outputs: readonly RichOutput[], caps: RichOutputCaps = RICH_OUTPUT_CAPS): CappedRichOutputs {
  const kept: RichOutput[] = [];
  const dropped = { count: 0, bytes: 0 };
  let total = 0;
  for (const output of outputs) {
    if (kept.length >= caps.maxOutputs) {
      dropped.count++;
      continue;
    }
    const bytes = richOutputBytes(output);
    if (total + bytes > caps.maxTotalBytes) {
      dropped.bytes++;
      continue;
    }
    total += bytes;
    kept.push(output);
  }
  return { kept, dropped };
}

/** The line a run's stderr gets when outputs were dropped (empty when none were). */
export function droppedOutputsNote(dropped: CappedRichOutputs["dropped"], caps: RichOutputCaps = RICH_OUTPUT_CAPS): string {
  const parts: string[] = [];
  if (dropped.count) parts.push(`${dropped.count} past the cap of ${caps.maxOutputs} outputs a run may make`);
  if (dropped.bytes) parts.push(`${dropped.bytes} that did not fit in the ${caps.maxTotalBytes} bytes all outputs of a run may take`);
  if (!parts.length) return "";
  const n = dropped.count + dropped.bytes;
  return `wasmbox: ${n} rich output${n === 1 ? " was" : "s were"} dropped (${parts.join("; ")}); write large results to files instead\n`;
}
