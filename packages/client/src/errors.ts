/**
 * Every failure of a client call is a thrown {@link WasmboxApiError}: an HTTP error answer
 * from the server (its `{ error: { code, message, details? } }` body), a server that cannot be reached,
 * or a request that took longer than `timeoutMs`. Guest failures are not errors: they are
 * the `status`/`error` fields of a result.
 */

import type { WasmboxErrorCode } from "@wasmbox/contract";

/** Codes the client itself produces, when no answer (or no readable one) arrived. */
export type LocalErrorCode = "NETWORK_ERROR" | "TIMEOUT" | "INVALID_RESPONSE";

/**
 * Every code a {@link WasmboxApiError} can carry: the server's (its error catalogue,
 * `ERROR_CATALOGUE` in @wasmbox/contract), the client's own, and `HTTP_<status>` for an error
 * answer without a JSON error body (a proxy's page, say).
 */
export type ClientErrorCode = WasmboxErrorCode | LocalErrorCode | `HTTP_${number}`;

/**
 * An error answer from the wasmbox server, or a request that never got one.
 *
 * `status` is the HTTP status, or `0` when there was no HTTP answer (`NETWORK_ERROR`,
 * `TIMEOUT`). `code` is the server's stable error code (`INVALID_REQUEST`, `NOT_FOUND`,
 * `UNAUTHORIZED`, `RATE_LIMITED`, `QUEUE_FULL`, …) or one of {@link ClientErrorCode}.
 *
 * @example
 * try {
 *   await client.runs.get("run_missing");
 * } catch (e) {
 *   if (isWasmboxApiError(e, "NOT_FOUND")) console.log("no such run");
 *   else if (isWasmboxApiError(e) && e.retryAfterMs !== undefined) await sleep(e.retryAfterMs);
 *   else throw e;
 * }
 */
export class WasmboxApiError extends Error {
  override readonly name = "WasmboxApiError";
  /** HTTP status of the answer; 0 when no answer arrived (network failure, timeout). */
  readonly status: number;
  /**
   * Stable machine-readable code, e.g. `INVALID_REQUEST` or `NETWORK_ERROR`. A newer server
   * may answer a code this client does not know yet, hence the `string` beside the known ones.
   */
  readonly code: ClientErrorCode | (string & {});
  /** How long the server asked to wait before retrying (from `Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;
  /** The answer's machine-readable detail, e.g. `[{ path, message }]` for `INVALID_REQUEST`; undefined when it had none. */
  readonly details: unknown;
  /** The method and URL of the request that failed. */
  readonly method: string;
  readonly url: string;

  constructor(init: {
    status: number;
    code: ClientErrorCode | (string & {});
    message: string;
    method: string;
    url: string;
    retryAfterMs?: number | undefined;
    details?: unknown;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.method = init.method;
    this.url = init.url;
    this.retryAfterMs = init.retryAfterMs;
    this.details = init.details;
  }

  /** True for answers that say the request itself was wrong (4xx other than 408 and 429). */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

/**
 * Whether `e` is a {@link WasmboxApiError} (optionally with this `code`). Works across copies
 * of the package (it checks the shape, not only the prototype).
 */
export function isWasmboxApiError(e: unknown, code?: ClientErrorCode | (string & {})): e is WasmboxApiError {
  const ok =
    e instanceof WasmboxApiError ||
    (e instanceof Error && e.name === "WasmboxApiError" && typeof (e as { code?: unknown }).code === "string" && typeof (e as { status?: unknown }).status === "number");
  return ok && (code === undefined || (e as WasmboxApiError).code === code);
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Build the error for a non-2xx answer from its (already read) body text. */
export function errorFromResponse(response: Response, bodyText: string, method: string, url: string): WasmboxApiError {
  let code: ClientErrorCode | (string & {}) = `HTTP_${response.status}`;
  let details: unknown;
  let message = bodyText.trim() ? bodyText.trim().slice(0, 500) : `${response.status} ${response.statusText}`.trim();
  try {
    const body = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (body && typeof body.error === "object" && body.error !== null) {
      if (typeof body.error.code === "string") code = body.error.code;
      if (typeof body.error.message === "string") message = body.error.message;
      details = body.error.details;
    }
  } catch {
    // not JSON: keep the text
  }
  return new WasmboxApiError({
    status: response.status,
    code,
    message,
    method,
    url,
    retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
    details,
  });
}
