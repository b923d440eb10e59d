/**
 * The output panel: stdout and stderr as they are written (stderr in its own spans, styled
 * and labelled), the status line, the run's rich outputs, its error message, and a small line
 * under the output with what the run used (CPU, wall time, peak memory: "unknown" where the
 * host cannot measure it, as a browser cannot).
 */
import type { ExecuteResult, Limits } from "@wasmbox/client";
import { formatBytes } from "./files.js";
import { renderRichOutputs } from "./rich-outputs.js";

/** Above this, output is still kept in the result but the panel stops adding to the DOM. */
const MAX_PANEL_CHARS = 2_000_000;

export class OutputPanel {
  #chars = 0;
  #truncated = false;

  constructor(
    private readonly output: HTMLElement,
    private readonly status: HTMLElement,
    private readonly error: HTMLElement,
    private readonly rich: HTMLElement,
    private readonly usage: HTMLElement,
  ) {}

  clear(): void {
    this.output.replaceChildren();
    renderRichOutputs(this.rich, []);
    this.usage.textContent = "";
    this.usage.hidden = true;
    this.error.replaceChildren();
    this.error.hidden = true;
    this.#chars = 0;
    this.#truncated = false;
  }

  /** Append a piece of output; consecutive pieces of one stream share a span. */
  write(stream: "stdout" | "stderr", text: string): void {
    if (text === "") return;
    if (this.#chars + text.length > MAX_PANEL_CHARS) {
      if (!this.#truncated) this.#append("stderr", "\n[the panel shows the first 2 MB of output]\n");
      this.#truncated = true;
      return;
    }
    this.#chars += text.length;
    this.#append(stream, text);
  }

  #append(stream: "stdout" | "stderr", text: string): void {
    const last = this.output.lastElementChild;
    if (last instanceof HTMLElement && last.dataset["stream"] === stream) {
      last.append(text);
      return;
    }
    const span = document.createElement("span");
    span.className = stream;
    span.dataset["stream"] = stream;
    if (stream === "stderr") span.setAttribute("aria-label", "standard error");
    span.textContent = text;
    this.output.append(span);
  }

  /** Whether anything was shown (a run that streamed nothing gets the result's text). */
  get isEmpty(): boolean {
    return this.output.childElementCount === 0;
  }

  setStatus(text: string, tone: "idle" | "running" | "ok" | "bad" = "idle"): void {
    this.status.textContent = text;
    this.status.dataset["tone"] = tone;
  }

  /** The status line of a finished run, and its error (message and traceback) when it failed. */
  showResult(result: ExecuteResult, where: string, wallMs: number, limits: Required<Limits>): void {
    if (this.isEmpty) {
      this.write("stdout", result.stdout);
      this.write("stderr", result.stderr);
    }
    const parts = [
      `status: ${result.status}`,
      `exit code: ${result.exitCode ?? "none"}`,
      `executionTimeMs: ${result.timings.executionTimeMs.toFixed(1)}`,
      `wall: ${wallMs.toFixed(0)} ms`,
      `limits (defaults): ${limits.timeoutMs} ms, ${formatBytes(limits.memoryLimitBytes)} memory, ${formatBytes(limits.maxOutputBytes)} output`,
      where,
    ];
    if (result.compile) parts.push(`compiled by ${result.compile.compiler}${result.compile.cached ? " (cached)" : ""} in ${result.compile.timeMs.toFixed(0)} ms`);
    this.setStatus(parts.join(" · "), result.status === "ok" ? "ok" : "bad");
    this.#showUsage(result);
    if (result.value !== null) {
      const value = document.createElement("span");
      value.className = "value";
      value.setAttribute("aria-label", "value of the last expression");
      value.textContent = `${this.output.textContent?.endsWith("\n") || this.isEmpty ? "" : "\n"}⇒ ${JSON.stringify(result.value)}\n`;
      this.output.append(value);
    }
    renderRichOutputs(this.rich, result.outputs);
    if (result.error) {
      const { name, message, line, traceback } = result.error;
      const title = document.createElement("strong");
      title.textContent = `${name}${line !== null ? ` (line ${line})` : ""}: `;
      const body = document.createElement("span");
      body.textContent = message;
      this.error.replaceChildren(title, body);
      if (traceback && traceback.trim() !== message.trim()) {
        const details = document.createElement("details");
        const summary = document.createElement("summary");
        summary.textContent = "Traceback";
        const pre = document.createElement("pre");
        pre.textContent = traceback;
        details.append(summary, pre);
        this.error.append(details);
      }
      this.error.hidden = false;
    }
  }

  #showUsage(result: ExecuteResult): void {
    const usage = result.usage;
    if (!usage) return;
    const cpu = usage.cpuTimeMs === null ? "unknown" : `${usage.cpuTimeMs.toFixed(0)} ms`;
    const memory = usage.peakMemoryBytes === null ? "unknown" : formatBytes(usage.peakMemoryBytes);
    this.usage.textContent = `used: CPU ${cpu} · wall ${usage.wallTimeMs.toFixed(0)} ms · peak memory ${memory}`;
    this.usage.hidden = false;
  }

  /** A failure of the page, the SDK or the server (not of the guest code). */
  showFailure(message: string): void {
    this.setStatus("the run could not start", "bad");
    const title = document.createElement("strong");
    title.textContent = "Could not run: ";
    const body = document.createElement("span");
    body.textContent = message;
    this.error.replaceChildren(title, body);
    this.error.hidden = false;
  }
}
