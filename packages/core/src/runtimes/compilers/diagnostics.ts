/**
 * Compiler output → structured diagnostics `{ file, line, column, severity, message }`,
 * for clang/wasm-ld and for the AssemblyScript compiler. Lines that are not diagnostics
 * (source excerpts, carets) are skipped; the raw output is kept separately.
 */
import type { Diagnostic } from "@wasmbox/contract";

const CLANG = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;
const TOOL = /^(?:clang(?:\+\+)?|wasm-ld|ld|lld)(?:-\d+)?: (error|warning|note): (.*)$/;
const ASC_HEAD = /^(ERROR|WARNING|INFO|PEDANTIC)(?: (?:TS|AS)\d+)?: (.*)$/;
const ASC_WHERE = /in (\S+?)\((\d+),(\d+)\)\s*$/;

/** Parse clang or wasm-ld output; errors wasmbox knows a fix for get a note naming it. */
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
  return withFixNotes(out);
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

/**
 * Headers of common C library functions clang does not name itself. For the library
 * functions it knows (printf, strlen, malloc, …) clang adds a note "include the header
 * <stdio.h> or explicitly provide a declaration for 'printf'", which is used instead.
 */
const HEADERS: Readonly<Record<string, readonly string[]>> = {
  "stdio.h": ["printf", "fprintf", "sprintf", "snprintf", "puts", "putchar", "getchar", "fputs", "fgets", "fopen", "fclose", "fread", "fwrite", "fflush", "fseek", "ftell", "scanf", "sscanf", "fscanf", "perror", "remove", "rename", "getline"],
  "stdlib.h": ["malloc", "calloc", "realloc", "free", "exit", "abort", "atoi", "atol", "atoll", "atof", "strtol", "strtoul", "strtoll", "strtod", "rand", "srand", "qsort", "bsearch", "abs", "labs", "getenv", "system"],
  "string.h": ["strlen", "strcmp", "strncmp", "strcpy", "strncpy", "strcat", "strncat", "strchr", "strrchr", "strstr", "strtok", "strdup", "memcpy", "memmove", "memset", "memcmp"],
  "unistd.h": ["read", "write", "close", "sleep", "usleep", "getpid", "isatty", "access", "unlink", "lseek", "getopt", "getcwd", "chdir"],
  "time.h": ["time", "clock", "clock_gettime", "nanosleep", "difftime", "localtime", "gmtime", "strftime", "mktime"],
  "sys/time.h": ["gettimeofday"],
  "assert.h": ["assert"],
  "ctype.h": ["isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "ispunct", "isxdigit", "toupper", "tolower"],
  "math.h": ["sqrt", "pow", "exp", "log", "log2", "log10", "sin", "cos", "tan", "atan", "atan2", "floor", "ceil", "round", "fabs", "fmod", "hypot"],
};
const HEADER_OF = new Map(Object.entries(HEADERS).flatMap(([header, names]) => names.map((n) => [n, header] as const)));

/** Warnings clang makes errors by default in C where gcc (before 14) only warns, and the code's own fix. */
const GCC_LENIENT: Readonly<Record<string, string>> = {
  "implicit-int": "write the type that was left out (int)",
  "int-conversion": "convert between the pointer and the integer with an explicit cast",
  "incompatible-function-pointer-types": "make the function's type match the pointer's (or cast)",
  "incompatible-pointer-types": "make the pointer types match (or cast)",
  "return-mismatch": "return a value of the function's return type",
};

/** `compile.flags: ["-Wno-error=NAME"] (CLI: --cflag=-Wno-error=NAME)` */
function downgradeHint(warning: string): string {
  return `compile.flags: ["-Wno-error=${warning}"] (CLI: --cflag=-Wno-error=${warning})`;
}

/**
 * What to do about an error that is one of clang's warnings made an error by default
 * (`… [-Wimplicit-function-declaration]`), or null for any other error. `following` are the
 * diagnostics after it, where clang's own note naming a header may be.
 * @example fixFor(undeclaredPrintf, [clangNote]) // "include <stdio.h> (it declares 'printf'), or …"
 */
export function fixFor(error: Diagnostic, following: readonly Diagnostic[]): string | null {
  if (error.severity !== "error") return null;
  const tag = /\[-W([a-z0-9+-]+)\]$/.exec(error.message);
  if (!tag) return null;
  const warning = tag[1]!;
  if (warning === "implicit-function-declaration") {
    const name = /undeclared (?:library )?function '([^']+)'/.exec(error.message)?.[1];
    const end = following.findIndex((d) => d.severity !== "note");
    const notes = end === -1 ? following : following.slice(0, end);
    const named = name ? notes.map((n) => /^include the header <([^>]+)> or explicitly provide a declaration for '([^']+)'/.exec(n.message)).find((m) => m?.[2] === name) : undefined;
    const header = named?.[1] ?? (name ? HEADER_OF.get(name) : undefined);
    const fix = header ? `add #include <${header}> (it declares '${name}')` : `declare '${name ?? "the function"}' before its first use (a prototype, or move its definition above)`;
    return `${fix}; or, to accept implicit declarations as gcc before 14 does, ${downgradeHint(warning)}`;
  }
  const own = Object.hasOwn(GCC_LENIENT, warning) ? GCC_LENIENT[warning] : undefined;
  if (own) return `${own}; or, to accept it as gcc before 14 does, ${downgradeHint(warning)}`;
  return `clang makes this warning an error by default; ${downgradeHint(warning)} turns it back into a warning`;
}

/**
 * A note after each error `fixFor` knows what to do about (after clang's own notes on it),
 * so the diagnostics name the fix too.
 */
export function withFixNotes(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  let pending: Diagnostic | null = null;
  diagnostics.forEach((d, i) => {
    if (pending && d.severity !== "note") {
      out.push(pending);
      pending = null;
    }
    out.push(d);
    const fix = fixFor(d, diagnostics.slice(i + 1));
    if (fix) pending = { file: d.file, line: d.line, column: d.column, severity: "note", message: fix };
  });
  if (pending) out.push(pending);
  return out;
}
