// npm run bench — engine start-up and throughput, beside stock Pyodide measured in the same run.
// Prints a table and writes bench/results/engine.json. Medians; these machines are noisy.
import { execFileSync } from "node:child_process";
import { Buffer } from "node:buffer";
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
// the cost of the walls (OS sandbox and cgroups on against off); `--only js` the JavaScript rows
// (warm run, runs/s, QuickJS against Node's V8 on compute, the cost of a fresh V8 isolate);
// `--only output` stdout throughput; `--only pycompute`, `peers`, `scaling` (see their sections).
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

    // Growth with the work: a file written in 64 KiB chunks under WASI (was quadratic). 6 MiB
    // and 60 MiB: linear growth means 10x the bytes take at most 12x the time.
    const chunkedWrite = (chunks) => ({ language: "c", code: `#include <stdio.h>\n#include <string.h>\nstatic char b[65536];\nint main(void){memset(b,'x',sizeof b);FILE*f=fopen("big.bin","wb");for(int i=0;i<${chunks};i++)fwrite(b,1,sizeof b,f);fclose(f);puts("ok");return 0;}\n`, limits: { memoryLimitBytes: 1024 * 1024 * 1024, timeoutMs: 60_000 } });
    const fileRuns = { 96: [], 960: [] };
    for (let i = 0; i < n; i++) {
      for (const chunks of [96, 960]) {
        if (chunks === 960 && i >= (quick ? 2 : 5)) continue;
        const r = await engine.execute(chunkedWrite(chunks));
        if (r.stdout !== "ok\n" || r.files[0]?.size !== chunks * 65536) throw new Error(`the chunked write failed: ${JSON.stringify(r.error ?? r.files.map((f) => [f.path, f.size]))}`);
        fileRuns[chunks].push(r.timings.executionTimeMs);
      }
    }
    record("c: write a 6 MiB file in 64 KiB chunks (WASI, execution)", median(fileRuns[96]), "ms", undefined, "was ~900 ms (quadratic growth)");
    record("c: write a 60 MiB file in 64 KiB chunks (WASI, execution)", median(fileRuns[960]), "ms", median(fileRuns[96]), "target ratio ≤ 12 (linear); baseline: the 6 MiB file, same run");
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
  rows.push({ name: "idle pooled python sandbox RSS (booted)", median: sig(idle), unit: "MiB", baseline: sig(stockPeak), ratio: sig(idle / stockPeak), note: "target ≤ 120 MiB; baseline: stock Pyodide process peak RSS" });
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

/** The Benchmarks Game programs in bench/programs, as a data-analysis run pays for compute. */
const PY_COMPUTE = ["spectralnorm", "fannkuch", "nbody"].map((name) => ({ name, code: readFileSync(join(here, "programs", `${name}.py`), "utf8") }));

/** Stock Pyodide: a fresh `node` that does loadPyodide() then times one runPython of `code` (ms, wall). */
function stockPythonCompute(code) {
  const script = `import { loadPyodide } from "pyodide";
const py = await loadPyodide({ indexURL: ${JSON.stringify(assets.assets.pyodideIndexURL)}, stdout: () => {} });
const code = ${JSON.stringify(code)};
const t0 = performance.now();
py.runPython(code);
console.log(performance.now() - t0);`;
  return Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: join(here, ".."), encoding: "utf8" }).trim());
}

/** One Python run in a fresh sandbox booted from the snapshot, idle 300 ms first as in a pool: its stdout and executionTimeMs. */
async function pythonInFreshSandbox(code, pythonSnapshot) {
  const sandbox = SandboxProcess.start({ kind: "python", assets, isolation, pythonSnapshot: Promise.resolve(pythonSnapshot) });
  try {
    await sandbox.ready;
    await new Promise((r) => setTimeout(r, 300));
    const r = await sandbox.run({ request: { language: "python", code }, filename: "main.py", limits: resolveLimits({ timeoutMs: 60_000 }) });
    if (r.outcome?.status !== "ok") throw new Error(`python compute failed: ${JSON.stringify(r.outcome ?? r.crash)}`);
    return { stdout: r.streams.stdout, ms: r.executionTimeMs };
  } finally {
    await sandbox.dispose();
  }
}

/**
 * Python compute against stock Pyodide on the same build: each program as a user runs it (a
 * fresh sandbox from the snapshot, `executionTimeMs`) beside a fresh stock process
 * (`runPython` timed after `loadPyodide()`), interleaved so both see the same machine.
 */
async function pythonComputeSection() {
  const n = quick ? 3 : 7;
  const snapshot = await loadOrBuildPythonSnapshot({ assets, isolation });
  for (const program of PY_COMPUTE) {
    const ours = [];
    const stock = [];
    let expected = null;
    for (let i = 0; i < n; i++) {
      const r = await pythonInFreshSandbox(program.code, snapshot);
      expected ??= r.stdout;
      if (r.stdout !== expected) throw new Error(`${program.name} printed ${JSON.stringify(r.stdout)}, before ${JSON.stringify(expected)}`);
      ours.push(r.ms);
      stock.push(stockPythonCompute(program.code));
    }
    record(`python compute: ${program.name} (fresh sandbox, executionTimeMs)`, median(ours), "ms", median(stock), "target ≤ 1.10×; baseline: stock loadPyodide() + runPython, fresh node, same run");
  }
}

/**
 * The nearest peer, side by side: `@runno/sandbox` (wasm, offline, in this process) and
 * wasmbox (a running engine, pool ready, the OS sandbox in force) on the same programs; each
 * figure is what its user waits for one run, end to end. Interleaved, medians.
 */
async function peersSection() {
  const { runCode } = await import("@runno/sandbox");
  const n = quick ? 3 : 5;
  const pyHeavy = readFileSync(join(here, "programs", "fannkuch.py"), "utf8");
  const programs = [
    ["python print(1+1)", "python", "python", "print(1+1)"],
    ["javascript console.log(2)", "quickjs", "javascript", "console.log(2)"],
    ["c hello-world (compile + run)", "clang", "c", '#include <stdio.h>\nint main(void) { printf("hello\\n"); return 0; }\n'],
    ["python fannkuch(8), CPU-heavy", "python", "python", pyHeavy],
  ];
  const cacheDir = mkdtempSync(join(tmpdir(), "wasmbox-bench-peers-"));
  const engine = createEngine({ pool: { python: 1, quickjs: 1, wasm: 1, clang: 1, asc: 0 }, cacheDir, maxConcurrentRuns: 1 });
  try {
    for (const [label, runnoRuntime, language, code] of programs) {
      const ours = [];
      const peer = [];
      for (let i = 0; i < n; i++) {
        // C: a new variant each time, so neither side answers from a cache.
        const source = language === "c" ? code.replace("hello", `hello ${i}`) : code;
        const t0 = performance.now();
        const p = await runCode(runnoRuntime, source);
        peer.push(performance.now() - t0);
        if (p.resultType !== "complete" || p.exitCode !== 0) throw new Error(`runno ${label}: ${JSON.stringify(p).slice(0, 300)}`);
        while (engine.stats().pool[language === "c" ? "wasm" : language === "python" ? "python" : "quickjs"].ready < 1) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 300));
        const t1 = performance.now();
        const r = await engine.execute({ language, code: source, limits: { timeoutMs: 60_000 } });
        ours.push(performance.now() - t1);
        if (r.status !== "ok" || r.stdout !== p.stdout) throw new Error(`wasmbox ${label}: ${JSON.stringify(r.stdout)} against runno's ${JSON.stringify(p.stdout)} (${r.status})`);
      }
      record(`peer: ${label}, one run end to end`, median(ours), "ms", median(peer), "baseline: @runno/sandbox runCode(), same run (ratio < 1: wasmbox faster)");
    }
  } finally {
    await engine.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/**
 * Output throughput: ~25 MB to stdout, guest → ring → frames → host → `result.stdout`, timed
 * as the caller sees it (engine.execute, compile cached and excluded). Baselines: the same
 * program run natively (gcc -O2, python3, node) with stdout into a pipe the bench reads, in
 * the same run. MB/s, higher is better: the ratio is wasmbox / native.
 */
async function outputSection() {
  const n = quick ? 2 : 3;
  const bytes = 25_000_000;
  const limits = { maxOutputBytes: 32 * 1024 * 1024, timeoutMs: 60_000, memoryLimitBytes: 512 * 1024 * 1024 };
  const line = "x".repeat(99);
  const programs = [
    {
      name: "c: fwrite 25 MB to stdout (64 KiB blocks)", target: "≥ 200 MB/s", language: "c", ext: "c",
      code: `#include <stdio.h>\n#include <string.h>\nstatic char b[65536];\nint main(void){memset(b,'x',sizeof b);long n=0;while(n<${bytes}){long k=${bytes}-n<(long)sizeof b?${bytes}-n:(long)sizeof b;fwrite(b,1,k,stdout);n+=k;}return 0;}\n`,
    },
    {
      name: "c: puts 25 MB in 100-byte lines (stdout line-buffered)", language: "c", ext: "c",
      code: `#include <stdio.h>\nint main(void){for(int i=0;i<${bytes / 100};i++)puts("${line}");return 0;}\n`,
      note: "native stdout into a pipe is fully buffered",
    },
    {
      name: "c: fwrite 25 MB of binary (non-UTF-8) stdout", language: "c", ext: "c", binary: true,
      code: `#include <stdio.h>\nstatic unsigned char b[65536];\nint main(void){for(int i=0;i<(int)sizeof b;i++)b[i]=(unsigned char)(i*7+128);long n=0;while(n<${bytes}){long k=${bytes}-n<(long)sizeof b?${bytes}-n:(long)sizeof b;fwrite(b,1,k,stdout);n+=k;}return 0;}\n`,
      note: "result carries stdoutBase64",
    },
    { name: "python: print 25 MB in 1000-char lines", language: "python", ext: "py", code: `s = "x" * 999\nfor _ in range(${bytes / 1000}):\n    print(s)\n`, native: ["python3"] },
    { name: "python: sys.stdout.write one 25 MB string", language: "python", ext: "py", code: `import sys\nsys.stdout.write("x" * ${bytes})\n`, native: ["python3"] },
    { name: "javascript: console.log 25 MB in 1000-char lines", language: "javascript", ext: "js", code: `const s = "x".repeat(999);\nfor (let i = 0; i < ${bytes / 1000}; i++) console.log(s);\n`, native: [process.execPath] },
    { name: "javascript: console.log one 25 MB string", language: "javascript", ext: "js", code: `console.log("x".repeat(${bytes - 1}));\n`, native: [process.execPath] },
  ];
  const dir = mkdtempSync(join(tmpdir(), "wasmbox-bench-output-"));
  const cacheDir = mkdtempSync(join(tmpdir(), "wasmbox-bench-cache-"));
  const engine = createEngine({ pool: { python: 1, quickjs: 1, wasm: 1, clang: 0, asc: 0 }, cacheDir });
  const mbps = (ms) => bytes / 1e6 / (ms / 1000);
  try {
    for (const p of programs) {
      // The native run of the same program, its stdout into a pipe read by this process.
      let native = null;
      try {
        const file = join(dir, `main.${p.ext}`);
        writeFileSync(file, p.code);
        let argv = p.native ? [...p.native, file] : null;
        if (!argv) {
          execFileSync("gcc", ["-O2", file, "-o", join(dir, "main")]);
          argv = [join(dir, "main")];
        }
        const times = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          const out = execFileSync(argv[0], argv.slice(1), { maxBuffer: 64 * 1024 * 1024 });
          times.push(performance.now() - t0);
          if (out.byteLength !== bytes) throw new Error(`native ${p.name} wrote ${out.byteLength} bytes`);
        }
        native = median(times);
      } catch (e) {
        console.error(`no native baseline for ${p.name}: ${e.message}`);
      }
      const request = { language: p.language, code: p.code, limits };
      const warmup = await engine.execute(request); // compiles (C) and boots the pool
      if (warmup.status !== "ok") throw new Error(`${p.name} failed: ${JSON.stringify(warmup.error)}`);
      const times = [];
      const cpu = { sandbox: [], host: [] };
      for (let i = 0; i < n; i++) {
        // Settled: a ready sandbox waits, no refill boots beside the measured run.
        const kind = p.language === "c" ? "wasm" : p.language === "python" ? "python" : "quickjs";
        while (engine.stats().pool[kind].ready < 1 || engine.stats().pool[kind].starting > 0) await new Promise((r) => setTimeout(r, 20));
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const r = await engine.execute(request);
        const t = performance.now() - t0 - (r.compile?.timeMs ?? 0);
        const c = process.cpuUsage(c0);
        cpu.host.push((c.user + c.system) / 1000);
        cpu.sandbox.push(r.usage?.cpuTimeMs ?? NaN);
        const got = p.binary ? Buffer.from(r.stdoutBase64 ?? "", "base64").byteLength : Buffer.byteLength(r.stdout);
        if (r.status !== "ok" || got !== bytes) throw new Error(`${p.name}: status ${r.status}, ${got} bytes`);
        times.push(t);
      }
      const ours = mbps(median(times));
      rows.push({
        name: `output: ${p.name}`, median: sig(ours), unit: "MB/s", baseline: native ? sig(mbps(native)) : null, ratio: native ? sig(ours / mbps(native)) : null,
        note: `${p.target ? `target ${p.target}; ` : ""}baseline: native ${p.native ? p.native[0].split("/").pop() : "gcc -O2"}, stdout into a pipe (same run); CPU ms: sandbox ${Math.round(median(cpu.sandbox))}, host ${Math.round(median(cpu.host))}${p.note ? `; ${p.note}` : ""}`,
      });
    }
  } finally {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** runs/s of `language` in a child process pinned to `cpus` (taskset), so the sandboxes it spawns are too. */
function pinnedThroughput(language, cpus, runs) {
  const out = execFileSync("taskset", ["-c", cpus, process.execPath, join(here, "lib", "throughput.js"), language, String(runs)], { cwd: join(here, ".."), encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()).runsPerSecond;
}

/**
 * How runs/s grow with cores: the same measure pinned to one core and to two. Each run is a
 * sandbox process (Python: a new one per run), so nothing is shared between cores but the host.
 */
function scalingSection() {
  if (availableParallelism() < 2) return console.error("scaling: needs 2 cores; skipped");
  for (const [language, runs] of [["python", quick ? 8 : 20], ["javascript", quick ? 100 : 300]]) {
    const one = [];
    const two = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      one.push(pinnedThroughput(language, "0", runs));
      two.push(pinnedThroughput(language, "0,1", runs));
    }
    rows.push({ name: `scaling: ${language} runs/s on 2 cores against 1`, median: sig(median(two)), unit: "runs/s", baseline: sig(median(one)), ratio: sig(median(two) / median(one)), note: "target ratio ≥ 1.8; baseline: the same runs pinned to 1 core (taskset), same run" });
  }
}

/** Compute programs for QuickJS against V8 (Node): each prints one line and its own compute time. */
const JS_COMPUTE = [
  ["fib(27), recursive calls", "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\nconst t0 = performance.now(); const r = fib(27); console.log(r, performance.now() - t0);"],
  [
    "spectralnorm 100, float loops",
    "function A(i, j) { return 1 / ((i + j) * (i + j + 1) / 2 + i + 1); }\nfunction Au(u, v) { for (let i = 0; i < u.length; i++) { let t = 0; for (let j = 0; j < u.length; j++) t += A(i, j) * u[j]; v[i] = t; } }\nfunction Atu(u, v) { for (let i = 0; i < u.length; i++) { let t = 0; for (let j = 0; j < u.length; j++) t += A(j, i) * u[j]; v[i] = t; } }\nconst t0 = performance.now(); const n = 100; const u = new Float64Array(n).fill(1), v = new Float64Array(n), w = new Float64Array(n);\nfor (let i = 0; i < 10; i++) { Au(u, w); Atu(w, v); Au(v, w); Atu(w, u); }\nlet vBv = 0, vv = 0; for (let i = 0; i < n; i++) { vBv += u[i] * v[i]; vv += v[i] * v[i]; }\nconsole.log(Math.sqrt(vBv / vv).toFixed(9), performance.now() - t0);",
  ],
  ["JSON + strings: 20k objects round-trip", "const t0 = performance.now(); const a = []; for (let i = 0; i < 20000; i++) a.push({ id: i, name: 'item' + i, tags: ['a', 'b'] });\nconst s = JSON.stringify(a); const b = JSON.parse(s); console.log(b.length, performance.now() - t0);"],
];

/** Run `code` in a new worker thread (a fresh V8 isolate) and resolve with its first line of output and timings. */
function inFreshIsolate(code) {
  return import("node:worker_threads").then(
    ({ Worker }) =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const w = new Worker(`const { parentPort } = require("node:worker_threads"); console.log = (...a) => parentPort.postMessage(a.join(" ")); ${code}`, { eval: true, stdout: true, stderr: true });
        w.once("message", (line) => {
          const firstOutputMs = performance.now() - t0;
          void w.terminate().then(() => {
            const c = process.cpuUsage(c0);
            resolve({ line, firstOutputMs, totalMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 });
          });
        });
        w.once("error", reject);
      }),
  );
}

/**
 * Warm p50 and runs/s of console.log(2), with each fresh interpreter restored from its
 * pristine image (the default), and the same engine with WASMBOX_QUICKJS_PRISTINE_IMAGE=off
 * (a new QuickJS instance and prelude per run, as before), in one run. CPU per run: this
 * process (the host) and its descendants (the sandboxes), from /proc.
 */
async function jsRuns(label) {
  const m = { label };
  {
    const engine = createEngine({ pool: { python: 0, quickjs: 1, wasm: 0 }, maxConcurrentRuns: 1 });
    try {
      const times = await warm(engine, "quickjs", js, N.jsWarm);
      m.p50 = median(times);
      m.p99 = percentile(times, 0.99);
    } finally {
      await engine.dispose();
    }
  }
  const engine = createEngine({ pool: { python: 0, quickjs: 2, wasm: 0 }, maxQueuedRuns: 1000 });
  try {
    await throughput(engine, js, 8); // boot the reusable sandboxes first: measure runs, not boots
    const c0 = process.cpuUsage();
    const tree0 = treeCpuMs(process.pid);
    m.rate = await throughput(engine, js, N.jsThroughput);
    const c = process.cpuUsage(c0);
    m.hostCpuMs = (c.user + c.system) / 1000 / N.jsThroughput;
    m.sandboxCpuMs = (treeCpuMs(process.pid) - tree0) / N.jsThroughput - m.hostCpuMs;
  } finally {
    await engine.dispose();
  }
  return m;
}

async function jsSection() {
  process.env.WASMBOX_QUICKJS_PRISTINE_IMAGE = "off";
  const before = await jsRuns("a new QuickJS instance + prelude per run (WASMBOX_QUICKJS_PRISTINE_IMAGE=off)");
  delete process.env.WASMBOX_QUICKJS_PRISTINE_IMAGE;
  const after = await jsRuns("pristine image restored per run");
  const base = `baseline: ${before.label}, same run`;
  record("js: warm exec console.log(2) via engine (pool ready, settled), p50", after.p50, "ms", before.p50, `target ≤ 1 ms; ${base}`);
  record("js: warm exec console.log(2) via engine (pool ready, settled), p99", after.p99, "ms", before.p99, base);
  rows.push({ name: "js: runs/s (fresh interpreter each, all cores)", median: sig(after.rate), unit: "runs/s", baseline: sig(before.rate), ratio: sig(after.rate / before.rate), note: `target ≥ 1000 /s; ${base}` });
  record("js: CPU per run, host (engine + channel)", after.hostCpuMs, "ms", before.hostCpuMs, base);
  record("js: CPU per run, sandboxes (supervisor + guest thread)", after.sandboxCpuMs, "ms", before.sandboxCpuMs, base);
  // QuickJS (an interpreter) against V8 (a JIT) on the same programs: QuickJS's own compute
  // time inside a sandbox, against the same code in a fresh worker thread of this Node.
  const engine = createEngine({ pool: { python: 0, quickjs: 1, wasm: 0 }, maxConcurrentRuns: 1 });
  try {
    for (const [name, code] of JS_COMPUTE) {
      const quickjs = [];
      const v8 = [];
      for (let i = 0; i < (quick ? 1 : 3); i++) {
        const r = await engine.execute({ language: "javascript", code, limits: { timeoutMs: 60_000 } });
        if (r.status !== "ok") throw new Error(`${name} failed in QuickJS: ${JSON.stringify(r.error)}`);
        quickjs.push(Number(r.stdout.trim().split(" ").at(-1)));
        v8.push(Number((await inFreshIsolate(code)).line.split(" ").at(-1)));
      }
      record(`js compute: ${name}, QuickJS in a sandbox`, median(quickjs), "ms", median(v8), "baseline: the same code on V8 in a fresh worker of this Node (its own clock)");
    }
  } finally {
    await engine.dispose();
  }
  // What a fresh V8 isolate per run would cost (the opt-in V8 engine question): a new worker
  // thread (isolate + Node bootstrap) until its first output, in this process, no sandbox walls.
  const isolate = [];
  const isolateCpu = [];
  for (let i = 0; i < (quick ? 10 : 30); i++) {
    const r = await inFreshIsolate("console.log(2)");
    isolate.push(r.firstOutputMs);
    isolateCpu.push(r.cpuMs);
  }
  record("js: fresh V8 isolate (new Worker) → first output of console.log(2)", median(isolate), "ms", after.p50, "no sandbox walls; baseline: warm console.log(2) via engine (above)");
  record("js: fresh V8 isolate (new Worker), CPU incl. teardown", median(isolateCpu), "ms", after.hostCpuMs + after.sandboxCpuMs, "baseline: CPU of one QuickJS run (host + sandbox, above)");
  // A V8 guest reaches the JS realm that runs it: like Python, it would need a sandbox process per run.
  record("js: new sandbox process → first output (what a V8 run would pay per run)", median(await coldStart("quickjs", js, quick ? 3 : 5)), "ms", after.p50, "QuickJS boots inside it too; baseline: warm console.log(2) via engine (above)");
}

if (only === null) await pyodideAndQuickjsSections();
if (only === null || only === "js") await jsSection();
if (only === null || only === "walls") await wallsSection();
if (only === null || only === "wasm") await wasmSection();
if (only === null || only === "pycompute") await pythonComputeSection();
if (only === null || only === "peers") await peersSection();
if (only === null || only === "scaling") scalingSection();
if (only === null || only === "output") await outputSection();

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
