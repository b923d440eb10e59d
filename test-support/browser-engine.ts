/**
 * The browser host as the engine suites see it: an engine whose every call runs in real
 * Chromium, on the SDK's `createSandbox()` (core's Engine over Web Workers in the sandbox
 * frame). Requests go into the page as JSON, streamed output comes back through a page
 * binding in write order, and the result comes back whole (file bytes as base64).
 */
import { WasmboxError, type Engine, type EngineOptions, type ExecuteOptions, type Execution, type Language, type Limits, type WasmboxErrorCode } from "@wasmbox/core";
import type { Page } from "playwright-core";
import { startBrowserStack, type BrowserStack } from "./browser-stack.js";

type Stats = ReturnType<Engine["stats"]>;

/** What the engine suites use of an engine. */
export interface TestEngine {
  execute(request: unknown, options?: ExecuteOptions): Promise<Execution>;
  openSession(options: { language: Language; limits?: Limits }): Promise<TestSession>;
  /** The engine's counters (in the browser: as of the last call that returned). */
  stats(): Stats;
  dispose(): Promise<void>;
}

export interface TestSession extends AsyncDisposable {
  execute(request: unknown, options?: ExecuteOptions): Promise<Execution>;
  dispose(): Promise<void>;
}

type Wire = Omit<Execution, "fileContents"> & { fileContents: [string, string][] };

/** The page side: an engine, runs by id, their abort controllers, and sessions. */
const PAGE_SETUP = (options: EngineOptions) => {
  const w = window as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const b64 = (bytes: Uint8Array) => {
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  };
  // Preload what the pools hold, as a Node engine boots its pools when it is made.
  const pool = (options.pool ?? {}) as Record<string, number>;
  const preload = [(pool.python ?? 1) > 0 ? "python" : null, (pool.quickjs ?? 1) > 0 ? "javascript" : null, (pool.wasm ?? 1) > 0 ? "wasm" : null].filter(Boolean);
  w.__engine = w.wasmbox.createSandbox({ ...options, preload });
  w.__stats = w.__engine.stats();
  w.__aborts = new Map();
  w.__sessions = new Map();
  w.__nextSession = 1;
  w.__run = async (id: number, target: number | null, request: unknown, streams: { stdout: boolean; stderr: boolean; output: boolean; aborted: boolean }) => {
    const controller = new AbortController();
    if (streams.aborted) controller.abort();
    w.__aborts.set(id, controller);
    // Pieces go to the test in order, a batch at a time (one page binding call per piece would
    // make the harness, not the engine, the slow part); the batch is flushed before the result.
    let batch: [string, string][] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (batch.length) w.__wasmboxStream(id, batch);
      batch = [];
    };
    const send = (kind: string, payload: string) => {
      const last = batch.at(-1);
      if (last && last[0] === kind && !kind.startsWith("bytes:")) last[1] += payload;
      else batch.push([kind, payload]);
      timer ??= setTimeout(flush, 5);
    };
    const on = {
      signal: controller.signal,
      ...(streams.stdout ? { onStdout: (t: string) => send("stdout", t) } : {}),
      ...(streams.stderr ? { onStderr: (t: string) => send("stderr", t) } : {}),
      ...(streams.output ? { onOutput: (s: string, bytes: Uint8Array) => send(`bytes:${s}`, b64(bytes)) } : {}),
    };
    try {
      const runner = target === null ? w.__engine : w.__sessions.get(target);
      const r = await runner.execute(request, on);
      const { fileContents, ...rest } = r;
      flush();
      return { ok: true, result: { ...rest, fileContents: [...fileContents].map(([k, v]: [string, Uint8Array]) => [k, b64(v)]) } };
    } catch (e) {
      flush();
      const err = e as { name?: string; code?: string; message?: string; details?: unknown };
      return { ok: false, error: { name: err?.name, code: err?.code, message: String(err?.message ?? e), details: JSON.parse(JSON.stringify(err?.details ?? null)) } };
    } finally {
      w.__stats = w.__engine.stats();
      w.__aborts.delete(id);
    }
  };
};

export class ChromiumEngine implements TestEngine {
  #stack: Promise<{ stack: BrowserStack; page: Page }> | undefined;
  readonly #options: EngineOptions;
  #nextRun = 1;
  readonly #streams = new Map<number, ExecuteOptions>();
  #stats: Stats | undefined;

  constructor(options: EngineOptions) {
    this.#options = options;
  }

  /** Start the stack and the page's engine, and wait until its pools are warm. */
  static async start(options: EngineOptions): Promise<ChromiumEngine> {
    const engine = new ChromiumEngine(options);
    await engine.#ready();
    return engine;
  }

  #ready(): Promise<{ stack: BrowserStack; page: Page }> {
    return (this.#stack ??= (async () => {
      const stack = await startBrowserStack();
      const page = await stack.harness();
      await page.exposeFunction("__wasmboxStream", (id: number, pieces: [string, string][]) => {
        const o = this.#streams.get(id);
        for (const [kind, payload] of pieces) {
          if (kind === "stdout") o?.onStdout?.(payload);
          else if (kind === "stderr") o?.onStderr?.(payload);
          else if (kind.startsWith("bytes:")) o?.onOutput?.(kind.slice(6) as "stdout" | "stderr", new Uint8Array(Buffer.from(payload, "base64")));
        }
      });
      await page.evaluate(PAGE_SETUP, this.#options);
      // The first visit downloads the runtimes and builds the Python snapshot: let the pools
      // fill before the first test, as a Node engine's do while the suite starts.
      await page.waitForFunction(
        () => {
          const w = window as unknown as { __engine: { stats(): Stats } };
          const s = w.__engine.stats();
          return Object.values(s.pool).every((p) => p.starting === 0);
        },
        undefined,
        { timeout: 120_000, polling: 100 },
      );
      this.#stats = await page.evaluate(() => (window as unknown as { __engine: { stats(): Stats } }).__engine.stats());
      return { stack, page };
    })());
  }

  /** The page the engine lives in (for tests that look inside). */
  async page(): Promise<Page> {
    return (await this.#ready()).page;
  }

  async #execute(target: number | null, request: unknown, options: ExecuteOptions = {}): Promise<Execution> {
    const { page } = await this.#ready();
    const id = this.#nextRun++;
    this.#streams.set(id, options);
    const onAbort = () => void page.evaluate((runId) => (window as unknown as { __aborts: Map<number, AbortController> }).__aborts.get(runId)?.abort(), id);
    const abortedBefore = options.signal?.aborted === true;
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const streams = { stdout: !!options.onStdout, stderr: !!options.onStderr, output: !!options.onOutput };
      options.onStart?.();
      const answer = (await page.evaluate(
        ([runId, t, req, s]) => (window as unknown as { __run: (...a: unknown[]) => Promise<unknown> }).__run(runId, t, req, s),
        [id, target, request, { ...streams, aborted: abortedBefore }] as const,
      )) as { ok: true; result: Wire } | { ok: false; error: { name: string; code?: string; message: string; details?: unknown } };
      this.#stats = await page.evaluate(() => (window as unknown as { __stats: Stats }).__stats);
      if (!answer.ok) {
        const { name, code, message, details } = answer.error;
        // The page's WasmboxError, as the engine threw it there (same code, message and details).
        if (name === "WasmboxError" && code) throw new WasmboxError(code as WasmboxErrorCode, message, details ? { details: details as never } : undefined);
        throw Object.assign(new Error(message), { name, code });
      }
      const { fileContents, ...rest } = answer.result;
      return { ...rest, fileContents: new Map(fileContents.map(([k, v]) => [k, new Uint8Array(Buffer.from(v, "base64"))])) } as Execution;
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      this.#streams.delete(id);
    }
  }

  execute(request: unknown, options?: ExecuteOptions): Promise<Execution> {
    return this.#execute(null, request, options);
  }

  async openSession(options: { language: Language; limits?: Limits }): Promise<TestSession> {
    const { page } = await this.#ready();
    const sessionId = await page.evaluate(async (o) => {
      const w = window as unknown as { __engine: { openSession(o: unknown): Promise<unknown> }; __sessions: Map<number, unknown>; __nextSession: number };
      const s = await w.__engine.openSession(o);
      const id = w.__nextSession++;
      w.__sessions.set(id, s);
      return id;
    }, options);
    const dispose = async () => {
      this.#stats = await page.evaluate(async (id) => {
        const w = window as unknown as { __sessions: Map<number, { dispose(): Promise<void> }>; __engine: { stats(): Stats } };
        await w.__sessions.get(id)?.dispose();
        w.__sessions.delete(id);
        return w.__engine.stats();
      }, sessionId);
    };
    return { execute: (request, o) => this.#execute(sessionId, request, o), dispose, [Symbol.asyncDispose]: dispose };
  }

  stats(): Stats {
    if (!this.#stats) throw new Error("stats() of the browser test engine are known after its first run");
    return this.#stats;
  }

  async dispose(): Promise<void> {
    if (!this.#stack) return;
    const { stack, page } = await this.#stack;
    await page.evaluate(() => (window as unknown as { __engine: { dispose(): Promise<void> } }).__engine.dispose()).catch(() => {});
    await stack.close();
  }
}
