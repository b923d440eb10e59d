/**
 * `--out-dir` for rich outputs: each image a run displayed (PNG, JPEG, SVG) becomes a file,
 * named by its place among the run's outputs, beside the files the program produced.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RichOutput } from "@wasmbox/node";

/** The image types written as files, richest first (an output holding several is written once). */
const IMAGE_TYPES = [
  ["image/png", "png"],
  ["image/jpeg", "jpg"],
  ["image/svg+xml", "svg"],
] as const;

/**
 * Write the image outputs into `dir` (already made) as `output-<n>.<ext>`, `n` the output's
 * place in `result.outputs` from 1; a name a produced file already took gets a suffix.
 * @returns the paths written, in order
 * @example writeImageOutputs("out", result.outputs, new Set(result.files.map((f) => f.path)))
 */
export function writeImageOutputs(dir: string, outputs: readonly RichOutput[], taken: ReadonlySet<string>): string[] {
  const written: string[] = [];
  outputs.forEach((output, i) => {
    const image = IMAGE_TYPES.find(([mime]) => typeof output.data[mime] === "string");
    if (!image) return;
    const [mime, ext] = image;
    const text = output.data[mime] as string;
    let name = `output-${i + 1}.${ext}`;
    for (let k = 2; taken.has(name); k++) name = `output-${i + 1}-${k}.${ext}`;
    const path = join(dir, name);
    writeFileSync(path, mime === "image/svg+xml" ? text : Buffer.from(text, "base64"));
    written.push(path);
  });
  return written;
}
