/**
 * The MCP server: wasmbox's tools (run_code, sessions, files, runtimes) and the files runs
 * produce as resources, over any transport, on any {@link CodeRunner}. One server per
 * connection (stdio) or per MCP session (streamable HTTP); the runner is what they share.
 */
import { z } from "zod";
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { isWasmboxError, LIMIT_BOUNDS, supportsSessions, type Language } from "@wasmbox/core";
import { FILE_URI_PREFIX, formatResult } from "./results.js";
import type { CodeRunner, RunOptions } from "./runner.js";
import { closeSessionShape, languagesText, openSessionShape, readFileShape, runCodeShape, runInSessionShape, writeFileShape } from "./tool-schemas.js";

export interface McpServerOptions {
  /** Characters of stdout (and of stderr) a tool result carries; longer output keeps its start and end. Default 20000. */
  maxTextChars?: number;
  /** Fewest milliseconds between two progress notifications of one run. Default 200. */
  progressIntervalMs?: number;
  /** The server's version, as it introduces itself. */
  version?: string;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const INSTRUCTIONS =
  "wasmbox runs code in a WebAssembly sandbox with no network and no access to the host. Use run_code for one program; " +
  "open_session + run_in_session when state (variables, imports, files) should persist between calls. " +
  "Files you pass land in the program's working directory; files it writes there come back as resource links. " +
  "A failing program is a tool result with isError: true, its traceback and status; a limit's message names the option to raise.";

/**
 * An MCP server over `runner`. Connect it to a transport (`server.connect(transport)`).
 * @example
 * const server = createMcpServer(engineRunner(engine));
 * await server.connect(new StdioServerTransport());
 */
export function createMcpServer(runner: CodeRunner, options: McpServerOptions = {}): McpServer {
  const maxTextChars = options.maxTextChars ?? 20_000;
  const progressIntervalMs = options.progressIntervalMs ?? 200;
  const runtimes = runner.runtimes();
  const sessionLanguages = runtimes.map((r) => r.language).filter(supportsSessions) as [Language, ...Language[]];
  const server = new McpServer({ name: "wasmbox", version: options.version ?? "0.1.0" }, { instructions: INSTRUCTIONS, capabilities: { tools: {}, resources: {} } });

  /** A run of one tool call: its output streams as progress when the client asked for it, and its signal is the request's. */
  const follow = (extra: Extra): RunOptions => {
    const token = extra._meta?.progressToken;
    if (token === undefined) return { signal: extra.signal };
    let chars = 0;
    let last = "";
    let sentAt = 0;
    let sentChars = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const send = () => {
      timer = undefined;
      if (chars === sentChars || extra.signal.aborted) return;
      sentAt = performance.now();
      sentChars = chars;
      const message = last.trimEnd().split("\n").at(-1)?.slice(0, 200) ?? "";
      extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: chars, message } }).catch(() => {});
    };
    return {
      signal: extra.signal,
      onOutput(_stream, text) {
        chars += text.length;
        last = text;
        if (timer) return;
        const wait = progressIntervalMs - (performance.now() - sentAt);
        if (wait <= 0) send();
        else timer = setTimeout(send, wait);
      },
    };
  };

  /** Host failures (a bad request, a busy or closed session, a full queue) as a tool error the model can act on. */
  const guard = async (fn: () => Promise<CallToolResult>): Promise<CallToolResult> => {
    try {
      return await fn();
    } catch (e) {
      const text = isWasmboxError(e) ? `${e.code}: ${e.message}` : `wasmbox failed: ${e instanceof Error ? e.message : String(e)}`;
      return { content: [{ type: "text", text }], isError: true };
    }
  };
  const format = (runId: string, result: Parameters<typeof formatResult>[1]) => formatResult(runId, result, { maxTextChars });
  const text = (t: string): CallToolResult => ({ content: [{ type: "text", text: t }] });

  server.registerTool(
    "run_code",
    {
      title: "Run code",
      description:
        `Run a program in a fresh sandbox and return its stdout, stderr, status (ok, error, timeout, memory_limit, output_limit, compile_error, killed), ` +
        `the error with its traceback, images it displayed and the files it wrote. Languages: ${languagesText(runtimes)}. ` +
        `Default limits: 10 s, 256 MiB, 1 MiB of output (raise them with limits, up to ${LIMIT_BOUNDS.timeoutMs.max / 60_000} min). No network.`,
      inputSchema: z.object(runCodeShape(runtimes)).strict(),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args, extra) => guard(async () => {
      const { runId, result } = await runner.execute(args, follow(extra));
      return format(runId, result);
    }),
  );

  server.registerTool(
    "list_runtimes",
    { title: "List runtimes", description: "The languages this server runs, with versions, and which of them sessions support.", annotations: { readOnlyHint: true } },
    async () =>
      text(runtimes.map((r) => `${r.language}: ${r.version} (${r.runtime}; files ${r.extensions.join(" ")})${supportsSessions(r.language) ? "; sessions" : ""}`).join("\n")),
  );

  server.registerTool(
    "open_session",
    {
      title: "Open a session",
      description:
        `Open a stateful session (its own sandbox, like a notebook kernel): variables, imports and files persist between run_in_session calls. ` +
        `Languages: ${sessionLanguages.join(", ")}. An idle session closes by itself; close it with close_session when done.`,
      inputSchema: z.object(openSessionShape(runtimes, sessionLanguages)).strict(),
    },
    (args) => guard(async () => {
      const s = await runner.openSession({ language: args.language, ...(args.limits ? { limits: args.limits } : {}) });
      return {
        content: [{ type: "text", text: `session_id: ${s.id}\nlanguage: ${s.language}\nexpires at ${s.expiresAt} if idle (each run pushes it back). Pass session_id to run_in_session, read_file, write_file and close_session.` }],
        structuredContent: { session_id: s.id, language: s.language, expiresAt: s.expiresAt },
      };
    }),
  );

  server.registerTool(
    "run_in_session",
    {
      title: "Run code in a session",
      description: "Run code in an open session; what earlier runs defined is still there. Returns what run_code returns. One run at a time per session; cancelling a run ends its session.",
      inputSchema: z.object(runInSessionShape).strict(),
    },
    ({ session_id, ...request }, extra) => guard(async () => {
      const { runId, result } = await runner.executeInSession(session_id, request, follow(extra));
      return format(runId, result);
    }),
  );

  server.registerTool(
    "close_session",
    { title: "Close a session", description: "Close a session and its sandbox; its variables and files are gone.", inputSchema: z.object(closeSessionShape).strict(), annotations: { destructiveHint: true } },
    ({ session_id }) => guard(async () => {
      await runner.closeSession(session_id);
      return text(`session ${session_id} is closed`);
    }),
  );

  server.registerTool(
    "write_file",
    {
      title: "Write a file in a session",
      description: "Write a file in a session's working directory (relative path; folders are made), for later runs to read.",
      inputSchema: z.object(writeFileShape).strict(),
    },
    ({ session_id, path, content, encoding }, extra) => guard(async () => {
      const file = encoding === "base64" ? { encoding: "base64" as const, content } : content;
      const { result } = await runner.executeInSession(session_id, { code: "", files: { [path]: file } }, { signal: extra.signal });
      if (result.status !== "ok") return format("", result);
      return text(`wrote ${path} in session ${session_id}`);
    }),
  );

  server.registerTool(
    "read_file",
    {
      title: "Read a file in a session",
      description: "Read a file from a session's working directory (written by a run or by write_file). Text comes back as text, other files as an embedded resource (base64).",
      inputSchema: z.object(readFileShape).strict(),
      annotations: { readOnlyHint: true },
    },
    ({ session_id, path }, extra) => guard(async () => {
      const { language } = runner.sessionInfo(session_id);
      const { runId, result } = await runner.executeInSession(
        session_id,
        { code: readFileProgram(language, path), limits: { maxOutputBytes: LIMIT_BOUNDS.maxOutputBytes.max } },
        { signal: extra.signal },
      );
      if (result.status !== "ok") {
        const missing = /FileNotFoundError|ENOENT|no such file/i.test(`${result.error?.name} ${result.error?.message}`);
        if (missing) return { content: [{ type: "text", text: `no file ${JSON.stringify(path)} in the session's working directory` }], isError: true };
        return format(runId, result);
      }
      // The bytes come out of the sandbox as base64 on stdout: checked before they are decoded.
      const b64 = result.stdout.trim();
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return { content: [{ type: "text", text: `the session did not return ${path} (its output was not the file)` }], isError: true };
      const bytes = Buffer.from(b64, "base64");
      const utf8 = decodeUtf8(bytes);
      const uri = `wasmbox://sessions/${session_id}/files/${path}`;
      if (utf8 !== undefined) return { content: [{ type: "text", text: utf8 }] };
      return { content: [{ type: "resource", resource: { uri, mimeType: "application/octet-stream", blob: b64 } }] };
    }),
  );

  server.registerResource(
    "run-file",
    new ResourceTemplate(`${FILE_URI_PREFIX}{runId}/files/{+path}`, { list: undefined }),
    { title: "A file a run produced", description: "Files programs wrote in their working directory, as run results link them." },
    async (uri) => {
      const m = /^wasmbox:\/\/runs\/([A-Za-z0-9_-]{1,100})\/files\/(.+)$/.exec(uri.href);
      const found = m ? await runner.readRunFile(m[1]!, m[2]!.split("/").map(decodeURIComponent).join("/")) : undefined;
      if (!found) throw new Error(`no such file: ${uri.href} (it was never produced, or is no longer kept)`);
      const utf8 = /^(text\/|application\/(json|xml|csv))|\+xml$|\+json$/.test(found.mime) ? decodeUtf8(found.bytes) : undefined;
      return {
        contents: [
          utf8 !== undefined
            ? { uri: uri.href, mimeType: found.mime, text: utf8 }
            : { uri: uri.href, mimeType: found.mime, blob: Buffer.from(found.bytes).toString("base64") },
        ],
      };
    },
  );

  return server;
}

/** A program that prints the file's bytes as base64, in the session's own language (the only way into its filesystem). */
function readFileProgram(language: Language, path: string): string {
  const p = JSON.stringify(path);
  if (language === "python") return `print(__import__("base64").b64encode(open(${p}, "rb").read()).decode())`;
  return `console.log(require("fs").readFileSync(${p}).toString("base64"))`;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
