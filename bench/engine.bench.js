// npm run bench — engine start-up and throughput, beside stock Pyodide measured in the same run.
// Prints a table and writes bench/results/engine.json. Medians; these machines are noisy.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, locateAssets, planIsolation, resolveLimits, SandboxProcess } from "@wasmbox/node";
import { loadOrBuildPythonSnapshot } from "../packages/node/dist/host/snapshot-cache.js";
import { treeRssBytes } from "../packages/node/dist/host/sandbox-process.js";

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
// `--only wasm` runs just the WebAssembly section (C/C++/AssemblyScript/wasm); `--only walls`
// the cost of the walls (OS sandbox and cgroups on against off).
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;
const N = { pyCold: quick ? 2 : 5, jsCold: quick ? 5 : 15, pyWarm: quick ? 5 : 20, jsWarm: quick ? 10 : 30, jsThroughput: quick ? 100 : 400, pyThroughput: quick ? 6 : 24, stock: quick ? 2 : 3 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const ms = (x) => Math.round(x * 10) / 10;
const sig = (x) => Number(x.toPrecision(3));

const assets = locateAssets();
const isolation = planIsolation({}, assets.readPaths);
const rows = [];
const record = (name, valueMs, unit, baseline, note = "") => rows.push({ name, median: ms(valueMs), unit, baseline: baseline === undefined ? null : ms(baseline), ratio: baseline ? sig(valueMs / baseline) : null, note });

/** New sandbox process → first byte of guest output (Python boots from the cached snapshot, as the engine does). */
async function coldStart(kind, request, n, pythonSnapshot, plan = isolation) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const sandbox = SandboxProcess.start({ kind, assets, isolation: plan, ...(pythonSnapshot ? { pythonSnapshot: Promise.resolve(pythonSnapshot) } : {}) });
    let first = 0;
    await sandbox.run(
      { request, filename: "main", limits: resolveLimits(undefined) },
      { onOutput: () => { first ||= performance.now(); } },
    );
    times.push(first - t0);
  }
  return times;
}

/** One engine.execute with a ready sandbox waiting in the pool. */
async function warm(engine, kind, request, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    // Settled: a ready sandbox waits and no refill is booting beside the measured run.
    while (engine.stats().pool[kind].ready < 1 || engine.stats().pool[kind].starting > 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    const r = await engine.execute(request);
    times.push(performance.now() - t0);
    if (r.status !== "ok") throw new Error(`warm run failed: ${JSON.stringify(r)}`);
  }
  return times;
}

async function throughput(engine, request, n) {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: n }, () => engine.execute(request)));
  const seconds = (performance.now() - t0) / 1000;
  if (results.some((r) => r.status !== "ok")) throw new Error("a throughput run failed");
  return n / seconds;
}

/** Stock Pyodide: a fresh `node` process that does loadPyodide() + runPython — the baseline the issue names. */
function stockPyodideProcess(n) {
  const script = `import { loadPyodide } from "pyodide";
const py = await loadPyodide({ indexURL: ${JSON.stringify(assets.assets.pyodideIndexURL)} });
py.runPython("print(1+1)");`;
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: join(here, ".."), stdio: "ignore" });
    times.push(performance.now() - t0);
  }
  return times;
}

async function stockPyodideInProcess(n, loadOptions = {}) {
  const { loadPyodide } = await import("pyodide");
  const times = [];
  const cpu = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const py = await loadPyodide({ indexURL: assets.assets.pyodideIndexURL, stdout: () => {}, ...loadOptions });
    py.runPython("print(1+1)");
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return Object.assign(times, { cpu });
}

/** CPU time (ms) a process has used so far, from /proc (user + system, 10 ms ticks). */
function processCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** CPU time (ms) of a process and all its descendants (a sandbox is bwrap → node). */
function treeCpuMs(pid) {
  let total = 0;
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    try {
      total += processCpuMs(p);
      for (const task of readdirSync(`/proc/${p}/task`)) queue.push(...readFileSync(`/proc/${p}/task/${task}/children`, "utf8").split(" ").filter(Boolean).map(Number));
    } catch {
      // gone
    }
  }
  return total;
}

/**
 * The cost of one fresh Python sandbox: a Python sandbox serves one run (its guests reach
 * the process's realm), so every run pays a new process booted from the snapshot. CPU of
 * the whole sandbox (wrapper and node) from spawn to ready.
 */
async function freshPythonSandboxCpu(n, pythonSnapshot) {
  const cpu = [];
  for (let i = 0; i < n; i++) {
    const sandbox = SandboxProcess.start({ kind: "python", assets, isolation, pythonSnapshot: Promise.resolve(pythonSnapshot) });
    try {
      await sandbox.ready;
      cpu.push(treeCpuMs(sandbox.pid));
    } finally {
      await sandbox.dispose();
    }
  }
  return cpu;
}

/** Peak RSS (MiB) of a stock `node` process that does loadPyodide() + run. */
function stockPyodidePeakRssMiB() {
  const script = `import { loadPyodide } from "pyodide";
const py = await loadPyodide({ indexURL: ${JSON.stringify(assets.assets.pyodideIndexURL)}, stdout: () => {} });
py.runPython("print(1+1)");
console.log(process.resourceUsage().maxRSS);`;
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: join(here, ".."), encoding: "utf8" }).trim()) / 1024;
}

/** `wasmbox run hello.py` as a whole new process, first byte to exit. */
function cliCold(n) {
  const dir = mkdtempSync(join(tmpdir(), "wasmbox-bench-cli-"));
  writeFileSync(join(dir, "hello.py"), 'print("hello")\n');
  const times = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const out = execFileSync(process.execPath, [join(here, "..", "packages", "cli", "bin", "wasmbox.js"), "run", "hello.py"], { cwd: dir, encoding: "utf8" });
      times.push(performance.now() - t0);
      if (out !== "hello\n") throw new Error(`wasmbox run printed ${JSON.stringify(out)}`);
    }
    return times;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RSS (MiB) of an idle pooled Python sandbox, booted (the whole process tree). */
async function idlePythonRssMiB(pythonSnapshot) {
  const sandbox = SandboxProcess.start({ kind: "python", assets, isolation, pythonSnapshot: Promise.resolve(pythonSnapshot) });
  try {
    await sandbox.ready;
    await new Promise((r) => setTimeout(r, 1000));
    return treeRssBytes(sandbox.pid) / 1024 / 1024;
  } finally {
    await sandbox.dispose();
  }
}

const py = { language: "python", code: "print(1+1)" };
const js = { language: "javascript", code: "console.log(2)" };

console.error(`wasmbox bench (${quick ? "quick" : "full"}) on ${availableParallelism()} cores; isolation: ${isolation.mode}, sandboxes on Node ${isolation.nodeVersion}, uid ${isolation.uid ?? "unchanged"}, cgroups ${isolation.cgroups ? "v" + isolation.cgroups.version : "none"}`);

/** C hello-world; `variant` changes the source so each compile misses the cache. */
const cHello = (variant) => ({ language: "c", code: `#include <stdio.h>\n// variant ${variant}\nint main(void) { printf("hello %d\\n", ${variant}); return 0; }\n` });

/** Native `gcc -O2` of the same hello-world: the reference a C programmer knows. */
function nativeCompile(n) {
  const dir = mkdtempSync(join(tmpdir(), "wasmbox-bench-gcc-"));
  try {
    const times = [];
    for (let i = 0; i < n; i++) {
      writeFileSync(join(dir, "main.c"), cHello(i).code);
      const t0 = performance.now();
      execFileSync("gcc", ["-O2", "main.c", "-o", "main"], { cwd: dir, stdio: "ignore" });
      times.push(performance.now() - t0);
    }
    return times;
  } catch {
    return null; // no gcc: the row has no baseline
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cppHello = (variant) => ({ language: "cpp", code: `#include <iostream>\nint main() { std::cout << "hello " << ${variant} << std::endl; }\n` });
/** Real programs of the differential suite (the largest C and C++ ones), compiled as they are. */
const PROGRAMS = join(here, "..", "packages", "node", "test", "differential", "programs");
const REAL_PROGRAMS = ["c/qsort-records.c", "c/strings-utf8.c", "cpp/word-freq.cpp", "cpp/shapes-polymorphism.cpp", "cpp/dijkstra.cpp"];
const programRequest = (path) => (variant) => ({ language: path.endsWith(".cpp") ? "cpp" : "c", code: `${readFileSync(join(PROGRAMS, path), "utf8")}\n// variant ${variant}\n` });

/** Native `gcc -O2` / `g++ -O2` of the same source (a new variant each time), in this run; null without the compiler. */
function nativeBuild(request, n) {
  const cxx = request(0).language === "cpp";
  const dir = mkdtempSync(join(tmpdir(), "wasmbox-bench-native-"));
  try {
    const times = [];
    for (let i = 0; i < n; i++) {
      writeFileSync(join(dir, cxx ? "main.cpp" : "main.c"), request(i).code);
      const t0 = performance.now();
      execFileSync(cxx ? "g++" : "gcc", ["-O2", cxx ? "main.cpp" : "main.c", "-o", "main", "-lm"], { cwd: dir, stdio: "ignore" });
      times.push(performance.now() - t0);
    }
    return times;
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `compile.timeMs` of n uncached builds (each a new variant of the source). */
async function compileTimes(engine, request, n, from = 0) {
  const times = [];
  for (let i = from; i < from + n; i++) {
    const r = await engine.execute(request(i));
    if (r.status !== "ok" || r.compile.cached) throw new Error(`uncached compile failed: ${JSON.stringify(r.error ?? r.compile)}`);
    times.push(r.compile.timeMs);
  }
  return times;
}

/**
 * C++ hello and real C/C++ programs compiled uncached, against native gcc/g++ -O2 and (before)
 * an engine without precompiled headers, all in this run. A C++ program's first build starts its
 * PCH in the background; the rows measure the builds after it (as every later build runs).
 */
async function compileRows(engine) {
  const n = quick ? 2 : 5;
  const plain = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0, clang: 1, asc: 0 }, cacheDir: false, precompiledHeaders: false });
  try {
    const gxx = nativeBuild(cppHello, n);
    const t0 = performance.now();
    const first = await engine.execute(cppHello(-1));
    if (first.status !== "ok") throw new Error(`C++ hello failed: ${JSON.stringify(first.error)}`);
    await engine.precompiledHeadersBuilt();
    record("cpp: first <iostream> build, and its PCH built beside it (once per compiler + options; on disk)", performance.now() - t0, "ms", undefined, "target: print it");
    const withPch = await compileTimes(engine, cppHello, n);
    record("cpp: compile <iostream> hello-world, uncached", median(withPch), "ms", gxx ? median(gxx) : undefined, "target ≤ 500 ms; baseline: native g++ -O2 (same run)");
    await plain.execute(cppHello(-1)); // boots its clang sandbox
    const without = await compileTimes(plain, cppHello, n);
    record("  same, without the precompiled header (before)", median(without), "ms", median(withPch), "baseline: with the PCH (same run)");
    for (const path of REAL_PROGRAMS) {
      const request = programRequest(path);
      const native = nativeBuild(request, n);
      const cxx = path.endsWith(".cpp");
      if (cxx) {
        await engine.execute(request(-1)); // builds this header list's PCH in the background
        await engine.precompiledHeadersBuilt();
      }
      const times = await compileTimes(engine, request, n);
      record(`${cxx ? "cpp" : "c"}: compile ${path.split("/")[1]} (differential suite), uncached`, median(times), "ms", native ? median(native) : undefined, `baseline: native ${cxx ? "g++" : "gcc"} -O2 (same run)`);
      if (cxx && path !== REAL_PROGRAMS.at(-1)) {
        const before = await compileTimes(plain, request, n);
        record("  same, without the precompiled header (before)", median(before), "ms", median(times), "baseline: with the PCH (same run)");
      }
    }
  } finally {
    await plain.dispose();
  }
}

async function wasmSection() {
  const n = quick ? 5 : 15;
  const cacheDir = mkdtempSync(join(tmpdir(), "wasmbox-bench-cache-"));
  const gcc = nativeCompile(n);
  const t0 = performance.now();
  const engine = createEngine({ pool: { python: 0, quickjs: 0, wasm: 1, clang: 0, asc: 0 }, cacheDir });
  try {
    const first = await engine.execute(cHello(-1));
    if (first.status !== "ok") throw new Error(`C hello failed: ${JSON.stringify(first)}`);
    record("c: first compile + run in a new host (clang sandbox boots)", performance.now() - t0, "ms", undefined, "target: print it");
    const uncached = [];
    const cached = [];
    const runOnly = [];
    for (let i = 0; i < n; i++) {
      const r = await engine.execute(cHello(i));
      if (r.status !== "ok" || r.compile.cached) throw new Error(`uncached compile: ${JSON.stringify(r)}`);
      uncached.push(r.compile.timeMs);
    }
    for (let i = 0; i < n; i++) {
      const r = await engine.execute(cHello(0));
      if (r.status !== "ok" || !r.compile.cached) throw new Error(`cached compile: ${JSON.stringify(r)}`);
      cached.push(r.compile.timeMs);
      runOnly.push(r.timings.totalMs - r.compile.timeMs);
    }
    record("c: compile hello-world, uncached, compiler warm", median(uncached), "ms", gcc ? median(gcc) : undefined, "target ≤ 400 ms; baseline: native gcc -O2 (same run)");
    record("c: compile hello-world, cached", median(cached), "ms", undefined, "target ≤ 5 ms");
    record("c: run compiled hello-world, fresh instance (engine, excl. compile)", median(runOnly), "ms", undefined, "target ≤ 10 ms");
    await compileRows(engine);
    const as = [];
    for (let i = 0; i < n; i++) {
      const r = await engine.execute({ language: "assemblyscript", code: `console.log("hello " + (${i}).toString());` });
      if (r.status !== "ok") throw new Error(`AssemblyScript hello failed: ${JSON.stringify(r)}`);
      if (i > 0) as.push(r.compile.timeMs); // the first one boots the compiler sandbox
    }
    record("assemblyscript: compile hello-world, uncached, compiler warm", median(as), "ms");
    const wat = [];
    const addAndLog = { language: "wasm", code: '(module (import "env" "log_i32" (func $log (param i32))) (func (export "add_and_log") (param i32 i32) (result i32) (local i32) local.get 0 local.get 1 i32.add local.tee 2 call $log local.get 2))', wasm: { invoke: { export: "add_and_log", args: [7, 5] }, imports: ["env.log_i32"] } };
    for (let i = 0; i < n; i++) {
      const r = await engine.execute(addAndLog);
      if (r.stdout !== "12\n") throw new Error(`add_and_log failed: ${JSON.stringify(r)}`);
      wat.push(r.timings.totalMs);
    }
    record("wasm: add_and_log from WAT, assembled + run (engine)", median(wat), "ms");

    // Growth with the work: a 6 MiB file written in 64 KiB chunks under WASI (was quadratic).
    const chunked = { language: "c", code: "#include <stdio.h>\n#include <string.h>\nstatic char b[65536];\nint main(void){memset(b,'x',sizeof b);FILE*f=fopen(\"big.bin\",\"wb\");for(int i=0;i<96;i++)fwrite(b,1,sizeof b,f);fclose(f);puts(\"ok\");return 0;}\n", limits: { memoryLimitBytes: 512 * 1024 * 1024 } };
    const fileRuns = [];
    for (let i = 0; i < n; i++) {
      const r = await engine.execute(chunked);
      if (r.stdout !== "ok\n" || r.files[0]?.size !== 6 * 1024 * 1024) throw new Error(`the chunked write failed: ${JSON.stringify(r.error ?? r.files)}`);
      fileRuns.push(r.timings.executionTimeMs);
    }
    record("c: write a 6 MiB file in 64 KiB chunks (WASI, execution)", median(fileRuns), "ms", undefined, "was ~900 ms (quadratic growth)");
  } finally {
    await engine.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function pyodideAndQuickjsSections() {
const stockProc = stockPyodideProcess(N.stock);
const stockIn = await stockPyodideInProcess(N.stock);
record("stock: node + loadPyodide() + run, whole process (wall)", median(stockProc), "ms");
record("stock: loadPyodide() + run, in-process (wall)", median(stockIn), "ms");

const snapshot = await loadOrBuildPythonSnapshot({ assets, isolation });
{
  const restore = await stockPyodideInProcess(N.stock, { _loadSnapshot: new Uint8Array(snapshot.bytes) });
  const sandboxCpu = await freshPythonSandboxCpu(quick ? 3 : 8, snapshot);
  record("fresh python sandbox: CPU from spawn to ready (new process, snapshot)", median(sandboxCpu), "ms", median(stockIn.cpu), "target ≤ 100 ms CPU; baseline: stock loadPyodide() CPU");
  record("  same, against Pyodide's own _loadSnapshot restore (in-process CPU)", median(sandboxCpu), "ms", median(restore.cpu), "baseline: loadPyodide({_loadSnapshot}) CPU");
}
{
  const cli = cliCold(quick ? 2 : 5);
  record("wasmbox run hello.py, whole new process (CLI cold)", median(cli), "ms", median(stockProc), "target ≤ 0.2 (≥ 5× faster); baseline: stock whole process");
  const idle = await idlePythonRssMiB(snapshot);
  const stockPeak = stockPyodidePeakRssMiB();
  rows.push({ name: "idle pooled python sandbox RSS (booted)", median: sig(idle), unit: "MiB", baseline: sig(stockPeak), ratio: sig(idle / stockPeak), note: "target ≤ 80 MiB; baseline: stock Pyodide process peak RSS" });
}
record("cold start python: new sandbox → first output (snapshot)", median(await coldStart("python", py, N.pyCold, snapshot)), "ms", median(stockProc), "baseline: stock whole process");
record("cold start python: new sandbox → first output (no snapshot)", median(await coldStart("python", py, N.pyCold)), "ms", median(stockProc), "baseline: stock whole process");
record("cold start javascript: new sandbox → first output", median(await coldStart("quickjs", js, N.jsCold)), "ms");
record("cold start typescript: new sandbox → first output", median(await coldStart("quickjs", { language: "typescript", code: "const n: number = 2; console.log(n)" }, N.jsCold)), "ms");

{
  const engine = createEngine({ pool: { python: 1, quickjs: 1, wasm: 0 }, maxConcurrentRuns: 1 });
  try {
    const pyWarm = await warm(engine, "python", py, N.pyWarm);
    record("warm exec print(1+1) via engine (pool ready, settled), p50", median(pyWarm), "ms", median(stockIn), "target ≤ 3 ms; baseline: stock in-process");
    record("warm exec print(1+1) via engine (pool ready, settled), p99", percentile(pyWarm, 0.99), "ms", undefined, "target ≤ 15 ms");
    const jsWarm = await warm(engine, "quickjs", js, N.jsWarm);
    record("warm exec console.log(2) via engine (pool ready, settled), p50", median(jsWarm), "ms", undefined, "target ≤ 1 ms");
  } finally {
    await engine.dispose();
  }
}
{
  const engine = createEngine({ pool: { python: 0, quickjs: 2, wasm: 0 }, maxQueuedRuns: 1000 });
  try {
    await throughput(engine, js, 4); // boot the reusable sandboxes first: measure runs, not boots
    const rate = await throughput(engine, js, N.jsThroughput);
    rows.push({ name: "javascript runs/s (fresh QuickJS instance each, all cores)", median: sig(rate), unit: "runs/s", baseline: null, ratio: null, note: "target ≥ 1000 /s" });
  } finally {
    await engine.dispose();
  }
}
{
  const engine = createEngine({ pool: { python: 2, quickjs: 0, wasm: 0 } });
  try {
    await throughput(engine, py, 4); // boot the reusable sandboxes first: measure runs, not boots
    const rate = await throughput(engine, py, N.pyThroughput);
    const stockRate = 1000 / median(stockProc);
    rows.push({ name: "python runs/s (a fresh sandbox process each, all cores)", median: sig(rate), unit: "runs/s", baseline: sig(stockRate), ratio: sig(rate / stockRate), note: "target ≥ 15 /s; baseline: stock whole process, serial" });
  } finally {
    await engine.dispose();
  }
}
}

/**
 * What the walls cost: the same measures with the OS sandbox and cgroups in force (what
 * users run) and with both off (the weak fallback), in one run.
 */
async function wallsSection() {
  const variants = [
    ["walls up (bubblewrap, cgroups)", {}],
    ["walls down (no OS sandbox, no cgroups)", { osSandbox: "off", cgroups: "off" }],
  ];
  const measured = [];
  for (const [label, options] of variants) {
    const plan = planIsolation(options, assets.readPaths);
    const snapshot = await loadOrBuildPythonSnapshot({ assets, isolation: plan });
    const m = { label, mode: plan.mode };
    m.pyCold = median(await coldStart("python", py, N.pyCold, snapshot, plan));
    m.jsCold = median(await coldStart("quickjs", js, N.jsCold, undefined, plan));
    const engine = createEngine({ pool: { python: 1, quickjs: 2, wasm: 0 }, isolation: options, maxQueuedRuns: 1000 });
    try {
      m.jsWarm = median(await warm(engine, "quickjs", js, N.jsWarm));
      m.pyWarm = median(await warm(engine, "python", py, Math.min(N.pyWarm, 8)));
      await throughput(engine, js, 4);
      m.jsRate = await throughput(engine, js, N.jsThroughput);
      m.pyRate = await throughput(engine, py, N.pyThroughput);
    } finally {
      await engine.dispose();
    }
    measured.push(m);
  }
  const [up, down] = measured;
  const row = (name, key, unit) => rows.push({ name: `walls: ${name}`, median: sig(up[key]), unit, baseline: sig(down[key]), ratio: sig(up[key] / down[key]), note: `baseline: ${down.label} (${down.mode}), same run` });
  row("cold start python → first output (snapshot)", "pyCold", "ms");
  row("cold start javascript → first output", "jsCold", "ms");
  row("warm console.log(2), p50", "jsWarm", "ms");
  row("warm print(1+1), p50", "pyWarm", "ms");
  row("javascript runs/s", "jsRate", "runs/s");
  row("python runs/s", "pyRate", "runs/s");
}

if (only === null) await pyodideAndQuickjsSections();
if (only === null || only === "walls") await wallsSection();
if (only === null || only === "wasm") await wasmSection();

const width = Math.max(...rows.map((r) => r.name.length));
for (const r of rows) {
  // "target …; rest" in a note becomes its own column.
  const m = /^target:? ([^;]+)(?:; )?(.*)$/.exec(r.note);
  r.target = m ? m[1] : "";
  r.note = m ? m[2] : r.note;
}
const tw = Math.max(6, ...rows.map((r) => r.target.length));
console.log(`${"measure".padEnd(width)}  ${"target".padEnd(tw)}  ${"median".padStart(9)}  unit    ${"baseline".padStart(9)}  ${"ratio".padStart(7)}  note`);
for (const r of rows) {
  console.log(`${r.name.padEnd(width)}  ${r.target.padEnd(tw)}  ${String(r.median).padStart(9)}  ${r.unit.padEnd(6)}  ${String(r.baseline ?? "").padStart(9)}  ${String(r.ratio ?? "").padStart(7)}  ${r.note}`);
}
const out = join(here, "results", "engine.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, sandboxNode: isolation.nodeVersion, cores: availableParallelism(), isolation: isolation.walls, rows }, null, 2)}\n`);
console.error(`wrote ${out}`);
