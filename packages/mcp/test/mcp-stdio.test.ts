/**
 * `wasmbox mcp` over stdio, driven by the official MCP SDK client the way an agent drives it:
 * spawned as a process, tools listed and called, sessions, files as resources, progress,
 * cancellation, bad arguments, and a client that vanishes mid-run.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { call, connectStdio, INITIALIZE, PNG_1X1, spawnRaw, textOf, waitUntil, type StdioClient } from "./helpers.js";

let mcp: StdioClient;

beforeAll(async () => {
  mcp = await connectStdio();
});
afterAll(async () => {
  await mcp?.close();
});

describe("wasmbox mcp (stdio)", () => {
  it("lists its tools, with input schemas from the contract an LLM can act on", async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["close_session", "list_runtimes", "open_session", "read_file", "run_code", "run_in_session", "write_file"]);
    const run = tools.find((t) => t.name === "run_code")!;
    const props = run.inputSchema.properties as Record<string, { enum?: string[]; description?: string; properties?: Record<string, { description?: string; maximum?: number }> }>;
    expect(run.inputSchema.required).toEqual(["language", "code"]);
    expect(props.language!.enum).toEqual(expect.arrayContaining(["python", "javascript", "typescript", "c", "cpp"]));
    expect(props.language!.description).toMatch(/python \(.*Pyodide/);
    expect(props.files!.description).toMatch(/working directory/);
    const timeout = props.limits!.properties!.timeoutMs!;
    expect(timeout.maximum).toBe(900_000);
    expect(timeout.description).toMatch(/default 10000/);
    const session = tools.find((t) => t.name === "open_session")!;
    expect((session.inputSchema.properties as Record<string, { enum?: string[] }>).language!.enum).toEqual(["python", "javascript", "typescript"]);
  });

  it("runs Python, JavaScript and C", async () => {
    const py = await call(mcp.client, "run_code", { language: "python", code: "import sys\nprint(sum(range(10)), sys.version_info[0])" });
    expect(py.isError).toBe(false);
    expect(textOf(py)).toMatch(/status: ok/);
    expect(textOf(py)).toContain("45 3");
    const js = await call(mcp.client, "run_code", { language: "javascript", code: "console.log([1, 2, 3].map((x) => x * 2).join(','))" });
    expect(textOf(js)).toContain("2,4,6");
    const c = await call(mcp.client, "run_code", { language: "c", code: '#include <stdio.h>\nint main(void) { printf("%d\\n", 6 * 7); return 0; }' });
    expect(c.isError, textOf(c)).toBe(false);
    expect(textOf(c)).toMatch(/clang/);
    expect(textOf(c)).toContain("42");
  });

  it("answers two calls at once on one connection", async () => {
    const [a, b] = await Promise.all([
      call(mcp.client, "run_code", { language: "python", code: "import time; time.sleep(0.3); print('python done')" }),
      call(mcp.client, "run_code", { language: "javascript", code: "console.log('js done')" }),
    ]);
    expect(textOf(a)).toContain("python done");
    expect(textOf(b)).toContain("js done");
  });

  it("gives a guest error as isError with the traceback cut to the user's frames", async () => {
    const r = await call(mcp.client, "run_code", { language: "python", code: "def mean(xs):\n    return sum(xs) / len(xs)\n\nprint(mean([]))\n" });
    expect(r.isError).toBe(true);
    const text = textOf(r);
    expect(text).toMatch(/status: error/);
    expect(text).toContain("ZeroDivisionError: division by zero");
    expect(text).toMatch(/File "main\.py", line 2, in mean/);
    // Only the user's frames: nothing of Pyodide or wasmbox's driver.
    expect(text).not.toMatch(/_pyodide|pyodide\/|wasmbox|<exec>/);
    const js = await call(mcp.client, "run_code", { language: "javascript", code: "const o = null;\no.x = 1;\n" });
    expect(js.isError).toBe(true);
    expect(textOf(js)).toMatch(/TypeError/);
    expect(textOf(js)).toMatch(/line 2/);
  });

  it("ends a run at its timeout, naming timeoutMs", async () => {
    const r = await call(mcp.client, "run_code", { language: "python", code: "while True:\n    pass\n", limits: { timeoutMs: 700 } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/status: timeout/);
    expect(textOf(r)).toMatch(/timeoutMs/);
  });

  it("cuts long output with a note of how much was dropped, and names maxOutputBytes at the output limit", async () => {
    const long = await call(mcp.client, "run_code", { language: "python", code: "for i in range(20000):\n    print(f'line {i:05d}')\nprint('the end')" });
    const text = textOf(long);
    expect(long.isError).toBe(false);
    expect(text).toContain("line 00000");
    expect(text).toContain("the end");
    expect(text).toMatch(/\[… \d+ bytes \(\d+ lines\) of stdout dropped here/);
    expect(text.length).toBeLessThan(30_000);
    const capped = await call(mcp.client, "run_code", { language: "javascript", code: "for (;;) console.log('x'.repeat(100))", limits: { maxOutputBytes: 2000 } });
    expect(capped.isError).toBe(true);
    expect(textOf(capped)).toMatch(/status: output_limit/);
    expect(textOf(capped)).toMatch(/maxOutputBytes/);
  });

  it("places files in the working directory and returns produced files as resource links, readable as resources", async () => {
    const r = await call(mcp.client, "run_code", {
      language: "python",
      code: [
        "import base64, os",
        "rows = open('data/trips.csv').read().splitlines()[1:]",
        "os.makedirs('out', exist_ok=True)",
        "open('out/total.txt', 'w').write(str(sum(float(r.split(',')[1]) for r in rows)))",
        `open('out/dot.png', 'wb').write(base64.b64decode('${PNG_1X1.toString("base64")}'))`,
        "print(len(rows), 'rows')",
      ].join("\n"),
      files: { "data/trips.csv": "id,km\n1,4.5\n2,3.5\n" },
    });
    expect(r.isError, textOf(r)).toBe(false);
    expect(textOf(r)).toContain("2 rows");
    const links = r.content.filter((c) => c.type === "resource_link") as Extract<CallToolResult["content"][number], { type: "resource_link" }>[];
    expect(links.map((l) => [l.name, l.mimeType])).toEqual([
      ["out/dot.png", "image/png"],
      ["out/total.txt", "text/plain"],
    ]);
    const total = await mcp.client.readResource({ uri: links[1]!.uri });
    expect(total.contents[0]).toMatchObject({ text: "8.0", mimeType: "text/plain" });
    const png = await mcp.client.readResource({ uri: links[0]!.uri });
    expect(Buffer.from((png.contents[0] as { blob: string }).blob, "base64").equals(PNG_1X1)).toBe(true);
    await expect(mcp.client.readResource({ uri: "wasmbox://runs/run_nope/files/out/total.txt" })).rejects.toThrow(/no such file/);
  });

  it("keeps state over calls in a session, with files written and read back", async () => {
    const opened = await call(mcp.client, "open_session", { language: "python" });
    const id = (opened.structuredContent as { session_id: string }).session_id;
    expect(id).toMatch(/^ses_/);
    expect((await call(mcp.client, "run_in_session", { session_id: id, code: "import json\ntotal = 41" })).isError).toBe(false);
    expect(textOf(await call(mcp.client, "run_in_session", { session_id: id, code: "total += 1\nprint(json.dumps({'total': total}))" }))).toContain('{"total": 42}');
    const wrote = await call(mcp.client, "write_file", { session_id: id, path: "in/notes.txt", content: "alpha\nbeta\n" });
    expect(wrote.isError, textOf(wrote)).toBeFalsy();
    expect(textOf(await call(mcp.client, "run_in_session", { session_id: id, code: "open('out.txt','w').write(open('in/notes.txt').read().upper())" }))).toMatch(/status: ok/);
    expect(textOf(await call(mcp.client, "read_file", { session_id: id, path: "out.txt" }))).toBe("ALPHA\nBETA\n");
    const missing = await call(mcp.client, "read_file", { session_id: id, path: "nope.txt" });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/no file "nope.txt"/);
    expect((await call(mcp.client, "close_session", { session_id: id })).isError).toBeFalsy();
    const after = await call(mcp.client, "run_in_session", { session_id: id, code: "total" });
    expect(after.isError).toBe(true);
    expect(textOf(after)).toMatch(/NOT_FOUND|SESSION_CLOSED/);

    const js = (await call(mcp.client, "open_session", { language: "javascript" })).structuredContent as { session_id: string };
    await call(mcp.client, "run_in_session", { session_id: js.session_id, code: "globalThis.n = 20; require('fs').writeFileSync('n.txt', String(n))" });
    expect(textOf(await call(mcp.client, "run_in_session", { session_id: js.session_id, code: "console.log(n + 22)" }))).toContain("42");
    expect(textOf(await call(mcp.client, "read_file", { session_id: js.session_id, path: "n.txt" }))).toBe("20");
    await call(mcp.client, "close_session", { session_id: js.session_id });
  });

  it("refuses bad arguments with a clear tool error, and keeps serving", async () => {
    const lang = await call(mcp.client, "run_code", { language: "cobol", code: "DISPLAY 'HI'" });
    expect(lang.isError).toBe(true);
    expect(textOf(lang)).toMatch(/unknown language "cobol": expected one of python, javascript/);
    const limit = await call(mcp.client, "run_code", { language: "python", code: "1", limits: { timeoutMs: 0 } });
    expect(limit.isError).toBe(true);
    expect(textOf(limit)).toMatch(/timeoutMs must be at least 1/);
    const unknown = await call(mcp.client, "run_code", { language: "python", code: "1", colour: "red" });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toMatch(/colour/);
    const path = await call(mcp.client, "write_file", { session_id: "ses_x", path: "../etc/passwd", content: "x" });
    expect(path.isError).toBe(true);
    expect(textOf(path)).toMatch(/must not contain '\.\.'/);
    const cross = await call(mcp.client, "run_code", { language: "javascript", code: "1", packages: ["numpy"] });
    expect(cross.isError).toBe(true);
    expect(textOf(cross)).toMatch(/packages apply to python, not javascript/);
    const noSession = await call(mcp.client, "run_in_session", { session_id: "ses_missing", code: "1" });
    expect(textOf(noSession)).toMatch(/NOT_FOUND: no session "ses_missing"/);
    expect(textOf(await call(mcp.client, "run_code", { language: "python", code: "print('still here')" }))).toContain("still here");
  });

  it("sends progress while a run streams output", async () => {
    const seen: { progress: number; message?: string }[] = [];
    const r = await call(
      mcp.client,
      "run_code",
      { language: "python", code: "import time\nfor i in range(5):\n    print(f'step {i}', flush=True)\n    time.sleep(0.25)\n" },
      { onprogress: (p) => void seen.push(p) },
    );
    expect(textOf(r)).toContain("step 4");
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.map((p) => p.progress)).toEqual([...seen.map((p) => p.progress)].sort((a, b) => a - b));
    expect(seen.some((p) => /step \d/.test(p.message ?? ""))).toBe(true);
  });

  it("cancels the run when the client cancels the call", async () => {
    const opened = await call(mcp.client, "open_session", { language: "python" });
    const id = (opened.structuredContent as { session_id: string }).session_id;
    const abort = new AbortController();
    const started = Date.now();
    const pending = call(
      mcp.client,
      "run_in_session",
      { session_id: id, code: "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.1)\n", limits: { timeoutMs: 60_000 } },
      { signal: abort.signal, onprogress: () => abort.abort() },
    );
    await expect(pending).rejects.toThrow(/abort/i);
    // The run was stopped, not left to its 60 s limit: the session's sandbox is gone, so the
    // session has ended (a busy session would answer SESSION_BUSY until the run ends).
    let text = "";
    for (let i = 0; i < 100; i++) {
      text = textOf(await call(mcp.client, "run_in_session", { session_id: id, code: "print(1)" }));
      if (!/SESSION_BUSY/.test(text)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(text).toMatch(/SESSION_CLOSED: the session .* has ended/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("lists runtimes", async () => {
    const text = textOf(await call(mcp.client, "list_runtimes", {}));
    expect(text).toMatch(/^python: .*Pyodide.*; sessions$/m);
    expect(text).toMatch(/^c: .*clang/m);
  });

  it("exits cleanly when its client disappears mid-run", async () => {
    const raw = spawnRaw();
    raw.send(INITIALIZE);
    raw.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    raw.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "run_code", arguments: { language: "python", code: "import time\ntime.sleep(30)", limits: { timeoutMs: 60_000 } } } });
    await waitUntil("the initialize answer", () => raw.lines.length >= 1);
    await new Promise((r) => setTimeout(r, 1500)); // the run is under way
    const exited = new Promise<number | null>((resolve) => raw.child.once("exit", (code) => resolve(code)));
    raw.child.stdin.end(); // the agent is gone
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running"), 15_000))]);
    expect(code).toBe(0);
    expect(raw.lines.every((l) => JSON.parse(l).jsonrpc === "2.0")).toBe(true);
  });

  it("answers with no network at all (under unshare -n)", async () => {
    try {
      execFileSync("unshare", ["-n", "true"], { stdio: "ignore" });
    } catch {
      throw new Error("unshare -n is not available here: this test needs a network namespace to prove the server is offline");
    }
    const offline = await connectStdio(["unshare", "-n"]);
    try {
      const r = await call(offline.client, "run_code", { language: "python", code: "print(1 + 1)" });
      expect(textOf(r), offline.stderr()).toContain("2");
      const js = await call(offline.client, "run_code", { language: "javascript", code: "console.log(6 * 7)" });
      expect(textOf(js)).toContain("42");
    } finally {
      await offline.close();
    }
  });
});
