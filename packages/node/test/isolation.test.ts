/**
 * The walls the host reports, and the ones a Python guest can check from inside: the OS
 * sandbox (namespaces, minimal filesystem), cgroups, the pinned Node and its permission
 * model without worker threads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "@wasmbox/node";

let engine: Engine;
beforeAll(() => {
  engine = createEngine({ pool: { python: 1, quickjs: 0, wasm: 0 }, maxConcurrentRuns: 2 });
});
afterAll(async () => {
  await engine.dispose();
});

const inForce = (name: string) => engine.isolation.walls.find((w) => w.name === name)?.inForce;

describe("walls", () => {
  it("are listed with whether each is in force, without host paths", () => {
    const iso = engine.isolation;
    expect(iso.walls.map((w) => w.name)).toEqual(
      expect.arrayContaining(["os-sandbox", "network", "filesystem", "processes", "uid", "memory-cgroup", "pids-cgroup", "node-permission", "seccomp"]),
    );
    expect(Number(iso.sandboxNode.slice(1).split(".")[0])).toBeGreaterThanOrEqual(22);
    expect(JSON.stringify(iso)).not.toMatch(/\/work\/|node_modules|\/sys\/fs\/cgroup/);
  });

  // CI installs bubblewrap and runs as root with cgroups: there, every wall but seccomp must hold.
  it.runIf(process.env.CI === "true")("are all in force in CI (bubblewrap, cgroups, uid drop)", () => {
    expect(engine.isolation.mode).toBe("bubblewrap");
    for (const name of ["os-sandbox", "network", "filesystem", "processes", "uid", "memory-cgroup", "pids-cgroup"]) expect(inForce(name), name).toBe(true);
  });
});

describe.runIf(process.platform === "linux")("a Python guest that reaches its JS realm", () => {
  it("finds no way to start a thread: no Worker, no module hooks thread, no --allow-worker", async () => {
    const r = await engine.execute({
      language: "python",
      code: `
import js
p = js.process
print("execArgv", [a for a in p.execArgv if "worker" in a])
# The permission model itself (not the in-realm stubs) refuses threads to this process.
print("permission worker", p.permission.has("worker"), "child", p.permission.has("child"), "fs.write", p.permission.has("fs.write"))
for label, src in [
    ("Worker", "new (process.getBuiltinModule('node:worker_threads').Worker)('1', {eval: true, execArgv: []})"),
    ("register", "process.getBuiltinModule('node:module').register('data:text/javascript,')"),
]:
    try:
        js.Function(src)()
        print(label, "STARTED")
    except Exception as e:
        print(label, "denied")
`,
    });
    expect(r.status, JSON.stringify(r.error)).toBe("ok");
    expect(r.stdout).toBe("execArgv []\npermission worker False child False fs.write False\nWorker denied\nregister denied\n");
  });

});

/**
 * The OS walls on their own: a Node process inside exactly the sandbox a guest gets, but
 * with no permission model at all — what a thread that escaped it would see.
 */
describe.runIf(process.platform === "linux")("the OS sandbox, with the permission model gone", () => {
  const probe = `
const fs = require("node:fs"), net = require("node:net"), cp = require("node:child_process");
const out = {};
const tryIt = (k, f) => { try { out[k] = f(); } catch (e) { out[k] = "denied:" + (e.code || e.message); } };
tryIt("passwd", () => fs.readFileSync("/etc/passwd", "utf8").slice(0, 40));
tryIt("root", () => fs.readdirSync("/").sort().join(","));
tryIt("procs", () => fs.readdirSync("/proc").filter((n) => Number(n) > 0).length);
tryIt("write", () => (fs.writeFileSync(process.argv[1] + "/never", "x"), "WROTE"));
tryIt("tmp", () => (fs.writeFileSync("/tmp/ok", "x"), "tmp ok"));
tryIt("bound", () => fs.readFileSync(process.argv[1] + "/visible", "utf8"));
tryIt("uid", () => process.getuid());
tryIt("ifaces", () => Object.keys(require("node:os").networkInterfaces()).join(","));
tryIt("sh", () => cp.execSync("echo hi").toString());
tryIt("kill1", () => (process.kill(1, 0), "sees pid 1"));
const s = net.connect(Number(process.argv[2]), "127.0.0.1");
s.on("connect", () => { out.net = "CONNECTED"; done(); });
s.on("error", (e) => { out.net = "denied:" + e.code; done(); });
function done() { console.log(JSON.stringify(out)); }
`;

  it("holds: no host files, no other processes, no network, no writes, unprivileged", async () => {
    const { planIsolation, sandboxCommand } = await import("../src/host/isolation.js");
    const { locateAssets } = await import("../src/host/assets.js");
    const { spawnSync } = await import("node:child_process");
    const { mkdtempSync, existsSync, chmodSync, writeFileSync } = await import("node:fs");
    const { createServer } = await import("node:net");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const plan = planIsolation({}, locateAssets().readPaths);
    if (plan.mode !== "bubblewrap") {
      expect(process.env.CI, "CI must have the OS sandbox").not.toBe("true");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "wasmbox-wall-"));
    chmodSync(dir, 0o777);
    let connections = 0;
    const server = createServer((c) => (connections++, c.destroy()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    // A bound folder under the host's temp dir stays visible over the sandbox's own /tmp.
    writeFileSync(join(dir, "visible"), "seen");
    const [cmd, ...args] = sandboxCommand(plan, { readPaths: [dir], fds: [] }, [plan.nodeBinary, "-e", probe, dir, String(port)]);
    const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 30_000, env: {} });
    server.close();
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, string | number>;
    expect(String(out.passwd)).toMatch(/^denied:ENOENT/);
    // Only what was bound: the node binary's folders, its libraries, /proc, /dev, /tmp.
    expect(String(out.root).split(",")).not.toContain("root");
    expect(String(out.root).split(",")).not.toContain("etc");
    expect(out.procs).toBeLessThanOrEqual(3);
    expect(String(out.write)).toMatch(/^denied:/);
    expect(existsSync(join(dir, "never"))).toBe(false);
    expect(out.tmp).toBe("tmp ok");
    expect(out.bound).toBe("seen");
    expect(["", "lo"]).toContain(out.ifaces);
    expect(String(out.sh)).toMatch(/^denied:/);
    expect(String(out.net)).toMatch(/^denied:/);
    expect(connections).toBe(0);
    if (process.getuid?.() === 0) expect(out.uid).not.toBe(0);
  });
});

describe("the weak fallback (no OS sandbox)", () => {
  // Regression: Node 24.22's worker threads may read everything under the process's cwd despite
  // --permission; started in "/", a guest thread would read every file. Sandboxes start in an
  // empty directory of their own, and a guest thread refuses to load if its reads are not bounded.
  it("still boots a QuickJS sandbox whose guest thread is under the permission model", async () => {
    await using weak = createEngine({ pool: { python: 0, quickjs: 0, wasm: 0 }, isolation: { osSandbox: "off", cgroups: "off" } });
    expect(weak.isolation.weak).toBe(true);
    const r = await weak.execute({ language: "javascript", code: "console.log(6 * 7)" });
    expect(r.status, JSON.stringify(r.error)).toBe("ok");
    expect(r.stdout).toBe("42\n");
  });
});
