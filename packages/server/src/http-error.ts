/**
 * The server's side of the error catalogue: every error answer is
 * `{ error: { code, message, details? } }` with the status `ERROR_CATALOGUE` gives its code.
 * Routes and services throw `WasmboxError` with a catalogue code; the error handler (and
 * the few answers written straight to a socket) turn it into that body.
 */
import { ERROR_CATALOGUE, WasmboxError, type ErrorAnswer, type WasmboxErrorCode } from "@wasmbox/node";

export const errorAnswer = (code: WasmboxErrorCode, message: string, details?: unknown): ErrorAnswer => ({
  error: details === undefined ? { code, message } : { code, message, details },
});

/** The JSON text of an error answer, for answers written straight to a socket. */
export const errorJson = (code: WasmboxErrorCode, message: string): string => JSON.stringify(errorAnswer(code, message));

export const httpStatusOf = (code: WasmboxErrorCode): number => ERROR_CATALOGUE[code].httpStatus;

export const notFound = (what: string, id: string) => new WasmboxError("NOT_FOUND", `no ${what} with id ${JSON.stringify(id)} (or it belongs to another API key)`);
