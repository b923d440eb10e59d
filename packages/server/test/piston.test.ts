/**
 * The Piston v2 drop-in, driven by a real third-party client (`piston-client` from npm,
 * unchanged) against a real server on a real port: runtimes, Python/JS/C/C++ with stdin and
 * args, a compile error, a timeout; then bad input answered in Piston's shape (`{ message }`,
 * 400) with the server still serving, history that says the run came through Piston, and
 * the Bearer key once the server has keys.
 */
import { request } from "node:http";
import piston from "piston-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, listAllRuns, removeDataDirs, show, startServer, type Api, type TestServer } from "./helpers.js";

let t: TestServer;
let client: Api;
let p: ReturnType<typeof piston>;

beforeAll(async () => {
  t = await startServer({ poolPython: 1, poolJs: 1 });
  client = api(t.url);
  p = piston({ server: t.url });
});

afterAll(async () => {
  await t?.stop();
  removeDataDirs();
});

interface Stage {
  stdout: string;
  stderr: string;
  output: string;
  code: number | null;
  signal: string | null;
  message: string | null;
  status: string | null;
  cpu_time: number | null;
  wall_time: number | null;
  memory: number | null;
}
interface Answer {
  language: string;
  version: string;
  run: Stage;
  compile?: Stage;
  message?: string;
}

describe("piston-client against wasmbox", () => {
  it("lists the runtimes under Piston's names, with aliases and what really runs them", async () => {
    const runtimes = (await p.runtimes()) as Array<{ language: string; version: string; aliases: string[]; runtime?: string }>;
    const byName = new Map(runtimes.map((r) => [r.language, r]));
    for (const name of ["python", "javascript", "typescript", "c", "c++"]) expect(byName.has(name), name).toBe(true);
    expect(byName.get("python")!.aliases).toEqual(expect.arrayContaining(["py", "python3"]));
    expect(byName.get("javascript")!.aliases).toEqual(expect.arrayContaining(["js", "node-js"]));
    expect(byName.get("c++")!.aliases).toEqual(expect.arrayContaining(["cpp", "g++"]));
    expect(byName.get("c")!.aliases).toContain("gcc");
    expect(byName.get("javascript")!.runtime).toBe("quickjs-ng");
    for (const r of runtimes) expect(r.version, r.language).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("runs Python with stdin and args (piston-client's default args are 1 2 3)", async () => {
    const answer = (await p.execute("python", "import sys\nprint(sys.argv[1:], input().upper())", { stdin: "piston\n" })) as Answer;
    expect(answer.language).toBe("python");
    expect(answer.run.stdout).toBe("['1', '2', '3'] PISTON\n");
    expect(answer.run).toMatchObject({ code: 0, signal: null, status: null, stderr: "" });
    expect(answer.compile).toBeUndefined();
    expect(answer.run.wall_time).toBeGreaterThan(0);
    expect(answer.run.memory).toBeGreaterThan(0);
  });

  it("runs JavaScript with given args, and a non-zero exit is RE", async () => {
    const ok = (await p.execute("js", "console.log(process.argv.slice(2).join('+'))", { args: ["a", "b c"] })) as Answer;
    // piston-client looks the language up by exact name: an alias gets no version, as against Piston.
    expect(ok.message ?? "").toMatch(/version is required/);
    const answer = (await p.execute("javascript", "console.log(process.argv.slice(2).join('+')); process.exit(3)", { args: ["a", "b c"] })) as Answer;
    expect(answer.run.stdout).toBe("a+b c\n");
    expect(answer.run).toMatchObject({ code: 3, status: "RE", signal: null, message: "Exited with error status 3" });
  });

  it("compiles and runs C, reading stdin; compile and run stages both there", async () => {
    const code = '#include <stdio.h>\nint main(int argc, char **argv) { int n; scanf("%d", &n); printf("%d %s\\n", n * 2, argv[1]); return 0; }';
    const answer = (await p.execute("c", code, { stdin: "21", args: ["x"], compileTimeout: 60_000 })) as Answer;
    expect(answer.run.stdout, JSON.stringify(answer)).toBe("42 x\n");
    expect(answer.run.code).toBe(0);
    expect(answer.compile).toMatchObject({ code: 0, status: null });
  });

  it("compiles and runs C++", async () => {
    // Templates and classes, no heavy standard headers: a compile in wasm is slow enough.
    const code = [
      "#include <cstdio>",
      "template <typename T> T twice(T x) { return x + x; }",
      "struct Greeter { const char *name; void greet() const { std::printf(\"hello %s %d\\n\", name, twice(21)); } };",
      "int main() { Greeter{\"c++\"}.greet(); }",
    ].join("\n");
    const answer = (await p.execute("c++", code, { compileTimeout: 60_000 })) as Answer;
    expect(answer.language).toBe("c++");
    expect(answer.run.stdout, JSON.stringify(answer)).toBe("hello c++ 42\n");
    expect(answer.compile?.code).toBe(0);
  });

  it("a compile error is the compile stage, and also run (as Piston answers it)", async () => {
    const answer = (await p.execute("c", "int main(void) { return undefined_name; }", { compileTimeout: 60_000 })) as Answer;
    expect(answer.compile?.stderr).toMatch(/undeclared identifier 'undefined_name'/);
    expect(answer.compile).toMatchObject({ code: 1, status: "RE" });
    expect(answer.run).toEqual(answer.compile);
  });

  it("a run over run_timeout is TO, killed by SIGKILL", async () => {
    const answer = (await p.execute("javascript", "for (;;) {}", { runTimeout: 300 })) as Answer;
    expect(answer.run).toMatchObject({ status: "TO", signal: "SIGKILL", code: null });
    expect(answer.run.message).toMatch(/timeoutMs \(300 ms\)/);
    expect(answer.run.wall_time).toBeGreaterThanOrEqual(300);
  });
});

describe("bad input, in Piston's shape", () => {
  const execute = (body: unknown) => client.post("/api/v2/execute", body);
  const good = { language: "python", version: "*", files: [{ content: "print(1)" }] };
  const cases: Array<[string, unknown, RegExp]> = [
    ["no language", { version: "*", files: [{ content: "x" }] }, /^language is required as a string$/],
    ["no version", { language: "python", files: [{ content: "x" }] }, /^version is required as a string$/],
    ["files not an array", { language: "python", version: "*", files: "print(1)" }, /^files is required as an array$/],
    ["a file without content", { language: "python", version: "*", files: [{ name: "a.py" }] }, /^files\[0\]\.content is required as a string$/],
    ["an unknown language", { ...good, language: "cobol" }, /^cobol-\* runtime is unknown$/],
    ["a version range no runtime satisfies", { ...good, version: "2.x" }, /^python-2\.x runtime is unknown$/],
    ["a version that is no range", { ...good, version: "latest" }, /runtime is unknown/],
    ["only base64 files", { ...good, files: [{ content: "cHJpbnQoMSk=", encoding: "base64" }] }, /at least one utf8 encoded file/],
    ["a limit that is not a number", { ...good, run_timeout: "fast" }, /^If specified, run_timeout must be a number$/],
    ["a limit past wasmbox's bound", { ...good, run_timeout: 10 ** 9 }, /run_timeout cannot exceed the configured limit of 900000/],
    ["a JSON array", [good], /JSON object/],
  ];
  for (const [name, body, message] of cases) {
    it(`${name}: 400 { message }`, async () => {
      const res = await execute(body);
      expect(res.status, show(res)).toBe(400);
      expect(Object.keys(res.body)).toEqual(["message"]);
      expect(res.body.message).toMatch(message);
    });
  }

  it("malformed JSON: 400 { message }, no stack trace", async () => {
    const res = await client.request("POST", "/api/v2/execute", { headers: { "content-type": "application/json" }, body: '{"language": ' });
    expect(res.status, show(res)).toBe(400);
    expect(res.body.message).toMatch(/not valid JSON/);
    expect(res.text).not.toMatch(/\n\s+at |node_modules/);
  });

  it("a form body: 415 { message }", async () => {
    const res = await client.request("POST", "/api/v2/execute", { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "language=python" });
    expect(res.status, show(res)).toBe(415);
    expect(res.body).toEqual({ message: "requests must be of type application/json" });
  });

  it("the server keeps serving, and history says the runs came through Piston", async () => {
    const res = await execute({ ...good, files: [{ name: "hello.py", content: "print('still here')" }] });
    expect(res.status, show(res)).toBe(200);
    expect(res.body.run.stdout).toBe("still here\n");
    const runs = await listAllRuns(client);
    expect(runs.length).toBeGreaterThanOrEqual(6);
    expect(new Set(runs.map((r: { api: string }) => r.api))).toEqual(new Set(["piston"]));
    const wasmbox = await client.post("/v1/execute", { language: "python", code: "print(2)" });
    expect(wasmbox.status, show(wasmbox)).toBe(200);
    expect((await client.get(`/v1/runs?limit=1`)).body.runs[0]).toMatchObject({ id: wasmbox.body.id, api: "wasmbox" });
  });

});

describe("Piston's WebSocket, /api/v2/connect", () => {
  interface Session {
    messages: Array<Record<string, unknown>>;
    code: number;
    reason: string;
  }
  /** Open the socket, send `messages` once open, and collect everything until it closes. */
  function connect(messages: unknown[]): Promise<Session> {
    return new Promise((resolve, reject) => {
      const url = `${t.url.replace(/^http/, "ws")}/api/v2/connect`;
      const ws = new WebSocket(url);
      const got: Array<Record<string, unknown>> = [];
      ws.onopen = () => {
        for (const m of messages) ws.send(JSON.stringify(m));
      };
      ws.onmessage = (e) => got.push(JSON.parse(String(e.data)) as Record<string, unknown>);
      ws.onclose = (e) => resolve({ messages: got, code: e.code, reason: e.reason });
      ws.onerror = () => reject(new Error("the WebSocket failed"));
    });
  }
  const init = (language: string, content: string, extra: Record<string, unknown> = {}) => ({ type: "init", language, version: "*", files: [{ content }], ...extra });

  it("refuses a WebSocket upgrade from another site's page or a rebound Host (cross-site WebSocket hijacking), before any run", async () => {
    /** The answer to a raw upgrade request: 101 when the socket would open, else the refusal's status. */
    const upgrade = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const { hostname, port } = new URL(t.url);
        const req = request({ hostname, port, agent: false, path: "/api/v2/connect", headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers } });
        req.on("upgrade", (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on("response", (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    expect(await upgrade({ origin: "http://evil.example" })).toBe(403);
    expect(await upgrade({ host: "evil.example" })).toBe(403);
    expect(await upgrade({})).toBe(101);
  });

  it("streams an interpreted run: runtime, stage, data as written, exit, then 4999 Job Completed", async () => {
    const s = await connect([init("python", "import sys\nprint('out')\nprint('err', file=sys.stderr)\nprint(input())", { stdin: "given" })]);
    expect(s).toMatchObject({ code: 4999, reason: "Job Completed" });
    expect(s.messages[0]).toEqual({ type: "runtime", language: "python", version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
    expect(s.messages[1]).toEqual({ type: "stage", stage: "run" });
    const text = (stream: string) => s.messages.filter((m) => m.type === "data" && m.stream === stream).map((m) => m.data).join("");
    expect(text("stdout")).toBe("out\ngiven\n");
    expect(text("stderr")).toBe("err\n");
    expect(s.messages.at(-1)).toEqual({ type: "exit", stage: "run", code: 0, signal: null });
  });

  it("a compiled run has a compile stage, then the run's; a compile error ends with the compile stage", async () => {
    const ok = await connect([init("c", '#include <stdio.h>\nint main(void) { puts("compiled"); return 2; }', { compile_timeout: 60_000 })]);
    expect(ok.messages.map((m) => `${m.type}:${m.stage ?? m.stream ?? ""}`)).toEqual(["runtime:", "stage:compile", "exit:compile", "stage:run", "data:stdout", "exit:run"]);
    expect(ok.messages.at(-1)).toEqual({ type: "exit", stage: "run", code: 2, signal: null });
    const bad = await connect([init("c", "int main(void) { return missing; }", { compile_timeout: 60_000 })]);
    expect(bad.code).toBe(4999);
    expect(bad.messages.find((m) => m.type === "data")).toMatchObject({ stream: "stderr", data: expect.stringMatching(/undeclared identifier 'missing'/) });
    expect(bad.messages.at(-1)).toEqual({ type: "exit", stage: "compile", code: 1, signal: null });
  });

  it("a signal stops the run (exit with SIGKILL); Piston's close codes for the protocol's errors", async () => {
    const stopped = await connect([init("javascript", "for (;;) {}"), { type: "signal", signal: "SIGTERM" }]);
    expect(stopped.messages.at(-1)).toEqual({ type: "exit", stage: "run", code: null, signal: "SIGKILL" });
    expect(await connect([])).toMatchObject({ code: 4001, reason: "Initialization Timeout" });
    expect(await connect([{ type: "signal", signal: "SIGKILL" }])).toMatchObject({ code: 4003 });
    const unknown = await connect([init("cobol", "x")]);
    expect(unknown).toMatchObject({ code: 4002, messages: [{ type: "error", message: "cobol-* runtime is unknown" }] });
    expect(await connect([init("javascript", "for (;;) {}"), { type: "signal", signal: "SIGNOPE" }])).toMatchObject({ code: 4005, reason: "Invalid signal" });
    const stdin = await connect([init("javascript", "1"), { type: "data", stream: "stdin", data: "late" }]);
    expect(stdin.code).toBe(4002);
    expect(stdin.messages.at(-1)).toMatchObject({ type: "error", message: expect.stringMatching(/stdin up front/) });
    expect(await connect(["not an object"])).toMatchObject({ code: 4002 });
    // And the server still serves.
    expect((await client.get("/api/v2/runtimes")).status).toBe(200);
  });
});

// Last: it turns the server keyed for the rest of the file.
describe("a server with keys", () => {
  it("once the server has keys, Piston wants the Bearer key too", async () => {
    const good = { language: "python", version: "*", files: [{ content: "print(1)" }] };
    const key = t.server.keys.create("piston-user");
    const without = await client.post("/api/v2/execute", good);
    expect(without.status, show(without)).toBe(401);
    expect(Object.keys(without.body)).toEqual(["message"]);
    expect((await client.get("/api/v2/runtimes")).status).toBe(401);
    const withKey = await client.post("/api/v2/execute", good, { token: key.key });
    expect(withKey.status, show(withKey)).toBe(200);
    expect(withKey.body.run.stdout).toBe("1\n");
  });
});
