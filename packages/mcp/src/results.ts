/**
 * A run's result as an MCP tool result an agent can act on: the status, stdout and stderr
 * (each cut to a budget, with a note of how much was dropped), the error with its traceback
 * (already cut to the user's frames by the engine), images the program displayed as image
 * content, and the files it produced as resource links. A guest failure is `isError: true`,
 * never a protocol error.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ExecuteResult } from "@wasmbox/core";

type Content = CallToolResult["content"][number];

/** Where produced files are read back: `wasmbox://runs/<run id>/files/<path>`. */
export const FILE_URI_PREFIX = "wasmbox://runs/";

export function fileUri(runId: string, path: string): string {
  return `${FILE_URI_PREFIX}${runId}/files/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** Images shown as MCP image content; `data` holds base64 for these (RichOutputSchema). */
const BASE64_IMAGES = ["image/png", "image/jpeg", "image/gif", "image/webp"] as const;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** One image's base64 at most (about 12 MiB of image), and all of a result's together. */
const MAX_IMAGE_CHARS = 16 * 1024 * 1024;
const MAX_IMAGES_CHARS = 32 * 1024 * 1024;

export interface FormatOptions {
  /** Characters of stdout (and again of stderr) put in the answer; the middle of longer output is dropped with a note. */
  maxTextChars: number;
}

export function formatResult(runId: string, result: ExecuteResult, options: FormatOptions): CallToolResult {
  const text: string[] = [summaryLine(result)];
  if (result.stdout) text.push(`--- stdout ---\n${cut(result.stdout, "stdout", options.maxTextChars)}`);
  if (result.stderr) text.push(`--- stderr ---\n${cut(result.stderr, "stderr", options.maxTextChars)}`);
  if (result.value !== null && result.value !== undefined) text.push(`--- value ---\n${cut(JSON.stringify(result.value), "value", options.maxTextChars)}`);
  const e = result.error;
  if (e) {
    const where = e.line === null ? "" : ` (line ${e.line})`;
    const head = `${e.name}: ${e.message}${where}`;
    const traceback = e.traceback.trimEnd();
    // Python prints its traceback on stderr too: then the error's line is enough.
    const body = !traceback || result.stderr.includes(traceback) ? head : traceback.includes(e.message) ? traceback : `${traceback}\n${head}`;
    text.push(`--- error ---\n${cut(body, "traceback", options.maxTextChars)}`);
  }
  if (result.status === "compile_error" && result.compile?.output && !result.stderr.includes(result.compile.output.trim())) {
    text.push(`--- compiler ---\n${cut(result.compile.output, "compiler output", options.maxTextChars)}`);
  }
  const content: Content[] = [{ type: "text", text: text.join("\n") }];
  content.push(...richOutputs(result));
  for (const f of result.files) {
    content.push({
      type: "resource_link",
      uri: fileUri(runId, f.path),
      name: f.path,
      mimeType: f.mime,
      size: f.size,
      description: `A file the program wrote in its working directory (${f.size} bytes, sha256 ${f.sha256}); read it with resources/read.`,
    });
  }
  return { content, isError: result.status !== "ok" };
}

function summaryLine(r: ExecuteResult): string {
  const parts = [`status: ${r.status}`];
  if (r.exitCode !== null) parts.push(`exit code ${r.exitCode}`);
  parts.push(`${Math.round(r.timings.totalMs)} ms`);
  if (r.compile) parts.push(`${r.compile.compiler}${r.compile.cached ? " (cached build)" : ""}`);
  if (r.files.length) parts.push(`${r.files.length} file${r.files.length === 1 ? "" : "s"} produced`);
  let line = parts.join(" · ");
  // A limit's message names the option to raise (the engine writes it): put it where it is seen first.
  if ((r.status === "timeout" || r.status === "memory_limit" || r.status === "output_limit") && r.error) line += `\n${r.error.message}`;
  return line;
}

/** `text` within `max` characters: its start and end, with a note of what was dropped between. */
export function cut(text: string, what: string, max: number): string {
  if (text.length <= max) return text;
  // Never split a surrogate pair: a lone half is not text.
  let headEnd = Math.ceil(max * 0.6);
  if (/[\uD800-\uDBFF]/.test(text[headEnd - 1] ?? "")) headEnd--;
  let tailStart = text.length - Math.floor(max * 0.4);
  if (/[\uDC00-\uDFFF]/.test(text[tailStart] ?? "")) tailStart++;
  const head = text.slice(0, headEnd);
  const tail = text.slice(tailStart);
  const dropped = text.slice(head.length, text.length - tail.length);
  const bytes = new TextEncoder().encode(dropped).byteLength;
  return `${head}\n[… ${bytes} bytes (${dropped.split("\n").length - 1} lines) of ${what} dropped here: the answer keeps the first and last ${max} characters …]\n${tail}`;
}

/** display() outputs and figures: images as image content, text-only ones as text. The data is the guest's: checked before use. */
function richOutputs(result: ExecuteResult): Content[] {
  const out: Content[] = [];
  let budget = MAX_IMAGES_CHARS;
  for (const output of result.outputs) {
    const data = output.data;
    const mime = BASE64_IMAGES.find((m) => typeof data[m] === "string");
    const svg = typeof data["image/svg+xml"] === "string" ? (data["image/svg+xml"] as string) : undefined;
    if (mime) {
      const b64 = (data[mime] as string).replace(/\s+/g, "");
      if (b64.length <= Math.min(MAX_IMAGE_CHARS, budget) && BASE64.test(b64)) {
        budget -= b64.length;
        out.push({ type: "image", data: b64, mimeType: mime });
        continue;
      }
    } else if (svg !== undefined) {
      const b64 = Buffer.from(svg, "utf8").toString("base64");
      if (b64.length <= Math.min(MAX_IMAGE_CHARS, budget)) {
        budget -= b64.length;
        out.push({ type: "image", data: b64, mimeType: "image/svg+xml" });
        continue;
      }
    }
    const plain = typeof data["text/markdown"] === "string" ? data["text/markdown"] : typeof data["text/plain"] === "string" ? data["text/plain"] : undefined;
    if (plain !== undefined && output.kind === "display") out.push({ type: "text", text: `--- display ---\n${cut(plain, "display output", 16_000)}` });
    else if (mime || svg !== undefined) out.push({ type: "text", text: "--- display ---\n[an image too large to include was left out]" });
  }
  return out;
}
