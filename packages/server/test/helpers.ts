/**
 * Test helpers for the HTTP server: a real server on a free port over a fresh data
 * directory, a tiny JSON client over real `fetch`, a node:http client for what fetch will
 * not send (a forged Host, a chosen source address), raw TCP connections for slow clients,
 * a Server-Sent Events parser reading the fetch body stream, and direct access to the
 * SQLite file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { buildServer, type BuildServerOptions, type ServerConfigInput, type WasmboxServer } from "@wasmbox/server";

/** Defaults every test server starts with: loopback, a free port, quiet, small pools. */
export const TEST_DEFAULTS = {
  port: 0,
  host: "127.0.0.1",
  logLevel: "silent",
  poolPython: 1,
  poolJs: 1,
} as const satisfies ServerConfigInput;

export interface TestServer {
  server: WasmboxServer;
  url: string;
  dataDir: string;
  /** Close the server (idempotent) and remove its data directory. */
  stop(): Promise<void>;
}

const dataDirs: string[] = [];

/** A fresh, empty data directory under the OS temp dir. */
export function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "wasmbox-server-test-"));
  dataDirs.push(dir);
  return dir;
}

/** Remove every data directory made by {@link newDataDir} in this file. */
export function removeDataDirs(): void {
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Build a server over a fresh (or given) data directory and listen on a free loopback port. */
export async function startServer(options: BuildServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? newDataDir();
  const server = await buildServer({ ...TEST_DEFAULTS, ...options, dataDir });
  let url: string;
  try {
    url = await server.listen();
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    server,
    url,
    dataDir,
    async stop() {
      await server.close();
    },
  };
}

// ---------------------------------------------------------------------------------------
// HTTP

/** A JSON answer: its shape is what the assertions check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are arbitrary JSON, checked by assertions
export type Json = any;

export interface ApiResponse<T = Json> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, else undefined. */
  body: T;
  text: string;
}

export interface RequestOptions {
  /** A value to send as JSON, or a string sent as is (with the given content-type). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Bearer token; overrides the client's. `null` sends no Authorization header. */
  token?: string | null;
  signal?: AbortSignal;
}

export interface Api {
  url: string;
  request<T = Json>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  get<T = Json>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  post<T = Json>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  del<T = Json>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
}

/** A small JSON client for `url`, optionally with an API key. */
export function api(url: string, token?: string): Api {
  const request = async <T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = {};
    const bearer = options.token === undefined ? token : options.token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    }
    Object.assign(headers, options.headers);
    const res = await fetch(url + path, { method, headers, body, signal: options.signal });
    const text = await res.text();
    const isJson = (res.headers.get("content-type") ?? "").includes("application/json");
    return { status: res.status, headers: res.headers, body: (isJson && text ? JSON.parse(text) : undefined) as T, text };
  };
  return {
    url,
    request,
    get: (path, options) => request("GET", path, options),
    post: (path, body, options) => request("POST", path, { ...options, body }),
    del: (path, options) => request("DELETE", path, options),
  };
}

/** Describe a response for assertion messages. */
export function show(res: ApiResponse): string {
  return `${res.status} ${res.text.slice(0, 800)}`;
}

/** Poll `check` until it returns something other than undefined, or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Poll GET /v1/runs/:id until the run's status is one of `statuses`; returns the run. */
export async function waitForRun(client: Api, id: string, statuses: readonly string[], timeoutMs = 30_000): Promise<Json> {
  return await waitFor(
    `run ${id} to reach ${statuses.join("/")}`,
    async () => {
      const res = await client.get(`/v1/runs/${id}`);
      if (res.status !== 200) throw new Error(`GET /v1/runs/${id}: ${show(res)}`);
      return statuses.includes(res.body.status) ? res.body : undefined;
    },
    timeoutMs,
  );
}

/** Every run the client's key can list (walks all pages). */
export async function listAllRuns(client: Api, query = ""): Promise<Json[]> {
  const all: Json[] = [];
  let cursor: string | null = null;
  do {
    const sep = query ? "&" : "";
    const res: ApiResponse = await client.get(`/v1/runs?${query}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    if (res.status !== 200) throw new Error(`GET /v1/runs: ${show(res)}`);
    all.push(...res.body.runs);
    cursor = res.body.nextCursor;
  } while (cursor);
  return all;
}

// ---------------------------------------------------------------------------------------
// node:http and raw TCP (always to 127.0.0.1)

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed JSON when the answer is JSON, else undefined. */
  body: Json;
}

/**
 * One request over its own connection with node:http, which (unlike fetch) sends any Host
 * and Origin and can pick the source address (127.0.0.2 is another "client" on loopback).
 */
export function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: unknown; localAddress?: string },
): Promise<RawResponse> {
  const { port } = new URL(url);
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: Number(port), method: options.method ?? "GET", path: options.path, headers, agent: false, localAddress: options.localAddress },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const isJson = (res.headers["content-type"] ?? "").includes("application/json");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: isJson && text ? JSON.parse(text) : undefined });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the milliseconds from connect to close when the connection closes. */
  closed: Promise<number>;
}

/** A raw TCP connection to the server (from `localAddress`, default 127.0.0.1), connected. */
export function connectRaw(url: string, localAddress = "127.0.0.1"): Promise<RawConnection> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: Number(port), localAddress });
    let data = "";
    let openedAt = 0;
    socket.on("data", (d: Buffer) => (data += d.toString("utf8")));
    socket.on("error", () => {}); // a reset is a close here
    const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now() - openedAt)));
    socket.once("connect", () => {
      openedAt = Date.now();
      socket.off("error", reject);
      resolve({ socket, received: () => data, closed });
    });
    socket.once("error", reject);
  });
}

/** The status and JSON error of a raw HTTP answer (`HTTP/1.1 429 …\r\n…\r\n\r\n{…}`). */
export function parseRawAnswer(raw: string): { status: number; headers: string; error: { code: string; message: string } | undefined } {
  const [head = "", body = ""] = raw.split("\r\n\r\n", 2);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  let error: { code: string; message: string } | undefined;
  try {
    error = (JSON.parse(body) as { error?: { code: string; message: string } }).error;
  } catch {
    error = undefined;
  }
  return { status, headers: head.toLowerCase(), error };
}

/** Resolve with `promise`, or with `fallback` after `ms`. */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Source lines joined with newlines (and a trailing one). */
export const lines = (...l: string[]) => l.join("\n") + "\n";

/** Expect the standard error body; returns it. Never a stack trace. */
export function errorBody(res: ApiResponse): { code: string; message: string } {
  const err = (res.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (!err || typeof err.code !== "string" || typeof err.message !== "string") {
    throw new Error(`expected a JSON error body {error:{code,message}}, got ${show(res)}`);
  }
  return err as { code: string; message: string };
}

// ---------------------------------------------------------------------------------------
// Server-Sent Events

export interface SseEvent {
  /** The `id:` of the event (undefined if the event had none). */
  id: string | undefined;
  /** The `event:` type ("message" when absent). */
  event: string;
  /** The `data:` lines, joined with "\n". */
  data: string;
  /** When the event was fully received (Date.now()). */
  receivedAt: number;
}

/**
 * Parse an SSE byte stream as the WHATWG spec does: lines end with CRLF, LF or CR;
 * `field: value` (one optional space after the colon); lines starting with ":" are comments;
 * a blank line dispatches the event.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let data: string[] = [];
  let event = "";
  let id: string | undefined;
  let sawField = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const m = /\r\n|\n|\r/.exec(buffer);
        // A lone CR at the very end may be the first half of CRLF: wait for more bytes.
        if (!m || (m[0] === "\r" && m.index === buffer.length - 1 && !done)) break;
        const line = buffer.slice(0, m.index);
        buffer = buffer.slice(m.index + m[0].length);
        if (line === "") {
          if (sawField && data.length > 0) yield { id, event: event || "message", data: data.join("\n"), receivedAt: Date.now() };
          data = [];
          event = "";
          sawField = false;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? "" : line.slice(colon + 1);
        if (v.startsWith(" ")) v = v.slice(1);
        sawField = true;
        if (field === "data") data.push(v);
        else if (field === "event") event = v;
        else if (field === "id" && !v.includes("\0")) id = v;
      }
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export interface SseConnection {
  status: number;
  headers: Headers;
  /** Events as they arrive; ends when the server closes the stream. */
  events: AsyncGenerator<SseEvent>;
  /** Drop the connection. */
  close(): void;
}

/** Open GET /v1/runs/:id/events. Non-200 answers are returned with an empty event stream. */
export async function openEvents(url: string, runId: string, options: { token?: string; lastEventId?: string | number; query?: string } = {}): Promise<SseConnection & { error?: ApiResponse }> {
  const abort = new AbortController();
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.lastEventId !== undefined) headers["last-event-id"] = String(options.lastEventId);
  const res = await fetch(`${url}/v1/runs/${runId}/events${options.query ?? ""}`, { headers, signal: abort.signal });
  if (res.status !== 200 || !res.body) {
    const text = await res.text();
    const error: ApiResponse = { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
    return { status: res.status, headers: res.headers, events: (async function* () {})(), close: () => abort.abort(), error };
  }
  return { status: res.status, headers: res.headers, events: parseSse(res.body), close: () => abort.abort() };
}

/** Read every event until the server closes the stream (fails after `timeoutMs`). */
export async function collectEvents(conn: SseConnection, timeoutMs = 30_000): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    for await (const e of conn.events) events.push(e);
  } catch (e) {
    throw new Error(`event stream failed or timed out after ${events.length} events: ${String(e)}`);
  } finally {
    clearTimeout(timer);
  }
  return events;
}

// ---------------------------------------------------------------------------------------
// SQLite

/** Open the server's SQLite file (read-write unless `readonly`). */
export function openDb(dataDir: string, readonly = false): Database.Database {
  const db = new Database(join(dataDir, "wasmbox.sqlite"), { readonly, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  return db;
}

/** Every byte the store holds on disk (database, WAL), to search for things that must not be there. */
export function rawStoreBytes(dataDir: string): Buffer {
  const parts = ["wasmbox.sqlite", "wasmbox.sqlite-wal", "wasmbox.sqlite-shm"]
    .map((f) => join(dataDir, f))
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p));
  return Buffer.concat(parts);
}
