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
