/**
 * A program's output is bytes. Results and streamed pieces carry text, plus the exact bytes
 * in base64 wherever the text cannot hold them (they are not valid UTF-8): these give the
 * bytes back in both cases, with no dependency (global `atob`, `TextEncoder`).
 */
import type { ExecuteResult, OutputPiece, RichOutput } from "./types.js";

/**
 * The exact bytes a run wrote to `stream`.
 * @example
 * const result = await client.execute({ language: "c", code });
 * writeFileSync("image.pbm", outputBytes(result, "stdout"));
 */
export function outputBytes(result: Pick<ExecuteResult, "stdout" | "stderr" | "output" | "stdoutBase64" | "stderrBase64" | "outputBase64">, stream: "stdout" | "stderr" | "output"): Uint8Array;
/** The exact bytes of a streamed `stdout`/`stderr` event's piece. */
export function outputBytes(piece: OutputPiece): Uint8Array;
export function outputBytes(from: Partial<ExecuteResult> | OutputPiece, stream?: "stdout" | "stderr" | "output"): Uint8Array {
  const [text, base64] = stream === undefined
    ? [(from as OutputPiece).text, (from as OutputPiece).base64]
    : [(from as Partial<ExecuteResult>)[stream], (from as Partial<ExecuteResult>)[`${stream}Base64`]];
  if (base64 === undefined) return new TextEncoder().encode(text ?? "");
  return decodeBase64(base64);
}

/**
 * The bytes of one MIME type of a rich output (`result.outputs`), or undefined when the output
 * does not hold it: base64 types (`image/png`, `image/jpeg`) decoded, text types (`text/html`,
 * `image/svg+xml`, …) as UTF-8, JSON types as their JSON text.
 * @example
 * const result = await client.execute({ language: "python", code: "import matplotlib.pyplot as plt\nplt.plot([1, 2])" });
 * const png = result.outputs.find((o) => "image/png" in o.data);
 * if (png) writeFileSync("plot.png", richOutputBytes(png, "image/png")!);
 */
export function richOutputBytes(output: RichOutput, mime: string): Uint8Array | undefined {
  if (!Object.prototype.hasOwnProperty.call(output.data, mime)) return undefined;
  const value = output.data[mime];
  if (mime === "application/json" || mime.endsWith("+json")) return new TextEncoder().encode(JSON.stringify(value));
  if (typeof value !== "string") return undefined;
  if (mime.startsWith("text/") || mime === "image/svg+xml") return new TextEncoder().encode(value);
  return decodeBase64(value);
}

function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
