/**
 * A run's rich outputs (`result.outputs`), shown inline in order. Guest content is hostile:
 * images go in `<img>` from a data: URL (an SVG there runs no script), HTML only in an
 * `<iframe sandbox>` with no permissions at all (no scripts, its own opaque origin), and
 * everything else as text — never as markup of this page.
 */
import type { RichOutput } from "@wasmbox/client";

/** Shown as images, richest first. */
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/svg+xml"] as const;

/** Render `outputs` into `container` (emptied first); hidden when there are none. */
export function renderRichOutputs(container: HTMLElement, outputs: readonly RichOutput[]): void {
  container.replaceChildren(...outputs.map(renderOne));
  container.hidden = outputs.length === 0;
}

function renderOne(output: RichOutput, index: number): HTMLElement {
  const figure = document.createElement("figure");
  figure.className = `rich-output ${output.kind}`;
  figure.dataset["kind"] = output.kind;
  const label = `${output.kind === "result" ? "value of the last expression" : "display output"} ${index + 1}`;
  figure.setAttribute("aria-label", label);
  figure.append(body(output.data, label));
  return figure;
}

function body(data: RichOutput["data"], label: string): HTMLElement {
  const text = (mime: string) => (typeof data[mime] === "string" ? (data[mime] as string) : undefined);
  for (const mime of IMAGE_TYPES) {
    const value = text(mime);
    if (value === undefined) continue;
    const img = document.createElement("img");
    img.className = "produced-image";
    img.alt = text("text/plain") ?? label;
    // Base64 types arrive as base64; SVG is text, encoded here (as UTF-8) for the URL.
    img.src = `data:${mime};base64,${mime === "image/svg+xml" ? utf8Base64(value) : value}`;
    return img;
  }
  const html = text("text/html");
  if (html !== undefined) {
    const frame = document.createElement("iframe");
    // An empty sandbox: no scripts, no forms, no popups, no same-origin access to this page.
    frame.setAttribute("sandbox", "");
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.className = "rich-html";
    frame.title = label;
    frame.srcdoc = html;
    return frame;
  }
  const pre = document.createElement("pre");
  pre.className = "rich-text";
  const json = data["application/json"];
  pre.textContent = text("text/markdown") ?? text("text/plain") ?? (json !== undefined ? JSON.stringify(json, null, 2) : (text("text/latex") ?? ""));
  return pre;
}

function utf8Base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
