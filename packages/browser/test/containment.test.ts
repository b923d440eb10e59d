/**
 * Containment of the browser host, as an attacker and a user see it: guest code (Python
 * through `import js`, which reaches its worker's JS realm; JavaScript in QuickJS, which has
 * no browser globals at all) tries to reach the network, the page's data, the page itself,
 * other runs, and to outlive Stop and its time limit. Everything is real: a wasmbox server on
 * a loopback port, Debian's Chromium, the SDK as an embedding page loads it, and two loopback
 * "traps" (HTTP and WebSocket) that count every TCP connection. Each network attack asserts
 * that nothing reached a trap or the wasmbox server (its access log: nothing beyond the
 * page's own loads of /sdk and /assets).
 *
 * The realm lockdown in guest-worker.ts removes most network globals, so a guest's attempt
 * fails early there; the walls are the sandbox frame's Content-Security-Policy and opaque
 * origin. "the walls without the lockdown" runs the same attacks in a plain worker started in
 * the sandbox frame (no lockdown at all) to show that those walls hold by themselves.
 *
 * Loads a worker cannot make at all, so they are not tried: <img>, <script>, <link>, <iframe>,
 * form posts, navigation (workers have no DOM); RTCPeerConnection is not exposed in workers
 * (the guest's attempt says so). WASMBOX_SHOW_ATTACKS=1 prints what each attempt got.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page, Worker as PwWorker } from "playwright-core";
import { startBrowserStack, type BrowserStack } from "../../../test-support/browser-stack.js";
import { chromiumSkipReason } from "../../../test-support/chromium.js";

/** A loopback listener that counts every connection and keeps the first line of each. */
interface Trap {
  port: number;
  connections: number;
  lines: string[];
  server: Server;
}

async function startTrap(): Promise<Trap> {
  const trap: Trap = { port: 0, connections: 0, lines: [], server: createServer() };
  const sockets = new Set<Socket>();
  trap.server.on("connection", (socket) => {
    trap.connections++;
    sockets.add(socket);
    socket.once("data", (d) => trap.lines.push(d.toString("latin1").split("\r\n")[0] ?? ""));
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    // An answer a browser would accept, so a request that got through is visible as such.
    socket.once("data", () => socket.end("HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 6\r\n\r\nLEAKED"));
  });
  await new Promise<void>((resolve) => trap.server.listen(0, "127.0.0.1", resolve));
  trap.port = (trap.server.address() as { port: number }).port;
  trap.server.on("close", () => sockets.forEach((s) => s.destroy()));
  return trap;
}

type Win = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The page side: an engine, and runs that can be watched (output so far) and stopped. */
function pageSetup(): void {
  const w = window as unknown as Win;
  w.__engine = w.wasmbox.createSandbox({ pool: { python: 1, quickjs: 1 } });
  w.__runs = new Map();
  w.__start = (id: number, request: unknown) => {
    const controller = new AbortController();
    const run = { controller, output: "", result: null as unknown, abortedAt: 0 };
    run.result = w.__engine
      .execute(request, { signal: controller.signal, onStdout: (t: string) => (run.output += t), onStderr: (t: string) => (run.output += t) })
      .then((r: Win) => ({ ...r, fileContents: [...r.fileContents].map(([k, v]: [string, Uint8Array]) => [k, new TextDecoder().decode(v)]), stopMs: run.abortedAt ? performance.now() - run.abortedAt : null }))
      .catch((e: Error) => ({ thrown: `${e.name}: ${e.message}` }));
    w.__runs.set(id, run);
  };
  w.__stop = (id: number) => {
    const run = w.__runs.get(id);
    run.abortedAt = performance.now();
    run.controller.abort();
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Result = Record<string, any>;
let nextRun = 1;

/** Run a request in the page and wait for its result. */
async function execute(page: Page, request: unknown): Promise<Result> {
  const id = nextRun++;
  await page.evaluate(([i, r]) => (window as unknown as Win).__start(i, r), [id, request] as const);
  return (await page.evaluate((i) => (window as unknown as Win).__runs.get(i).result, id)) as Result;
}

/** Start a run, wait until its output contains `marker`, and hand back a way to stop it and its result. */
async function startUntil(page: Page, request: unknown, marker: string) {
  const id = nextRun++;
  await page.evaluate(([i, r]) => (window as unknown as Win).__start(i, r), [id, request] as const);
  await page.waitForFunction(([i, m]) => (window as unknown as Win).__runs.get(i).output.includes(m), [id, marker] as const, { timeout: 30_000 });
  const output = (await page.evaluate((i) => (window as unknown as Win).__runs.get(i).output, id)) as string;
  return {
    output,
    stop: () => page.evaluate((i) => (window as unknown as Win).__stop(i), id),
    result: () => page.evaluate((i) => (window as unknown as Win).__runs.get(i).result, id) as Promise<Result>,
  };
}

/** A worker's answer, or "busy" if it does not answer in time (a guest still spinning). */
async function ask<T>(worker: PwWorker, fn: () => T): Promise<T | "busy" | "gone"> {
  return await Promise.race([worker.evaluate(fn).catch(() => "gone" as const), new Promise<"busy">((r) => setTimeout(() => r("busy"), 1500))]);
}

/**
 * The names of the page's live guest workers once none is busy and none is `gone` (a worker
 * terminates a moment after the frame is told to), or as they are after 5 s.
 */
async function liveWorkerNames(page: Page, gone?: string): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const answers = await Promise.all(page.workers().map((w) => ask(w, () => self.name)));
    const names = answers.filter((a) => a !== "gone");
    if ((!names.includes("busy") && (!gone || !names.includes(gone))) || Date.now() > deadline) return names;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const py = (...lines: string[]) => lines.join("\n") + "\n";
const BUSY_WAT = `(module (func (export "_start") (loop $spin (br $spin))))`;

describe.skipIf(chromiumSkipReason() !== undefined)("containment of the browser host", () => {
  let stack: BrowserStack;
  let page: Page;
  let httpTrap: Trap;
  let wsTrap: Trap;
  /** Requests the page itself makes: the SDK and the runtime files (GET, no query beyond ?v=). */
  const pageOwn = (line: string) => /^GET \/(sdk\/wasmbox\.mjs|assets\/[\w./-]+(\?v=[0-9a-f]+)?)$/.test(line);
  const SECRET = "SECRET-of-the-page-7f3a";

  beforeAll(async () => {
    [httpTrap, wsTrap] = await Promise.all([startTrap(), startTrap()]);
    stack = await startBrowserStack();
    page = await stack.harness();
    // The page's data, set before any run: none of it may reach a guest.
    await page.evaluate(async (secret) => {
      const w = window as unknown as Win;
      document.cookie = `session=${secret}; path=/`;
      localStorage.setItem("token", secret);
      sessionStorage.setItem("token", secret);
      await new Promise<void>((resolve, reject) => {
        const open = indexedDB.open("page-db", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("kv");
        open.onsuccess = () => {
          const tx = open.result.transaction("kv", "readwrite");
          tx.objectStore("kv").put(secret, "token");
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
        open.onerror = () => reject(open.error);
      });
      await (await caches.open("page-cache")).put("/secret", new Response(secret));
      w.__heard = [];
      w.__bc = new BroadcastChannel("wasmbox-page");
      w.__bc.onmessage = (e: MessageEvent) => w.__heard.push(String(e.data));
    }, SECRET);
    await page.evaluate(pageSetup);
  });

  afterAll(async () => {
    await page?.evaluate(() => (window as unknown as Win).__engine.dispose()).catch(() => {});
    await stack?.close();
    httpTrap?.server.close();
    wsTrap?.server.close();
  });

  const guestRequests = () => stack.accessLog.filter((l) => !pageOwn(l));
  const nothingArrived = () => {
    expect(httpTrap.lines, "requests that reached the HTTP trap").toEqual([]);
    expect(httpTrap.connections, "connections to the HTTP trap").toBe(0);
    expect(wsTrap.connections, "connections to the WebSocket trap").toBe(0);
    expect(guestRequests(), "requests that reached the wasmbox server beyond the page's own").toEqual([]);
  };

  it("Python: no request reaches a trap or the wasmbox server, its API included", async () => {
    const trap = `http://127.0.0.1:${httpTrap.port}`;
    const code = py(
      "import js, json, asyncio",
      "from pyodide.ffi import to_js, create_proxy",
      `TRAP = "${trap}"`,
      `WS = "ws://127.0.0.1:${wsTrap.port}/"`,
      `SERVER = "${stack.url}"`,
      "results = {}",
      "async def attempt(name, f):",
      "    try:",
      "        r = f()",
      "        if hasattr(r, 'then') or asyncio.iscoroutine(r): r = await asyncio.wait_for(r, 3)",
      "        results[name] = 'ok ' + str(r)[:80]",
      "    except BaseException as e:",
      "        results[name] = type(e).__name__ + ': ' + str(e)[:120]",
      "opts = lambda **kw: to_js(kw, dict_converter=js.Object.fromEntries)",
      "await attempt('fetch trap', lambda: js.fetch(TRAP + '/guest-fetch'))",
      "await attempt('fetch server /v1/runs', lambda: js.fetch(SERVER + '/v1/runs?guest', opts(method='POST', body='{}')))",
      "await attempt('fetch server /healthz', lambda: js.fetch(SERVER + '/healthz?guest'))",
      "await attempt('fetch server manifest', lambda: js.fetch(SERVER + '/assets/manifest.json?guest'))",
      "await attempt('fetch relative', lambda: js.fetch('/healthz?guest'))",
      "await attempt('fetch no-cors', lambda: js.fetch(TRAP + '/guest-nocors', opts(mode='no-cors')))",
      "await attempt('fetch Request', lambda: js.fetch(js.Request.new(TRAP + '/guest-request')))",
      "await attempt('fetch virtual asset origin', lambda: js.fetch('https://assets.wasmbox.invalid/../../127.0.0.1/x'))",
      "await attempt('compileStreaming', lambda: js.WebAssembly.compileStreaming(js.fetch(TRAP + '/guest.wasm')))",
      "await attempt('XMLHttpRequest', lambda: js.XMLHttpRequest.new())",
      "await attempt('WebSocket', lambda: js.WebSocket.new(WS))",
      "await attempt('WebSocketStream', lambda: js.WebSocketStream.new(WS))",
      "await attempt('EventSource', lambda: js.EventSource.new(TRAP + '/guest-sse'))",
      "await attempt('WebTransport', lambda: js.WebTransport.new('https://127.0.0.1:' + str(" + String(httpTrap.port) + ") + '/'))",
      "await attempt('RTCPeerConnection', lambda: js.RTCPeerConnection.new())",
      "await attempt('importScripts', lambda: js.importScripts(TRAP + '/guest-import.js'))",
      "await attempt('sendBeacon', lambda: js.navigator.sendBeacon(TRAP + '/guest-beacon', 'x'))",
      "await attempt('Worker', lambda: js.Worker.new(TRAP + '/guest-worker.js'))",
      "await attempt('SharedWorker', lambda: js.SharedWorker.new(TRAP + '/guest-shared.js'))",
      "await attempt('Worker from descriptor', lambda: js.Object.getOwnPropertyDescriptor(js.globalThis, 'Worker').value.new('x'))",
      "await attempt('Worker via prototype', lambda: js.Object.getPrototypeOf(js.globalThis).Worker.new('x'))",
      // Code from a string, or a blob: script, is the one way to write `import()` or `importScripts(blob)`.
      "blob = js.URL.createObjectURL(js.Blob.new(to_js([f\"import('{TRAP}/guest-dyn.mjs'); fetch('{TRAP}/guest-blob')\"]), opts(type='text/javascript')))",
      "await attempt('eval import()', lambda: js.eval(f\"import('{blob}')\"))",
      "await attempt('Function import()', lambda: js.Function.new(f\"return import('{TRAP}/guest-dyn.mjs')\")())",
      "await attempt('setTimeout string', lambda: js.setTimeout(f\"fetch('{TRAP}/guest-timeout')\", 0))",
      "await attempt('pyodide run_js', lambda: __import__('pyodide.code', fromlist=['run_js']).run_js(f\"fetch('{TRAP}/guest-runjs')\"))",
      "await attempt('WebAssembly.Module blob', lambda: js.WebAssembly.compileStreaming(js.fetch(blob)))",
      "import pyodide_js, pyodide.http",
      "await attempt('pyodide loadPackage', lambda: pyodide_js.loadPackage(TRAP + '/guest-evil-0.1-py3-none-any.whl'))",
      "await attempt('pyodide pyfetch', lambda: pyodide.http.pyfetch(TRAP + '/guest-pyfetch'))",
      "await attempt('pyodide open_url', lambda: pyodide.http.open_url(TRAP + '/guest-open-url'))",
      "await asyncio.sleep(0.5)",
      "print(json.dumps(results))",
    );
    const r = await execute(page, { language: "python", code, limits: { timeoutMs: 30_000 } });
    expect(r.status, JSON.stringify(r)).toBe("ok");
    // (Pyodide's loadPackage says "Loading …" on stdout first.)
    const results = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, string>;
    if (process.env.WASMBOX_SHOW_ATTACKS) console.log(results);
    // Each attempt failed in the guest: none said "ok" but the string timer, which the CSP swallows.
    for (const [name, outcome] of Object.entries(results)) {
      // Pyodide's loadPackage reports a failed download on stderr and resolves.
      if (name === "setTimeout string" || name === "pyodide loadPackage") continue;
      expect(outcome, name).not.toMatch(/^ok /);
    }
    expect(r.stderr).toMatch(/network access is not available/);
    expect(results["eval import()"]).toMatch(/EvalError.*Content Security Policy/);
    expect(results["Function import()"]).toMatch(/EvalError.*Content Security Policy/);
    await new Promise((r) => setTimeout(r, 500));
    nothingArrived();
  });

  it("the walls without the lockdown: a plain worker in the sandbox frame cannot connect, load code or read the page's data", async () => {
    // The sandbox frame (opaque origin, the CSP) is not reachable from the page; the test reaches it through the browser's devtools.
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(frame, "the sandbox frame").toBeDefined();
    const attack = `
      const TRAP = "http://127.0.0.1:${httpTrap.port}", WS = "ws://127.0.0.1:${wsTrap.port}/", SERVER = ${JSON.stringify(stack.url)};
      const results = {};
      const timeout = (p) => Promise.race([p, new Promise((_, j) => setTimeout(() => j(new Error("no answer in 3 s")), 3000))]);
      const attempt = async (name, f) => { try { results[name] = "ok " + String(await timeout(Promise.resolve().then(f))).slice(0, 80); } catch (e) { results[name] = String(e).slice(0, 160); } };
      const event = (o, ok, bad) => new Promise((res, rej) => { o[ok] = () => res(ok); o[bad] = (e) => rej(new Error(bad + " " + (e?.code ?? ""))); });
      (async () => {
        await attempt("fetch trap", () => fetch(TRAP + "/raw-fetch").then((r) => r.text()));
        await attempt("fetch server", () => fetch(SERVER + "/healthz?raw").then((r) => r.text()));
        await attempt("fetch no-cors", () => fetch(TRAP + "/raw-nocors", { mode: "no-cors" }).then((r) => r.type));
        await attempt("xhr sync", () => { const x = new XMLHttpRequest(); x.open("GET", TRAP + "/raw-xhr-sync", false); x.send(); return x.responseText; });
        await attempt("xhr async", () => new Promise((res, rej) => { const x = new XMLHttpRequest(); x.open("GET", SERVER + "/v1/runs?raw"); x.onload = () => res(x.status); x.onerror = () => rej(new Error("xhr error")); x.send(); }));
        await attempt("WebSocket", () => event(new WebSocket(WS), "onopen", "onerror"));
        await attempt("EventSource", () => event(new EventSource(TRAP + "/raw-sse"), "onopen", "onerror"));
        await attempt("WebTransport", () => new WebTransport("https://127.0.0.1:${httpTrap.port}/raw-wt").ready);
        await attempt("importScripts", () => importScripts(TRAP + "/raw-import.js"));
        await attempt("import()", () => import(TRAP + "/raw-dyn.mjs"));
        await attempt("compileStreaming", () => WebAssembly.compileStreaming(fetch(TRAP + "/raw.wasm")));
        await attempt("eval", () => eval("1 + 1"));
        await attempt("caches", () => caches.keys());
        await attempt("indexedDB", () => new Promise((res, rej) => { const o = indexedDB.open("page-db"); o.onsuccess = () => res([...o.result.objectStoreNames].join()); o.onerror = () => rej(o.error); }));
        await attempt("BroadcastChannel", () => { new BroadcastChannel("wasmbox-page").postMessage(${JSON.stringify(SECRET)} + " from a guest"); return "posted"; });
        await attempt("origin", () => self.origin);
        await attempt("nested worker fetch", () => new Promise((res, rej) => {
          const inner = new Worker(URL.createObjectURL(new Blob(["fetch('" + TRAP + "/raw-nested').then(() => postMessage('fetched'), (e) => postMessage(String(e)))"], { type: "text/javascript" })));
          inner.onmessage = (e) => (e.data === "fetched" ? res(e.data) : rej(new Error(e.data)));
          inner.onerror = (e) => rej(new Error("nested worker error " + e.message));
        }));
        await attempt("blob: module that fetches", () => import(URL.createObjectURL(new Blob(["export default await fetch('" + TRAP + "/raw-blob-module').then(() => 'fetched')"], { type: "text/javascript" }))));
        await attempt("nested worker from data:", () => new Promise((res, rej) => { const w = new Worker("data:text/javascript,fetch('" + TRAP + "/raw-data-worker')"); w.onerror = () => rej(new Error("refused")); setTimeout(() => res("started"), 1000); }));
        await attempt("nested worker from URL", () => new Promise((res, rej) => { const w = new Worker(TRAP + "/raw-worker.js"); w.onerror = () => rej(new Error("refused")); setTimeout(() => res("started"), 1000); }));
        postMessage(results);
      })();`;
    const results = (await frame!.evaluate(
      (source) =>
        new Promise((resolve) => {
          const w = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
          w.onmessage = (e) => {
            resolve(e.data);
            w.terminate();
          };
        }),
      attack,
    )) as Record<string, string>;
    // The frame's own realm: the same policy.
    const inFrame = (await frame!.evaluate(async (trap) => {
      const out: Record<string, string> = {};
      try {
        await fetch(`${trap}/raw-frame`);
        out.fetch = "ok";
      } catch (e) {
        out.fetch = String(e);
      }
      try {
        out.cookie = document.cookie;
      } catch (e) {
        out.cookie = String(e);
      }
      try {
        out.localStorage = String(localStorage.getItem("token"));
      } catch (e) {
        out.localStorage = String(e);
      }
      try {
        out.parent = String((parent as unknown as Win).document.cookie);
      } catch (e) {
        out.parent = String(e);
      }
      return out;
    }, `http://127.0.0.1:${httpTrap.port}`)) as Record<string, string>;
    if (process.env.WASMBOX_SHOW_ATTACKS) console.log(results, inFrame);
    for (const [name, outcome] of Object.entries(results)) {
      if (name === "origin" || name === "BroadcastChannel") continue;
      expect(outcome, name).not.toMatch(/^ok /);
    }
    expect(results.origin).toBe("ok null");
    expect(results.eval).toMatch(/EvalError/);
    expect(inFrame.fetch).toMatch(/Failed to fetch/);
    expect(inFrame.cookie).toMatch(/SecurityError/);
    expect(inFrame.localStorage).toMatch(/SecurityError/);
    expect(inFrame.parent).toMatch(/SecurityError/);
    await new Promise((r) => setTimeout(r, 500));
    expect(await page.evaluate(() => (window as unknown as Win).__heard)).toEqual([]);
    nothingArrived();
  });

  it("Python: the page's DOM, cookies, storage, caches and channels are out of reach", async () => {
    const code = py(
      "import js, json, asyncio",
      "from pyodide.ffi import to_js",
      "results = {}",
      "async def attempt(name, f):",
      "    try:",
      "        r = f()",
      "        if hasattr(r, 'then'): r = await asyncio.wait_for(r, 3)",
      "        results[name] = 'ok ' + str(r)[:120]",
      "    except BaseException as e:",
      "        results[name] = type(e).__name__ + ': ' + str(e)[:120]",
      "for name in ['document', 'parent', 'top', 'opener', 'window', 'frames', 'localStorage', 'sessionStorage', 'cookieStore']:",
      "    await attempt(name, lambda: getattr(js, name))",
      "await attempt('document.cookie', lambda: js.document.cookie)",
      "await attempt('indexedDB.open', lambda: js.indexedDB.open('page-db'))",
      "await attempt('caches.keys', lambda: js.caches.keys())",
      "await attempt('caches.match', lambda: js.caches.match('/secret'))",
      "await attempt('navigator.storage', lambda: js.navigator.storage.getDirectory())",
      "await attempt('navigator.serviceWorker', lambda: js.navigator.serviceWorker.register('/sw.js'))",
      "await attempt('BroadcastChannel', lambda: js.BroadcastChannel.new('wasmbox-page').postMessage('from a guest'))",
      "await attempt('origin', lambda: js.self.origin)",
      "await attempt('location', lambda: js.location.href)",
      "await attempt('globals', lambda: sorted(k for k in js.Object.getOwnPropertyNames(js.globalThis) if 'secret' in k.lower() or 'wasmbox' in k.lower()))",
      "print(json.dumps(results))",
    );
    const q = await execute(page, { language: "javascript", code: 'console.log(JSON.stringify(["fetch","XMLHttpRequest","WebSocket","EventSource","importScripts","Worker","document","parent","localStorage","indexedDB","caches","BroadcastChannel","postMessage","navigator","location"].map((n) => n + ":" + typeof globalThis[n])));' });
    expect(q.status, JSON.stringify(q)).toBe("ok");
    // QuickJS guests have no browser globals at all (console, timers and Node's modules, in QuickJS's own heap).
    for (const entry of JSON.parse(q.stdout) as string[]) expect(entry).toMatch(/:undefined$/);
    const r = await execute(page, { language: "python", code });
    expect(r.status, JSON.stringify(r)).toBe("ok");
    expect(r.output).not.toContain(SECRET);
    const results = JSON.parse(r.stdout) as Record<string, string>;
    if (process.env.WASMBOX_SHOW_ATTACKS) console.log(results);
    for (const name of ["document", "parent", "top", "opener", "window", "frames", "localStorage", "sessionStorage", "document.cookie"]) {
      expect(results[name], name).toMatch(/^AttributeError/);
    }
    for (const name of ["indexedDB.open", "caches.keys", "caches.match", "navigator.storage", "navigator.serviceWorker", "BroadcastChannel"]) {
      expect(results[name], name).not.toMatch(/^ok /);
    }
    expect(results.origin).toBe("ok null");
    expect(results.location).toMatch(/^ok blob:null\//);
    await new Promise((r) => setTimeout(r, 300));
    expect(await page.evaluate(() => (window as unknown as Win).__heard)).toEqual([]);
    nothingArrived();
  });

  describe("forging", () => {
    /**
     * Python that posts messages to the page as its runtime would. The worker's channel to the
     * page is not reachable by name, but the guest's realm is: it patches
     * MessagePort.prototype.postMessage, so when the runtime posts the run's result (after the
     * program returned) the patch gets the channel as `this`, swallows the real result and
     * speaks on that channel instead: `body` runs then, with `post`, `out`, `obj`, `files`.
     * (Posting to the frame instead, `self.postMessage`, ends the worker at once: see below.)
     */
    const forger = (...body: string[]) =>
      py(
        "import js, time",
        "from pyodide.ffi import to_js, create_proxy",
        "obj = lambda **kw: to_js(kw, dict_converter=js.Object.fromEntries)",
        "def files(**kw):",
        "    m = js.Map.new()",
        "    for k, v in kw.items(): m.set(k.replace('__', '/'), js.TextEncoder.new().encode(v))",
        "    return m",
        "orig_post = js.MessagePort.prototype.postMessage",
        "def grab(this, *args):",
        "    js.MessagePort.prototype.postMessage = orig_post",
        "    channel = this",
        "    post = lambda **kw: channel.postMessage(obj(**kw))",
        "    def out(text, stream='o', **kw):",
        "        data = js.TextEncoder.new().encode(text)",
        "        post(t='out', streams=stream, lengths=[data.length], data=data, **kw)",
        ...body.filter((line) => !/^time\.sleep\(/.test(line)).map((line) => `    ${line}`),
        "js.MessagePort.prototype.postMessage = create_proxy(grab, capture_this=True)",
      );
    const ok = { status: "ok", exitCode: 0, error: null, value: null };

    it.each([
      ["a status no sandbox may report", `post(t='done', outcome=obj(status='hacked', exitCode=0, error=None, value=None), executionTimeMs=1)`, /status "hacked"/],
      ["files outside the work directory", `post(t='done', outcome=obj(**${JSON.stringify(ok).replace(/null/g, "None")}, files=files(**{'..__..__etc__passwd': 'x', '__abs': 'y'})), executionTimeMs=1)`, /output file path .* was refused/],
      ["an outcome that is not an object", `post(t='done', outcome='I won', executionTimeMs=1)`, /not an object/],
    ])("an out-of-shape result (%s) is refused: the user sees SandboxProtocolError, never the forgery", async (_name, line, why) => {
      const r = await execute(page, { language: "python", code: forger(line, "time.sleep(5)") });
      expect(r.status, JSON.stringify(r)).toBe("error");
      expect(r.error.name).toBe("SandboxProtocolError");
      expect(r.error.message).toMatch(why);
      expect(r.files).toEqual([]);
      expect(r.value).toBeNull();
    });

    it("a value beyond the output cap ends the run as output_limit", async () => {
      const r = await execute(page, {
        language: "python",
        code: forger(`post(t='done', outcome=obj(status='ok', exitCode=0, error=None, value='x' * 200_000), executionTimeMs=1)`, "time.sleep(5)"),
        limits: { maxOutputBytes: 10_000 },
      });
      expect(r.status, JSON.stringify({ ...r, value: String(r.value).slice(0, 50) })).toBe("output_limit");
      expect(r.value).toBeNull();
    });

    it.each([
      ["1e300", "1e300"],
      ["infinite", "float('inf')"],
      ["negative", "-5"],
    ])("a forged execution time (%s) is not believed: the user sees at most the time the page measured", async (_name, value) => {
      const t0 = performance.now();
      const r = await execute(page, { language: "python", code: forger(`post(t='done', outcome=obj(status='ok', exitCode=0, error=None, value=None), executionTimeMs=${value})`, "time.sleep(5)") });
      const wallMs = performance.now() - t0;
      expect(r.status, JSON.stringify(r)).toBe("ok");
      expect(Number.isFinite(r.timings.executionTimeMs), JSON.stringify(r.timings)).toBe(true);
      expect(r.timings.executionTimeMs).toBeGreaterThanOrEqual(0);
      expect(r.timings.executionTimeMs).toBeLessThanOrEqual(wallMs);
    });

    it("a forged error of megabytes is cut: message to 16 KiB, traceback to the output cap", async () => {
      const r = await execute(page, {
        language: "python",
        code: forger(`post(t='done', outcome=obj(status='error', exitCode=1, error=obj(name='Forged', message='m' * 5_000_000, traceback='t' * 5_000_000, line=1), value=None), executionTimeMs=1)`, "time.sleep(5)"),
        limits: { maxOutputBytes: 100_000 },
      });
      expect(r.status).toBe("error");
      expect(r.error.name).toBe("Forged");
      expect(r.error.message.length).toBeLessThan(16 * 1024 + 100);
      expect(r.error.traceback.length).toBeLessThan(100_000 + 100);
    });

    it("one output message of 50 MB is cut at the output cap and ends the run as output_limit", async () => {
      const r = await execute(page, { language: "python", code: forger("post(t='out', streams='o', lengths=[50_000_000], data=js.Uint8Array.new(50_000_000).fill(65))", "time.sleep(5)"), limits: { maxOutputBytes: 100_000 } });
      expect(r.status, JSON.stringify({ ...r, stdout: r.stdout.length, output: r.output.length })).toBe("output_limit");
      expect(r.stdout.length).toBe(100_000);
    });

    it("an in-shape forgery of the guest's own result is taken as the result (the same as printing it)", async () => {
      const r = await execute(page, { language: "python", code: forger("out('own words\\n')", `post(t='done', outcome=obj(status='ok', exitCode=0, error=None, value='forged-but-own', files=files(**{'a.txt': 'A'})), executionTimeMs=1)`, "time.sleep(5)") });
      expect(r.status, JSON.stringify(r)).toBe("ok");
      expect(r.stdout).toBe("own words\n");
      expect(r.value).toBe("forged-but-own");
      expect(r.files.map((f: { path: string }) => f.path)).toEqual(["a.txt"]);
    });

    it.each([
      ["an unknown stream", "out('x', stream='z')", /output out of shape/],
      ["lengths beyond the data", "post(t='out', streams='o', lengths=[1_000_000], data=js.Uint8Array.new(3))", /output out of shape/],
      ["lengths that are not an array", "post(t='out', streams='o', lengths='3', data=js.Uint8Array.new(3))", /out of shape/],
      ["a message of no known type", "post(t='exit', message='bye')", /out of shape/],
      ["a ready message during a run", "post(t='ready', loadMs=1)", /unexpected ready/],
      ["a flood of messages", "for i in range(20_000): out('.')", /faster than 2000 a second/],
    ])("output out of protocol (%s) kills the run: status killed, SandboxCrash", async (_name, line, why) => {
      const t0 = performance.now();
      const r = await execute(page, { language: "python", code: forger(line, "time.sleep(20)") });
      expect(r.status, JSON.stringify(r)).toBe("killed");
      expect(r.error.name).toBe("SandboxCrash");
      expect(r.error.message).toMatch(why);
      expect(performance.now() - t0).toBeLessThan(15_000);
    });

    it("uncaught errors count against the frame's message budget: a session guest that floods them is stopped", async () => {
      // A session's Python worker lives between runs, so its timers do too: each uncaught error
      // in the worker is an event the frame relays to the page, like a message.
      const answers = (await page.evaluate(async () => {
        const w = window as unknown as Win;
        const session = await w.__engine.openSession({ language: "python" });
        try {
          const first = await session.execute({
            language: "python",
            // A built-in called on nothing throws at once: a cheap uncaught error per tick, 400 timers.
            code: "import js\nfor i in range(400): js.setInterval(js.Array.prototype.forEach, 1)\n",
          });
          await new Promise((r) => setTimeout(r, 1000));
          const second = await session.execute({ language: "python", code: "print('still here')" }).catch((e: Error) => ({ status: "threw", error: e, stdout: "" }));
          return [first.status, second.status, second.error?.message ?? "", second.stdout];
        } finally {
          await session.dispose();
        }
      })) as string[];
      expect(answers[0]).toBe("ok");
      // The frame ended the worker for breaking the budget: the session is over.
      expect(answers.slice(1, 3)).toEqual(["threw", "the session has ended; open a new one"]);
    });

    it("output a session's guest keeps sending between runs is budgeted: past it, the worker is stopped", async () => {
      // The guest takes its runtime's channel (as the forger does), lets its own result through,
      // then floods the page with 512 KiB output messages from a timer, after the run.
      const code = py(
        "import js",
        "from pyodide.ffi import to_js, create_proxy",
        "obj = lambda **kw: to_js(kw, dict_converter=js.Object.fromEntries)",
        "orig_post = js.MessagePort.prototype.postMessage",
        "def grab(this, *args):",
        "    js.MessagePort.prototype.postMessage = orig_post",
        "    orig_post.call(this, *args)",
        "    big = js.Uint8Array.new(512 * 1024).fill(66)",
        "    flood = create_proxy(lambda: this.postMessage(obj(t='out', streams='o', lengths=[big.length], data=big)))",
        "    js.setInterval(flood, 5)",
        "js.MessagePort.prototype.postMessage = create_proxy(grab, capture_this=True)",
      );
      const answers = (await page.evaluate(async (source) => {
        const w = window as unknown as Win;
        const session = await w.__engine.openSession({ language: "python" });
        try {
          const first = await session.execute({ language: "python", code: source });
          await new Promise((r) => setTimeout(r, 1500));
          const second = await session.execute({ language: "python", code: "print('still here')" }).catch((e: Error) => ({ status: "threw", error: e, stdout: "" }));
          return [first.status, second.status, second.error?.message ?? "", second.stdout];
        } finally {
          await session.dispose();
        }
      }, code)) as string[];
      expect(answers[0]).toBe("ok");
      expect(answers.slice(1, 3)).toEqual(["threw", "the session has ended; open a new one"]);
    });

    it("output past a run's byte budget stops it, even while a session's guest is given its grace", async () => {
      const code = py(
        "import js, time",
        "from pyodide.ffi import to_js, create_proxy",
        "obj = lambda **kw: to_js(kw, dict_converter=js.Object.fromEntries)",
        "orig_post = js.MessagePort.prototype.postMessage",
        "def grab(this, *args):",
        "    js.MessagePort.prototype.postMessage = orig_post",
        "    big = js.Uint8Array.new(4 * 1024 * 1024).fill(66)",
        "    for i in range(16): this.postMessage(obj(t='out', streams='o', lengths=[big.length], data=big))",
        "js.MessagePort.prototype.postMessage = create_proxy(grab, capture_this=True)",
      );
      const r = (await page.evaluate(async (source) => {
        const w = window as unknown as Win;
        const session = await w.__engine.openSession({ language: "python", limits: { maxOutputBytes: 1_000_000 } });
        try {
          const result = await session.execute({ language: "python", code: source });
          return { status: result.status, stdout: result.stdout.length, error: result.error };
        } finally {
          await session.dispose();
        }
      }, code)) as { status: string; stdout: number; error: { message: string } | null };
      // 64 MiB against a budget of 2 × 1 MB + 16 MiB: the output cap interrupts first, then the budget ends it.
      expect(r.status).toBe("killed");
      expect(r.error?.message).toMatch(/more output than a run may/);
      expect(r.stdout).toBeLessThanOrEqual(1_000_000);
    });

    it("a guest cannot speak for another run: a concurrent run's output and result are its own", async () => {
      const victim = await startUntil(page, { language: "python", code: py("import time", "print('victim-start', flush=True)", "time.sleep(3)", "print('victim-end')") }, "victim-start");
      const forged = Array.from({ length: 64 }, (_, id) => `out('ATTACK-${id}\\n', id=${id}); post(t='done', id=${id}, outcome=obj(status='ok', exitCode=0, error=None, value='ATTACK'), executionTimeMs=1)`);
      const attacker = await execute(page, { language: "python", code: forger(...forged.slice(0, 63), "out('ATTACK-last\\n', id=64)") });
      // Its first forged `done` ended its own run (in shape: its own result); the rest fell on no run.
      expect(attacker.status, JSON.stringify(attacker)).toBe("ok");
      expect(attacker.output).toBe("ATTACK-0\n");
      const r = await victim.result();
      expect(r.status, JSON.stringify(r)).toBe("ok");
      expect(r.output).toBe("victim-start\nvictim-end\n");
      expect(r.value).toBeNull();
    });

    it("messages posted on the page's window or to the frame's window do not touch a run", async () => {
      const run = await startUntil(page, { language: "python", code: py("import time", "print('real-start', flush=True)", "time.sleep(1.5)", "print('real-end')") }, "real-start");
      await page.evaluate(() => {
        const forged = (id: number) => ({ t: "done", id, outcome: { status: "ok", exitCode: 0, error: null, value: "FORGED", files: new Map() }, executionTimeMs: 1 });
        const frame = document.querySelector("iframe")!.contentWindow!;
        const spare = new MessageChannel();
        for (let id = 0; id < 64; id++) {
          window.postMessage(forged(id), "*");
          window.postMessage({ t: "out", id, streams: "o", lengths: [6], data: new TextEncoder().encode("FORGED") }, "*");
          frame.postMessage(forged(id), "*");
          frame.postMessage({ t: "kill", id }, "*");
        }
        // A second handshake (someone trying to take the frame's port) is ignored.
        frame.postMessage("wasmbox-frame", "*", [spare.port2]);
      });
      const r = await run.result();
      expect(r.status, JSON.stringify(r)).toBe("ok");
      expect(r.output).toBe("real-start\nreal-end\n");
      expect(r.value).toBeNull();
    });

    it("shared memory in a forged result never reaches the page (the guest could change it after the check): the run is stopped", async () => {
      const r = await execute(page, {
        language: "python",
        code: forger(
          "sab = js.SharedArrayBuffer.new(8)",
          "view = js.Uint8Array.new(sab)",
          "view.set(js.TextEncoder.new().encode('AAAAAAAA'))",
          "m = js.Map.new(); m.set('out.txt', view)",
          "post(t='done', outcome=obj(status='ok', exitCode=0, error=None, value=None, files=m), executionTimeMs=1)",
          "t = time.time()",
          "while time.time() - t < 2: view[0] = 66",
        ),
      });
      // The page cannot read a message holding shared memory from another agent cluster: that is out of protocol.
      expect(r.status, JSON.stringify(r)).toBe("killed");
      expect(r.error.message).toMatch(/could not be read/);
      expect(r.files).toEqual([]);
      expect(r.fileContents).toEqual([]);
    });

    it("a guest that posts to the frame (the worker's global port) is stopped at once", async () => {
      const r = await execute(page, { language: "python", code: py("import js, time", "js.postMessage('hello frame')", "time.sleep(5)", "print('not reached')") });
      expect(r.status, JSON.stringify(r)).toBe("killed");
      expect(r.error.message).toMatch(/posted to the frame/);
      expect(r.stdout).toBe("");
    });
  });

  /**
   * Stop and the time limit, on a page that is cross-origin isolated (the interrupt flag is
   * shared memory) and on one that is not (terminate only). After the run the guest's worker
   * is gone: every worker the page still has answers at once (a spinning guest could not),
   * and none is the one the guest ran in.
   */
  const stopSuite = (label: string, getPage: () => Page) => {
    const pyBusy = (...pre: string[]) => py("import js", ...pre, "print('spinning in', js.self.name, flush=True)", "while True: pass");
    const nameIn = (output: string) => /spinning in (\S+)/.exec(output)?.[1];

    async function expectWorkerGone(p: Page, name?: string) {
      const live = await liveWorkerNames(p, name);
      expect(live, "a guest worker still spinning").not.toContain("busy");
      if (name) expect(live).not.toContain(name);
    }

    it.each([
      ["Python while True: pass", { language: "python", code: pyBusy() }, "spinning in"],
      ["Python that swallows KeyboardInterrupt", { language: "python", code: pyBusy().replace("while True: pass", "while True:\n    try:\n        while True: pass\n    except KeyboardInterrupt:\n        print('caught', flush=True)") }, "spinning in"],
      ["JavaScript for(;;){}", { language: "javascript", code: "console.log('spinning'); for (;;) {}" }, "spinning"],
      ["a WASI busy loop (WAT)", { language: "wasm", code: BUSY_WAT }, ""],
    ])(`${label}: Stop ends %s at once with status killed, and its worker is gone`, async (_name, request, marker) => {
      const p = getPage();
      const run = await startUntil(p, request, marker);
      if (!marker) await new Promise((r) => setTimeout(r, 500)); // the module is compiled and spinning
      // The check below can see a spinning guest: here it does.
      expect(await Promise.all(p.workers().map((w) => ask(w, () => self.name)))).toContain("busy");
      await run.stop();
      const r = await run.result();
      expect(r.status, JSON.stringify(r)).toBe("killed");
      expect(r.stopMs).toBeLessThan(1000);
      await expectWorkerGone(p, nameIn(run.output));
    });

    it("output written before a busy loop reaches the page while the guest spins", async () => {
      const p = getPage();
      const t0 = performance.now();
      const run = await startUntil(p, { language: "python", code: py("print('before the loop', flush=True)", "while True: pass") }, "before the loop");
      const seenMs = performance.now() - t0;
      await run.stop();
      const r = await run.result();
      expect(r.status).toBe("killed");
      expect(r.stdout).toBe("before the loop\n");
      expect(seenMs - r.timings.startMs).toBeLessThan(5000);
    });

    it("a guest's timers do not outlive its run: its worker is terminated when the run ends", async () => {
      const p = getPage();
      const r = await execute(p, {
        language: "python",
        code: py(
          "import js",
          "from pyodide.ffi import create_proxy, to_js",
          "print('ran in', js.self.name)",
          "tick = create_proxy(lambda: js.postMessage(to_js({'t': 'out', 'streams': 'o', 'lengths': [4], 'data': js.TextEncoder.new().encode('tick')}, dict_converter=js.Object.fromEntries)))",
          "js.setInterval(tick, 5)",
        ),
      });
      expect(r.status, JSON.stringify(r)).toBe("ok");
      const name = /ran in (\S+)/.exec(r.stdout)?.[1];
      expect(name).toMatch(/^wasmbox-python-\d+$/);
      await expectWorkerGone(p, name);
    });

    it.each([
      ["Python while True: pass", "python", pyBusy()],
      ["Python that swallows KeyboardInterrupt", "python", pyBusy().replace("while True: pass", "while True:\n    try:\n        while True: pass\n    except KeyboardInterrupt:\n        print('caught', flush=True)")],
      ["JavaScript for(;;){}", "javascript", "for (;;) {}"],
      ["a WASI busy loop (WAT)", "wasm", BUSY_WAT],
    ])(`${label}: timeoutMs ends %s with status timeout, and its worker is gone`, async (_name, language, code) => {
      const p = getPage();
      const t0 = performance.now();
      const r = await execute(p, { language, code, limits: { timeoutMs: 1000 } });
      expect(r.status, JSON.stringify(r)).toBe("timeout");
      expect(r.error.name).toBe("TimeoutError");
      expect(performance.now() - t0 - r.timings.startMs).toBeLessThan(4000);
      await expectWorkerGone(p, nameIn(r.output));
    });
  };

  describe("Stop and the time limit", () => {
    stopSuite("cross-origin isolated page", () => page);
  });

  describe("Stop and the time limit, page not cross-origin isolated", () => {
    let plain: Page;
    beforeAll(async () => {
      plain = await stack.harness({ isolated: false });
      await plain.evaluate(pageSetup);
      expect(await plain.evaluate(() => crossOriginIsolated)).toBe(false);
    });
    afterAll(async () => {
      await plain?.evaluate(() => (window as unknown as Win).__engine.dispose()).catch(() => {});
    });
    stopSuite("page not isolated", () => plain);
  });

  it("no guest request reached anything during the whole file", () => {
    nothingArrived();
  });
});
