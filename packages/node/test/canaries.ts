/**
 * Host canaries for the hostile-guest suite: things a contained guest can never see,
 * create or reach. Plant them once per file, pass their paths/port into attack payloads,
 * and after every run check that none of them moved.
 *
 *   1. a secret in the test process's environment (`WASMBOX_CANARY_SECRET`)
 *   2. a secret file outside the guest FS, in a fresh temp dir
 *   3. a path in os.tmpdir() that must never be created
 *   4. a loopback TCP listener on 127.0.0.1 that must never see a connection
 *   5. a host process (same user as the host) that must never be signalled
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { Execution } from "@wasmbox/node";

export const CANARY_ENV_NAME = "WASMBOX_CANARY_SECRET";

export interface Canaries {
  /** Value of `process.env.WASMBOX_CANARY_SECRET` in the host (test) process. */
  readonly envSecret: string;
  /** A host file holding `fileSecret`; world-readable on purpose (see plantCanaries). */
  readonly secretFile: string;
  readonly secretDir: string;
  readonly fileSecret: string;
  /** Must not exist after any run. */
  readonly neverPath: string;
  /** 127.0.0.1 port of the listener that must see no connection. */
  readonly port: number;
  /** pid of a host process that must stay alive (a guest may try to signal it). */
  readonly victimPid: number;
  /** Connections the listener accepted since the last `takeHostEffects`. */
  readonly connections: number;
  /** Everything in `r` a guest must never have been able to produce: host secrets, in any common encoding. */
  leaksIn(r: Execution): string[];
  /**
   * Effects on the host since the last call: the never-created path exists, the listener
   * was connected to, the victim process died. Resets them (removes the path, zeroes the
   * counter, starts a new victim) so one escape does not make every later test fail.
   */
  takeHostEffects(): string[];
  dispose(): Promise<void>;
}

/** Plant all four canaries. */
export async function plantCanaries(): Promise<Canaries> {
  const envSecret = `canary-${randomBytes(16).toString("hex")}`;
  process.env[CANARY_ENV_NAME] = envSecret;

  // The directory and file are deliberately readable by everyone (like most of a real
  // host's files: /etc, source trees, other tenants' uploads). Otherwise the mode bits of
  // mkdtemp's 0700 directory would stop a sandbox running as `nobody`, and these tests
  // would not notice if the sandbox's own walls (Node's permission model) were missing.
  const secretDir = mkdtempSync(join(tmpdir(), "wasmbox-canary-"));
  chmodSync(secretDir, 0o755);
  const fileSecret = `file-canary-${randomBytes(16).toString("hex")}`;
  const secretFile = join(secretDir, "secret.txt");
  writeFileSync(secretFile, fileSecret, { mode: 0o644 });
  chmodSync(secretFile, 0o644);

  const neverPath = join(tmpdir(), `wasmbox-never-created-${randomBytes(8).toString("hex")}`);

  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.end("HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: close\r\n\r\nescaped");
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address && typeof address === "object") resolve(address.port);
      else reject(new Error("listener has no port"));
    });
  });

  const startVictim = (): ChildProcess => spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
  let victim = startVictim();
  const victimAlive = () => victim.exitCode === null && victim.signalCode === null;

  const secrets = [envSecret, fileSecret];
  const encodings = (s: string): string[] => {
    const bytes = Buffer.from(s, "utf8");
    return [s, bytes.toString("base64"), bytes.toString("hex"), [...bytes].join(","), [...bytes].join(", ")];
  };
  const needles = secrets.flatMap(encodings);

  return {
    envSecret,
    secretFile,
    secretDir,
    fileSecret,
    neverPath,
    port,
    get victimPid() {
      return victim.pid ?? -1;
    },
    get connections() {
      return connections;
    },
    leaksIn(r) {
      const { fileContents, ...json } = r;
      const haystacks: [string, string][] = [
        ["stdout", r.stdout],
        ["stderr", r.stderr],
        ["output", r.output],
        ["value", JSON.stringify(r.value) ?? ""],
        ["error", JSON.stringify(r.error) ?? ""],
        ["result", JSON.stringify(json)],
        ...[...fileContents].map(([name, bytes]): [string, string] => [`file ${name}`, Buffer.from(bytes).toString("latin1")]),
      ];
      const found: string[] = [];
      for (const [where, text] of haystacks) {
        for (const needle of needles) if (text.includes(needle)) found.push(`a host secret appears in ${where}`);
      }
      return [...new Set(found)];
    },
    takeHostEffects() {
      const effects: string[] = [];
      let created = false;
      try {
        lstatSync(neverPath);
        created = true;
      } catch {
        // absent: as it must be
      }
      if (created) {
        effects.push(`the never-created path ${neverPath} exists`);
        rmSync(neverPath, { recursive: true, force: true });
      }
      if (connections !== 0) {
        effects.push(`the loopback listener on 127.0.0.1:${port} saw ${connections} connection(s)`);
        connections = 0;
      }
      if (!victimAlive()) {
        effects.push(`the host process ${victim.pid} was killed (${victim.signalCode ?? `exit ${victim.exitCode}`})`);
        victim = startVictim();
      }
      return effects;
    },
    async dispose() {
      victim.kill("SIGKILL");
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(secretDir, { recursive: true, force: true });
      rmSync(neverPath, { recursive: true, force: true });
      if (process.env[CANARY_ENV_NAME] === envSecret) delete process.env[CANARY_ENV_NAME];
    },
  };
}

/**
 * The check every escape suite runs after each test: no host secret in any of the runs'
 * results, and no effect on the host. Empties `results` for the next test.
 */
export function expectContained(c: Canaries, results: Execution[]): void {
  const leaks = results.splice(0).flatMap((r) => c.leaksIn(r));
  const effects = c.takeHostEffects();
  expect(leaks, "host secrets reached the guest").toEqual([]);
  expect(effects, "the guest acted on the host").toEqual([]);
}
