/**
 * A sandbox process tree's accounting from Linux /proc, where the host has no cgroup to ask:
 * resident memory and CPU time of the process and every descendant (bubblewrap's processes
 * and the sandbox's Node). What these read is the kernel's, never the guest's.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Resident memory of a process and all its descendants (Linux /proc). */
export function treeRssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let total = 0;
  const seen = new Set<number>();
  const queue = [pid];
  while (queue.length && seen.size < 256) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const rss = readRssBytes(p);
    if (rss === undefined) {
      if (p === pid) return undefined;
      continue;
    }
    total += rss;
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const c of readFileSync(`/proc/${p}/task/${task}/children`, "utf8").split(" ").filter(Boolean)) queue.push(Number(c));
      }
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Clock ticks per second of /proc's CPU times: USER_HZ, 100 on every Linux architecture Node runs on. */
const USER_HZ = 100;

/**
 * CPU time (user + system, ms) of a process and its descendants, with the children each
 * already reaped (Linux /proc). Undefined where unavailable.
 */
export function treeCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let ticks = 0;
  const seen = new Set<number>();
  const queue = [pid];
  while (queue.length && seen.size < 256) {
    const p = queue.shift()!;
    if (seen.has(p)) continue;
    seen.add(p);
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, "utf8");
    } catch {
      if (p === pid) return undefined;
      continue;
    }
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, cutime, cstime: fields 14 to 17.
    for (const i of [11, 12, 13, 14]) ticks += Number(fields[i]) || 0;
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const c of readFileSync(`/proc/${p}/task/${task}/children`, "utf8").split(" ").filter(Boolean)) queue.push(Number(c));
      }
    } catch {
      // gone meanwhile
    }
  }
  return (ticks * 1000) / USER_HZ;
}

/**
 * CPU time (ms) of the given processes (as `treeCpuMs`, without walking the tree again: a
 * sandbox's tree is fixed once it booted, its Node may start no process). Undefined if the
 * first one is gone.
 */
export function pidsCpuMs(pids: readonly number[]): number | undefined {
  let ticks = 0;
  for (const p of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p}/stat`, "utf8");
    } catch {
      if (p === pids[0]) return undefined;
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    for (const i of [11, 12, 13, 14]) ticks += Number(fields[i]) || 0;
  }
  return (ticks * 1000) / USER_HZ;
}

/** A process and all its descendants now (Linux /proc), the process first. */
export function treePids(pid: number): number[] {
  const seen: number[] = [];
  const queue = [pid];
  while (queue.length && seen.length < 256) {
    const p = queue.shift()!;
    if (seen.includes(p)) continue;
    seen.push(p);
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        for (const c of readFileSync(`/proc/${p}/task/${task}/children`, "utf8").split(" ").filter(Boolean)) queue.push(Number(c));
      }
    } catch {
      // gone meanwhile
    }
  }
  return seen;
}

/** Resident set size of a process, from /proc (Linux). Undefined where unavailable. */
export function readRssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
