/**
 * Python programs see the stack native CPython gives a script (`python3 main.py`): their
 * `<module>` frame is the bottom frame, so no harness frame counts against the recursion
 * limit or shows in `sys._getframe()` walks, `inspect.stack()`, `traceback.print_stack()`
 * or tracebacks. Where the output does not depend on the Python version, the same program
 * runs under the machine's python3 too and the outputs must be equal.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "@wasmbox/node";

const lines = (...l: string[]) => l.join("\n") + "\n";

let engine: Engine;
let scratch: string;

beforeAll(() => {
  engine = createEngine({ pool: { python: 2, quickjs: 0 } });
  scratch = mkdtempSync(join(tmpdir(), "wasmbox-pynative-"));
});

afterAll(async () => {
  await engine?.dispose();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** `python3 main.py` in a folder of its own: stdout, stderr and the exit code. */
function native(code: string): { stdout: string; stderr: string; status: number | null } {
  const dir = mkdtempSync(join(scratch, "run-"));
  writeFileSync(join(dir, "main.py"), code);
  const r = spawnSync("python3", ["main.py"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const wasmbox = (code: string) => engine.execute({ language: "python", code });

/** The same program in wasmbox and under native python3: both succeed and print the same. */
async function expectSameAsNative(code: string, expected?: string): Promise<void> {
  const [r, n] = await Promise.all([wasmbox(code), Promise.resolve(native(code))]);
  expect(n.status, n.stderr).toBe(0);
  expect(r.status, r.stderr).toBe("ok");
  expect(r.stdout).toBe(n.stdout);
  if (expected !== undefined) expect(r.stdout).toBe(expected);
}

describe("Python: the program's frame is the bottom frame, as in python3 main.py", () => {
  it("module level: f_back is None, one frame in inspect.stack(), print_stack shows only the module line", async () => {
    // File names are cut to their base name: native __file__ is absolute, wasmbox's is main.py.
    const code = lines(
      "import inspect, io, os, sys, traceback",
      "print(sys._getframe().f_back is None)",
      "print(len(inspect.stack()))",
      "buf = io.StringIO()",
      "traceback.print_stack(file=buf)",
      "print(buf.getvalue().replace(os.path.dirname(os.path.abspath(__file__)) + os.sep, '').rstrip())",
      "def inner():",
      "    return [(os.path.basename(f.filename), f.lineno, f.name) for f in traceback.extract_stack()]",
      "print(inner())",
      "print(__name__, os.path.basename(__file__), [os.path.basename(a) for a in sys.argv])",
    );
    await expectSameAsNative(
      code,
      lines(
        "True",
        "1",
        '  File "main.py", line 5, in <module>',
        "    traceback.print_stack(file=buf)",
        "[('main.py', 9, '<module>'), ('main.py', 8, 'inner')]",
        "__main__ main.py ['main.py']",
      ),
    );
  });

  it("a plain recursion reaches the same depth as native at the default limit (999 of 1000)", async () => {
    const code = lines(
      "import sys",
      "print(sys.getrecursionlimit())",
      "depth = 0",
      "def f(n):",
      "    global depth",
      "    depth = n",
      "    f(n + 1)",
      "try:",
      "    f(1)",
      "except RecursionError:",
      "    print(depth)",
    );
    await expectSameAsNative(code, lines("1000", "999"));
  });

  it("sys.setrecursionlimit(1025): Rosetta Code's Ackermann A(3, 7) and a recursion to 1024 both work", async () => {
    const code = lines(
      "import sys",
      "sys.setrecursionlimit(1025)",
      "def ack(M, N):",
      "    return (N + 1) if M == 0 else (ack(M - 1, 1) if N == 0 else ack(M - 1, ack(M, N - 1)))",
      "print(ack(3, 7))",
      "depth = 0",
      "def f(n):",
      "    global depth",
      "    depth = n",
      "    f(n + 1)",
      "try:",
      "    f(1)",
      "except RecursionError:",
      "    print(depth)",
    );
    await expectSameAsNative(code, lines("1021", "1024"));
  });

  it("an uncaught exception's traceback shows only the program's frames, as native does", async () => {
    const code = lines("def inner(x):", "    raise ValueError(f'bad {x}')", "def outer():", "    inner(3)", "outer()");
    const [r, n] = [await wasmbox(code), native(code)];
    expect(n.status).toBe(1);
    expect(r.status).toBe("error");
    expect(r.exitCode).toBe(1);
    expect(r.error?.name).toBe("ValueError");
    expect(r.error?.line).toBe(2);
    // The frame lines, without the source and caret lines (which differ between 3.11 and 3.14).
    const frames = (text: string) =>
      text
        .split("\n")
        .filter((l) => l.startsWith("Traceback") || l.startsWith("  File ") || /^\w+Error/.test(l))
        .map((l) => l.replace(/File ".*\/main\.py"/, 'File "main.py"'));
    const expected = [
      "Traceback (most recent call last):",
      '  File "main.py", line 5, in <module>',
      '  File "main.py", line 4, in outer',
      '  File "main.py", line 2, in inner',
      "ValueError: bad 3",
    ];
    expect(frames(n.stderr)).toEqual(expected);
    expect(frames(r.stderr)).toEqual(expected);
    expect(frames(r.error?.traceback ?? "")).toEqual(expected);
  });

  it("a program without top-level await still runs on a switchable stack: pyodide.ffi.run_sync works, so time.sleep yields", async () => {
    const r = await wasmbox(
      lines("import asyncio, sys", "from pyodide.ffi import can_run_sync, run_sync", "print(can_run_sync(), sys._getframe().f_back is None)", "run_sync(asyncio.sleep(0.01))", "print('slept')"),
    );
    expect(r.status, r.stderr).toBe("ok");
    expect(r.stdout).toBe(lines("True True", "slept"));
  });

  it("top-level await still works; before its first suspension the program's frame is the bottom frame too", async () => {
    const r = await wasmbox(
      lines(
        "import asyncio, sys",
        "print(sys._getframe().f_back is None)",
        "await asyncio.sleep(0.01)",
        "print(sys._getframe().f_code.co_name)",
        "async def twice(x):",
        "    await asyncio.sleep(0)",
        "    return 2 * x",
        "await twice(21)",
      ),
    );
    expect(r.status, r.stderr).toBe("ok");
    expect(r.stdout).toBe(lines("True", "<module>"));
    expect(r.value).toBe(42);
  });

  it("sys.exit in a task that is not the program's ends the run with that code, as it ends asyncio.run", async () => {
    const r = await wasmbox(
      lines(
        "import asyncio, sys",
        "async def quit_later():",
        "    await asyncio.sleep(0)",
        "    sys.exit(4)",
        "task = asyncio.ensure_future(quit_later())",
        "await asyncio.sleep(0.2)",
        "print('not reached')",
      ),
    );
    expect(r.status).toBe("error");
    expect(r.exitCode).toBe(4);
    expect(r.error?.name).toBe("SystemExit");
    expect(r.stdout).toBe("");
  });

  it("C code recursing past the stack (repr of a list nested 200 000 deep) ends as a RecursionError, not a sandbox crash", async () => {
    const r = await wasmbox(lines("print('before', flush=True)", "x = []", "for _ in range(200_000):", "    x = [x]", "s = repr(x)", "print('not reached')"));
    expect(r.status).toBe("error");
    expect(r.error?.name).toBe("RecursionError");
    expect(r.error?.line).toBe(5);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe("before\n");
    expect(r.stderr).toMatch(/RecursionError: maximum recursion depth exceeded/);
    // The next run is served as usual.
    const next = await wasmbox("print(6 * 7)");
    expect(next.stdout).toBe("42\n");
  });
});
