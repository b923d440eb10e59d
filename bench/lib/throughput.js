// A child of the engine bench: runs/s of one language on the cores this process may use
// (the parent pins it with taskset). Prints one JSON line: { runsPerSecond }.
//   node bench/lib/throughput.js python|javascript RUNS
import { availableParallelism } from "node:os";
import { createEngine } from "@wasmbox/node";

const [language, runsArg] = process.argv.slice(2);
const runs = Number(runsArg);
const cores = availableParallelism();
const request = language === "python" ? { language, code: "print(1+1)" } : { language: "javascript", code: "console.log(2)" };
const kind = language === "python" ? "python" : "quickjs";
// One sandbox per core in the pool, and one run at a time per core.
const engine = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0, [kind]: cores }, maxConcurrentRuns: cores, maxQueuedRuns: runs + 10 });
try {
  const batch = async (n) => {
    const results = await Promise.all(Array.from({ length: n }, () => engine.execute(request)));
    if (results.some((r) => r.status !== "ok")) throw new Error(`a run failed: ${JSON.stringify(results.find((r) => r.status !== "ok"))}`);
  };
  await batch(cores * 2); // boot the pool first: measure runs, not the first boots
  const t0 = performance.now();
  await batch(runs);
  console.log(JSON.stringify({ cores, runsPerSecond: runs / ((performance.now() - t0) / 1000) }));
} finally {
  await engine.dispose();
}
