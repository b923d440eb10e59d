/**
 * Compiler output → structured diagnostics `{ file, line, column, severity, message }`,
 * for clang/wasm-ld and for the AssemblyScript compiler. Lines that are not diagnostics
 * (source excerpts, carets) are skipped; the raw output is kept separately.
 */
import type { Diagnostic } from "../../contract.js";

const CLANG = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;
const TOOL = /^(?:clang(?:\+\+)?|wasm-ld|ld|lld)(?:-\d+)?: (error|warning|note): (.*)$/;
const ASC_HEAD = /^(ERROR|WARNING|INFO|PEDANTIC)(?: (?:TS|AS)\d+)?: (.*)$/;
const ASC_WHERE = /in (\S+?)\((\d+),(\d+)\)\s*$/;

/** Parse clang or wasm-ld output. */
export function parseClangDiagnostics(output: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const m = CLANG.exec(line);
    if (m) {
      out.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3]), severity: m[4] === "note" ? "note" : m[4] === "warning" ? "warning" : "error", message: m[5]! });
      continue;
    }
    const t = TOOL.exec(line);
    if (t) out.push({ file: null, line: null, column: null, severity: t[1] as Diagnostic["severity"], message: t[2]! });
  }
  return out;
}

/** Parse the AssemblyScript compiler's output. */
export function parseAscDiagnostics(output: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  let current: Diagnostic | null = null;
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const head = ASC_HEAD.exec(line);
    if (head) {
      current = { file: null, line: null, column: null, severity: head[1] === "ERROR" ? "error" : head[1] === "WARNING" || head[1] === "PEDANTIC" ? "warning" : "note", message: head[2]! };
      if (!/^\d+ compile error/.test(current.message)) out.push(current);
      continue;
    }
    const where = current && current.line === null ? ASC_WHERE.exec(line) : null;
    if (where && current) {
      current.file = where[1]!;
      current.line = Number(where[2]);
      current.column = Number(where[3]);
    }
  }
  return out;
}

/** The first error, as one line, for `error.message`. */
export function firstError(diagnostics: readonly Diagnostic[], fallback: string): { message: string; line: number | null } {
  const d = diagnostics.find((x) => x.severity === "error");
  if (!d) return { message: fallback, line: null };
  const where = d.file ? `${d.file}${d.line !== null ? `:${d.line}:${d.column ?? 0}` : ""}: ` : "";
  return { message: `${where}${d.message}`, line: d.line };
}

/** A line of a JavaScript or wasm stack trace (`    at f (file:///…:1:2)`, `    at wasm://…`). */
const STACK_FRAME = /^\s*at\s.*(?:\(.*\)|:\d+(?::\d+)?|wasm-function\[\d+\]\S*|<anonymous>|native)\s*$/;
/** Locations on the machine that runs the compiler: `file://` URLs, paths into node_modules. */
const HOST_LOCATION = /\bfile:\/\/[^\s'"()<>]*|(?:[A-Za-z]:)?[\\/][^\s'"()<>:]*node_modules[^\s'"()<>]*/g;

/**
 * Compiler output or an error text without what only describes the host: stack frames of
 * the compiler's own JavaScript/wasm, and paths of the machine it runs on. Diagnostics about
 * the program (which name the request's own files) are kept as they are.
 */
export function scrubHostDetails(text: string): string {
  if (!text) return text;
  return text
    .split("\n")
    .filter((line) => !STACK_FRAME.test(line))
    .join("\n")
    .replace(HOST_LOCATION, "…");
}

/**
 * A crash of a compiler (a trap in clang's wasm, an exception in the AssemblyScript
 * compiler), as a short reason a user can quote: the error's name and the first line of its
 * message, without host paths. E.g. `RuntimeError: unreachable`.
 */
export function crashReason(e: unknown): string {
  const name = e instanceof Error ? e.name : "Error";
  const raw = e instanceof Error ? e.message : typeof e === "string" ? e : "unknown failure";
  const first = scrubHostDetails(String(raw)).split("\n").find((l) => l.trim() !== "") ?? "";
  const reason = first.trim().slice(0, 200);
  return reason ? (reason.startsWith(`${name}:`) ? reason : `${name}: ${reason}`) : name;
}
