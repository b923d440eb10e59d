/**
 * The host's error channel: every failure of wasmbox itself (not of guest code) is a
 * thrown `WasmboxError` with a stable `code`. Guest failures are never thrown: they are
 * the `status`/`error` fields of the result.
 */
export const ERROR_CATALOGUE = {
  INVALID_REQUEST: { httpStatus: 400, summary: "The request does not match the contract." },
  UNSUPPORTED_LANGUAGE: { httpStatus: 400, summary: "No runtime is installed for this language." },
  QUEUE_FULL: { httpStatus: 503, summary: "Too many runs are waiting; retry later." },
  ENGINE_DISPOSED: { httpStatus: 503, summary: "The engine was disposed." },
  SANDBOX_START_FAILED: { httpStatus: 500, summary: "A sandbox process could not be started." },
  SANDBOX_PROTOCOL_ERROR: { httpStatus: 500, summary: "A sandbox broke the host protocol." },
  RUNTIME_LOAD_FAILED: { httpStatus: 500, summary: "A language runtime failed to load." },
  ALREADY_USED: { httpStatus: 409, summary: "A single-use resource was used twice, or a session is busy." },
  SESSION_CLOSED: { httpStatus: 410, summary: "The session has ended (disposed, expired, or its sandbox was stopped)." },
} as const;

export type WasmboxErrorCode = keyof typeof ERROR_CATALOGUE;

export class WasmboxError extends Error {
  override readonly name = "WasmboxError";
  readonly code: WasmboxErrorCode;
  readonly httpStatus: number;
  /** Extra machine-readable detail, e.g. the validation issues of an invalid request. */
  readonly details: unknown;

  constructor(code: WasmboxErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.httpStatus = ERROR_CATALOGUE[code].httpStatus;
    this.details = options?.details;
  }
}

export function isWasmboxError(e: unknown, code?: WasmboxErrorCode): e is WasmboxError {
  return e instanceof WasmboxError && (code === undefined || e.code === code);
}
