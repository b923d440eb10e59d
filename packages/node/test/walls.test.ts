/**
 * The walls around sandbox processes, attacked end to end through createEngine(): the classes
 * Q01–Q07 of the escapes page ("Beyond single payloads"), with routes of this suite's own.
 *
 * Every test is checked against the host canaries afterwards (canaries.ts): no host secret in
 * any result, the never-created path absent, no connection to the loopback listener, the
 * victim process alive.
 *
 * Several tests go past Node's permission model on purpose (see walls-helpers.ts): node:sqlite
 * opens files without asking it, and `v8.setFlagsFromString("--no-wasm-bounds-checks")` gives
 * wasm code every byte of the process, enough to start a Node without `--permission` inside the
 * sandbox. Tests that a wall in the process *should* stop that fail while it is open; the tests
 * of the OS walls then use those routes to attack bubblewrap, the cgroup and the uid directly.
 * Where a route is closed they fall back to what is still reachable.
 *
 * WALLS_DEBUG=1 prints what every payload saw.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine, type ExecuteOptions, type Execution } from "@wasmbox/node";
import { encodeFrame } from "../dist/sandbox/framing.js";
import { expectContained, plantCanaries, type Canaries } from "./canaries.js";
import { hostProcesses, measureHost, pathRuleViolation, sandboxProcesses, SHELLCODE_HEX, TOOLKIT_JS, unwalledStdoutScript, WASM64_HEX } from "./walls-helpers.js";

const MiB = 1024 * 1024;
const HERE = dirname(fileURLToPath(import.meta.url));
const NODE_PKG = resolve(HERE, "..");
const REPO = resolve(NODE_PKG, "..", "..");

let c: Canaries;
/** Every result of the current test, checked against the canaries in afterEach. */
const results: Execution[] = [];
/** Extra secrets a test's results must not contain (another tenant's). */
const extraSecrets: string[] = [];

beforeAll(async () => {
  c = await plantCanaries();
});
afterAll(async () => {
  await c?.dispose();
});
afterEach(() => {
  const secrets = extraSecrets.splice(0);
  for (const r of results) {
    const text = JSON.stringify({ ...r, fileContents: [...r.fileContents.keys()] });
    for (const s of secrets) expect(text.includes(s), "another tenant's secret reached this result").toBe(false);
  }
  expectContained(c, results);
});

const lit = (s: string) => JSON.stringify(s);

async function run(engine: Engine, request: Record<string, unknown>, options?: ExecuteOptions): Promise<Execution> {
  const r = await engine.execute(request, options);
  results.push(r);
  if (process.env.WALLS_DEBUG) console.log(JSON.stringify({ status: r.status, error: r.error, stdout: r.stdout.slice(0, 4000), files: r.files.map((f) => f.path) }, null, 1));
  return r;
}

function runMs(r: Execution): number {
  return r.timings.totalMs - r.timings.startMs - r.timings.queuedMs;
}

/** Python prelude: canary constants, `attempt`, the toolkit `H` and `unwalled(body)`. */
function pyPrelude(): string {
  return `
import js, json, asyncio, time, base64, struct
from pyodide.code import run_js
from pyodide.ffi import to_js, create_proxy
SECRET_FILE = ${lit(c.secretFile)}
SECRET_DIR = ${lit(c.secretDir)}
NEVER = ${lit(c.neverPath)}
PORT = ${c.port}
VICTIM = ${c.victimPid}
HOST_PID = ${process.pid}
CODE = ${lit(SHELLCODE_HEX)}
WASM = ${lit(WASM64_HEX)}
H = run_js(${lit(TOOLKIT_JS)})

def attempt(label, fn):
    try:
        result = fn()
    except BaseException as e:
        print(label, "blocked:", type(e).__name__, str(e)[:160].replace("\\n", " "))
        return None
    print(label, "SUCCEEDED:", str(result)[:300].replace("\\n", " "))
    return result

async def attempt_async(label, fn, timeout=3):
    try:
        result = await asyncio.wait_for(fn(), timeout)
    except BaseException as e:
        print(label, "blocked:", type(e).__name__, str(e)[:160].replace("\\n", " "))
        return None
    print(label, "SUCCEEDED:", str(result)[:300].replace("\\n", " "))
    return result

def unwalled(body, wait_ms=10000, tag=""):
    """Run body in a fresh Node without --permission inside this sandbox; its report, or None if every route is closed."""
    try:
        r = H.unwalled(body, CODE, WASM, wait_ms, tag)
    except BaseException as e:
        print("UNWALLED-BLOCKED", type(e).__name__, str(e)[:300].replace("\\n", " "))
        return None
    print("UNWALLED " + r)
    return json.loads(r)

def raw(data):
    """Bytes straight onto the host channel (fd 3), below every API."""
    return H.writeAll(3, to_js(data))
`;
}

function py(engine: Engine, body: string, extra: Record<string, unknown> = {}, options?: ExecuteOptions): Promise<Execution> {
  return run(engine, { language: "python", code: `${pyPrelude()}\n${body}`, ...extra }, options);
}

/** Every attempt in `labels` printed "blocked", and none printed "SUCCEEDED". */
function expectBlocked(r: Execution, labels: string[]): void {
  const shown = `stdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(0, 3000)}\nerror: ${JSON.stringify(r.error)}`;
  const got = r.stdout.split("\n").filter((l) => l.includes(" SUCCEEDED:"));
  expect(got, shown).toEqual([]);
  for (const label of labels) expect(r.stdout, shown).toContain(`${label} blocked:`);
}

/** The report of `unwalled(...)` in a run's stdout: null if no process without the permission model could be started. */
function unwalledReport(r: Execution): Record<string, unknown> | null {
  const line = r.stdout.split("\n").find((l) => l.startsWith("UNWALLED {"));
  return line ? (JSON.parse(line.slice("UNWALLED ".length)) as Record<string, unknown>) : null;
}

/** The host keeps serving: a run of another tenant works. */
async function expectHostServes(engine: Engine, tenant = `next-${randomUUID()}`): Promise<void> {
  const r = await run(engine, { language: "python", code: "print(6*7)" }, { tenant });
  expect(r.status, JSON.stringify(r.error)).toBe("ok");
  expect(r.stdout).toBe("42\n");
}

/**
 * Run `body` (as for `unwalled`) in a Node the host starts itself, without --permission, inside
 * exactly the OS sandbox a guest gets: the stand-in for a guest that got past the permission
 * model once the in-process routes are closed.
 */
async function inHostStartedSandbox(body: string): Promise<Record<string, unknown>> {
  type Plan = { mode: string; nodeBinary: string };
  const { locateAssets } = (await import("../dist/host/assets.js")) as { locateAssets(): { readPaths: string[] } };
  const { planIsolation, sandboxCommand } = (await import("../dist/host/isolation.js")) as {
    planIsolation(o: object, r: string[]): Plan;
    sandboxCommand(plan: Plan, spec: { readPaths: string[]; fds: number[] }, command: string[]): string[];
  };
  const readPaths = locateAssets().readPaths;
  const plan = planIsolation({}, readPaths);
  expect(plan.mode).toBe("bubblewrap");
  const [cmd, ...args] = sandboxCommand(plan, { readPaths, fds: [] }, [plan.nodeBinary, "-e", unwalledStdoutScript(body)]);
  const { spawn } = await import("node:child_process");
  const child = spawn(cmd!, args, { env: {}, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await new Promise((r) => child.on("close", r));
  clearTimeout(timer);
  const line = stdout.split("\n").find((l) => l.startsWith("UNWALLED {"));
  expect(line, `the host-started sandbox reported nothing: ${stderr.slice(0, 2000)}`).toBeTruthy();
  return JSON.parse(line!.slice("UNWALLED ".length)) as Record<string, unknown>;
}

const PLACEHOLDER = "00000000-0000-4000-8000-wbplaceholdr"; // as long as a UUID

/** A `done` frame with a made-up outcome, built with the project's own encoder; the guest puts in the real nonce. */
function forgedDone(outcome: Record<string, unknown>): string {
  expect(PLACEHOLDER.length).toBe(randomUUID().length);
  return Buffer.from(encodeFrame({ t: "done", nonce: PLACEHOLDER, outcome, executionTimeMs: 1 })).toString("base64");
}

/** Python that learns the channel's nonce, then writes the forged frame onto fd 3. */
function forgeRun(frameB64: string): string {
  return `
get_nonce = H.sniffNonce()
print("sniffing", flush=True)
nonce = get_nonce()
time.sleep(0.02)  # past the output batcher's window: the next line leaves at once
print("nonce sniffed:", nonce is not None, flush=True)
time.sleep(0.02)
frame = base64.b64decode(${lit(frameB64)})
if nonce:
    frame = frame.replace(${lit(PLACEHOLDER)}.encode(), nonce.encode())
raw(frame)
time.sleep(1.5)
print("REAL END")
`;
}

/** The forged outcome was refused: reported as a protocol error, or the sandbox killed for the frame. */
function expectProtocolError(r: Execution): void {
  if (!r.stdout.includes("nonce sniffed: True")) return; // nothing was forged: the real outcome stands
  expect(r.stdout, "the forged outcome did not end the run").not.toContain("REAL END");
  const refused = (r.status === "error" && r.error?.name === "SandboxProtocolError") || (r.status === "killed" && r.error?.name === "SandboxCrash");
  expect(refused, `status ${r.status}: ${JSON.stringify(r.error)}`).toBe(true);
}

function expectPathsClean(r: Execution): void {
  const paths = [...r.files.map((f) => f.path), ...r.fileContents.keys()];
  const bad = paths.map((p) => [JSON.stringify(p), pathRuleViolation(p)]).filter(([, v]) => v !== null);
  expect(bad, "returned file paths break the path rule").toEqual([]);
  let total = 0;
  for (const bytes of r.fileContents.values()) total += bytes.byteLength;
  expect(r.files.length).toBeLessThanOrEqual(1000);
  expect(total).toBeLessThanOrEqual(64 * MiB);
}

/** Host paths no sandbox may see: caches, homes, the repo beyond the runtime assets, a server data dir. */
function hostOnlyPaths(extra: string[] = []): string[] {
  return [
    "/root",
    "/home",
    "/etc",
    "/usr",
    "/var",
    "/sys",
    join(homedir(), ".cache"),
    join(REPO, ".git"),
    join(REPO, "package.json"),
    join(REPO, "node_modules", ".cache"),
    join(REPO, "node_modules", ".vite"),
    join(REPO, "packages", "server"),
    join(NODE_PKG, "src"),
    join(NODE_PKG, "test"),
    join(NODE_PKG, "node_modules"),
    resolve(REPO, "..", "shared"),
    c.secretDir,
    ...extra,
  ];
}

// ---------------------------------------------------------------------------------------
describe("Q01 a fresh JS realm, thread or process without the walls", () => {
  let engine: Engine;
  beforeAll(() => {
    engine = createEngine({ pool: { python: 1, quickjs: 0, wasm: 0 }, maxConcurrentRuns: 2 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it("(precondition) sandboxes run in bubblewrap, in cgroups, as an unprivileged uid, on the pinned Node", () => {
    const iso = engine.isolation;
    expect(iso.mode).toBe("bubblewrap");
    const inForce = Object.fromEntries(iso.walls.map((w) => [w.name, w.inForce]));
    for (const name of ["os-sandbox", "network", "filesystem", "processes", "memory-cgroup", "pids-cgroup", "node-permission"]) expect(inForce[name], name).toBe(true);
    if (process.getuid?.() === 0) expect(inForce.uid, "uid").toBe(true);
  });

  it("module.register, Worker({execArgv: []}), node:vm, process.binding, dlopen, ShadowRealm and wasm give no realm with more power", async () => {
    const r = await py(
      engine,
      `
P = js.process
mod = P.getBuiltinModule("module")
fs = P.getBuiltinModule("fs")
WT = P.getBuiltinModule("worker_threads")
vm = P.getBuiltinModule("vm")
evil = "require('fs').writeFileSync(" + json.dumps(NEVER) + ", 'x'); require('fs').readFileSync(" + json.dumps(SECRET_FILE) + ")"
hooks = "export async function initialize(){ (await import('node:fs')).writeFileSync(" + json.dumps(NEVER) + ", 'x') }"
attempt("module.register(data: hooks)", lambda: mod.register("data:text/javascript," + js.encodeURIComponent(hooks)))
attempt("module.register(file in assets)", lambda: mod.register("./sandbox-main.js", "file://" + js.process.argv[1]))
attempt("Worker(eval, execArgv: [])", lambda: run_js("(W, s) => new W(s, { eval: true, execArgv: [] })")(WT.Worker, evil))
attempt("Worker(data: URL, env: SHARE_ENV)", lambda: run_js("(W, s, e) => new W(new URL('data:text/javascript,' + encodeURIComponent(s)), { env: e })")(WT.Worker, evil, WT.SHARE_ENV))
async def imported_worker():
    wt = await run_js("import('node:worker_threads')")
    return run_js("(W, s) => new W(s, { eval: true, execArgv: ['--no-permission'] })")(wt.Worker, evil)
await attempt_async("import(worker_threads).Worker", imported_worker)
attempt("child_process.fork(execArgv: [])", lambda: P.getBuiltinModule("child_process").fork("/dev/null", to_js([]), js.JSON.parse('{"execArgv": []}')))
attempt("vm.runInNewContext -> process -> read secret", lambda: vm.runInNewContext("this.constructor.constructor('return process')().getBuiltinModule('fs').readFileSync(" + json.dumps(SECRET_FILE) + ", 'utf8')"))
attempt("vm.runInNewContext -> process -> child_process", lambda: vm.runInNewContext("this.constructor.constructor('return process')().getBuiltinModule('child_process').execFileSync('/bin/sh', ['-c', 'touch " + NEVER + "'])"))
async def vm_import():
    opts = run_js("(vm) => ({ importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER })")(vm)
    return await vm.runInNewContext("import('node:fs').then((fs) => fs.writeFileSync(" + json.dumps(NEVER) + ", 'x') || 'wrote')", None, opts)
await attempt_async("vm context with the main loader -> import(fs) -> write", vm_import)
attempt("vm.compileFunction -> process.dlopen", lambda: vm.compileFunction("return process.dlopen({}, '/lib/x86_64-linux-gnu/libc.so.6')")())
async def hooked_import():
    mod.registerHooks(run_js("""(never, secret) => ({
      resolve(spec, ctx, next) { return spec === 'wb:evil' ? { url: 'file:///wb-evil.mjs', shortCircuit: true } : next(spec, ctx); },
      load(url, ctx, next) { return url === 'file:///wb-evil.mjs' ? { format: 'module', shortCircuit: true, source: "import fs from 'node:fs'; fs.writeFileSync(" + JSON.stringify(never) + ", 'x'); export default fs.readFileSync(" + JSON.stringify(secret) + ", 'utf8');" } : next(url, ctx); },
    })""")(NEVER, SECRET_FILE))
    m = await run_js("import('wb:evil')")
    return getattr(m, "default")
await attempt_async("module.registerHooks -> injected module writes/reads", hooked_import)
for name in ["fs", "spawn_sync", "process_wrap", "tcp_wrap", "pipe_wrap", "worker", "natives"]:
    attempt("process.binding(" + name + ")", lambda: P.binding(name).constructor)
attempt("process._linkedBinding", lambda: P._linkedBinding("fs"))
attempt("internalBinding", lambda: run_js("internalBinding('fs')"))
attempt("process.dlopen", lambda: P.dlopen(js.Object.new(), "/lib/x86_64-linux-gnu/libc.so.6"))
attempt("Module._extensions['.node']", lambda: run_js("(m) => m._extensions['.node']({ exports: {} }, '/lib/x86_64-linux-gnu/libc.so.6')")(mod.Module))
attempt("crypto.setEngine", lambda: P.getBuiltinModule("crypto").setEngine("/lib/x86_64-linux-gnu/libc.so.6"))
attempt("wasi with / preopened", lambda: P.getBuiltinModule("wasi").WASI.new(js.JSON.parse('{"version": "preview1", "preopens": {"/": "/"}}')))
async def wasm_fetch():
    return await js.WebAssembly.compileStreaming(js.fetch("file:///etc/passwd"))
await attempt_async("WebAssembly.compileStreaming(fetch(file:))", wasm_fetch)
attempt("WebAssembly.compile(host file)", lambda: js.WebAssembly.Module.new(fs.readFileSync(SECRET_FILE)))
def shadow_realm():
    P.getBuiltinModule("v8").setFlagsFromString("--harmony-shadowrealm")
    return run_js("new ShadowRealm().evaluate(\\"typeof process === 'object' ? 'HAS PROCESS' : (() => { throw new Error('no process in the realm'); })()\\")")
attempt("ShadowRealm with a process", shadow_realm)
print("done")
`,
    );
    expect(r.status, `${r.stderr}\n${JSON.stringify(r.error)}`).toBe("ok");
    expectBlocked(r, [
      "module.register(data: hooks)",
      "Worker(eval, execArgv: [])",
      "Worker(data: URL, env: SHARE_ENV)",
      "import(worker_threads).Worker",
      "child_process.fork(execArgv: [])",
      "vm.runInNewContext -> process -> read secret",
      "vm.runInNewContext -> process -> child_process",
      "vm context with the main loader -> import(fs) -> write",
      "vm.compileFunction -> process.dlopen",
      "module.registerHooks -> injected module writes/reads",
      "process.binding(fs)",
      "process.binding(spawn_sync)",
      "process.dlopen",
      "Module._extensions['.node']",
      "wasi with / preopened",
      "WebAssembly.compileStreaming(fetch(file:))",
      "WebAssembly.compile(host file)",
      "ShadowRealm with a process",
    ]);
  });

  it("node:sqlite does not go around the permission model: no reads outside the assets, no files created", async () => {
    // node:sqlite opens its database with its own open(2). The fd it holds is readable and
    // writable with fs.readSync/writeSync (fd calls the permission model never checks).
    const r = await py(
      engine,
      `
attempt("sqlite: read /proc/self/mountinfo", lambda: H.readFile("/proc/self/mountinfo")[:60])
attempt("sqlite: read /proc/1/cmdline", lambda: H.readFile("/proc/1/cmdline")[:60])
attempt("sqlite: read a library outside the assets", lambda: H.readFile("/lib64/ld-linux-x86-64.so.2")[:4])
attempt("sqlite: create and write a file in /tmp", lambda: H.writeFile("/tmp/wb-sqlite-write", "written past --permission"))
attempt("sqlite: create a file outside /tmp", lambda: H.writeFile("/work/wb-sqlite-write", "written past --permission"))
def oracle():
    seen = {p: H.probe(p) for p in ["/proc/1", "/proc/2", "/work", "/nonexistent"]}
    if not any(v in ("dir", "file") for v in seen.values()):
        raise PermissionError("no answers: " + json.dumps(seen))
    return seen
attempt("sqlite: existence oracle", oracle)
`,
    );
    expect(r.status, `${r.stderr}\n${JSON.stringify(r.error)}`).toBe("ok");
    expectBlocked(r, [
      "sqlite: read /proc/self/mountinfo",
      "sqlite: read /proc/1/cmdline",
      "sqlite: read a library outside the assets",
      "sqlite: create and write a file in /tmp",
      "sqlite: create a file outside /tmp",
      "sqlite: existence oracle",
    ]);
  });

  it("v8.setFlagsFromString cannot turn off wasm memory safety: an out-of-bounds memory64 load still traps", async () => {
    // With --no-wasm-bounds-checks, wasm compiled afterwards loads and stores at any address of
    // the process: a memory-corruption primitive for guest code (the sandbox process dies here).
    const r = await py(
      engine,
      `
P = js.process
print("setting the flag", flush=True)
attempt("v8.setFlagsFromString(--no-wasm-bounds-checks)", lambda: P.getBuiltinModule("v8").setFlagsFromString("--no-wasm-bounds-checks"))
time.sleep(0.02)
print("flag call returned", flush=True)
time.sleep(0.02)
inst = js.WebAssembly.Instance.new(js.WebAssembly.Module.new(to_js(bytes.fromhex(WASM))))
print("in bounds:", inst.exports.ld(js.BigInt(8)), flush=True)
try:
    inst.exports.ld(js.BigInt(1 << 40))
    print("OUT OF BOUNDS LOAD SUCCEEDED")
except Exception as e:
    print("oob load trapped:", str(e)[:80])
`,
    );
    // Contained: the flag is refused (an error, or the sandbox stops at the call), or wasm still traps.
    const shown = `${r.stdout}\n${JSON.stringify(r.error)}`;
    expect(r.stdout, shown).not.toContain("OUT OF BOUNDS LOAD SUCCEEDED");
    if (r.stdout.includes("flag call returned")) expect(r.stdout, `the flag was taken and the out-of-bounds load crashed the sandbox\n${shown}`).toContain("oob load trapped:");
    await expectHostServes(engine);
  });

  it("no process or thread of a Python sandbox runs without Node's permission model (sqlite + wasm bounds + RWX JIT -> execve)", async () => {
    const r = await py(engine, `rep = unwalled("R.argv = process.execArgv; R.canRead = fs.readdirSync('/').length > 0")\n`, { limits: { timeoutMs: 20_000, memoryLimitBytes: 512 * MiB } });
    const rep = unwalledReport(r);
    expect(rep, `a Node without --permission ran inside the sandbox: ${JSON.stringify(rep)}`).toBeNull();
    expect(r.stdout).toContain("UNWALLED-BLOCKED");
  });

  it("a process past every in-process wall still sees only the sandbox: no host files, processes, network, writes or privileges", async () => {
    const { locateAssets } = (await import("../dist/host/assets.js")) as { locateAssets(): { readPaths: string[] } };
    const { planIsolation } = (await import("../dist/host/isolation.js")) as { planIsolation(o: object, r: string[]): { nodeBinary: string; libraries: { target: string }[] } };
    const plan = planIsolation({}, locateAssets().readPaths);
    const bound = [...locateAssets().readPaths, plan.nodeBinary];
    const hostPids = [...new Set([process.pid, process.ppid, c.victimPid, ...hostProcesses().filter((p) => p.pid > 100).slice(0, 40).map((p) => p.pid)])];
    const hidden = hostOnlyPaths();
    const rootProbe = `/root/.wb-probe-${randomBytes(6).toString("hex")}`;
    const body = `
const HOST_PIDS = ${JSON.stringify(hostPids)}, HIDDEN = ${JSON.stringify(hidden)};
R.root = fs.readdirSync('/').sort();
t('passwd', () => fs.readFileSync('/etc/passwd', 'latin1'));
t('secret', () => fs.readFileSync(${lit(c.secretFile)}, 'utf8'));
R.procPids = fs.readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n)).map(Number);
R.hostPidsSeen = HOST_PIDS.filter((p) => fs.existsSync('/proc/' + p));
R.visible = HIDDEN.filter((p) => { try { const s = fs.statSync(p); return !s.isDirectory() || fs.readdirSync(p).length > 0; } catch (e) { return false; } });
const BOUND = ${JSON.stringify(bound)};
const inside = (p) => BOUND.some((b) => p === b || p.startsWith(b + '/'));
const onTheWay = (p) => BOUND.some((b) => b.startsWith(p + '/'));
R.unbound = [];
const own = (d, n) => d === '/tmp' && (n.startsWith('.wb-') || n.startsWith('.wasmbox') || n.startsWith('wasmbox-never-created'));
const walk = (d) => { let names = []; try { names = fs.readdirSync(d); } catch (e) { return; } for (const n of names) { const p = d + '/' + n; if (inside(p) || own(d, n)) continue; if (onTheWay(p)) walk(p); else R.unbound.push(p); } };
// Every top-level folder the bound paths live in (/work here; /tmp for a checkout there).
for (const top of [...new Set(BOUND.map((b) => '/' + b.split('/')[1]))]) walk(top);
t('libs', () => fs.readdirSync('/lib/x86_64-linux-gnu').concat(fs.readdirSync('/lib64').map((n) => '/lib64/' + n)));
t('tmp', () => fs.readdirSync('/tmp'));
t('mounts', () => fs.readFileSync('/proc/self/mountinfo', 'utf8'));
t('writeNever', () => fs.writeFileSync(${lit(c.neverPath)}, 'x'));
t('writeAssets', () => fs.writeFileSync(${lit(join(NODE_PKG, "dist", ".wb-write-probe"))}, 'x'));
t('mkdirRoot', () => fs.mkdirSync(${lit(rootProbe)}, { recursive: true }));
t('killVictim', () => process.kill(${c.victimPid}, 0));
t('killHost', () => process.kill(${process.pid}, 0));
t('setuid0', () => process.setuid(0));
t('sh', () => cp.execFileSync('/bin/sh', ['-c', 'touch ${c.neverPath}']).toString());
t('ifaces', () => Object.keys(os.networkInterfaces()));
t('caps', () => /CapEff:\\s*(\\S+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
t('uidmap', () => fs.readFileSync('/proc/self/uid_map', 'utf8').trim());
R.net = await new Promise((res) => { const s = net.connect(${c.port}, '127.0.0.1'); s.on('connect', () => { s.destroy(); res('CONNECTED'); }); s.on('error', (e) => res('ERR ' + e.code)); setTimeout(() => res('TIMEOUT'), 3000); });
`;
    const r = await py(
      engine,
      `
rep = unwalled(${lit(body)}, 15000)
`,
      { limits: { timeoutMs: 30_000, memoryLimitBytes: 512 * MiB } },
    );
    expect(r.status, `${r.stderr.slice(0, 2000)}\n${JSON.stringify(r.error)}`).toBe("ok");
    // No route past the permission model from the guest any more: hold the OS walls to the same
    // attacks with a Node the host starts itself, without --permission, in exactly such a sandbox.
    const rep = unwalledReport(r) ?? (await inHostStartedSandbox(body));
    const shown = JSON.stringify(rep, null, 1).slice(0, 6000);
    expect(rep.permission, shown).toBe("off"); // (the process the OS walls must hold against)
    const root = rep.root as string[];
    for (const name of ["etc", "root", "home", "usr", "var", "bin", "sbin", "sys", "boot", "opt", "srv", "mnt", "run"]) expect(root, shown).not.toContain(name);
    const hostPasswd = readFileSync("/etc/passwd", "latin1");
    expect(rep.passwd === hostPasswd, "the host's /etc/passwd is readable").toBe(false);
    expect(String(rep.secret)).toMatch(/^ERR /);
    expect(rep.hostPidsSeen, "host processes visible in the sandbox's /proc").toEqual([]);
    expect(rep.visible, "host-only paths visible").toEqual([]);
    // Under /work: only the bound runtime assets, inside them, or folders on the way to them.
    expect(rep.unbound, "unbound host paths beside the bound ones").toEqual([]);
    // Libraries: only those of the Node binary.
    const libs = new Set(plan.libraries.map((l) => l.target.split("/").pop()!));
    expect((rep.libs as string[]).filter((n) => !libs.has(n.split("/").pop()!)), "host libraries beyond the Node binary's").toEqual([]);
    // Entries on the way to bound paths (a checkout under /tmp) were checked by the walk above.
    const onTheWay = new Set(bound.filter((b) => b.startsWith("/tmp/")).map((b) => b.split("/")[2]));
    expect((rep.tmp as string[]).filter((n) => !n.startsWith(".wb-") && !n.startsWith(".wasmbox") && !n.startsWith("wasmbox-never-created") && !onTheWay.has(n)), "host files in the sandbox's /tmp").toEqual([]);
    // Every mount of a real filesystem is read-only; only the sandbox's own tmpfs, proc and dev are writable.
    const writable = String(rep.mounts)
      .split("\n")
      .filter(Boolean)
      .map((l) => {
        const [pre, post] = l.split(" - ");
        const f = pre!.split(" ");
        const [fstype, source] = post!.split(" ");
        return { target: f[4]!, options: f[5]!.split(","), fstype: fstype!, source: source! };
      })
      .filter((m) => !m.options.includes("ro") && !["tmpfs", "proc", "devpts", "mqueue", "devtmpfs"].includes(m.fstype));
    expect(writable, "writable host filesystems in the sandbox").toEqual([]);
    expect(String(rep.writeAssets)).toMatch(/^ERR (EROFS|EACCES|EPERM)/);
    expect(existsSync(join(NODE_PKG, "dist", ".wb-write-probe"))).toBe(false);
    // (The sandbox's root is a private tmpfs: a directory made there is not the host's.)
    expect(existsSync(rootProbe), "a directory made in the sandbox's /root appeared on the host").toBe(false);
    expect(rep.killVictim).toBe("ERR ESRCH");
    expect(rep.killHost).toBe("ERR ESRCH");
    expect(String(rep.setuid0)).toMatch(/^ERR (EPERM|EINVAL)/);
    expect(String(rep.sh)).toMatch(/^ERR /);
    expect((rep.ifaces as string[]).filter((n) => n !== "lo")).toEqual([]);
    expect(rep.caps).toBe("0000000000000000");
    expect(rep.net).not.toBe("CONNECTED");
    if (process.getuid?.() === 0) expect(String(rep.uidmap)).not.toMatch(/^0\s+0\s/);
  });
});

// ---------------------------------------------------------------------------------------
describe("Q02 bytes written below the API (the host channel on fd 3, other fds)", () => {
  let engine: Engine;
  const LIMITS = { timeoutMs: 4000, memoryLimitBytes: 512 * MiB, maxOutputBytes: 100_000 };
  beforeAll(() => {
    engine = createEngine({ pool: { python: 1, quickjs: 0, wasm: 0 }, maxConcurrentRuns: 2 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  const killedForProtocol = (r: Execution) => {
    expect(r.status, `${JSON.stringify(r.error)}\n${r.stdout}`).toBe("killed");
    expect(r.error?.name).toBe("SandboxCrash");
  };

  it("0xff garbage on fd 3 kills that sandbox at once (killed / SandboxCrash); the next run of another tenant works", async () => {
    const r = await py(engine, `print("before", flush=True)\nraw(b"\\xff" * 4096)\ntime.sleep(3)\nprint("AFTER")`, { limits: LIMITS }, { tenant: "q02-a" });
    killedForProtocol(r);
    expect(r.stdout).not.toContain("AFTER");
    expect(runMs(r)).toBeLessThan(2500);
    await expectHostServes(engine);
  });

  it("random garbage on fd 3 ends the run with a clear status, never ok", async () => {
    const r = await py(engine, `import os\nraw(os.urandom(64 * 1024))\ntime.sleep(2)\nprint("AFTER")`, { limits: LIMITS }, { tenant: "q02-a" });
    expect(["killed", "timeout", "error"]).toContain(r.status);
    expect(r.stdout).not.toContain("AFTER");
    await expectHostServes(engine);
  });

  it("a frame announcing gigabytes is refused before its bytes are buffered", async () => {
    const r = await py(engine, `raw(struct.pack(">II", 64, 0xC0000000) + b"{" * 64)\ntime.sleep(3)\nprint("AFTER")`, { limits: LIMITS }, { tenant: "q02-a" });
    killedForProtocol(r);
    expect(runMs(r)).toBeLessThan(2500);
    await expectHostServes(engine);
  });

  it("a frame just under the caps, sent fast then trickled, costs the host bounded memory and ends with the run", async () => {
    const m = await measureHost(() =>
      py(
        engine,
        `
get_nonce = H.sniffNonce()
print("sniffing", flush=True)
nonce = get_nonce() or "x"
body = 64 * 1024 * 1024  # a run may return 64 MiB of files: a frame this large must be allowed
h = json.dumps({"t": "out", "nonce": nonce, "chunks": []}).encode()
raw(struct.pack(">II", len(h), body) + h)
chunk = to_js(bytes(8 * 1024 * 1024))
for i in range(7):
    H.writeAll(3, chunk)
print("sent 56 MiB", flush=True)
while True:
    raw(b"\\0")
    time.sleep(0.1)
`,
        { limits: LIMITS },
        { tenant: "q02-a" },
      ),
    );
    expect(["timeout", "killed"]).toContain(m.result.status);
    expect(m.rssGrowthBytes, `host RSS grew ${Math.round(m.rssGrowthBytes / MiB)} MiB`).toBeLessThan(200 * MiB);
    await expectHostServes(engine);
  });

  it("a header of 8 MiB of nested brackets (within the header cap) neither stalls the host nor costs it hundreds of MiB", async () => {
    const m = await measureHost(() =>
      py(
        engine,
        `
n = (8 * 1024 * 1024 - 16) // 2
raw(struct.pack(">II", 2 * n, 0) + b"[" * n + b"]" * n)
time.sleep(2)
print("AFTER")
`,
        { limits: LIMITS },
        { tenant: "q02-a" },
      ),
    );
    killedForProtocol(m.result);
    const seen = `one frame: host RSS +${Math.round(m.rssGrowthBytes / MiB)} MiB, event loop stalled ${Math.round(m.maxDelayMs)} ms`;
    expect(m.maxDelayMs, seen).toBeLessThan(1000);
    expect(m.rssGrowthBytes, seen).toBeLessThan(200 * MiB);
    await expectHostServes(engine);
  });

  it("a run that raised maxOutputBytes (16 MiB) cannot make the host build millions of objects from one frame within its caps", async () => {
    // Header cap 2 x maxOutputBytes + 1 MiB; one container per 16 bytes passes the shape check.
    const m = await measureHost(() =>
      py(
        engine,
        `
get_nonce = H.sniffNonce()
print("sniffing", flush=True)
nonce = get_nonce() or "x"
n = (32 * 1024 * 1024) // 17
pad = b"[" + b",".join([b"{}              "] * n) + b"]"
header = b'{"t":"out","nonce":' + json.dumps(nonce).encode() + b',"chunks":[],"pad":' + pad + b'}'
raw(struct.pack(">II", len(header), 0) + header)
print("sent", len(header), flush=True)
time.sleep(0.5)
print("AFTER")
`,
        { limits: { ...LIMITS, maxOutputBytes: 16 * MiB, timeoutMs: 20_000, memoryLimitBytes: 1024 * MiB } },
        { tenant: "q02-a" },
      ),
    );
    const seen = `one ${32} MiB frame of small objects: host RSS +${Math.round(m.rssGrowthBytes / MiB)} MiB, event loop stalled ${Math.round(m.maxDelayMs)} ms (run: ${m.result.status})`;
    expect(m.maxDelayMs, seen).toBeLessThan(1000);
    expect(m.rssGrowthBytes, seen).toBeLessThan(200 * MiB);
    await expectHostServes(engine);
  });

  it("valid frames with a wrong nonce (ignored, not fatal) cannot keep the host's event loop busy during a run", async () => {
    const m = await measureHost(() =>
      py(
        engine,
        `
pad = b"[" + b",".join([b"{}"] * 2_700_000) + b"]"
header = b'{"t":"out","nonce":"not-the-nonce","pad":' + pad + b'}'
frame = to_js(struct.pack(">II", len(header), 0) + header)
for i in range(6):
    H.writeAll(3, frame)
print("flooded", flush=True)
time.sleep(1)
print("AFTER")
`,
        { limits: { ...LIMITS, timeoutMs: 15_000 } },
        { tenant: "q02-a" },
      ),
    );
    const seen = `6 ignored frames: event loop stalled ${Math.round(m.maxDelayMs)} ms at once, busy ${Math.round(m.utilization * 100)}%, host RSS +${Math.round(m.rssGrowthBytes / MiB)} MiB`;
    expect(m.maxDelayMs, seen).toBeLessThan(1000);
    expect(m.rssGrowthBytes, seen).toBeLessThan(200 * MiB);
    await expectHostServes(engine);
  });

  it("writes to fds 0, 1, 2 and 4 change nothing (0 and 4 are read-only): the run ends ok with its real output", async () => {
    const r = await py(
      engine,
      `
fs = js.process.getBuiltinModule("fs")
big = to_js(b'{"t":"done","outcome":{"status":"ok"}}' * 1000)
for fd in [1, 2]:
    for i in range(40):
        H.writeAll(fd, big)
print("wrote fds 1-2", flush=True)
attempt("write fd 0 (stdin)", lambda: fs.writeSync(0, "x"))
attempt("write fd 4 (the snapshot)", lambda: fs.writeSync(4, "x"))
attempt("truncate fd 4", lambda: fs.ftruncateSync(4, 0))
print("REAL END")
`,
      { limits: LIMITS },
      { tenant: "q02-b" },
    );
    expect(r.status, `${r.stderr.slice(0, 1000)}\n${JSON.stringify(r.error)}`).toBe("ok");
    expect(r.stdout).toContain("REAL END");
    expectBlocked(r, ["write fd 0 (stdin)", "write fd 4 (the snapshot)", "truncate fd 4"]);
    await expectHostServes(engine);
  });

  it("closing fd 3 ends the run with a clear status within its limit", async () => {
    const r = await py(engine, `fs = js.process.getBuiltinModule("fs")\nfs.closeSync(3)\nprint("closed")\ntime.sleep(1)\nprint("AFTER")`, { limits: LIMITS }, { tenant: "q02-c" });
    expect(["killed", "timeout", "error"]).toContain(r.status);
    expect(runMs(r)).toBeLessThan(LIMITS.timeoutMs + 3000);
    await expectHostServes(engine);
  });

  it("garbage sprayed on every other fd of the process (libuv's pipes, eventfds…) ends with a clear status", async () => {
    const r = await py(
      engine,
      `
fs = js.process.getBuiltinModule("fs")
junk = to_js(b"\\xde\\xad\\xbe\\xef" * 64)
for fd in range(5, 64):
    try:
        fs.writeSync(fd, junk)
    except Exception:
        pass
time.sleep(0.5)
print("REAL END")
`,
      { limits: LIMITS },
      { tenant: "q02-d" },
    );
    expect(["ok", "killed", "timeout", "error"]).toContain(r.status);
    if (r.status === "ok") expect(r.stdout).toContain("REAL END");
    await expectHostServes(engine);
  });

  it("an idle session writing frames between runs cannot hog the host (event loop, memory) while another tenant runs", async () => {
    const session = await engine.openSession({ language: "python", tenant: "q02-idle", limits: { timeoutMs: 10_000, memoryLimitBytes: 512 * MiB } });
    try {
      // Frames in the sandbox's own protocol (the nonce read off its own frames), each within the
      // idle caps and few enough per second: the host decodes every one and drops it.
      const first = await session.execute({
        code: `${pyPrelude()}
get_nonce = H.sniffNonce()
print("sniffing", flush=True)
nonce = get_nonce() or "x"
pad = "[" + ",".join(['"' + "p" * 14 + '"'] * 55_000) + "]"
header = ('{"t":"out","nonce":' + json.dumps(nonce) + ',"chunks":[],"pad":' + pad + '}').encode()
FRAME = to_js(struct.pack(">II", len(header), 0) + header)
def flood():
    for i in range(4):
        H.writeAll(3, FRAME)
js.setInterval(create_proxy(flood), 10)
print("armed, frames of", len(header), "bytes")
`,
      });
      results.push(first);
      expect(first.status, JSON.stringify(first.error)).toBe("ok");
      const m = await measureHost(async () => {
        await new Promise((r) => setTimeout(r, 2500));
        const t0 = performance.now();
        await expectHostServes(engine, "q02-bystander");
        return performance.now() - t0;
      });
      const seen = `idle session: host busy ${Math.round(m.utilization * 100)}%, event loop stalled ${Math.round(m.maxDelayMs)} ms at once, RSS +${Math.round(m.rssGrowthBytes / MiB)} MiB, a bystander's run took ${Math.round(m.result)} ms`;
      expect(m.utilization, seen).toBeLessThan(0.5);
      expect(m.maxDelayMs, seen).toBeLessThan(1000);
      expect(m.rssGrowthBytes, seen).toBeLessThan(200 * MiB);
    } finally {
      await session.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------
describe("Q03 forged results (a well-formed frame with the sniffed nonce; a JS guest with patched built-ins)", () => {
  let engine: Engine;
  const bytes = (s: string) => new TextEncoder().encode(s);
  beforeAll(() => {
    engine = createEngine({ pool: { python: 1, quickjs: 1, wasm: 0 }, maxConcurrentRuns: 2 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it("the guest can learn the nonce (so forging is real), and forged paths outside the rule are never returned", async () => {
    const evil = ["../../etc/x", "/etc/passwd", "a\r\nb", "..", ".", "", "a/../../b", "a//b", "./x", "x/.", "C:\\evil", "a\\b", "a\u0000b", "\u001b[31mred", "x\u007f", "p".repeat(600), "/", "//srv/share"];
    const files = new Map<string, Uint8Array>([...evil.map((p): [string, Uint8Array] => [p, bytes("forged")]), ["ok.txt", bytes("fine")]]);
    const r = await py(engine, forgeRun(forgedDone({ status: "ok", error: null, exitCode: 0, value: null, files })), {}, { tenant: "q03" });
    expect(r.stdout, "the nonce could not be sniffed: forging was not tried").toContain("nonce sniffed: True");
    expectProtocolError(r);
    expectPathsClean(r);
    for (const p of evil) expect(r.fileContents.has(p), JSON.stringify(p)).toBe(false);
  });

  it("forged paths with C1 control characters (U+0080–U+009F: NEL, CSI…) are refused like C0 ones", async () => {
    const evil = ["x\u0085y.txt", "\u009b31mred.txt", "a\u0080b", "bell\u0087.txt"];
    const files = new Map(evil.map((p): [string, Uint8Array] => [p, bytes("forged")]));
    const r = await py(engine, forgeRun(forgedDone({ status: "ok", error: null, exitCode: 0, value: null, files })), {}, { tenant: "q03" });
    expectPathsClean(r);
  });

  it("3000 forged files: none beyond the cap is returned", async () => {
    const files = new Map(Array.from({ length: 3000 }, (_, i): [string, Uint8Array] => [`f${i}.txt`, bytes("x")]));
    const r = await py(engine, forgeRun(forgedDone({ status: "ok", error: null, exitCode: 0, value: null, files })), {}, { tenant: "q03" });
    expectProtocolError(r);
    expect(r.files.length).toBeLessThanOrEqual(1000);
    expectPathsClean(r);
  });

  it("forged files over 64 MiB in all (70 MiB of real bytes; 3 x 30 MiB views of one body) are not returned", async () => {
    for (const [sizes, overlap] of [[[35 * MiB, 35 * MiB], false], [[30 * MiB, 30 * MiB, 30 * MiB], true]] as const) {
      const r = await py(
        engine,
        `
get_nonce = H.sniffNonce()
print("sniffing", flush=True)
nonce = get_nonce()
time.sleep(0.02)  # past the output batcher's window: the next line leaves at once
print("nonce sniffed:", nonce is not None, flush=True)
time.sleep(0.02)
sizes = ${JSON.stringify(sizes)}
overlap = ${overlap ? "True" : "False"}
entries, at = [], 0
for i, n in enumerate(sizes):
    entries.append(["big" + str(i) + ".bin", {"$b": [0 if overlap else at, n]}])
    at += n
body_len = max(sizes) if overlap else at
header = json.dumps({"t": "done", "nonce": nonce or "x", "outcome": {"status": "ok", "error": None, "exitCode": 0, "value": None, "files": {"$m": entries}}, "executionTimeMs": 1}).encode()
raw(struct.pack(">II", len(header), body_len) + header)
chunk = to_js(bytes(1024 * 1024))
for i in range(body_len // (1024 * 1024)):
    H.writeAll(3, chunk)
time.sleep(1.5)
print("REAL END")
`,
        { limits: { timeoutMs: 20_000, memoryLimitBytes: 512 * MiB } },
        { tenant: "q03" },
      );
      expectProtocolError(r);
      expectPathsClean(r);
    }
  });

  it("forged value, error and status are cut to the limits and the contract", async () => {
    const limits = { maxOutputBytes: 1000 };
    const value = await py(engine, forgeRun(forgedDone({ status: "ok", error: null, exitCode: 0, value: "v".repeat(50_000), files: new Map() })), { limits }, { tenant: "q03" });
    if (value.stdout.includes("nonce sniffed: True")) expect(value.stdout).not.toContain("REAL END");
    expect(value.value, "a value over maxOutputBytes was returned").toBeNull();
    expect(["output_limit", "error"]).toContain(value.status);

    const error = await py(
      engine,
      forgeRun(forgedDone({ status: "error", error: { name: "Evil\u0000Name<script>", message: "m".repeat(300_000), traceback: "t".repeat(300_000), line: -5 }, exitCode: 1, value: null, files: new Map() })),
      { limits },
      { tenant: "q03" },
    );
    if (error.stdout.includes("nonce sniffed: True")) expect(error.stdout).not.toContain("REAL END");
    expect(error.error?.name ?? "").toMatch(/^[\w.$:-]{1,128}$/);
    expect(Buffer.byteLength(error.error?.message ?? "")).toBeLessThanOrEqual(16 * 1024 + 64);
    expect(Buffer.byteLength(error.error?.traceback ?? "")).toBeLessThanOrEqual(limits.maxOutputBytes + 64);
    expect(error.error?.line ?? null).toBeNull();

    for (const status of ["killed", "timeout", "output_limit", "bogus"]) {
      const r = await py(engine, forgeRun(forgedDone({ status, error: null, exitCode: 1, value: null, files: new Map() })), {}, { tenant: "q03" });
      expectProtocolError(r);
    }
  });

  it("a forged done with a guessed nonce is never taken (ignored, or the sandbox killed)", async () => {
    const frame = Buffer.from(encodeFrame({ t: "done", nonce: randomUUID(), outcome: { status: "ok", error: null, exitCode: 0, value: "FORGED", files: new Map([["forged.txt", bytes("x")]]) }, executionTimeMs: 1 })).toString("base64");
    const r = await py(engine, `raw(base64.b64decode(${lit(frame)}))\ntime.sleep(0.3)\nprint("REAL END")`, {}, { tenant: "q03" });
    // Ignored (the real result comes), or the sandbox is killed for it: never the forged outcome.
    if (r.status === "killed") expect(r.error?.name).toBe("SandboxCrash");
    else {
      expect(r.status, JSON.stringify(r.error)).toBe("ok");
      expect(r.stdout).toContain("REAL END");
    }
    expect(r.value).not.toBe("FORGED");
    expect(r.fileContents.has("forged.txt")).toBe(false);
  });

  it("a JS guest that patches Array, String, JSON, Object, Symbol built-ins before writing files gets back only rule-abiding paths", async () => {
    const names = ["ok.txt", "../up.txt", "/etc/abs.txt", "d/../../up2.txt", "a\\\\b.txt", "a\\r\\nb.txt", "nul\\u0000.txt", "esc\\u001b[31m.txt", "sub/./x.txt", "C:\\\\win.txt"];
    const r = await run(
      engine,
      {
        language: "javascript",
        code: `
const fs = require("fs");
const path = require("path");
const names = [${names.map((n) => `"${n}"`).join(", ")}];
Array.prototype.map = function () { return ["../../etc/x"]; };
Array.prototype.filter = function () { return ["../../etc/y"]; };
Array.prototype.join = function () { return "../../etc/z"; };
Array.prototype.sort = function () { return this; };
Array.prototype[Symbol.iterator] = function* () { yield "../../etc/iter"; };
String.prototype.replace = function () { return "../../evil"; };
String.prototype.split = function () { return ["..", "..", "y"]; };
String.prototype.slice = function () { return "../.."; };
String.prototype.startsWith = function () { return false; };
String.prototype.indexOf = function () { return -1; };
String.prototype.toString = function () { return "../../tostring"; };
JSON.stringify = () => '{"files":{"../../x":1}}';
JSON.parse = () => ({ "../../parsed": 1 });
Object.keys = () => ["../../k"];
Object.entries = () => [["../../e", 1]];
Object.defineProperty = () => {};
Object.prototype.toJSON = function () { return "../../tojson"; };
Map.prototype.set = function () { return this; };
Symbol.prototype.toString = () => "../../sym";
globalThis.String = function () { return "../../String"; };
for (let i = 0; i < names.length; i++) { try { fs.writeFileSync(names[i], "x"); } catch (e) {} }
try { fs.mkdirSync("deep/er", { recursive: true }); fs.writeFileSync("deep/er/../../../../escape.txt", "x"); } catch (e) {}
try { fs.writeFileSync(path.join("..", "..", "joined.txt"), "x"); } catch (e) {}
try { fs.writeFileSync({ toString() { return "../../obj.txt"; } }, "x"); } catch (e) {}
`,
      },
      { tenant: "q03-js" },
    );
    expect(["ok", "error"]).toContain(r.status);
    expectPathsClean(r);
    expect(r.fileContents.has("ok.txt") || r.status === "error").toBe(true);
  });

  it("output files named with C1 control characters by a guest (Python, JS) are refused or renamed", async () => {
    const p = await run(engine, { language: "python", code: 'for n in ["x\\x85y.txt", "\\x9b31mred.txt", "ok.txt"]:\n    open(n, "w").write("x")' }, { tenant: "q03-c1" });
    expectPathsClean(p);
    const j = await run(engine, { language: "javascript", code: 'for (const n of ["x\\u0085y.txt", "\\u009b31mred.txt", "ok.txt"]) require("fs").writeFileSync(n, "x")' }, { tenant: "q03-c1" });
    expectPathsClean(j);
  });
});

// ---------------------------------------------------------------------------------------
describe("Q04 same-uid neighbours (a sandbox of tenant A holds a secret; tenant B attacks it)", () => {
  let engine: Engine;
  beforeAll(() => {
    engine = createEngine({ pool: { python: 2, quickjs: 0, wasm: 0 }, maxConcurrentRuns: 2 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it("B cannot see, read, signal or trace A's processes, and A's run finishes ok", async () => {
    const secret = `A-SECRET-${randomBytes(16).toString("hex")}`;
    extraSecrets.push(secret);
    let started!: () => void;
    const aStarted = new Promise<void>((r) => (started = r));
    const a = py(
      engine,
      `
secret = ${lit(secret)}
js.process.title = secret
js.globalThis.wbSecret = secret
open("/tmp/a-secret.txt", "w").write(secret)
try:
    H.writeFile("/tmp/a-secret-real.txt", secret)
except Exception:
    pass
print("holding", flush=True)
time.sleep(15)
print("A done", len(secret))
`,
      { limits: { timeoutMs: 40_000 } },
      { tenant: "tenant-A", onStart: () => started() },
    );
    await aStarted;
    await new Promise((r) => setTimeout(r, 1500));
    const neighbours = sandboxProcesses().map((p) => p.pid);
    expect(neighbours.length, "A's sandbox processes were not found on the host").toBeGreaterThan(0);

    const scan = `
const HOST = ${JSON.stringify(neighbours)};
const re = /A-SECRET-[0-9a-f]{32}/g;
const found = (where, text) => { for (const m of text.matchAll(re)) R.hits.push(where + ' ' + m[0]); };
R.pids = fs.readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n)).map(Number);
R.files = {}; R.hits = [];
for (const pid of R.pids) for (const f of ['cmdline', 'environ', 'status']) { try { const s = fs.readFileSync('/proc/' + pid + '/' + f, 'latin1'); R.files[pid + '/' + f] = s.length; found(pid + '/' + f, s); } catch (e) {} }
let budget = 256 * 1024 * 1024;
for (const pid of R.pids) {
  let maps = []; try { maps = fs.readFileSync('/proc/' + pid + '/maps', 'latin1').split('\\n'); } catch (e) { continue; }
  let fd; try { fd = fs.openSync('/proc/' + pid + '/mem', 'r'); } catch (e) { R['mem' + pid] = 'ERR ' + e.code; continue; }
  for (const l of maps) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) rw-p/.exec(l); if (!m) continue;
    const a = parseInt(m[1], 16), b = parseInt(m[2], 16); if (b - a > 32 * 1024 * 1024 || budget <= 0) continue;
    const buf = Buffer.alloc(b - a); try { fs.readSync(fd, buf, 0, b - a, a); budget -= b - a; found(pid + ' memory', buf.toString('latin1')); } catch (e) {}
  }
  fs.closeSync(fd);
}
R.hostSeen = HOST.filter((p) => R.pids.includes(p));
R.kill = HOST.map((p) => { try { process.kill(p, 0); return p + ' SIGNALLABLE'; } catch (e) { return e.code; } });
R.hostMem = HOST.map((p) => { try { fs.openSync('/proc/' + p + '/mem', 'r'); return p + ' OPENED'; } catch (e) { return e.code; } });
t('tmpSecret', () => fs.readFileSync('/tmp/a-secret-real.txt', 'latin1'));
`;
    // A positive control: B holds a string of the same shape, which the scan must find.
    const control = `A-SECRET-${"f".repeat(32)}`;
    const b1 = await py(
      engine,
      `
CONTROL = "A-SECRET-" + "f" * 32
js.process.title = CONTROL
rep = unwalled(${lit(scan)}, 20000)
if rep is None:
    for p in ${JSON.stringify(neighbours)}:
        attempt("sqlite read /proc/" + str(p) + "/cmdline", lambda: H.readFile("/proc/" + str(p) + "/cmdline") or (_ for _ in ()).throw(OSError("empty")))
    attempt("js.process.kill(-1)", lambda: js.process.kill(-1, 0))
`,
      { limits: { timeoutMs: 30_000, memoryLimitBytes: 1024 * MiB } },
      { tenant: "tenant-B" },
    );
    expect(b1.stdout).not.toContain(secret);
    let rep = unwalledReport(b1);
    if (!rep) {
      expectBlocked(b1, ["js.process.kill(-1)"]);
      // A stand-in for B past the permission model: the same scan from a host-started sandbox (with its own control string).
      rep = await inHostStartedSandbox(`process.title = ${lit(control)};\n${scan}`);
      results.push({ ...b1, stdout: JSON.stringify(rep) });
    }
    {
      const shown = JSON.stringify(rep).slice(0, 3000);
      const hits = rep.hits as string[];
      expect(hits.some((h) => h.endsWith(control)), `the scan does not work: it missed B's own control string\n${shown}`).toBe(true);
      expect(hits.filter((h) => !h.endsWith(control)), shown).toEqual([]);
      expect(rep.hostSeen, shown).toEqual([]);
      expect((rep.kill as string[]).filter((k) => k !== "ESRCH"), shown).toEqual([]);
      expect((rep.hostMem as string[]).filter((k) => k !== "ENOENT"), shown).toEqual([]);
      expect(String(rep.tmpSecret)).toMatch(/^ERR /);
    }

    // kill(-1) and SIGKILL/SIGSTOP to every pid A's sandbox has on the host, from a process with no walls in it.
    const b2 = await py(
      engine,
      `
rep = unwalled("for (const p of ${JSON.stringify(neighbours)}) { t('stop' + p, () => process.kill(p, 'SIGSTOP')); t('kill' + p, () => process.kill(p, 'SIGKILL')); } setTimeout(() => process.kill(-1, 'SIGKILL'), 300);", 5000)
time.sleep(1)
`,
      { limits: { timeoutMs: 20_000, memoryLimitBytes: 512 * MiB } },
      { tenant: "tenant-B" },
    );
    const killAll = `for (const p of ${JSON.stringify(neighbours)}) { t('stop' + p, () => process.kill(p, 'SIGSTOP')); t('kill' + p, () => process.kill(p, 'SIGKILL')); } t('killAll', () => process.kill(-1, 'SIGKILL'));`;
    const rep2 = unwalledReport(b2) ?? (await inHostStartedSandbox(killAll));
    for (const p of neighbours) expect([rep2[`stop${p}`], rep2[`kill${p}`]]).toEqual(["ERR ESRCH", "ERR ESRCH"]);

    const ra = await a;
    expect(ra.status, `${ra.stderr.slice(0, 1000)}\n${JSON.stringify(ra.error)}`).toBe("ok");
    expect(ra.stdout).toBe(`holding\nA done ${secret.length}\n`);
  });
});

// ---------------------------------------------------------------------------------------
describe("Q05 process-wide state planted by tenant A, looked for by tenant B", () => {
  let engine: Engine;
  beforeAll(() => {
    engine = createEngine({ pool: { python: 1, quickjs: 1, wasm: 0 }, maxConcurrentRuns: 2 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it("QuickJS: globals, prototypes, patched built-ins, timers, files and the symbol registry do not reach B (nor A's next run)", async () => {
    const plant = `
const fs = require("fs");
const steps = [
  () => { globalThis.planted = "A"; },
  () => { Object.prototype.polluted = "A"; Array.prototype.polluted = "A"; },
  () => { fs.writeFileSync("planted.txt", "A"); fs.mkdirSync("/tmp/plantdir", { recursive: true }); },
  () => { globalThis.require = () => ({ existsSync: () => "hijacked" }); },
  () => { Object.defineProperty(globalThis, Symbol.for("wasmbox.require"), { value: () => "hijacked" }); },
  () => { setInterval(() => console.log("ghost of A"), 1); setTimeout(() => console.log("ghost of A"), 50); },
  () => { JSON.stringify = () => '"patched-by-A"'; Math.random = () => 0.4242; },
];
for (const s of steps) { try { s(); } catch (e) {} }
var plantedVar = "A";
console.log("planted");
`;
    const check = `
const fs = require("fs");
const out = [typeof planted, typeof plantedVar, ({}).polluted, [].polluted, JSON.stringify({ a: 1 }), Math.random() === 0.4242,
  fs.existsSync("planted.txt"), fs.existsSync("/tmp/plantdir")];
console.log(out.join("|"));
`;
    const a = await run(engine, { language: "javascript", code: plant, limits: { timeoutMs: 1000 } }, { tenant: "q05-A" });
    expect(["ok", "timeout"]).toContain(a.status);
    const expected = 'undefined|undefined|||{"a":1}|false|false|false\n';
    const b = await run(engine, { language: "javascript", code: check }, { tenant: "q05-B" });
    expect(b.status, JSON.stringify(b.error)).toBe("ok");
    expect(b.stdout).toBe(expected);
    expect(b.output).not.toContain("ghost");
    const a2 = await run(engine, { language: "javascript", code: check }, { tenant: "q05-A" });
    expect(a2.stdout).toBe(expected);
  });

  it("QuickJS: a run stopped by its time limit inside an endless promise-job chain leaves the reused sandbox able to serve the next run", async () => {
    // (Seen: the next run of the same tenant crashes while the old instance is freed:
    // "Assertion failed: list_empty(&rt->gc_obj_list) … JS_FreeRuntime".)
    await using own = createEngine({ pool: { python: 0, quickjs: 1, wasm: 0 }, maxConcurrentRuns: 2 });
    const chain = "Promise.resolve().then(function loop() { return Promise.resolve().then(loop); })";
    for (const code of [chain, "(async () => { for (;;) await null; })()", chain]) {
      const a = await run(own, { language: "javascript", code, limits: { timeoutMs: 1500 } }, { tenant: "q05-loop" });
      expect(a.status, code).toBe("timeout");
      const next = await run(own, { language: "javascript", code: "console.log(6 * 7)" }, { tenant: "q05-loop" });
      expect(next.status, `after ${code}: ${JSON.stringify(next.error)}`).toBe("ok");
      expect(next.stdout).toBe("42\n");
    }
  });

  it("Python: V8 flags, env, umask, module hooks, patched realm built-ins, timers, signal handlers and files (also past --permission) do not reach B", async () => {
    const marker = `planted-${randomBytes(6).toString("hex")}`;
    // V8 flags in a run of their own (a sandbox may refuse them by stopping).
    const flags = await py(
      engine,
      `
v8 = js.process.getBuiltinModule("v8")
for flag in ["--allow-natives-syntax", "--no-wasm-bounds-checks", "--harmony-shadowrealm", "--no-lazy"]:
    attempt("flag " + flag, lambda: v8.setFlagsFromString(flag))
`,
      {},
      { tenant: "q05-A" },
    );
    expect(["ok", "error"]).toContain(flags.status);
    const a = await py(
      engine,
      `
P = js.process
attempt("env", lambda: setattr(P.env, "WB_PLANTED", ${lit(marker)}))
attempt("umask", lambda: P.umask(0))
attempt("chdir", lambda: P.chdir("/"))
attempt("title", lambda: setattr(P, "title", ${lit(marker)}))
attempt("signal handler", lambda: P.on("SIGTERM", create_proxy(lambda *a: None)))
attempt("module hooks", lambda: P.getBuiltinModule("module").registerHooks(run_js("({ load(u, c, n) { const r = n(u, c); return r; } })")))
run_js("globalThis.planted = 'A'; Object.prototype.polluted = 'A'; const s = JSON.stringify; JSON.stringify = function (...a) { return s.apply(this, a); }; JSON.stringify.planted = 'A'")
js.setInterval(create_proxy(lambda: open("/tmp/ghost.txt", "a").write("A")), 5)
open("/tmp/" + ${lit(marker)}, "w").write("A")
attempt("file past --permission (/tmp)", lambda: H.writeFile("/tmp/" + ${lit(marker)}, "A"))
attempt("file past --permission (/)", lambda: H.writeFile("/work/" + ${lit(marker)}, "A"))
print("planted")
`,
      {},
      { tenant: "q05-A" },
    );
    expect(a.status, JSON.stringify(a.error)).toBe("ok");
    const b = await py(
      engine,
      `
import os
P = js.process
def natives():
    return js.Function("return %GetOptimizationStatus(function () {})")()
attempt("natives syntax", natives)
print("env", js.Reflect.has(P.env, "WB_PLANTED"), os.environ.get("WB_PLANTED"))
print("umask", P.umask())
print("title", ${lit(marker)} in str(P.title))
print("signal listeners", P.listenerCount("SIGTERM"))
print("realm", run_js("typeof globalThis.planted"), run_js("({}).polluted"), run_js("JSON.stringify.planted"))
print("emscripten files", os.path.exists("/tmp/" + ${lit(marker)}), os.path.exists("/tmp/ghost.txt"))
print("past --permission", H.probe("/tmp/" + ${lit(marker)}), H.probe("/work/" + ${lit(marker)}))
def oob():
    inst = js.WebAssembly.Instance.new(js.WebAssembly.Module.new(to_js(bytes.fromhex(WASM))))
    inst.exports.ld(js.BigInt(1 << 40))
    return "unchecked"
attempt("wasm bounds", oob)
`,
      {},
      { tenant: "q05-B" },
    );
    expect(b.status, `${b.stderr.slice(0, 1000)}\n${JSON.stringify(b.error)}`).toBe("ok");
    expectBlocked(b, ["natives syntax", "wasm bounds"]);
    expect(b.stdout).toContain("env False None\n");
    expect(b.stdout).toContain(`umask ${0o22}\n`);
    expect(b.stdout).toContain("title False\n");
    expect(b.stdout).toContain("signal listeners 0\n");
    expect(b.stdout).toContain("realm undefined None None\n");
    expect(b.stdout).toContain("emscripten files False False\n");
    expect(b.stdout).toMatch(/past --permission (absent|unprobed|error:\S*) (absent|unprobed|error:\S*)\n/);
  });

  it("a Python session of A keeps its state for A only; B, during and after it, sees none of it", async () => {
    const session = await engine.openSession({ language: "python", tenant: "q05-A" });
    try {
      const a1 = await session.execute({ code: 'import js\njs.globalThis.sessionPlant = "A"\njs.eval("Object.prototype.sessionPolluted = 1")\nopen("/tmp/session-plant", "w").write("A")' });
      results.push(a1);
      expect(a1.status, JSON.stringify(a1.error)).toBe("ok");
      const a2 = await session.execute({ code: 'import js, os\nprint(js.Reflect.get(js.globalThis, "sessionPlant"), os.path.exists("/tmp/session-plant"))' });
      results.push(a2);
      expect(a2.stdout).toBe("A True\n");
      const check = 'import js, os\nprint(js.Reflect.get(js.globalThis, "sessionPlant"), js.eval("({}).sessionPolluted"), os.path.exists("/tmp/session-plant"))';
      const during = await run(engine, { language: "python", code: check }, { tenant: "q05-B" });
      expect(during.stdout).toBe("None None False\n");
      await session.dispose();
      const after = await run(engine, { language: "python", code: check }, { tenant: "q05-B" });
      expect(after.stdout).toBe("None None False\n");
    } finally {
      await session.dispose();
    }
  });
});

// ---------------------------------------------------------------------------------------
describe("Q06 readable neighbours on disk (caches, snapshot, data dir)", () => {
  let engine: Engine;
  let base: string;
  let cacheDir: string;
  let dataDir: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), "wasmbox-walls-q06-"));
    chmodSync(base, 0o755);
    cacheDir = join(base, "cache");
    dataDir = join(base, "data");
    // A server data dir as the server makes it (0700), with a run database and a blob.
    mkdirSync(join(dataDir, "blobs"), { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    writeFileSync(join(dataDir, "wasmbox.sqlite"), `SQLite format 3\0${c.fileSecret}`, { mode: 0o600 });
    writeFileSync(join(dataDir, "blobs", "run-blob"), c.fileSecret, { mode: 0o600 });
    engine = createEngine({ pool: { python: 1, quickjs: 0, wasm: 0 }, maxConcurrentRuns: 2, cacheDir });
  });
  afterAll(async () => {
    await engine?.dispose();
    rmSync(base, { recursive: true, force: true });
  });

  /** Files (up to `max` per directory given) under each directory that exists. */
  const filesUnder = (dirs: string[], max = 12): string[] => {
    let out: string[] = [];
    const all: string[] = [];
    const walk = (d: string, depth: number) => {
      let names: string[] = [];
      try {
        names = readdirSync(d);
      } catch {
        return;
      }
      for (const n of names) {
        if (out.length >= max) return;
        const p = join(d, n);
        try {
          if (statSync(p).isDirectory()) {
            if (depth > 0) walk(p, depth - 1);
          } else out.push(p);
        } catch {
          // gone
        }
      }
    };
    for (const d of dirs) {
      out = [];
      walk(d, 3);
      all.push(...out);
    }
    return all;
  };

  it("no cache, snapshot or data file is readable from a sandbox (by path, past --permission, or from a process without it)", async () => {
    // Make sure the engine's own cache holds the snapshot before looking for it.
    await expectHostServes(engine, "q06-warm");
    const defaultCache = process.env.WASMBOX_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "wasmbox");
    // Every place a wasmbox cache is or was kept (older versions kept it inside the package).
    const cacheDirs = [cacheDir, defaultCache, join(NODE_PKG, "node_modules", ".cache"), join(NODE_PKG, "dist", "node_modules", ".cache"), join(REPO, "node_modules", ".cache"), join(REPO, "node_modules", ".vite"), dataDir];
    const targets = filesUnder(cacheDirs);
    expect(targets.length, "no cache files to look for").toBeGreaterThan(0);
    const hashes = Object.fromEntries(targets.map((p) => [createHash("sha256").update(readFileSync(p).subarray(0, 4096)).digest("hex"), p]));
    const body = `
const crypto = require('crypto');
R.read = [];
for (const p of ${JSON.stringify(targets)}) { try { const b = fs.readFileSync(p).subarray(0, 4096); R.read.push(p + ' ' + crypto.createHash('sha256').update(b).digest('hex')); } catch (e) {} }
`;
    const r = await py(
      engine,
      `
import hashlib
targets = ${JSON.stringify(targets)}
fs = js.process.getBuiltinModule("fs")
def sha(b):
    return hashlib.sha256(b[:4096]).hexdigest()
for p in targets:
    for how, get in [("fs", lambda: fs.readFileSync(p, "latin1")[:4096].encode("latin1")), ("sqlite", lambda: H.readFile(p, 4096).encode("latin1")), ("python", lambda: open(p, "rb").read(4096))]:
        try:
            print("READ", how, p, sha(get()))
        except BaseException:
            pass
# Anything cache-like inside what this sandbox may read at all (its --allow-fs-read paths).
import re
allowed = [a.split("=", 1)[1] for a in js.process.execArgv if a.startswith("--allow-fs-read=")]
def walk(d, depth):
    try:
        names = list(fs.readdirSync(d))
    except BaseException:
        return
    for n in names:
        p = d + "/" + n
        if re.search(r"(^|/)\\.cache(/|$)|\\.snapshot(\\.json)?$|/modules/[0-9a-f]{64}\\.(wasm|json)$|wasmbox\\.sqlite", p):
            print("CACHE-LIKE", p)
            continue
        if depth > 0:
            try:
                if fs.statSync(p).isDirectory():
                    walk(p, depth - 1)
            except BaseException:
                pass
for a in allowed:
    walk(a, 6)
rep = unwalled(${lit(body)}, 15000)
`,
      { limits: { timeoutMs: 40_000, memoryLimitBytes: 512 * MiB } },
      { tenant: "q06" },
    );
    expect(r.status, `${r.stderr.slice(0, 1000)}\n${JSON.stringify(r.error)}`).toBe("ok");
    const readLines = r.stdout.split("\n").filter((l) => l.startsWith("READ ") && hashes[l.split(" ").pop()!]);
    expect(readLines, "cache/data files read from inside a sandbox").toEqual([]);
    const cacheLike = r.stdout.split("\n").filter((l) => l.startsWith("CACHE-LIKE "));
    expect(cacheLike, "cache files inside the paths every sandbox may read").toEqual([]);
    const rep = unwalledReport(r);
    if (rep) expect((rep.read as string[]).filter((l) => hashes[l.split(" ").pop()!]), "read by a process without --permission").toEqual([]);
  });

  it("cache files on disk are private to the host user (directories 0700, files 0600), whatever is written first", async () => {
    const fresh = join(base, "fresh-cache");
    await using compiling = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0 }, cacheDir: fresh });
    const src = '#include <stdio.h>\nint main(void) { puts("q06"); return 0; }\n';
    const a1 = await run(compiling, { language: "c", code: src }, { tenant: "q06-A" });
    expect(a1.status, JSON.stringify(a1.error)).toBe("ok");
    // Cross-tenant: B compiling the same source gets no hit from A's build (no oracle on what A ran).
    const b1 = await run(compiling, { language: "c", code: src }, { tenant: "q06-B" });
    expect(b1.status).toBe("ok");
    expect(b1.compile?.cached, "tenant B was served tenant A's cached build").toBe(false);
    const a2 = await run(compiling, { language: "c", code: src }, { tenant: "q06-A" });
    expect(a2.compile?.cached, "the cache works at all (A's second build)").toBe(true);
    const loose: string[] = [];
    const walk = (p: string) => {
      const st = statSync(p);
      if ((st.mode & 0o077) !== 0) loose.push(`${(st.mode & 0o777).toString(8)} ${p}`);
      if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    };
    walk(fresh);
    expect(loose, "cache paths readable by other users").toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
describe("Q07 processes that outlive a run", () => {
  let engine: Engine;
  const MARK = `wbmark${randomBytes(6).toString("hex")}`;
  const ours = () => hostProcesses().filter((p) => p.cmdline.includes(MARK) || (p.uid === 65534 && sandboxProcesses().some((s) => s.pid === p.pid)));
  let baseline = 0;
  beforeAll(() => {
    baseline = sandboxProcesses().length;
    engine = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0 }, maxConcurrentRuns: 2 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  /** Python that tries to leave something running, from its realm and from a process without walls. */
  const leaveBehind = `
js.setInterval(create_proxy(lambda: None), 20)
never = js.Promise.new(create_proxy(lambda res, rej: None))
run_js("setInterval(() => {}, 10); new Promise(() => {}); process.on('exit', () => { for (;;) {} })")
attempt("detached child_process.spawn", lambda: js.process.getBuiltinModule("child_process").spawn(js.process.execPath, to_js(["-e", "setInterval(()=>{},1000)"]), js.JSON.parse('{"detached": true, "stdio": "ignore"}')))
body = """
for (let i = 0; i < 3; i++) { const ch = cp.spawn(process.execPath, ['-e', '/*${MARK}*/ process.on("SIGTERM", () => {}); process.on("SIGHUP", () => {}); setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' }); ch.unref(); R['child' + i] = ch.pid; }
const gc = cp.spawn(process.execPath, ['-e', "require('child_process').spawn(process.execPath, ['-e', '/*${MARK}*/ setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' }).unref()"], { detached: true, stdio: 'ignore' }); gc.unref();
setInterval(() => {}, 1000);
"""
rep = unwalled(body, 10000, "${MARK}")
print("main done")
`;

  async function expectGone(what: string): Promise<void> {
    let left = ours();
    for (let i = 0; i < 30 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 200));
      left = ours();
    }
    expect(left.map((p) => `${p.pid} uid ${p.uid}: ${p.cmdline.slice(0, 120)}`), `processes left ${what}`).toEqual([]);
  }

  it("after a run: its realm's timers and promises, and detached (grand)children of a process without walls, are all gone", async () => {
    let during: number[] = [];
    const r = await py(engine, leaveBehind, { limits: { timeoutMs: 20_000, memoryLimitBytes: 1024 * MiB } }, {
      tenant: "q07",
      onStdout: (t) => {
        if (t.includes("UNWALLED {")) during = hostProcesses().filter((p) => p.cmdline.includes(MARK)).map((p) => p.pid);
      },
    });
    expect(r.status, `${r.stderr.slice(0, 1000)}\n${JSON.stringify(r.error)}`).toBe("ok");
    expect(r.stdout).toContain("main done");
    expectBlocked(r, ["detached child_process.spawn"]);
    if (unwalledReport(r)) expect(during.length, "the detached children never ran (the test would prove nothing)").toBeGreaterThan(0);
    await expectGone("a few seconds after the run");
  });

  it("after a session is disposed, and after engine.dispose(): nothing of any sandbox runs; the host's process count is back", async () => {
    const session = await engine.openSession({ language: "python", tenant: "q07-session", limits: { timeoutMs: 20_000, memoryLimitBytes: 1024 * MiB } });
    const r = await session.execute({ code: `${pyPrelude()}\n${leaveBehind}` });
    results.push(r);
    expect(r.status, JSON.stringify(r.error)).toBe("ok");
    await session.dispose();
    await expectGone("after session.dispose()");
    await run(engine, { language: "python", code: "print(1)" }, { tenant: "q07-last" });
    await engine.dispose();
    await new Promise((r) => setTimeout(r, 2000));
    await expectGone("after engine.dispose()");
    expect(sandboxProcesses().length, "sandbox processes of this host").toBeLessThanOrEqual(baseline);
  });
});
