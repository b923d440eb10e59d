/**
 * The host's check of what a sandbox says about a run. Guest code can forge any message a
 * sandbox sends (it can write frames to the channel, or post to its runtime's port), so an
 * outcome is hostile input: it is taken apart field by field, against the contract and the
 * run's limits, and anything out of shape is dropped with the run marked — never stored or
 * returned as it came.
 */
import type { GuestError, JsonValue, ResolvedLimits, RichOutput } from "@wasmbox/contract";
import { OUTPUT_FILE_CAPS } from "../guest/files.js";
import { RICH_OUTPUT_CAPS, richOutputBytes } from "../guest/rich-outputs.js";
import { truncateUtf8, utf8Length } from "../guest/utf8.js";
import { VALUE_MAX_BYTES, type GuestOutcome } from "../runtime.js";

/** Error text a run may return beyond its output cap is never more than this. */
const ERROR_MESSAGE_MAX_BYTES = 16 * 1024;
/** A value deeper than this is refused (JSON of guest values is walked recursively). */
const VALUE_MAX_DEPTH = 64;

export interface CheckedOutcome {
  outcome: GuestOutcome;
  /** What was wrong with the outcome as sent; empty when it was in shape. */
  violations: string[];
  /** The value's JSON was larger than the output cap: the run counts as over its output limit. */
  valueOverLimit: boolean;
}

const GUEST_STATUSES = new Set(["ok", "error", "memory_limit", "compile_error"]);

/**
 * Check a sandbox's outcome. `compiler`: the sandbox is a compiler, whose only file is
 * `main.wasm` (or `main.pch`, a precompiled header the host asked for).
 */
export function checkOutcome(raw: unknown, limits: ResolvedLimits, compiler = false): CheckedOutcome {
  const violations: string[] = [];
  const o = isRecord(raw) ? raw : (violations.push("the outcome is not an object"), {} as Record<string, unknown>);
  let status = typeof o.status === "string" && GUEST_STATUSES.has(o.status) ? (o.status as GuestOutcome["status"]) : null;
  if (status === null) {
    violations.push(`status ${describe(o.status)} is not one a sandbox may report`);
    status = "error";
  }
  const exitCode = Number.isSafeInteger(o.exitCode) && (o.exitCode as number) >= -(2 ** 31) && (o.exitCode as number) < 2 ** 32 ? (o.exitCode as number) : (violations.push("exitCode is not an integer"), status === "ok" ? 0 : 1);
  const error = checkError(o.error, limits, violations);

  let value: JsonValue | null = null;
  // The sandbox's runtime drops a value too large to send, and says so.
  let valueOverLimit = o.valueTooLarge === true;
  if (o.value !== null && o.value !== undefined) {
    const checked = checkValue(o.value, Math.min(limits.maxOutputBytes, VALUE_MAX_BYTES));
    if (checked === "too-large") valueOverLimit = true;
    else if (checked === "invalid") violations.push("the value is not JSON data");
    else value = checked.value;
  }

  const files = checkFiles(o.files, compiler, violations);
  const outputs = checkOutputs(o.outputs, violations);
  return { outcome: { status, error: status === "ok" ? null : error, exitCode, value, files, outputs }, violations, valueOverLimit };
}

function checkError(raw: unknown, limits: ResolvedLimits, violations: string[]): GuestError | null {
  if (raw === null || raw === undefined) return null;
  if (!isRecord(raw)) {
    violations.push("error is not an object");
    return { name: "Error", message: "the run failed", traceback: "", line: null };
  }
  const text = (v: unknown, max: number) => (typeof v === "string" ? (utf8Length(v) > max ? `${truncateUtf8(v, max)}… [cut at ${max} bytes]` : v) : "");
  const line = Number.isSafeInteger(raw.line) && (raw.line as number) > 0 ? (raw.line as number) : null;
  const name = typeof raw.name === "string" && /^[\w.$:-]{1,128}$/.test(raw.name) ? raw.name : "Error";
  return {
    name,
    message: text(raw.message, Math.min(ERROR_MESSAGE_MAX_BYTES, Math.max(256, limits.maxOutputBytes))),
    // The traceback is output the guest produced: it counts against the same cap.
    traceback: text(raw.traceback, Math.max(256, Math.min(limits.maxOutputBytes, VALUE_MAX_BYTES))),
    line,
  };
}

/** A copy of a JSON value built from plain data only, or why not. */
function checkValue(raw: unknown, maxBytes: number): { value: JsonValue } | "too-large" | "invalid" {
  let bytes = 0;
  const walk = (v: unknown, depth: number): JsonValue => {
    if (depth > VALUE_MAX_DEPTH) throw new TypeError("too deep");
    if (bytes > maxBytes) throw new RangeError("too large");
    if (v === null) return (bytes += 4), null;
    switch (typeof v) {
      case "boolean":
        bytes += 5;
        return v;
      case "number":
        if (!Number.isFinite(v)) throw new TypeError("not finite");
        bytes += 24;
        return v;
      case "string":
        bytes += utf8Length(v) + 2;
        if (bytes > maxBytes) throw new RangeError("too large");
        return v;
      case "object": {
        if (Array.isArray(v)) return v.map((x) => ((bytes += 1), walk(x, depth + 1)));
        if (v instanceof Uint8Array || v instanceof Map) throw new TypeError("not JSON");
        const out = Object.create(null) as Record<string, JsonValue>;
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
          bytes += utf8Length(k) + 4;
          out[k] = walk(x, depth + 1);
        }
        return { ...out };
      }
      default:
        throw new TypeError("not JSON");
    }
  };
  try {
    return { value: walk(raw, 0) };
  } catch (e) {
    return e instanceof RangeError ? "too-large" : "invalid";
  }
}

function checkFiles(raw: unknown, compiler: boolean, violations: string[]): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  if (raw === undefined || raw === null) return files;
  if (!(raw instanceof Map)) {
    violations.push("files is not a map of paths to bytes");
    return files;
  }
  if (raw.size > OUTPUT_FILE_CAPS.maxFiles) {
    violations.push(`${raw.size} output files reported (cap ${OUTPUT_FILE_CAPS.maxFiles}); none were kept`);
    return files;
  }
  let total = 0;
  for (const [path, bytes] of raw as Map<unknown, unknown>) {
    if (typeof path !== "string" || !isOutputPath(path) || (compiler && path !== "main.wasm" && path !== "main.pch")) {
      violations.push(`output file path ${describe(path)} was refused`);
      continue;
    }
    if (!(bytes instanceof Uint8Array)) {
      violations.push(`output file ${JSON.stringify(path)} has no bytes`);
      continue;
    }
    total += bytes.byteLength;
    if (total > OUTPUT_FILE_CAPS.maxTotalBytes) {
      violations.push(`output files exceed ${OUTPUT_FILE_CAPS.maxTotalBytes} bytes in all; none were kept`);
      files.clear();
      return files;
    }
    files.set(path, bytes);
  }
  return files;
}

/** MIME types an output may carry: `type/subtype`, lower case, as IANA names them. */
const MIME_TYPE = /^[a-z]+\/[a-z0-9][a-z0-9.+-]{0,100}$/;
/** Types whose data is text; other types but JSON ones are base64 (see RichOutputSchema). */
const TEXT_TYPES = new Set(["text/plain", "text/html", "text/markdown", "text/latex", "image/svg+xml"]);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Rich outputs, as the contract has them and within RICH_OUTPUT_CAPS (an honest runtime
 * already kept to the caps and said on stderr what it dropped): anything else is a forged
 * outcome, and none are kept.
 */
function checkOutputs(raw: unknown, violations: string[]): RichOutput[] {
  if (raw === undefined || raw === null) return [];
  const refuse = (why: string): RichOutput[] => (violations.push(why), []);
  if (!Array.isArray(raw)) return refuse("outputs is not a list");
  if (raw.length > RICH_OUTPUT_CAPS.maxOutputs) return refuse(`${raw.length} rich outputs reported (cap ${RICH_OUTPUT_CAPS.maxOutputs}); none were kept`);
  const outputs: RichOutput[] = [];
  let total = 0;
  for (const [i, item] of raw.entries()) {
    if (!isRecord(item) || (item.kind !== "display" && item.kind !== "result") || !isRecord(item.data)) return refuse(`rich output ${i} is not a {kind, data} object; none were kept`);
    const data = Object.create(null) as Record<string, JsonValue>;
    for (const [mime, v] of Object.entries(item.data)) {
      if (!MIME_TYPE.test(mime)) return refuse(`rich output ${i} has the MIME type ${describe(mime)}, which was refused; none were kept`);
      const json = mime === "application/json" || mime.endsWith("+json");
      if (!json && typeof v !== "string") return refuse(`rich output ${i}'s ${mime} is not a string; none were kept`);
      if (!json && !TEXT_TYPES.has(mime) && !mime.startsWith("text/") && !BASE64.test(v as string)) return refuse(`rich output ${i}'s ${mime} is not base64; none were kept`);
      const checked = checkValue(v, RICH_OUTPUT_CAPS.maxTotalBytes - total);
      if (checked === "too-large") return refuse(`rich outputs exceed ${RICH_OUTPUT_CAPS.maxTotalBytes} bytes in all; none were kept`);
      if (checked === "invalid") return refuse(`rich output ${i}'s ${mime} is not JSON data; none were kept`);
      data[mime] = checked.value;
    }
    const output: RichOutput = { kind: item.kind, data: { ...data } };
    total += richOutputBytes(output);
    if (total > RICH_OUTPUT_CAPS.maxTotalBytes) return refuse(`rich outputs exceed ${RICH_OUTPUT_CAPS.maxTotalBytes} bytes in all; none were kept`);
    outputs.push(output);
  }
  return outputs;
}

/**
 * The path rule for files a run returns: relative, `/`-separated segments of printable
 * characters without `\`, no `.`/`..`/empty segments, at most 512 characters.
 */
export function isOutputPath(path: string): boolean {
  if (path.length === 0 || path.length > 512 || path.startsWith("/")) return false;
  // No control characters (C0 such as CR/LF and NUL, DEL, C1), no backslashes, no line or
  // paragraph separators, no bidirectional overrides (a name shown backwards), no lone surrogates.
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x5c) return false;
    if (c === 0x2028 || c === 0x2029 || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = path.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return path.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map);
}

function describe(v: unknown): string {
  const s = typeof v === "string" ? JSON.stringify(v) : typeof v;
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
