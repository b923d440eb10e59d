// npm run bench:packages — Python with packages: a fresh sandbox of a package set's pool (booted
// from a snapshot with the set imported) beside a plain fresh sandbox, and a run's first import
// without a snapshot, all in this run. The set is a real pure-Python one Debian ships (SymPy
// and mpmath: `apt-get install python3-sympy`), packed as wheels, since Pyodide's own
// distribution cannot be downloaded on these machines. Medians; the machines are noisy.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { strToU8, zipSync } from "fflate";
import { defaultCacheDir, NodeSandboxHost, openPackageStore, resolveLimits } from "@wasmbox/node";

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const N = quick ? 3 : 7;
const DEBIAN = "/usr/lib/python3/dist-packages";
const SET = [
  { name: "mpmath", version: "1.2.1", modules: ["mpmath"], requires: [] },
  { name: "sympy", version: "1.11.1", modules: ["sympy"], requires: ["mpmath"] },
];
for (const p of SET) if (!existsSync(join(DEBIAN, p.modules[0]))) throw new Error(`${p.name} is not installed: apt-get install python3-sympy`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => Math.round(x * 10) / 10;

/** A wheel of Debian's copy of a package: its .py files and a dist-info naming its dependencies. */
function wheel({ name, version, modules, requires }) {
  const files = {};
  const walk = (rel) => {
    const full = join(DEBIAN, rel);
    if (!statSync(full).isDirectory()) {
      if (rel.endsWith(".py")) files[rel] = readFileSync(full);
      return;
    }
    for (const e of readdirSync(full)) if (e !== "__pycache__") walk(`${rel}/${e}`);
  };
  modules.forEach(walk);
  const info = `${name}-${version}.dist-info`;
  files[`${info}/METADATA`] = strToU8(`Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n${requires.map((r) => `Requires-Dist: ${r}\n`).join("")}\n`);
  files[`${info}/WHEEL`] = strToU8("Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
  files[`${info}/RECORD`] = strToU8("");
  return { fileName: `${name}-${version}-py3-none-any.whl`, bytes: zipSync(files, { level: 6 }) };
}

const root = mkdtempSync(join(tmpdir(), "wasmbox-bench-packages-"));
const cacheDir = join(root, "cache");
const wheels = join(root, "wheels");
mkdirSync(wheels, { recursive: true });
mkdirSync(cacheDir, { recursive: true });
let wheelBytes = 0;
for (const p of SET) {
  const w = wheel(p);
  wheelBytes += w.bytes.byteLength;
  writeFileSync(join(wheels, w.fileName), w.bytes);
}
// The baseline snapshot this machine already built, so only the package set's is built here.
const home = defaultCacheDir();
if (existsSync(home)) for (const f of readdirSync(home)) if (/^python-[0-9a-f]+\.snapshot(\.json)?$/.test(f)) copyFileSync(join(home, f), join(cacheDir, f));
await openPackageStore(cacheDir).fetch(["sympy"], { wheelsDir: wheels });

const host = new NodeSandboxHost({ cacheDir, packages: { preload: [["sympy"]], log: (m) => console.error(m) } });
const wheelsOfSet = host.packages.resolve(["sympy"]).wheels;
// What a run pays to have the set: importing it (the work it then does costs the same anywhere).
const code = "import sympy\nprint(sympy.__version__, sympy.sqrt(8))";
const request = (packages) => ({ request: { language: "python", code, ...(packages ? { packages: ["sympy"] } : {}) }, filename: "main.py", limits: resolveLimits({ timeoutMs: 120_000 }) });

/** Boot a sandbox (preset or plain), then run `run` in it: boot time, run time, and what it printed. */
async function once(preset, run) {
  const t0 = performance.now();
  const sandbox = preset === undefined ? host.start("python") : host.start("python", preset);
  await sandbox.ready;
  const booted = performance.now();
  const result = await sandbox.run(run);
  const done = performance.now();
  await sandbox.dispose();
  if (result.outcome?.status !== "ok") throw new Error(`run failed: ${JSON.stringify(result.outcome?.error ?? result.crash)}`);
  return { bootMs: booted - t0, runMs: done - booted, stdout: result.streams.stdout };
}

// The first preset sandbox builds the set's snapshot: measured apart.
const tBuild = performance.now();
await once(0, request(true));
const buildMs = performance.now() - tBuild;

const plainBoot = [];
const presetBoot = [];
const presetRun = [];
const importRun = [];
const plainPrint = [];
for (let i = 0; i < N; i++) {
  const preset = await once(0, request(true));
  presetBoot.push(preset.bootMs);
  presetRun.push(preset.runMs);
  const plain = await once(undefined, { ...request(false), request: { language: "python", code: "print(1)" } });
  plainBoot.push(plain.bootMs);
  plainPrint.push(plain.runMs);
  const cold = await once(undefined, { ...request(false), packages: wheelsOfSet, request: { language: "python", code, packages: ["sympy"] } });
  importRun.push(cold.runMs);
  if (cold.stdout !== preset.stdout) throw new Error(`the runs disagree: ${cold.stdout} vs ${preset.stdout}`);
}

const rows = [
  { name: "fresh sandbox boot, plain (baseline snapshot)", medianMs: ms(median(plainBoot)) },
  { name: "fresh sandbox boot, sympy set (its snapshot + unpacking its files)", medianMs: ms(median(presetBoot)), ratioToPlain: Number((median(presetBoot) / median(plainBoot)).toFixed(2)) },
  { name: "run: print(1) in a plain sandbox", medianMs: ms(median(plainPrint)) },
  { name: "run: import sympy, in the sympy set's sandbox", medianMs: ms(median(presetRun)), ratioToPlain: Number((median(presetRun) / median(plainPrint)).toFixed(2)) },
  { name: "run: import sympy, plain sandbox (install + first import, no snapshot)", medianMs: ms(median(importRun)), ratioToPreset: Number((median(importRun) / median(presetRun)).toFixed(1)) },
  { name: "building the sympy set's snapshot (once)", medianMs: ms(buildMs) },
];
console.log(`Python packages (${SET.map((p) => `${p.name} ${p.version}`).join(", ")}; wheels ${(wheelBytes / 1048576).toFixed(1)} MiB), ${N} runs each, ${availableParallelism()} cores`);
for (const r of rows) console.log(`  ${r.name.padEnd(66)} ${String(r.medianMs).padStart(9)} ms${r.ratioToPlain ? `  (×${r.ratioToPlain} of the plain row above)` : ""}${r.ratioToPreset ? `  (×${r.ratioToPreset} of the set's sandbox)` : ""}`);
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "packages.json"), `${JSON.stringify({ date: new Date().toISOString(), cores: availableParallelism(), packages: SET.map(({ name, version }) => ({ name, version })), wheelBytes, sha256: createHash("sha256").update(code).digest("hex").slice(0, 8), rows }, null, 2)}\n`);
rmSync(root, { recursive: true, force: true });
process.exit(0);
