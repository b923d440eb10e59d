/**
 * Connection caps: in all (WASMBOX_MAX_CONNECTIONS) and per client address
 * (WASMBOX_MAX_CONNECTIONS_PER_CLIENT). A connection over a cap is answered at once with a
 * short JSON error and closed, before it can cost a parser, a body buffer or a handler; the
 * slow and idle ones under the caps are cut by the request, header and idle timeouts.
 */
import { STATUS_CODES, type Server } from "node:http";
import type { Socket } from "node:net";
import type { WasmboxErrorCode } from "@wasmbox/node";
import { errorJson, httpStatusOf } from "./http-error.js";

export interface ConnectionCaps {
  maxConnections: number;
  maxConnectionsPerClient: number;
}

export function capConnections(server: Server, caps: ConnectionCaps, onRefused: (code: WasmboxErrorCode) => void = () => {}) {
  const perAddress = new Map<string, number>();
  let open = 0;

  const refuse = (socket: Socket, code: "SERVER_BUSY" | "TOO_MANY_CONNECTIONS", message: string) => {
    onRefused(code);
    const body = errorJson(code, message);
    const status = httpStatusOf(code);
    socket.on("error", () => {}); // a client that already left
    socket.resume(); // discard whatever it sends: closing with unread bytes would reset the answer away
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `retry-after: 1\r\nconnection: close\r\n\r\n${body}`,
    );
    // A client that never reads its answer does not keep the socket either.
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  // Node's own listeners (the HTTP parser) run only for connections within the caps: a
  // refused socket is answered and closed without ever being parsed.
  const httpListeners = server.listeners("connection") as Array<(socket: Socket) => void>;
  server.removeAllListeners("connection");
  server.on("connection", (socket: Socket) => {
    const address = socket.remoteAddress ?? "unknown";
    if (open >= caps.maxConnections) {
      refuse(socket, "SERVER_BUSY", `the server has ${open} connections open (WASMBOX_MAX_CONNECTIONS=${caps.maxConnections}); retry shortly`);
      return;
    }
    const mine = perAddress.get(address) ?? 0;
    if (mine >= caps.maxConnectionsPerClient) {
      refuse(
        socket,
        "TOO_MANY_CONNECTIONS",
        `this client address already has ${mine} connections open (WASMBOX_MAX_CONNECTIONS_PER_CLIENT=${caps.maxConnectionsPerClient}); reuse connections (keep-alive) or close some`,
      );
      return;
    }
    open++;
    perAddress.set(address, mine + 1);
    socket.once("close", () => {
      open--;
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n > 0) perAddress.set(address, n);
      else perAddress.delete(address);
    });
    for (const listener of httpListeners) listener.call(server, socket);
  });

  return {
    get open(): number {
      return open;
    },
  };
}
