// npm run bench:mcp — wasmbox as an MCP tool, measured as an agent sees it: the official MCP
// SDK client spawning `wasmbox mcp` over stdio.
//   1. First answer after spawn: from spawning the process to the result of the first
//      run_code (print(1+1)), and to the initialize answer; several cold spawns, median.
//   2. Warm run_code p50/p99 on one connection, Python (print(1+1)) and JavaScript (console.log(2)):
//      back to back, and paced (a pause between calls, as an agent thinks between them). Every
//      Python run gets a fresh interpreter in a fresh sandbox, so back-to-back calls wait for the
//      pool to start the next one; paced calls find it ready.
// Beside the peer, pydantic's mcp-run-python (Pyodide, reloaded on every call). It is not on
// npm (it is a Python/Deno package) and fetches a package over the network at start, so it
// cannot run here: its figures are the ones measured earlier on this machine (issue 15).
// Prints a table and writes bench/results/mcp.json. `--quick` takes about half a minute.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { clearTimeout } from "node:timers";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const quick = process.argv.includes("--quick");
const P = quick ? { spawns: 2, warmPython: 15, warmJs: 40, paced: 5, gapMs: 2500 } : { spawns: 5, warmPython: 60, warmJs: 200, paced: 20, gapMs: 2500 };
/** The peer as measured on this machine (issue 15): it reloads Pyodide on every call. */
const PEER = { name: "mcp-run-python (pydantic)", firstAnswerMs: 2300, warmPythonMs: 2000, ranHere: false, why: "not on npm (a Python/Deno package) and needs network access at start" };
const GOAL = { warmPythonSpeedup: 50 };

const node = join(root, "node_modules/.bin/node");
const wasmbox = join(root, "packages/cli/bin/wasmbox.js");
const log = (msg) => console.error(msg);
const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const r1 = (x) => (x === null ? null : Math.round(x * 10) / 10);

const watchdog = setTimeout(() => {
  console.error("bench exceeded its budget; exiting");
  process.exit(2);
}, (quick ? 180 : 600) * 1000);
watchdog.unref();

async function spawnClient() {
  const transport = new StdioClientTransport({ command: node, args: [wasmbox, "mcp"], cwd: root, stderr: "ignore" });
  const client = new Client({ name: "wasmbox-bench", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

async function runCode(client, args) {
  const result = await client.callTool({ name: "run_code", arguments: args }, undefined, { timeout: 120_000 });
  const text = result.content.filter((c) => c.type === "text").map((c) => c.text).join("\n");
  if (result.isError) throw new Error(`run_code failed: ${text}`);
  return text;
}

const PY = { language: "python", code: "print(1+1)" };
const JS = { language: "javascript", code: "console.log(2)" };

// 1. Cold: spawn → initialize → first run_code.
const cold = [];
for (let i = 0; i < P.spawns * 2; i++) {
  // Python and JavaScript first answers, alternately.
  const [language, args] = i % 2 === 0 ? ["python", PY] : ["javascript", JS];
  const t0 = performance.now();
  const client = await spawnClient();
  const initializedMs = performance.now() - t0;
  const text = await runCode(client, args);
  const firstAnswerMs = performance.now() - t0;
  if (!/^2$/m.test(text)) throw new Error(`unexpected answer: ${text}`);
  cold.push({ language, initializedMs, firstAnswerMs });
  await client.close();
  log(`spawn ${i + 1}/${P.spawns * 2}: initialize ${r1(initializedMs)} ms, first run_code (${language}) ${r1(firstAnswerMs)} ms`);
}

// 2. Warm: one connection, sequential calls (an agent's calls come one after another).
const client = await spawnClient();
await runCode(client, PY);
await runCode(client, JS);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function warm(args, n, gapMs = 0) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    if (gapMs) await sleep(gapMs);
    const t = performance.now();
    await runCode(client, args);
    ms.push(performance.now() - t);
  }
  return { n, gapMs, p50Ms: r1(pct(ms, 50)), p99Ms: r1(pct(ms, 99)), maxMs: r1(Math.max(...ms)) };
}
const python = await warm(PY, P.warmPython);
log(`python warm: p50 ${python.p50Ms} ms, p99 ${python.p99Ms} ms (n=${python.n})`);
const javascript = await warm(JS, P.warmJs);
log(`javascript warm: p50 ${javascript.p50Ms} ms, p99 ${javascript.p99Ms} ms (n=${javascript.n})`);
const pythonPaced = await warm(PY, P.paced, P.gapMs);
log(`python paced (${P.gapMs} ms apart): p50 ${pythonPaced.p50Ms} ms, p99 ${pythonPaced.p99Ms} ms (n=${pythonPaced.n})`);
await client.close();

const firstAnswerMs = r1(pct(cold.filter((c) => c.language === "python").map((c) => c.firstAnswerMs), 50));
const firstAnswerJsMs = r1(pct(cold.filter((c) => c.language === "javascript").map((c) => c.firstAnswerMs), 50));
const initializedMs = r1(pct(cold.map((c) => c.initializedMs), 50));
const speedup = (ms) => (ms ? Math.round((PEER.warmPythonMs / ms) * 10) / 10 : null);
const rows = [
  ["first answer after spawn, Python (run_code print(1+1))", `${firstAnswerMs} ms`, `${PEER.firstAnswerMs} ms*`],
  ["first answer after spawn, JavaScript (console.log(2))", `${firstAnswerJsMs} ms`, "— (Python only)"],
  ["initialize answered after spawn", `${initializedMs} ms`, "—"],
  ["warm run_code Python p50 / p99, back to back", `${python.p50Ms} / ${python.p99Ms} ms`, `${PEER.warmPythonMs} ms*`],
  [`warm run_code Python p50 / p99, ${P.gapMs} ms apart`, `${pythonPaced.p50Ms} / ${pythonPaced.p99Ms} ms`, `${PEER.warmPythonMs} ms*`],
  ["warm run_code JavaScript p50 / p99, back to back", `${javascript.p50Ms} / ${javascript.p99Ms} ms`, "— (Python only)"],
  [`warm Python speed-up over the peer, back to back / paced (goal ≥ ${GOAL.warmPythonSpeedup}×)`, `${speedup(python.p50Ms)}× / ${speedup(pythonPaced.p50Ms)}×`, ""],
];
const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
console.log(`${"".padEnd(w[0])}  ${"wasmbox mcp".padEnd(w[1])}  ${PEER.name}`);
for (const [a, b, c] of rows) console.log(`${a.padEnd(w[0])}  ${b.padEnd(w[1])}  ${c}`);
console.log(`* the peer could not run here (${PEER.why}); its figures are the earlier measurement on this machine quoted in issue 15.`);

const out = join(here, "results", "mcp.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), mode: quick ? "quick" : "full", node: process.version, cores: availableParallelism(), params: P, cold, firstAnswerMs, firstAnswerJsMs, initializedMs, python, pythonPaced, javascript, peer: PEER, goal: GOAL, warmPythonSpeedup: { backToBack: speedup(python.p50Ms), paced: speedup(pythonPaced.p50Ms) }, loadAverage: loadavg() }, null, 2)}\n`,
);
console.error(`wrote ${out}`);
clearTimeout(watchdog);
