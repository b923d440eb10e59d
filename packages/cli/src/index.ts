/**
 * The wasmbox command line. `main(argv)` returns the process exit code instead of
 * exiting, so it can be tested in-process and embedded.
 *
 * Exit codes: 0 ok · 1 error/compile_error · 124 timeout · 125 output_limit ·
 * 137 memory_limit · 130 killed · the guest's own code when it exits with one ·
 * 2 bad usage · 3 wasmbox itself failed.
 *
 * `wasmbox run --server URL` sends the run to a wasmbox server instead (same request, same
 * exit codes); server errors exit 2 when the request was at fault (4xx) and 3 otherwise.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, resolve, sep } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { isWasmboxApiError, WasmboxClient, type ExecuteResult as RemoteResult } from "@wasmbox/client";
// Only what `--help` and parsing the flags need loads at start (commander, the contract's
// zod-free constants, the language table); the engine and the rest load when a command runs.
import { LANGUAGES, LIMIT_BOUNDS } from "@wasmbox/contract/constants";
import { languageDescription, languageForFilename } from "@wasmbox/core/describe";
import type { ExecuteRequestInput, ExecuteResult, Execution, FileContent, GuestStream, Language } from "@wasmbox/node";
import { writeImageOutputs } from "./rich-outputs.js";

/** The language a file name implies, as the runtimes describe it (`x.as.ts` is AssemblyScript; plain `.ts` is TypeScript). */
export function languageForPath(path: string): Language | undefined {
  return languageForFilename(basename(path));
}

/** `.py python, .js .mjs .cjs javascript, …`: the endings `run` recognises, for its help. */
const EXTENSION_HELP = LANGUAGES.map((l) => `${languageDescription(l).extensions.join(" ")} ${l}`).join(", ");

/** No sandbox is pre-started for a one-shot command: only the one the run needs. */
const ONE_SHOT_POOL = { python: 0, quickjs: 0, wasm: 0, clang: 0, asc: 0 } as const;

const MiB = 1024 * 1024;

/** Exit code for a result, as documented in the README. */
export function exitCodeFor(result: Pick<ExecuteResult, "status" | "exitCode">): number {
  switch (result.status) {
    case "ok":
      return 0;
    case "timeout":
      return 124;
    case "output_limit":
      return 125;
    case "memory_limit":
      return 137;
    case "killed":
      return 130;
    case "compile_error":
      return 1;
    case "error":
      return result.exitCode !== null && result.exitCode > 0 && result.exitCode < 256 ? result.exitCode : 1;
  }
}

class UsageError extends Error {
  constructor(
    message: string,
    readonly hint = "wasmbox run --help",
  ) {
    super(message);
  }
}

interface RunFlags {
  language?: string;
  timeoutMs?: number;
  memoryMb?: number;
  maxOutputBytes?: number;
  file: string[];
  stdin?: string;
  env: string[];
  outDir?: string;
  json?: boolean;
  verbose?: boolean;
  server?: string;
  apiKey?: string;
  optimize?: string;
  cflag: string[];
  invoke?: string;
  grant: string[];
  package: string[];
}

function intFlag(flag: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(value)}`);
    const n = Number(value);
    if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

const collect = (value: string, previous: string[]) => [...previous, value];

export async function main(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process): Promise<number> {
  let exitCode = 0;
  const program = new Command("wasmbox")
    .description("Run untrusted code (Python, JavaScript, TypeScript, C, C++, AssemblyScript, WebAssembly) in a WebAssembly sandbox.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError("(run 'wasmbox --help' for usage)");

  program
    .command("run")
    .description("run a program in a fresh sandbox; its stdout/stderr stream to the terminal")
    .argument("<path>", "program file, or - to read the program from stdin")
    .argument("[args...]", "arguments passed to the program (after --)")
    .addOption(new Option("-l, --language <language>", `language (default: from the file name: ${EXTENSION_HELP})`).choices([...LANGUAGES]))
    .option("--timeout-ms <n>", "wall-time limit in ms (default 10000)", intFlag("--timeout-ms", LIMIT_BOUNDS.timeoutMs.min, LIMIT_BOUNDS.timeoutMs.max))
    .option("--memory-mb <n>", "memory limit in MiB (default 256)", intFlag("--memory-mb", LIMIT_BOUNDS.memoryLimitBytes.min / MiB, LIMIT_BOUNDS.memoryLimitBytes.max / MiB))
    .option("--max-output-bytes <n>", "cap on stdout+stderr bytes (default 1048576)", intFlag("--max-output-bytes", LIMIT_BOUNDS.maxOutputBytes.min, LIMIT_BOUNDS.maxOutputBytes.max))
    .option("--file <guest=host>", "place a host file in the sandbox at a guest path (repeatable)", collect, [])
    .option("--stdin <host-path>", "feed a host file to the program's stdin (- for this command's own stdin)")
    .option("--env <k=v>", "set an environment variable in the sandbox (repeatable)", collect, [])
    .option("--out-dir <dir>", "write files the program produced, and its image outputs (output-N.png/.jpg/.svg), into this directory")
    .option("--json", "print exactly one result JSON on stdout instead of streaming")
    .option("-v, --verbose", "after the run, print its status and usage (CPU time, wall time, peak memory) on stderr")
    .option("--server <url>", "run on a wasmbox server (e.g. http://127.0.0.1:8787) instead of locally")
    .option("--api-key <key>", "API key for --server (default: $WASMBOX_API_KEY)")
    .addOption(new Option("-O, --optimize <level>", "C/C++/AssemblyScript optimisation level (default 2)").choices(["0", "1", "2", "3", "s", "z"]))
    .option("--cflag <flag>", "extra compiler flag from the allowlist, e.g. --cflag=-Wall (repeatable)", collect, [])
    .option("--invoke <call>", "wasm: call an export instead of _start, e.g. 'add_and_log(7, 5)'; its return value is printed")
    .option("--grant <import>", "wasm: let the module import this host function, e.g. env.log_i32 (repeatable)", collect, [])
    .option("--package <name>", "python: load this package from the package store first, e.g. --package numpy (repeatable; see 'wasmbox packages')", collect, [])
    .action(async (path: string, args: string[], flags: RunFlags) => {
      exitCode = await runCommand(path, args, flags, io);
    });

  program
    .command("runtimes")
    .description("list languages and runtime versions")
    .option("--json", "print JSON")
    .action(async (flags: { json?: boolean }) => {
      const { createEngine } = await import("@wasmbox/node");
      await using engine = createEngine({ pool: ONE_SHOT_POOL });
      const runtimes = engine.runtimes();
      if (flags.json) io.stdout.write(`${JSON.stringify({ runtimes, isolation: engine.isolation }, null, 2)}\n`);
      else {
        for (const r of runtimes) io.stdout.write(`${r.language.padEnd(15)} ${r.version.padEnd(36)} ${r.runtime.padEnd(56)} ${r.extensions.join(" ")}\n`);
        const iso = engine.isolation;
        io.stdout.write(`\nwalls (sandboxes run on Node ${iso.sandboxNode}${iso.weak ? "; WEAK ISOLATION: no OS sandbox" : ""}):\n`);
        for (const w of iso.walls) io.stdout.write(`  ${w.inForce ? "[in force]" : "[missing] "} ${w.name.padEnd(16)} ${w.detail}\n`);
      }
      exitCode = 0;
    });

  program
    .command("serve")
    .description("start the HTTP API (settings from HOST, PORT, WASMBOX_DATA_DIR, … — see the README)")
    .option("--host <host>", "address to listen on (default 127.0.0.1, or HOST)")
    .option("--port <n>", "port (default 8787, or PORT)", intFlag("--port", 0, 65535))
    .option("--data-dir <dir>", "SQLite file and stored output files (default ./data, or WASMBOX_DATA_DIR)")
    .action(async (flags: { host?: string; port?: number; dataDir?: string }) => {
      const { startServer } = await import("@wasmbox/server");
      try {
        await startServer({ host: flags.host, port: flags.port, dataDir: flags.dataDir });
      } catch (e) {
        throw new UsageError(e instanceof Error ? e.message : String(e), "wasmbox serve --help");
      }
      exitCode = await new Promise<number>(() => {}); // serves until a signal ends the process
    });

  const packages = program
    .command("packages")
    .description("the Python package store: fetch pinned, verified wheels once, then every run loads them offline");
  const cacheDirOption = () => new Option("--cache-dir <dir>", "cache directory holding the store (default $WASMBOX_CACHE_DIR, else ~/.cache/wasmbox)");
  packages
    .command("fetch")
    .description("download packages and their dependencies into the store, verifying each wheel's sha256 (pinned by Pyodide's lock file, or the index's hash)")
    .argument("<names...>", "package names, e.g. numpy pandas matplotlib")
    .option("--from <dir-or-url>", "a Pyodide distribution: an unpacked release folder or a mirror's base URL (default $WASMBOX_PYODIDE_PACKAGES)")
    .option("--index <url>", "a PyPI-compatible simple index for pure-Python wheels the distribution lacks (default $WASMBOX_PYTHON_INDEX_URL)")
    .option("--wheels <dir>", "a folder of pure-Python wheels (default $WASMBOX_PYTHON_WHEELS_DIR)")
    .addOption(cacheDirOption())
    .action(async (names: string[], flags: { from?: string; index?: string; wheels?: string; cacheDir?: string }) => {
      const { defaultCacheDir, openPackageStore, PackageNameSchema } = await import("@wasmbox/node");
      for (const name of names) {
        const bad = PackageNameSchema.safeParse(name);
        if (!bad.success) throw new UsageError(`${JSON.stringify(name)}: ${bad.error.issues[0]?.message ?? "not a package name"}`, "wasmbox packages fetch --help");
      }
      const store = openPackageStore(flags.cacheDir ?? defaultCacheDir());
      const sources = {
        distribution: flags.from ?? (process.env.WASMBOX_PYODIDE_PACKAGES || undefined),
        indexUrl: flags.index ?? (process.env.WASMBOX_PYTHON_INDEX_URL || undefined),
        wheelsDir: flags.wheels ?? (process.env.WASMBOX_PYTHON_WHEELS_DIR || undefined),
      };
      let report;
      try {
        report = await store.fetch(names, sources, (line) => io.stderr.write(`${line}\n`));
      } catch (e) {
        // A source that lacks a package or sends a wheel that fails its hash: nothing wrong with wasmbox.
        io.stderr.write(`wasmbox: ${e instanceof Error ? e.message : String(e)}\n`);
        exitCode = 1;
        return;
      }
      for (const p of report.alreadyPresent) io.stderr.write(`already in the store: ${p.name} ${p.version}\n`);
      io.stderr.write(`${report.fetched.length} fetched, ${report.alreadyPresent.length} already present, in ${store.dir}\n`);
      exitCode = 0;
    });
  packages
    .command("list")
    .description("list the packages in the store, with versions and sha256")
    .option("--json", "print JSON")
    .addOption(cacheDirOption())
    .action(async (flags: { json?: boolean; cacheDir?: string }) => {
      const { defaultCacheDir, openPackageStore } = await import("@wasmbox/node");
      const list = openPackageStore(flags.cacheDir ?? defaultCacheDir()).list();
      if (flags.json) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else if (list.length === 0) io.stderr.write("the package store is empty: wasmbox packages fetch <names…> --from <Pyodide distribution>\n");
      else for (const p of list) io.stdout.write(`${p.name.padEnd(28)} ${p.version.padEnd(14)} ${p.source.padEnd(12)} ${String(p.sizeBytes).padStart(10)}  ${p.sha256}\n`);
      exitCode = 0;
    });

  program
    .command("mcp")
    .description("serve the MCP tools (run_code, sessions, files) on stdin/stdout, for an agent to spawn; logs go to stderr")
    .action(async () => {
      const { engineRunner, serveStdio } = await import("@wasmbox/mcp");
      // Nothing but the protocol may reach stdout: the engine and the runner never write to it.
      const { createEngine } = await import("@wasmbox/node");
      await using engine = createEngine({ pool: { python: 1, quickjs: 1, wasm: 0, clang: 0, asc: 0 } });
      if (engine.isolation.weak) io.stderr.write("wasmbox mcp: warning: weak isolation: no OS sandbox on this machine (see 'wasmbox runtimes')\n");
      await using runner = engineRunner(engine);
      await serveStdio(runner);
      exitCode = 0;
    });

  const keys = program.command("keys").description("manage API keys (stored hashed in the data directory)");
  const dataDirOption = () => new Option("--data-dir <dir>", "data directory (default ./data, or WASMBOX_DATA_DIR)");
  keys
    .command("create")
    .description("create an API key and print it once")
    .option("--name <name>", "a label for the key", "default")
    .addOption(dataDirOption())
    .action(async (flags: { name: string; dataDir?: string }) => {
      const store = await openKeyStore(flags.dataDir);
      const { id, key } = store.keys.create(flags.name);
      store.close();
      io.stdout.write(`${key}
`);
      io.stderr.write(`created ${id} (${flags.name}); the key is shown only now. Send it as: Authorization: Bearer <key>
`);
      exitCode = 0;
    });
  keys
    .command("list")
    .description("list API keys (ids and names, never the keys)")
    .addOption(dataDirOption())
    .action(async (flags: { dataDir?: string }) => {
      const store = await openKeyStore(flags.dataDir);
      for (const k of store.keys.list()) {
        io.stdout.write(`${k.id}  ${k.name.padEnd(20)} created ${new Date(k.createdAt).toISOString()}${k.revokedAt ? `  revoked ${new Date(k.revokedAt).toISOString()}` : ""}
`);
      }
      store.close();
      exitCode = 0;
    });
  keys
    .command("revoke")
    .description("revoke an API key by id")
    .argument("<id>", "key id, as printed by `wasmbox keys list`")
    .addOption(dataDirOption())
    .action(async (id: string, flags: { dataDir?: string }) => {
      const store = await openKeyStore(flags.dataDir);
      const done = store.keys.revoke(id);
      store.close();
      if (!done) throw new UsageError(`no active key with id ${JSON.stringify(id)}`, "wasmbox keys list");
      io.stderr.write(`revoked ${id}
`);
      exitCode = 0;
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0) return 0;
      return 2; // commander already printed the problem and the usage hint
    }
    if (e instanceof UsageError) {
      io.stderr.write(`wasmbox: ${e.message}\n(run '${e.hint}' for usage)\n`);
      return 2;
    }
    if (isWasmboxApiError(e)) {
      // From --server: a request the server refused (4xx) is the caller's to fix; an
      // unreachable or failing server (5xx, network, 408/429) is wasmbox failing.
      io.stderr.write(`wasmbox: ${e.code}: ${e.message}\n`);
      return e.isClientError ? 2 : 3;
    }
    const { isWasmboxError } = await import("@wasmbox/contract");
    if (isWasmboxError(e, "INVALID_REQUEST")) {
      io.stderr.write(`wasmbox: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`wasmbox: ${isWasmboxError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e)}\n`);
    return 3;
  }
}

async function runCommand(path: string, args: string[], flags: RunFlags, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const language = (flags.language as Language | undefined) ?? languageForPath(path);
  if (!language) {
    throw new UsageError(
      path === "-"
        ? "--language is required when the program comes from stdin"
        : `cannot tell the language of ${JSON.stringify(path)} from its extension; pass --language (${LANGUAGES.join(", ")})`,
    );
  }
  const code = path === "-" ? readFileSync(0, "utf8") : readProgram(path, language);
  const request: ExecuteRequestInput = { language, code, args };
  if (flags.optimize !== undefined || flags.cflag.length) {
    request.compile = { ...(flags.optimize ? { optimize: flags.optimize as "2" } : {}), ...(flags.cflag.length ? { flags: flags.cflag } : {}) };
  }
  const grants = flags.grant.flatMap((g) => g.split(",")).map((g) => g.trim()).filter(Boolean);
  if (flags.invoke !== undefined || grants.length) {
    request.wasm = { ...(flags.invoke !== undefined ? { invoke: parseInvoke(flags.invoke) } : {}), ...(grants.length ? { imports: grants as never } : {}) };
  }
  if (flags.package.length) request.packages = flags.package;
  if (path !== "-") request.filename = basename(path);
  if (flags.stdin === "-" && path === "-") throw new UsageError("--stdin - and a program from stdin (-) cannot share the terminal's stdin");
  if (flags.stdin !== undefined) request.stdin = flags.stdin === "-" ? readFileSync(0, "utf8") : readHostFile(flags.stdin, "--stdin");
  if (flags.file.length) request.files = Object.fromEntries(flags.file.map(parseFileFlag));
  if (flags.env.length) request.env = Object.fromEntries(flags.env.map(parseEnvFlag));
  const limits: NonNullable<ExecuteRequestInput["limits"]> = {};
  if (flags.timeoutMs !== undefined) limits.timeoutMs = flags.timeoutMs;
  if (flags.memoryMb !== undefined) limits.memoryLimitBytes = flags.memoryMb * MiB;
  if (flags.maxOutputBytes !== undefined) limits.maxOutputBytes = flags.maxOutputBytes;
  if (Object.keys(limits).length) request.limits = limits;
  if (flags.server !== undefined) return await runRemote(request, flags, io);
  if (flags.apiKey !== undefined) throw new UsageError("--api-key goes with --server URL");

  // One-shot: no pre-warmed pool, one sandbox for this run, and Ctrl-C ends it cleanly.
  const { createEngine } = await import("@wasmbox/node");
  await using engine = createEngine({ pool: ONE_SHOT_POOL });
  if (engine.isolation.weak) {
    io.stderr.write("wasmbox: warning: weak isolation: no OS sandbox on this machine (install bubblewrap; it needs user namespaces). See 'wasmbox runtimes'.\n");
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let result: Execution;
  try {
    result = await engine.execute(request, {
      signal: abort.signal,
      // The program's bytes, unchanged (a PNG written to stdout stays a PNG).
      ...(flags.json ? {} : { onOutput: (stream: GuestStream, bytes: Uint8Array) => (stream === "stdout" ? io.stdout : io.stderr).write(bytes) }),
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (flags.outDir) {
    writeOutputs(flags.outDir, result);
    reportImages(flags.outDir, result, io);
  }
  if (flags.json) {
    const { fileContents: _omit, ...json } = result;
    io.stdout.write(`${JSON.stringify(json)}\n`);
  } else if (flags.invoke !== undefined && result.status === "ok") {
    io.stdout.write(`${JSON.stringify(result.value)}\n`);
  } else if (result.status !== "ok" && result.status !== "error" && result.status !== "compile_error") {
    io.stderr.write(`\nwasmbox: ${result.status}: ${result.error?.message ?? ""}\n`);
  }
  if (flags.verbose && !flags.json) io.stderr.write(`${usageLine(result)}\n`);
  return exitCodeFor(result);
}

/** `--server`: the same request, run by a wasmbox server; output streamed over SSE unless --json. */
async function runRemote(request: ExecuteRequestInput, flags: RunFlags, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const client = remoteClient(flags.server!, flags.apiKey ?? process.env.WASMBOX_API_KEY);
  const abort = new AbortController();
  let runId: string | undefined;
  let interrupted = false;
  let giveUp: ReturnType<typeof setTimeout> | undefined;
  const cancel = (id: string) => {
    client.runs.cancel(id).catch(() => {}); // 409: it had already finished
    // Wait a moment for the `killed` result (and the output before it), then stop waiting.
    giveUp = setTimeout(() => abort.abort(), 5_000);
  };
  const onSignal = () => {
    // The first Ctrl-C cancels the run on the server (once it has an id); a second one, or
    // one during --json (no id until the answer), stops waiting at once.
    if (interrupted || flags.json) abort.abort();
    else if (runId !== undefined) cancel(runId);
    interrupted = true;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let result: (RemoteResult & { id?: string }) | undefined;
  try {
    if (flags.json) {
      // One call; Ctrl-C stops waiting for it (the server finishes the run on its own).
      result = await client.execute(request, { signal: abort.signal });
      runId = result.id;
    } else {
      const { id } = await client.runs.create(request, { signal: abort.signal });
      runId = id;
      if (interrupted) cancel(id); // Ctrl-C arrived while the run was being created
      for await (const event of client.runs.events(id, { signal: abort.signal })) {
        if (event.type === "stdout" || event.type === "stderr") {
          const bytes = event.data.base64 === undefined ? event.data.text : Buffer.from(event.data.base64, "base64");
          (event.type === "stdout" ? io.stdout : io.stderr).write(bytes);
        }
        else if (event.type === "result") result = event.data;
      }
      // The stream ended without a result (it should not): ask for the run itself.
      result ??= (await client.runs.get(id, { signal: abort.signal })).result ?? undefined;
      if (!result) throw new Error(`the server ended the event stream of run ${id} before it finished`);
    }
  } catch (e) {
    if (!interrupted) throw e;
  } finally {
    clearTimeout(giveUp);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (!result) {
    io.stderr.write(`\nwasmbox: killed: interrupted${runId ? ` (run ${runId} cancelled on the server)` : ""}\n`);
    return 130;
  }
  if (flags.outDir && runId) {
    await downloadOutputs(client, runId, result, flags.outDir, io);
    reportImages(flags.outDir, result, io);
  }
  if (flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
  else if (flags.invoke !== undefined && result.status === "ok") io.stdout.write(`${JSON.stringify(result.value)}\n`);
  else if (result.status !== "ok" && result.status !== "error" && result.status !== "compile_error") {
    io.stderr.write(`\nwasmbox: ${result.status}: ${result.error?.message ?? ""}\n`);
  }
  if (flags.verbose && !flags.json) io.stderr.write(`${usageLine(result)}\n`);
  return interrupted ? 130 : exitCodeFor(result);
}

/**
 * `--verbose`: one line with how the run ended and what it used, as the host measured it.
 * @example usageLine(result) // "wasmbox: ok · wall 31 ms · cpu 20 ms · peak memory 157.7 MiB · compile 619 ms"
 */
export function usageLine(result: Pick<ExecuteResult, "status" | "usage" | "timings" | "compile">): string {
  const ms = (n: number) => `${Math.round(n)} ms`;
  const parts = [`wasmbox: ${result.status}`];
  const usage = result.usage;
  if (usage) {
    parts.push(`wall ${ms(usage.wallTimeMs)}`, `cpu ${usage.cpuTimeMs === null ? "unknown" : ms(usage.cpuTimeMs)}`);
    parts.push(`peak memory ${usage.peakMemoryBytes === null ? "unknown" : `${(usage.peakMemoryBytes / MiB).toFixed(1)} MiB`}`);
  } else parts.push(`total ${ms(result.timings.totalMs)}`);
  if (result.compile) parts.push(result.compile.cached ? "compile cached" : `compile ${ms(result.compile.timeMs)}`);
  return parts.join(" · ");
}

function remoteClient(server: string, apiKey: string | undefined): WasmboxClient {
  // "localhost:8787" means http://localhost:8787.
  const baseUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `http://${server}`;
  try {
    return new WasmboxClient({ baseUrl, ...(apiKey ? { apiKey } : {}) });
  } catch (e) {
    throw new UsageError(`--server: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** --out-dir with --server: fetch each produced file, refusing any path that would land outside `dir`. */
async function downloadOutputs(client: WasmboxClient, runId: string, result: RemoteResult, dir: string, io: { stderr: NodeJS.WritableStream }): Promise<void> {
  const root = resolve(dir);
  for (const file of result.files) {
    const target = resolve(root, file.path);
    if (!target.startsWith(root + sep)) continue;
    let bytes: Uint8Array;
    try {
      ({ bytes } = await client.runs.file(runId, file.path));
    } catch (e) {
      // A file the server did not keep (too large, past retention) is reported, not fatal.
      if (isWasmboxApiError(e) && e.status === 404) {
        io.stderr.write(`wasmbox: ${e.code}: ${e.message}\n`);
        continue;
      }
      throw e;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
}

async function openKeyStore(dataDir: string | undefined) {
  const { KeyStore, loadConfig, openDatabase } = await import("@wasmbox/server");
  const db = openDatabase(loadConfig(dataDir === undefined ? {} : { dataDir }).dataDir);
  return { keys: new KeyStore(db), close: () => db.close() };
}

/** The program file: text, or for a `.wasm` binary its bytes as base64 (WAT stays text). */
function readProgram(path: string, language: Language): string {
  if (language !== "wasm") return readHostFile(path, "program");
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read program ${JSON.stringify(path)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const isBinary = bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
  return isBinary ? bytes.toString("base64") : bytes.toString("utf8");
}

/** `name` or `name(1, 2.5, -3)` → the export to call and its arguments. */
export function parseInvoke(spec: string): { export: string; args: (number | string)[] } {
  const m = /^\s*([^\s()]+)\s*(?:\((.*)\))?\s*$/s.exec(spec);
  if (!m) throw new UsageError(`--invoke expects NAME or NAME(arg, …), got ${JSON.stringify(spec)}`);
  const inner = (m[2] ?? "").trim();
  const args = inner === ""
    ? []
    : inner.split(",").map((raw) => {
        const a = raw.trim();
        if (/^-?\d+$/.test(a)) return Number.isSafeInteger(Number(a)) ? Number(a) : a;
        const n = Number(a);
        if (a === "" || !Number.isFinite(n)) throw new UsageError(`--invoke: argument ${JSON.stringify(a)} is not a number`);
        return n;
      });
  return { export: m[1]!, args };
}

function readHostFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${JSON.stringify(path)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function parseFileFlag(spec: string): [string, FileContent] {
  const eq = spec.indexOf("=");
  if (eq <= 0 || eq === spec.length - 1) throw new UsageError(`--file expects GUEST_PATH=HOST_PATH, got ${JSON.stringify(spec)}`);
  const guest = spec.slice(0, eq);
  const host = spec.slice(eq + 1);
  let bytes: Buffer;
  try {
    bytes = readFileSync(host);
  } catch (e) {
    throw new UsageError(`--file ${guest}: cannot read ${JSON.stringify(host)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return [guest, new TextDecoder("utf-8", { fatal: true }).decode(bytes)];
  } catch {
    return [guest, { encoding: "base64", content: bytes.toString("base64") }];
  }
}

function parseEnvFlag(spec: string): [string, string] {
  const eq = spec.indexOf("=");
  if (eq <= 0) throw new UsageError(`--env expects NAME=VALUE, got ${JSON.stringify(spec)}`);
  return [spec.slice(0, eq), spec.slice(eq + 1)];
}

/** --out-dir: the run's image outputs as files, each path said on stderr. */
function reportImages(dir: string, result: Pick<ExecuteResult, "files" | "outputs">, io: { stderr: NodeJS.WritableStream }): void {
  if (!result.outputs.length) return;
  mkdirSync(dir, { recursive: true });
  for (const path of writeImageOutputs(dir, result.outputs, new Set(result.files.map((f) => f.path)))) io.stderr.write(`wasmbox: image output written to ${path}\n`);
}

/** Write produced files under `dir`, refusing any path that would land outside it. */
function writeOutputs(dir: string, result: Execution): void {
  const root = resolve(dir);
  for (const [path, bytes] of result.fileContents) {
    const target = resolve(root, path);
    if (!target.startsWith(root + sep)) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
}
