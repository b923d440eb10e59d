/**
 * Test helpers: the official MCP SDK client against `wasmbox mcp` (spawned the way an agent
 * spawns it: the CLI's bin under the pinned Node), and small readers of tool results.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const NODE = `${ROOT}node_modules/.bin/node`;
export const WASMBOX = `${ROOT}packages/cli/bin/wasmbox.js`;

export interface StdioClient {
  client: Client;
  /** What the server wrote on stderr (logs), for assertion messages. */
  stderr: () => string;
  close(): Promise<void>;
}

/** Spawn `wasmbox mcp` (optionally under a wrapper such as `unshare -n`) and connect the SDK client. */
export async function connectStdio(wrapper: string[] = []): Promise<StdioClient> {
  const [command, ...args] = [...wrapper, NODE, WASMBOX, "mcp"];
  const transport = new StdioClientTransport({ command: command!, args, stderr: "pipe", cwd: ROOT });
  let stderr = "";
  transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const client = new Client({ name: "wasmbox-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

/** The text parts of a tool result, joined. */
export function textOf(result: unknown): string {
  const r = result as CallToolResult;
  return r.content
    .filter((c): c is Extract<CallToolResult["content"][number], { type: "text" }> => c.type === "text")
    .map((c) => c.text)
    .join("\n");
}

export async function call(client: Client, name: string, args: Record<string, unknown>, options: Parameters<Client["callTool"]>[2] = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000, ...options })) as CallToolResult;
}

/** `wasmbox mcp` as a bare child process speaking JSON-RPC lines (for a client that vanishes mid-run). */
export function spawnRaw(): { child: ChildProcessWithoutNullStreams; send(message: unknown): void; lines: string[] } {
  const child = spawn(NODE, [WASMBOX, "mcp"], { cwd: ROOT, stdio: "pipe" });
  const lines: string[] = [];
  let buffered = "";
  child.stdout.on("data", (c: Buffer) => {
    buffered += c.toString("utf8");
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts.filter(Boolean));
  });
  child.stderr.resume();
  return { child, send: (m) => child.stdin.write(`${JSON.stringify(m)}\n`), lines };
}

export const INITIALIZE = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
} as const;

/** A 1×1 transparent PNG. */
export const PNG_1X1 = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

export async function waitUntil(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
