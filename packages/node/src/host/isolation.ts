/**
 * How a sandbox process is walled off, decided once per host by probing what this
 * machine allows: a network namespace (`unshare --net`), dropping root to an
 * unprivileged uid (`setpriv`), and Node's permission model (always).
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";

export interface IsolationOptions {
  /** `auto` (default): use a network namespace when the OS allows; `require`: refuse to start without one; `off`. */
  networkNamespace?: "auto" | "require" | "off";
  /** `auto` (default): when the host runs as root, run sandboxes as `uid`/`gid`. `off`: never. */
  dropPrivileges?: "auto" | "off";
  /** The unprivileged uid/gid for sandboxes when dropping root. Default 65534 (nobody). */
  uid?: number;
  gid?: number;
}

export interface IsolationPlan {
  /** Command prefix placed before `node …`. */
  wrapper: string[];
  networkNamespace: "netns" | "userns+netns" | "none";
  uid: number | null;
  permissionFlag: string;
}

const cache = new Map<string, IsolationPlan>();

export function planIsolation(options: IsolationOptions, readPaths: readonly string[]): IsolationPlan {
  const key = JSON.stringify([options, readPaths]);
  const hit = cache.get(key);
  if (hit) return hit;
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
  const isRoot = process.getuid?.() === 0;
  if ((options.dropPrivileges ?? "auto") === "auto" && isRoot && networkNamespace !== "userns+netns") {
    const u = options.uid ?? 65534;
    const g = options.gid ?? 65534;
    if (succeeds("setpriv", ["--reuid", String(u), "--regid", String(g), "--clear-groups", "true"]) && readableByOthers(readPaths)) {
      wrapper.push("setpriv", `--reuid=${u}`, `--regid=${g}`, "--clear-groups", "--no-new-privs");
      uid = u;
    }
  }
  const permissionFlag = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";
  const plan: IsolationPlan = { wrapper, networkNamespace, uid, permissionFlag };
  cache.set(key, plan);
  return plan;
}

function succeeds(cmd: string, args: string[]): boolean {
  try {
    return spawnSync(cmd, args, { stdio: "ignore", timeout: 5000 }).status === 0;
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
