/**
 * `wasmbox run --server URL`: the real CLI binary (`node packages/cli/bin/wasmbox.js`),
 * spawned the way a user runs it, against a real wasmbox server started in this test process.
 * JavaScript guests only (fast).
 *
 * Needs a build first (`npm run build`).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, type WasmboxServer } from "@wasmbox/server";

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, "../bin/wasmbox.js");

const PROGRAMS: Record<string, string> = {
  "streams.js": 'console.log("to stdout");\nconsole.error("to stderr");\n',
  // Output, a pause long enough to observe, then more output.
  "slow.js": 'console.log("first");\nawait new Promise((r) => setTimeout(r, 1500));\nconsole.log("second");\n',
  "exit5.js": 'console.log("leaving");\nprocess.exit(5);\n',
  "throw.js": 'function explode() {\n  throw new Error("kaboom");\n}\nexplode();\n',
  "spin.js": 'console.log("started");\nfor (;;) {}\n',
  "argv.js": "console.log(JSON.stringify(process.argv.slice(2)), process.env.WHO);\n",
  "upper.js": 'const fs = require("fs");\nprocess.stdout.write(fs.readFileSync(0, "utf8").toUpperCase());\n',
  "files.js": [
    'const fs = require("fs");',
    'const blob = fs.readFileSync("in/blob.bin");',
    'fs.mkdirSync("out/sub dir", { recursive: true });',
    'fs.writeFileSync("out/sub dir/shout.txt", fs.readFileSync("in/notes.txt", "utf8").toUpperCase());',
    'fs.writeFileSync("out/reversed.bin", new Uint8Array(Array.from(blob).reverse()));',
    'console.log("wrote", blob.length);',
    "",
  ].join("\n"),
  "value.js": 'console.log("computing");\n6 * 7;\n',
};

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));



interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ms from spawn to each stdout chunk, and to exit. */
  stdoutAt: Array<{ ms: number; text: string }>;
  stdoutBytes: Buffer;
  ms: number;
}

let work: string;
let dataDir: string;
let server: WasmboxServer;
let url: string;

function wasmbox(
  args: string[],
  options: { input?: string; env?: Record<string, string | undefined>; onStdout?: (child: ReturnType<typeof spawn>, soFar: string) => void } = {},
): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...options.env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env, stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let stdout = "";
    let stderr = "";
    const stdoutAt: CliRun["stdoutAt"] = [];
    child.stdout.on("data", (d: Buffer) => {
      chunks.push(d);
      stdout = Buffer.concat(chunks).toString("utf8");
      stdoutAt.push({ ms: performance.now() - started, text: d.toString("utf8") });
      options.onStdout?.(child, stdout);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stdoutBytes: Buffer.concat(chunks), stderr, stdoutAt, ms: performance.now() - started });
    });
  });
}

/** `wasmbox run <program> --server URL ...rest` */
const remote = (program: string, ...rest: string[]) => wasmbox(["run", program, "--server", url, ...rest]);

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

beforeAll(async () => {
  if (!existsSync(join(HERE, "../dist/index.js"))) throw new Error("packages/cli is not built: run `npm run build` first");
  work = mkdtempSync(join(tmpdir(), "wasmbox-remote-test-"));
  for (const [name, code] of Object.entries(PROGRAMS)) writeFileSync(join(work, name), code);
  writeFileSync(join(work, "notes.txt"), "héllo from the host\n");
  writeFileSync(join(work, "blob.bin"), ALL_BYTES);
  dataDir = mkdtempSync(join(tmpdir(), "wasmbox-remote-data-"));
  server = await buildServer({ dataDir, port: 0, logLevel: "silent", poolPython: 0, poolJs: 1 });
  url = await server.listen();
});

afterAll(async () => {
  await server?.close();
  for (const dir of [work, dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("wasmbox run --server: streaming", () => {
  it("streams stdout and stderr to the terminal as they are written", async () => {
    const r = await remote("streams.js");
    expect(r.stdout).toBe("to stdout\n");
    expect(r.stderr).toBe("to stderr\n");
    expect(r.code).toBe(0);
  });

  it("shows output before the run ends (not all at once at the end)", async () => {
    const r = await remote("slow.js");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("first\nsecond\n");
    const first = r.stdoutAt.find((c) => c.text.includes("first"))!;
    const second = r.stdoutAt.find((c) => c.text.includes("second"))!;
    expect(first.text).not.toContain("second");
    expect(second.ms - first.ms).toBeGreaterThan(1000);
  });

  it("sends the same request as a local run: args, env, program and stdin from stdin/files", async () => {
    const argv = await remote("argv.js", "--env", "WHO=there", "--", "a b", "--flag");
    expect(argv.stdout).toBe('["a b","--flag"] there\n');
    expect(argv.code).toBe(0);
    const upper = await wasmbox(["run", "-", "--language", "javascript", "--server", url, "--stdin", "notes.txt"], { input: PROGRAMS["upper.js"] });
    expect(upper.stdout).toBe("HÉLLO FROM THE HOST\n");
    expect(upper.code).toBe(0);
    // Stored in the server's history like any API run.
    const [latest] = server.runs.list({ keyId: null, limit: 1 });
    expect(latest).toMatchObject({ mode: "async", status: "ok", language: "javascript" });
  });
});

describe("wasmbox run --server: output is bytes", () => {
  it("streams binary stdout unchanged, and --json carries it as stdoutBase64", async () => {
    writeFileSync(join(work, "bytes.wat"), readFileSync(join(HERE, "fixtures", "bytes.wat")));
      const streamed = await remote("bytes.wat");
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(streamed.stdoutBytes.equals(ALL_BYTES)).toBe(true);
    expect(streamed.stderr).toBe("bytes written\n");
    const json = await remote("bytes.wat", "--json");
    const result = JSON.parse(json.stdout) as Record<string, string>;
    expect(Buffer.from(result.stdoutBase64!, "base64").equals(ALL_BYTES)).toBe(true);
    expect(result.stderr).toBe("bytes written\n");
  });
});

describe("wasmbox run --server: exit codes", () => {
  it("ok exits 0", async () => {
    expect((await remote("value.js")).code).toBe(0);
  });

  it("an uncaught error exits 1 with the traceback on stderr", async () => {
    const r = await remote("throw.js");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("kaboom");
    expect(r.stderr).toMatch(/throw\.js:2/);
  });

  it("the guest's own exit code comes through", async () => {
    const r = await remote("exit5.js");
    expect(r.stdout).toBe("leaving\n");
    expect(r.code).toBe(5);
  });

  it("a timeout (--timeout-ms) exits 124 with a wasmbox: timeout line", async () => {
    const r = await remote("spin.js", "--timeout-ms", "500");
    expect(r.stdout).toBe("started\n");
    expect(r.stderr).toMatch(/^wasmbox: timeout: .*timeoutMs/m);
    expect(r.code).toBe(124);
  });

  it("Ctrl-C cancels the run on the server and exits 130", async () => {
    const r = await wasmbox(["run", "spin.js", "--server", url, "--timeout-ms", "20000"], {
      onStdout: (child, soFar) => {
        if (soFar.includes("started")) child.kill("SIGINT");
      },
    });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/^wasmbox: killed/m);
    expect(r.ms).toBeLessThan(10_000);
    const [latest] = server.runs.list({ keyId: null, limit: 1 });
    expect(latest?.status).toBe("killed");
  });
});

describe("wasmbox run --server: --json and --out-dir", () => {
  it("--json prints exactly one result JSON with the run id", async () => {
    const r = await remote("value.js", "--json");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const text = r.stdout.trim();
    expect(text.includes("\n")).toBe(false);
    const result = JSON.parse(text) as Record<string, unknown>;
    expect(result).toMatchObject({ status: "ok", stdout: "computing\n", value: 42, exitCode: 0, error: null, files: [] });
    expect(result.id).toMatch(/^run_/);
    expect(server.runs.get(result.id as string, null)?.mode).toBe("sync");
  });

  it("--json keeps the exit code of the result", async () => {
    const r = await remote("exit5.js", "--json");
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "error", exitCode: 5, stdout: "leaving\n" });
  });

  it("--out-dir downloads the files the run produced, byte for byte", async () => {
    const out = join(work, "out-stream");
    const r = await remote("files.js", "--file", "in/notes.txt=notes.txt", "--file", "in/blob.bin=blob.bin", "--out-dir", out);
    expect(r.stdout).toBe("wrote 256\n");
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, "out/sub dir/shout.txt"), "utf8")).toBe("HÉLLO FROM THE HOST\n");
    expect(Buffer.compare(readFileSync(join(out, "out/reversed.bin")), Buffer.from(ALL_BYTES).reverse())).toBe(0);
  });

  it("--out-dir works with --json too", async () => {
    const out = join(work, "out-json");
    const r = await remote("files.js", "--file", "in/notes.txt=notes.txt", "--file", "in/blob.bin=blob.bin", "--out-dir", out, "--json");
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { files: Array<{ path: string }> };
    expect(result.files.map((f) => f.path).sort()).toEqual(["out/reversed.bin", "out/sub dir/shout.txt"]);
    expect(readFileSync(join(out, "out/sub dir/shout.txt"), "utf8")).toBe("HÉLLO FROM THE HOST\n");
  });
});

describe("wasmbox run --server: server errors", () => {
  it("an unreachable server exits 3 naming the URL", async () => {
    const port = await closedPort();
    const r = await wasmbox(["run", "value.js", "--server", `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^wasmbox: NETWORK_ERROR: .*127\\.0\\.0\\.1:${port}`, "m"));
    expect(r.stdout).toBe("");
  });

  it("a request the server rejects exits 2 with its code and message", async () => {
    const r = await remote("value.js", "--env", "1BAD=x");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wasmbox: INVALID_REQUEST: .*env/m);
    const json = await remote("value.js", "--env", "1BAD=x", "--json");
    expect(json.code).toBe(2);
    expect(json.stdout).toBe("");
  });

  it("a --server that is not an http(s) URL is a usage error (exit 2)", async () => {
    const r = await wasmbox(["run", "value.js", "--server", "ftp://example.com"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--server/);
  });

  it("--api-key without --server is a usage error", async () => {
    const r = await wasmbox(["run", "value.js", "--api-key", "k"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--api-key/);
  });
});

describe("wasmbox run --server: API keys", () => {
  let keyed: WasmboxServer;
  let keyedUrl: string;
  let keyedDir: string;
  let key: string;

  beforeAll(async () => {
    keyedDir = mkdtempSync(join(tmpdir(), "wasmbox-remote-keys-"));
    keyed = await buildServer({ dataDir: keyedDir, port: 0, logLevel: "silent", poolPython: 0, poolJs: 0 });
    key = keyed.keys.create("a").key;
    keyedUrl = await keyed.listen();
  });

  afterAll(async () => {
    await keyed?.close();
    if (keyedDir) rmSync(keyedDir, { recursive: true, force: true });
  });

  it("without a key: 401 UNAUTHORIZED, exit 2", async () => {
    const r = await wasmbox(["run", "value.js", "--server", keyedUrl], { env: { WASMBOX_API_KEY: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wasmbox: UNAUTHORIZED: /m);
  });

  it("--api-key, or WASMBOX_API_KEY, authenticates", async () => {
    const flag = await wasmbox(["run", "value.js", "--server", keyedUrl, "--api-key", key], { env: { WASMBOX_API_KEY: undefined } });
    expect(flag.stdout).toBe("computing\n");
    expect(flag.code).toBe(0);
    const env = await wasmbox(["run", "value.js", "--server", keyedUrl, "--json"], { env: { WASMBOX_API_KEY: key } });
    expect(env.code).toBe(0);
    expect(JSON.parse(env.stdout)).toMatchObject({ status: "ok", value: 42 });
  });
});
