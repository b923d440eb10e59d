/**
 * A cgroup per sandbox process, where the kernel gives this host one: a hard memory cap
 * (behind the polled watchdog, which reads the whole sandbox's usage from here) and a
 * process cap (`pids.max`: no fork bomb, and nothing a sandbox starts can hide from the
 * kill that ends it). cgroup v2, or the v1 `memory` and `pids` controllers.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CgroupSupport {
  version: 1 | 2;
  /** Directories under which this host process creates one cgroup per sandbox. */
  memoryParent: string;
  pidsParent: string;
}

const ROOT = "/sys/fs/cgroup";

/** Whether this host can create cgroups with memory and pids limits; null if not. */
export function probeCgroups(): CgroupSupport | null {
  try {
    const own = readFileSync("/proc/self/cgroup", "utf8").split("\n").filter(Boolean);
    const host = `wasmbox-${process.pid}`;
    if (existsSync(join(ROOT, "cgroup.controllers"))) {
      const path = own.find((l) => l.startsWith("0::"))?.slice(3) ?? "/";
      const parent = join(ROOT, path, host);
      mkdirSync(parent, { recursive: true });
      const support: CgroupSupport = { version: 2, memoryParent: parent, pidsParent: parent };
      return tryOne(support) ? support : (removeQuietly(parent), null);
    }
    const dirFor = (controller: string) => {
      const line = own.find((l) => l.split(":")[1]?.split(",").includes(controller));
      return line === undefined ? undefined : join(ROOT, controller, line.split(":").slice(2).join(":"));
    };
    const memory = dirFor("memory");
    const pids = dirFor("pids");
    if (!memory || !pids || !existsSync(memory) || !existsSync(pids)) return null;
    sweepStale(memory);
    sweepStale(pids);
    const support: CgroupSupport = { version: 1, memoryParent: join(memory, host), pidsParent: join(pids, host) };
    mkdirSync(support.memoryParent, { recursive: true });
    mkdirSync(support.pidsParent, { recursive: true });
    if (tryOne(support)) {
      process.once("exit", () => {
        removeQuietly(support.memoryParent);
        removeQuietly(support.pidsParent);
      });
      return support;
    }
    removeQuietly(support.memoryParent);
    removeQuietly(support.pidsParent);
    return null;
  } catch {
    return null;
  }
}

function tryOne(support: CgroupSupport): boolean {
  const probe = SandboxCgroup.create(support, "probe");
  if (!probe) return false;
  probe.remove();
  return true;
}

/** Remove cgroups left by wasmbox hosts that are gone (best effort). */
function sweepStale(dir: string): void {
  try {
    for (const name of readdirSync(dir)) {
      const pid = /^wasmbox-(\d+)$/.exec(name)?.[1];
      if (!pid || existsSync(`/proc/${pid}`)) continue;
      const parent = join(dir, name);
      for (const child of readdirSync(parent, { withFileTypes: true })) if (child.isDirectory()) removeQuietly(join(parent, child.name));
      removeQuietly(parent);
    }
  } catch {
    // nothing to sweep
  }
}

function removeQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // still busy or gone
  }
}

let counter = 0;

export class SandboxCgroup {
  private constructor(
    private readonly version: 1 | 2,
    private readonly memoryDir: string,
    private readonly pidsDir: string,
  ) {}

  /** A fresh cgroup with a process cap; null if the kernel refused. */
  static create(support: CgroupSupport, label: string, maxProcesses = 128): SandboxCgroup | null {
    const name = `${label}-${++counter}`;
    const memoryDir = join(support.memoryParent, name);
    const pidsDir = join(support.pidsParent, name);
    try {
      mkdirSync(memoryDir);
      if (pidsDir !== memoryDir) mkdirSync(pidsDir);
      const group = new SandboxCgroup(support.version, memoryDir, pidsDir);
      writeFileSync(join(pidsDir, "pids.max"), String(maxProcesses));
      if (support.version === 1) {
        // Keep v1's OOM killer on (the default) so a sandbox over its cap dies, never stalls.
        writeFileSync(join(memoryDir, "memory.limit_in_bytes"), String(4 * 1024 ** 3));
      } else {
        writeFileSync(join(memoryDir, "memory.max"), String(4 * 1024 ** 3));
        writeFileSync(join(memoryDir, "memory.swap.max"), "0");
      }
      return group;
    } catch {
      removeQuietly(memoryDir);
      removeQuietly(pidsDir);
      return null;
    }
  }

  /** The files a process writes its pid to, to join this cgroup. */
  get procsFiles(): string[] {
    return this.memoryDir === this.pidsDir ? [join(this.memoryDir, "cgroup.procs")] : [join(this.memoryDir, "cgroup.procs"), join(this.pidsDir, "cgroup.procs")];
  }

  /** Set the hard memory cap. False if the kernel refused (e.g. usage already above it). */
  setMemoryLimit(bytes: number): boolean {
    try {
      writeFileSync(join(this.memoryDir, this.version === 1 ? "memory.limit_in_bytes" : "memory.max"), String(Math.floor(bytes)));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Memory the sandbox's processes hold now: anonymous memory and tmpfs files (shmem), not
   * the page cache of the read-only runtime files it read (which the kernel reclaims first,
   * and which would make a compile that reads many headers look like a memory hog).
   */
  usageBytes(): number | undefined {
    try {
      const stat = readFileSync(join(this.memoryDir, "memory.stat"), "utf8");
      const field = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(stat)?.[1] ?? Number.NaN);
      const bytes = this.version === 1 ? field("total_rss") + field("total_shmem") : field("anon") + field("shmem");
      return Number.isFinite(bytes) ? bytes : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * CPU time the sandbox's processes used since the cgroup was made, in milliseconds (cgroup
   * v2's `cpu.stat` usage_usec, there without the cpu controller); undefined on v1, whose
   * cpuacct hierarchy this host does not create groups in (the caller falls back to /proc).
   */
  cpuTimeMs(): number | undefined {
    if (this.version !== 2) return undefined;
    try {
      const usec = /^usage_usec (\d+)$/m.exec(readFileSync(join(this.memoryDir, "cpu.stat"), "utf8"))?.[1];
      return usec === undefined ? undefined : Number(usec) / 1000;
    } catch {
      return undefined;
    }
  }

  /** Whether the kernel's OOM killer ended a process here because of the cap. */
  oomKilled(): boolean {
    try {
      if (this.version === 2) return /^oom_kill [1-9]/m.test(readFileSync(join(this.memoryDir, "memory.events"), "utf8"));
      const control = readFileSync(join(this.memoryDir, "memory.oom_control"), "utf8");
      const kills = /^oom_kill (\d+)/m.exec(control);
      if (kills) return Number(kills[1]) > 0;
      return Number(readFileSync(join(this.memoryDir, "memory.failcnt"), "utf8")) > 0;
    } catch {
      return false;
    }
  }

  /** Processes in the sandbox now. */
  processCount(): number {
    try {
      return readFileSync(join(this.pidsDir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).length;
    } catch {
      return 0;
    }
  }

  /** SIGKILL every process in the cgroup. */
  killAll(): void {
    if (this.version === 2) {
      try {
        writeFileSync(join(this.pidsDir, "cgroup.kill"), "1");
        return;
      } catch {
        // older kernel: kill one by one
      }
    }
    for (let round = 0; round < 5; round++) {
      let pids: number[];
      try {
        pids = readFileSync(join(this.pidsDir, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
      } catch {
        return;
      }
      if (!pids.length) return;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
  }

  /** Kill what is left and remove the cgroup (retried briefly while the kernel reaps). */
  remove(): void {
    this.killAll();
    const dirs = this.memoryDir === this.pidsDir ? [this.memoryDir] : [this.memoryDir, this.pidsDir];
    let tries = 0;
    const attempt = () => {
      for (let i = dirs.length - 1; i >= 0; i--) {
        try {
          rmdirSync(dirs[i]!);
          dirs.splice(i, 1);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") dirs.splice(i, 1);
        }
      }
      if (dirs.length && ++tries < 50) setTimeout(attempt, 20).unref();
    };
    attempt();
  }
}
