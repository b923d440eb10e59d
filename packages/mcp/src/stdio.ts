/**
 * `wasmbox mcp`: the MCP server on stdin/stdout. stdout carries the protocol and nothing
 * else (a stray write would corrupt it), so everything else goes to stderr.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createMcpServer, type McpServerOptions } from "./server.js";
import type { CodeRunner } from "./runner.js";

/**
 * Serve `runner` over stdio until the client closes stdin (or the connection); resolves then.
 * @example
 * await serveStdio(engineRunner(createEngine()));
 */
export async function serveStdio(runner: CodeRunner, options: McpServerOptions = {}): Promise<void> {
  const server = createMcpServer(runner, options);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
    // The SDK transport does not notice its stdin ending: a client that went away is that.
    process.stdin.once("end", () => void server.close());
    process.stdin.once("close", () => void server.close());
  });
  await server.connect(transport);
  await closed;
}
