/**
 * End-to-end tests of the `wasmbox` command line: every test spawns the real binary
 * (`node packages/cli/bin/wasmbox.js ...`) in a temporary working directory, the way a
 * user would, and asserts stdout, stderr and the exit code.
 *
 * Needs a build first (`npm run build`). Python runs cost ~2.5 s each (a fresh Pyodide
 * sandbox per run), so Python is used where the language matters and JavaScript elsewhere.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, "../bin/wasmbox.js");
const REPO_ROOT = resolve(HERE, "../../..");
const FIXTURES = join(HERE, "fixtures");

/** JavaScript/TypeScript programs, written next to the Python fixtures in the temp dir. */
const PROGRAMS: Record<string, string> = {
  "streams.js": 'console.log("to stdout");\nconsole.error("to stderr");\n',
  "value.js": 'console.log("computing");\n6 * 7;\n',
  "exit5.js": 'console.log("leaving");\nprocess.exit(5);\n',
  "throw.js": 'function explode() {\n  throw new Error("kaboom");\n}\nexplode();\n',
  "syntax.js": "let x = ;\n",
  "spin.js": 'console.log("started");\nfor (;;) {}\n',
  "flood.js": 'for (;;) console.log("x".repeat(99));\n',
  "argv.js": "console.log(JSON.stringify(process.argv.slice(2)));\n",
  "env.js": "console.log(JSON.stringify({ A: process.env.A, B: process.env.B, MISSING: process.env.MISSING ?? null }));\n",
  "upper.js": 'const fs = require("fs");\nprocess.stdout.write(fs.readFileSync(0, "utf8").toUpperCase());\n',
  "files.js": [
    'const fs = require("fs");',
    'const text = fs.readFileSync("in/notes.txt", "utf8");',
    'const blob = fs.readFileSync("in/blob.bin");',
    'fs.mkdirSync("out", { recursive: true });',
    'fs.writeFileSync("out/shout.txt", text.toUpperCase());',
    'fs.writeFileSync("out/reversed.bin", new Uint8Array(Array.from(blob).reverse()));',
    'console.log("ok", blob.length);',
    "",
  ].join("\n"),
  "typed.ts": "interface Point { x: number; y: number }\nconst p: Point = { x: 40, y: 2 };\nconsole.log(p.x + p.y);\n",
  "module.mjs": 'const parts = [];\nparts.push("mjs", "runs");\nconsole.log(parts.join(" "));\n',
  // A .py name holding JavaScript: only --language javascript makes it run.
  "really-js.py": 'console.log("javascript, despite the name");\n',
  "program.txt": 'console.log("from a .txt");\n',
  "script.rb": 'puts "ruby"\n',
};

/** Every byte value once: not valid UTF-8, so the CLI must send it as base64. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));


interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  ms: number;
}

interface RunOptions {
  cwd?: string;
  /** Written to the CLI's stdin, which is then closed (it is closed at once without it). */
  input?: string;
  /** Kill the CLI if it hangs (a hang is a failure in itself). */
  killAfterMs?: number;
  /** Called on each stdout chunk with the child and everything read so far. */
  onStdout?: (child: ReturnType<typeof spawn>, soFar: string) => void;
}

let work: string;

function spawnCli(command: string, args: string[], options: RunOptions = {}): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? work,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => {
      out.push(d);
      options.onStdout?.(child, Buffer.concat(out).toString("utf8"));
    });
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.stdin.on("error", () => {}); // the CLI may exit before reading its stdin
    child.stdin.end(options.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs ?? 50_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({
        code,
        signal,
        stdout: stdoutBytes.toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        stdoutBytes,
        ms: performance.now() - started,
      });
    });
  });
}

/** `node bin/wasmbox.js ...args` in the temp working directory. */
function wasmbox(args: string[], options: RunOptions = {}): Promise<CliRun> {
  return spawnCli(process.execPath, [BIN, ...args], options);
}

/** The single JSON document a `--json` run must print, and nothing else on stdout. */
function onlyJson(run: CliRun): Record<string, unknown> {
  const text = run.stdout.trim();
  expect(text, `stdout was:\n${run.stdout}`).not.toBe("");
  expect(text.includes("\n"), `expected one JSON document, stdout was:\n${run.stdout}`).toBe(false);
  return JSON.parse(text) as Record<string, unknown>;
}

const RESULT_FIELDS = ["status", "stdout", "stderr", "output", "error", "exitCode", "value", "files", "timings"];

const sha256 = (bytes: Buffer | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

beforeAll(() => {
  if (!existsSync(join(HERE, "../dist/index.js"))) throw new Error("packages/cli is not built: run `npm run build` first");
  work = mkdtempSync(join(tmpdir(), "wasmbox-cli-test-"));
  cpSync(FIXTURES, work, { recursive: true });
  for (const [name, code] of Object.entries(PROGRAMS)) writeFileSync(join(work, name), code);
  writeFileSync(join(work, "notes.txt"), "héllo from the host\n");
  writeFileSync(join(work, "blob.bin"), ALL_BYTES);
  writeFileSync(join(work, "input.txt"), "first line\nsecond line\n");
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("help", () => {
  it("wasmbox --help prints usage listing the commands and exits 0", async () => {
    const r = await wasmbox(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: wasmbox/m);
    expect(r.stdout).toMatch(/^\s+run\b/m);
    expect(r.stdout).toMatch(/^\s+runtimes\b/m);
    expect(r.stdout).toMatch(/^\s+mcp\b.*MCP tools/m);
    expect(r.stderr).toBe("");
  });

  it("wasmbox run --help documents every run flag and exits 0", async () => {
    const r = await wasmbox(["run", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--language", "--timeout-ms", "--memory-mb", "--max-output-bytes", "--file", "--stdin", "--env", "--out-dir", "--json"]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stderr).toBe("");
  });

  it("npx wasmbox --help works from the repo root (node_modules/.bin/wasmbox)", async () => {
    expect(existsSync(join(REPO_ROOT, "node_modules", ".bin", "wasmbox"))).toBe(true);
    const npx = process.platform === "win32" ? "npx.cmd" : "npx";
    const r = await spawnCli(npx, ["--no-install", "wasmbox", "--help"], { cwd: REPO_ROOT });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: wasmbox/m);
    expect(r.stdout).toContain("runtimes");
  });
});

describe("wasmbox runtimes", () => {
  it("lists python, javascript and typescript with their versions", async () => {
    const r = await wasmbox(["runtimes"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^python\s+3\.\d+\.\d+\s+Pyodide \d/m);
    expect(r.stdout).toMatch(/^javascript\s+\S+.*QuickJS/m);
    expect(r.stdout).toMatch(/^typescript\s+\S+.*sucrase/im);
    expect(r.stderr).toBe("");
  });

  it("--json prints the runtimes as JSON", async () => {
    const r = await wasmbox(["runtimes", "--json"]);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout) as { runtimes: { language: string; version: string; runtime: string; extensions: string[] }[] };
    expect(parsed.runtimes.map((x) => x.language)).toEqual(["python", "javascript", "typescript", "c", "cpp", "assemblyscript", "wasm"]);
    for (const rt of parsed.runtimes) {
      expect(rt.version).toMatch(/\S/);
      expect(rt.runtime).toMatch(/\S/);
    }
    expect(parsed.runtimes[0]!.version).toMatch(/^3\.\d+/);
    expect(parsed.runtimes[0]!.extensions).toContain(".py");
    expect(parsed.runtimes[2]!.extensions).toContain(".ts");
    expect(r.stderr).toBe("");
  });
});

describe("wasmbox run: language and program source", () => {
  it("runs hello.py and streams its stdout (Python)", async () => {
    const r = await wasmbox(["run", "hello.py"]);
    expect(r.stdout).toBe("hello from python\n");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("streams the guest's stdout to stdout and its stderr to stderr", async () => {
    const r = await wasmbox(["run", "streams.js"]);
    expect(r.stdout).toBe("to stdout\n");
    expect(r.stderr).toBe("to stderr\n");
    expect(r.code).toBe(0);
  });

  it("runs .ts as TypeScript (types stripped)", async () => {
    const r = await wasmbox(["run", "typed.ts"]);
    expect(r.stdout).toBe("42\n");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("runs .mjs as JavaScript", async () => {
    const r = await wasmbox(["run", "module.mjs"]);
    expect(r.stdout).toBe("mjs runs\n");
    expect(r.code).toBe(0);
  });

  it("--language overrides the file extension", async () => {
    const r = await wasmbox(["run", "really-js.py", "--language", "javascript"]);
    expect(r.stdout).toBe("javascript, despite the name\n");
    expect(r.code).toBe(0);
  });

  it("--language makes a file with an unknown extension runnable", async () => {
    const r = await wasmbox(["run", "program.txt", "-l", "javascript"]);
    expect(r.stdout).toBe("from a .txt\n");
    expect(r.code).toBe(0);
  });

  it("`-` reads the program from stdin (with --language)", async () => {
    const r = await wasmbox(["run", "-", "--language", "javascript"], { input: 'console.log("piped", 20 + 22);\n' });
    expect(r.stdout).toBe("piped 42\n");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("wasmbox run: exit codes", () => {
  it("sys.exit(3) exits 3 (Python)", async () => {
    const r = await wasmbox(["run", "exit3.py"]);
    expect(r.stdout).toBe("before exit\n");
    expect(r.stderr).not.toMatch(/^wasmbox:/m);
    expect(r.code).toBe(3);
  });

  it("an uncaught Python exception exits 1 with the traceback on stderr", async () => {
    const r = await wasmbox(["run", "raise.py"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Traceback (most recent call last)");
    expect(r.stderr).toContain('raise.py", line 2');
    expect(r.stderr).toContain("ValueError: boom");
    expect(r.stdout).toBe("");
  });

  it("process.exit(5) exits 5 (JavaScript)", async () => {
    const r = await wasmbox(["run", "exit5.js"]);
    expect(r.stdout).toBe("leaving\n");
    expect(r.code).toBe(5);
  });

  it("an uncaught JavaScript error exits 1 with the error on stderr", async () => {
    const r = await wasmbox(["run", "throw.js"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error: kaboom");
    expect(r.stdout).toBe("");
  });

  it("a compile (syntax) error exits 1", async () => {
    const r = await wasmbox(["run", "syntax.js"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SyntaxError");
    expect(r.stdout).toBe("");
  });

  it("--timeout-ms 1000 stops `while True: pass` with exit 124 and a wasmbox: timeout line (Python)", async () => {
    const r = await wasmbox(["run", "spin.py", "--timeout-ms", "1000"]);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/^wasmbox: timeout: \S.*$/m);
    expect(r.stdout).toBe("");
    expect(r.ms).toBeLessThan(30_000);
  });

  it("--memory-mb 64 stops a growing list of bytearrays with exit 137 and a wasmbox: memory_limit line (Python)", async () => {
    const r = await wasmbox(["run", "grow.py", "--memory-mb", "64"]);
    expect(r.code).toBe(137);
    // "wasmbox: <status>: <message>" — the message must say what happened, not be empty.
    expect(r.stderr).toMatch(/^wasmbox: memory_limit: \S.*$/m);
    expect(r.stdout).toBe("");
  });

  it("--max-output-bytes caps the streamed output and exits 125 with a wasmbox: output_limit line", async () => {
    const r = await wasmbox(["run", "flood.js", "--max-output-bytes", "1000"]);
    expect(r.code).toBe(125);
    expect(r.stdoutBytes.byteLength).toBeGreaterThan(0);
    expect(r.stdoutBytes.byteLength).toBeLessThanOrEqual(1000);
    expect(r.stderr).toMatch(/^wasmbox: output_limit: \S.*$/m);
  });

  it("Ctrl-C (SIGINT) ends the run with exit 130 and a wasmbox: killed line", async () => {
    let sent = false;
    const r = await wasmbox(["run", "spin.js"], {
      onStdout: (child, soFar) => {
        if (!sent && soFar.includes("started")) {
          sent = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.stdout).toBe("started\n");
    expect(r.stderr).toMatch(/^wasmbox: killed: \S.*$/m);
  });
});

describe("wasmbox run --json", () => {
  it("prints exactly one result JSON with every field and nothing else on stdout", async () => {
    const r = await wasmbox(["run", "value.js", "--json"]);
    expect(r.code).toBe(0);
    const result = onlyJson(r);
    for (const field of RESULT_FIELDS) expect(result).toHaveProperty(field);
    expect(result).toMatchObject({ status: "ok", stdout: "computing\n", stderr: "", output: "computing\n", error: null, exitCode: 0, value: 42, files: [] });
    expect(result.timings).toMatchObject({ queuedMs: expect.any(Number), startMs: expect.any(Number), executionTimeMs: expect.any(Number), totalMs: expect.any(Number) });
    expect(r.stdout.endsWith("}\n")).toBe(true);
  });

  it("carries the run's usage, measured by the host; --verbose prints it as a line on stderr", async () => {
    const result = onlyJson(await wasmbox(["run", "value.js", "--json"]));
    const usage = result.usage as { cpuTimeMs: number | null; wallTimeMs: number; peakMemoryBytes: number | null };
    expect(usage.wallTimeMs).toBeGreaterThan(0);
    expect(usage.cpuTimeMs).toEqual(expect.any(Number));
    expect(usage.peakMemoryBytes).toBeGreaterThan(0);
    const verbose = await wasmbox(["run", "value.js", "--verbose"]);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).toBe("computing\n");
    expect(verbose.stderr).toMatch(/^wasmbox: ok · wall \d+ ms · cpu \d+ ms · peak memory \d+\.\d MiB\n$/);
  });

  it("keeps a Python run's output inside the JSON (Python)", async () => {
    const r = await wasmbox(["run", "hello.py", "--json"]);
    expect(r.code).toBe(0);
    const result = onlyJson(r);
    expect(result).toMatchObject({ status: "ok", stdout: "hello from python\n", exitCode: 0, error: null });
  });

  it("reports the guest's exit code in the JSON and as the CLI's exit code", async () => {
    const r = await wasmbox(["run", "exit5.js", "--json"]);
    expect(r.code).toBe(5);
    expect(onlyJson(r)).toMatchObject({ status: "error", exitCode: 5, stdout: "leaving\n" });
  });

  it("reports a timeout in the JSON and exits 124", async () => {
    const r = await wasmbox(["run", "spin.js", "--json", "--timeout-ms", "300"]);
    expect(r.code).toBe(124);
    const result = onlyJson(r);
    expect(result).toMatchObject({ status: "timeout", exitCode: null, stdout: "started\n" });
    expect((result.error as { message: string }).message).toMatch(/timeoutMs/);
  });

  it("reports a compile error as status compile_error and exits 1", async () => {
    const r = await wasmbox(["run", "syntax.js", "--json"]);
    expect(r.code).toBe(1);
    const result = onlyJson(r);
    expect(result.status).toBe("compile_error");
    expect((result.error as { name: string }).name).toBe("SyntaxError");
  });
});

describe("wasmbox run: output is bytes", () => {
  it("streams a program's binary stdout to the terminal unchanged", async () => {
    const r = await wasmbox(["run", "bytes.wat"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdoutBytes.equals(ALL_BYTES)).toBe(true);
    expect(r.stderr).toBe("bytes written\n");
  });

  it("--json carries the exact bytes as stdoutBase64 beside a lossy stdout", async () => {
    const r = await wasmbox(["run", "bytes.wat", "--json"]);
    expect(r.code).toBe(0);
    const result = onlyJson(r);
    expect(Buffer.from(result.stdoutBase64 as string, "base64").equals(ALL_BYTES)).toBe(true);
    expect(result.stdout).toContain("\ufffd");
    expect(result.stderr).toBe("bytes written\n");
    expect(result).not.toHaveProperty("stderrBase64");
    expect(Buffer.from(result.outputBase64 as string, "base64").equals(Buffer.concat([ALL_BYTES, Buffer.from("bytes written\n")]))).toBe(true);
  });
});

describe("wasmbox run: files, stdin, env and arguments", () => {
  it("--file places host files at guest paths; a binary file arrives byte-exact (Python)", async () => {
    const r = await wasmbox(["run", "read_files.py", "--file", "data/notes.txt=notes.txt", "--file", `data/blob.bin=${join(work, "blob.bin")}`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ text: "héllo from the host\n", size: 256, sha256: sha256(ALL_BYTES), head: [0, 1, 2, 3] });
  });

  it("--out-dir writes the files the guest produced, byte-exact, matching the JSON's files (Python)", async () => {
    const outDir = join(work, "produced");
    const r = await wasmbox(["run", "write_files.py", "--out-dir", "produced", "--json"]);
    expect(r.code).toBe(0);
    const result = onlyJson(r);
    expect(result.stdout).toBe("wrote 2 files\n");
    const report = Buffer.from("total: 42\nnaïve ✓\n", "utf8");
    expect(readFileSync(join(outDir, "out", "report.txt")).equals(report)).toBe(true);
    expect(readFileSync(join(outDir, "all-bytes.bin")).equals(ALL_BYTES)).toBe(true);
    expect(result.files).toEqual([
      { path: "all-bytes.bin", size: 256, sha256: sha256(ALL_BYTES), mime: "application/octet-stream" },
      { path: "out/report.txt", size: report.byteLength, sha256: sha256(report), mime: "text/plain" },
    ]);
  });

  it("--file and --out-dir work for a JavaScript guest (fs reads the placed files, writes land on disk)", async () => {
    const outDir = join(work, "produced-js");
    const r = await wasmbox(["run", "files.js", "--file", "in/notes.txt=notes.txt", "--file", "in/blob.bin=blob.bin", "--out-dir", outDir]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok 256\n");
    expect(r.code).toBe(0);
    expect(readFileSync(join(outDir, "out", "shout.txt"), "utf8")).toBe("HÉLLO FROM THE HOST\n");
    expect(readFileSync(join(outDir, "out", "reversed.bin")).equals(Buffer.from(ALL_BYTES).reverse())).toBe(true);
  });

  it("--stdin feeds a host file to the guest's stdin", async () => {
    const r = await wasmbox(["run", "upper.js", "--stdin", "input.txt"]);
    expect(r.stdout).toBe("FIRST LINE\nSECOND LINE\n");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("--env sets environment variables (repeatable; the value may contain '=')", async () => {
    const r = await wasmbox(["run", "env.js", "--env", "A=1", "--env", "B=x=y"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ A: "1", B: "x=y", MISSING: null });
  });

  it("arguments after -- reach process.argv.slice(2) untouched, even flag-like ones", async () => {
    const r = await wasmbox(["run", "argv.js", "--", "one", "two words", "--json", "-x"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(["one", "two words", "--json", "-x"]);
  });

  it("arguments after -- reach sys.argv[1:] (Python)", async () => {
    const r = await wasmbox(["run", "argv.py", "--", "alpha", "beta gamma", "--timeout-ms"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(["alpha", "beta gamma", "--timeout-ms"]);
  });
});

describe("wasmbox: bad usage exits 2 with a message on stderr", () => {
  const cases: { name: string; args: string[]; stderr: RegExp }[] = [
    { name: "an unknown flag", args: ["run", "streams.js", "--bogus"], stderr: /unknown option '--bogus'/ },
    { name: "an unknown command", args: ["frobnicate"], stderr: /unknown command 'frobnicate'/ },
    { name: "a missing program argument", args: ["run"], stderr: /missing required argument 'path'/ },
    { name: "--timeout-ms abc", args: ["run", "streams.js", "--timeout-ms", "abc"], stderr: /--timeout-ms must be a whole number.*"abc"/ },
    { name: "--timeout-ms 0", args: ["run", "streams.js", "--timeout-ms", "0"], stderr: /--timeout-ms must be between 1 and \d+, got 0/ },
    { name: "--timeout-ms 1.5", args: ["run", "streams.js", "--timeout-ms", "1.5"], stderr: /--timeout-ms must be a whole number/ },
    { name: "--timeout-ms without a value", args: ["run", "streams.js", "--timeout-ms"], stderr: /--timeout-ms.*argument missing/ },
    { name: "--memory-mb 1", args: ["run", "streams.js", "--memory-mb", "1"], stderr: /--memory-mb must be between 16 and \d+, got 1/ },
    { name: "--max-output-bytes 0", args: ["run", "streams.js", "--max-output-bytes", "0"], stderr: /--max-output-bytes must be between 1/ },
    { name: "an unknown --language", args: ["run", "streams.js", "--language", "cobol"], stderr: /cobol.*python, javascript, typescript/ },
    { name: "an unknown extension without --language", args: ["run", "script.rb"], stderr: /script\.rb.*--language/ },
    { name: "`-` without --language", args: ["run", "-"], stderr: /--language is required/ },
    { name: "a missing program file", args: ["run", "missing.js"], stderr: /missing\.js.*ENOENT/ },
    { name: "--file nonsense", args: ["run", "streams.js", "--file", "nonsense"], stderr: /--file expects GUEST_PATH=HOST_PATH, got "nonsense"/ },
    { name: "--file with a missing host file", args: ["run", "streams.js", "--file", "x.bin=nope.bin"], stderr: /nope\.bin.*ENOENT/ },
    { name: "--file with an absolute guest path", args: ["run", "streams.js", "--file", "/etc/x=notes.txt"], stderr: /\/etc\/x.*must be relative/ },
    { name: "--stdin with a missing host file", args: ["run", "streams.js", "--stdin", "nope.txt"], stderr: /--stdin.*nope\.txt.*ENOENT/ },
    { name: "--env =x", args: ["run", "streams.js", "--env", "=x"], stderr: /--env expects NAME=VALUE, got "=x"/ },
    { name: "--env with an invalid name", args: ["run", "streams.js", "--env", "1X=y"], stderr: /1X.*env names must match/ },
  ];

  it.each(cases)("$name", async ({ args, stderr }) => {
    const r = await wasmbox(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(""); // the program never ran
    expect(r.stderr).toMatch(stderr);
  });
});
