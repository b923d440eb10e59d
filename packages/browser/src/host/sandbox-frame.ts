/**
 * The page's handle on the sandbox frame: an iframe with an opaque origin and a
 * Content-Security-Policy that forbids all connections, where every guest worker lives (see
 * frame-main.ts for what runs inside). One frame serves every sandbox of an engine.
 */
import { WasmboxError } from "@wasmbox/core";
import type { FrameToPage, PageToFrame } from "../protocol.js";

/** The frame's one script (inlined, allowed by its hash) and the policy its workers inherit. */
export const FRAME_SCRIPT: string = __WASMBOX_FRAME_SCRIPT__;
export const FRAME_SCRIPT_SHA256: string = __WASMBOX_FRAME_SCRIPT_SHA256__;

/**
 * The frame's policy. Workers started from blob: URLs inherit it: no fetch, XHR, WebSocket,
 * EventSource or beacon may connect (`connect-src 'none'`), no script loads from a URL
 * (`script-src` allows the frame's own inline script and blob: only), wasm may compile.
 */
export const FRAME_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${FRAME_SCRIPT_SHA256}' blob: 'wasm-unsafe-eval'`,
  "worker-src blob:",
  "connect-src 'none'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

type Listener = (m: FrameToPage) => void;

export class SandboxFrame {
  readonly ready: Promise<{ crossOriginIsolated: boolean }>;
  readonly #iframe: HTMLIFrameElement;
  readonly #port: MessagePort;
  readonly #listeners = new Map<number, Listener>();
  #closed = false;

  constructor(workerCode: Promise<ArrayBuffer>) {
    const iframe = document.createElement("iframe");
    // Opaque origin: no allow-same-origin, so nothing of the page's origin (DOM, cookies,
    // localStorage, IndexedDB, caches, service worker) is reachable from inside.
    iframe.setAttribute("sandbox", "allow-scripts");
    // Shared memory inside (the cooperative interrupt) where the page itself is isolated.
    iframe.setAttribute("allow", "cross-origin-isolated");
    iframe.setAttribute("aria-hidden", "true");
    iframe.tabIndex = -1;
    iframe.title = "wasmbox sandbox";
    iframe.hidden = true;
    iframe.referrerPolicy = "no-referrer";
    iframe.srcdoc = `<!doctype html><meta http-equiv="Content-Security-Policy" content="${FRAME_CSP}"><script>${FRAME_SCRIPT}</script>`;
    this.#iframe = iframe;
    const channel = new MessageChannel();
    this.#port = channel.port1;
    this.#port.onmessage = (e: MessageEvent) => this.#receive(e.data as FrameToPage);
    this.ready = new Promise<{ crossOriginIsolated: boolean }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new WasmboxError("SANDBOX_START_FAILED", "the wasmbox sandbox frame did not start within 30 s (is a Content-Security-Policy of this page blocking its inline script? allow its hash: FRAME_SCRIPT_SHA256)")), 30_000);
      this.#hello = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      iframe.addEventListener("load", () => iframe.contentWindow?.postMessage("wasmbox-frame", "*", [channel.port2]), { once: true });
    }).then(async (hello) => {
      const code = await workerCode;
      this.send({ t: "worker", code }, []);
      return hello;
    });
    this.ready.catch(() => {});
    (document.body ?? document.documentElement).append(iframe);
  }

  #hello: ((m: { crossOriginIsolated: boolean }) => void) | null = null;

  #receive(m: FrameToPage): void {
    if (typeof m !== "object" || m === null) return;
    if (m.t === "hello") {
      this.#hello?.({ crossOriginIsolated: m.crossOriginIsolated === true });
      this.#hello = null;
      return;
    }
    if (typeof m.id === "number") this.#listeners.get(m.id)?.(m);
  }

  send(m: PageToFrame, transfer: Transferable[] = []): void {
    if (!this.#closed) this.#port.postMessage(m, transfer);
  }

  /** Hear what the frame says about worker `id`; returns the way to stop listening. */
  listen(id: number, listener: Listener): () => void {
    this.#listeners.set(id, listener);
    return () => {
      if (this.#listeners.get(id) === listener) this.#listeners.delete(id);
    };
  }

  /** Remove the frame: every worker in it stops with it. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.close();
    this.#iframe.remove();
  }
}
