/**
 * Which compiler flags a request may pass. Anything not on these lists is refused at the
 * boundary with a message that names the flag: no linker flags (but the stack size), no include paths outside
 * the request's files, no plugins, no response files.
 */
export type CompiledLanguage = "c" | "cpp" | "assemblyscript";

const C_STDS = /^(c|gnu)(89|90|99|9x|11|1x|17|18|2x|23)$/;
const CXX_STDS = /^(c|gnu)\+\+(98|03|11|0x|14|1y|17|1z|20|2a|23|2b|26|2c)$/;
const WARNING = /^-W(no-)?[a-z][a-z0-9+=-]*$/;
const MACRO = /^-D[A-Za-z_][A-Za-z0-9_]*(=[^\0\n]{0,200})?$/;
const UNDEF = /^-U[A-Za-z_][A-Za-z0-9_]*$/;
const F_FLAGS = new Set([
  "fast-math",
  "finite-math-only",
  "wrapv",
  "trapv",
  "signed-char",
  "unsigned-char",
  "strict-aliasing",
  "builtin",
  "inline",
  "unroll-loops",
  "vectorize",
  "slp-vectorize",
  "omit-frame-pointer",
  "common",
  "short-enums",
  "char8_t",
  "rtti",
  "ms-extensions",
  "color-diagnostics",
  "diagnostics-color",
]);
const M_FLAGS = new Set([
  "simd128",
  "relaxed-simd",
  "bulk-memory",
  "nontrapping-fptoint",
  "sign-ext",
  "mutable-globals",
  "multivalue",
  "reference-types",
  "tail-call",
  "extended-const",
]);
const SIMPLE_C_FLAGS = new Set(["-w", "-pedantic", "-pedantic-errors", "-Wall", "-Wextra", "-Werror", "-g", "-g0", "-lm", "-lc", "-ansi"]);

const ASC_FLAGS = /^--(noAssert|exportRuntime|debug|exportTable|importTable|noExportMemory|pedantic)$/;
const ASC_VALUED = /^--(runtime=(stub|minimal|incremental)|uncheckedBehavior=(default|never|always)|(enable|disable)=[a-z0-9-]+(,[a-z0-9-]+)*)$/;

/**
 * The C/C++ stack when the request sets none: what native Linux gives a program (`ulimit -s`,
 * 8 MiB). It lives in the module's linear memory, so it counts toward memoryLimitBytes.
 */
export const DEFAULT_STACK_BYTES = 8 * 1024 * 1024;
/** The smallest and largest stack a request may ask for (wasm-ld's own default is 64 KiB). */
export const MIN_STACK_BYTES = 64 * 1024;
export const MAX_STACK_BYTES = 1024 * 1024 * 1024;
/** The one linker flag a request may pass: `-Wl,-z,stack-size=N` (bytes), as wasi-sdk users write it. */
const STACK_SIZE_FLAG = /^-Wl,-z,stack-size=(\d{1,12})$/;

/** The stack size a request's flags ask for (the last `-Wl,-z,stack-size=N`), else the default. */
export function stackBytesOf(flags: readonly string[]): number {
  let bytes = DEFAULT_STACK_BYTES;
  for (const flag of flags) {
    const m = STACK_SIZE_FLAG.exec(flag);
    if (m) bytes = Number(m[1]);
  }
  return bytes;
}

function checkStackSizeFlag(flag: string): string | null {
  const bytes = Number(STACK_SIZE_FLAG.exec(flag)![1]);
  if (bytes < MIN_STACK_BYTES || bytes > MAX_STACK_BYTES || bytes % 16 !== 0) {
    return `flag ${JSON.stringify(flag)}: the stack size must be a multiple of 16 bytes from ${MIN_STACK_BYTES} (64 KiB) to ${MAX_STACK_BYTES} (1 GiB); the default is ${DEFAULT_STACK_BYTES} (8 MiB)`;
  }
  return null;
}

/** Flags with a meaning we refuse on purpose, and why. */
function refusedReason(flag: string): string | null {
  if (/^-f(cxx-)?exceptions$/.test(flag) || flag === "-fwasm-exceptions") {
    return "C++ exceptions are not supported: the wasm32-wasi C++ library here is built without them (code that uses try/throw is reported at compile time)";
  }
  if (/^-(o|x|B|Xlinker|Xclang|mllvm|fplugin|include|imacros|isystem|iquote|isysroot|-sysroot|target)/.test(flag) || flag.startsWith("-Wl,") || flag.startsWith("@")) {
    return `it controls inputs, outputs or the toolchain, which wasmbox sets itself${flag.startsWith("-Wl,") ? " (the one linker flag allowed is -Wl,-z,stack-size=N, the stack in bytes)" : ""}`;
  }
  return null;
}

/**
 * Check one compiler flag for a language.
 * @returns null when allowed, else a message naming the flag and what is allowed.
 */
export function checkCompileFlag(language: CompiledLanguage, flag: string): string | null {
  if (language === "assemblyscript") {
    if (ASC_FLAGS.test(flag) || ASC_VALUED.test(flag)) return null;
    return `flag ${JSON.stringify(flag)} is not allowed for AssemblyScript; allowed: --runtime=stub|minimal|incremental, --noAssert, --uncheckedBehavior=…, --enable=…, --disable=…, --exportRuntime, --debug, --pedantic (use compile.optimize for the level)`;
  }
  if (STACK_SIZE_FLAG.test(flag)) return checkStackSizeFlag(flag);
  if (flag.startsWith("-Wl,-z,stack-size=")) {
    return `flag ${JSON.stringify(flag)}: the stack size is a number of bytes, e.g. -Wl,-z,stack-size=16777216 for 16 MiB`;
  }
  const refused = refusedReason(flag);
  if (refused) return `flag ${JSON.stringify(flag)} is not allowed: ${refused}`;
  if (SIMPLE_C_FLAGS.has(flag) || /^-O[0-3sz]$/.test(flag) || MACRO.test(flag) || UNDEF.test(flag)) return null;
  if (flag.startsWith("-std=")) {
    const std = flag.slice(5);
    if ((language === "c" ? C_STDS : CXX_STDS).test(std)) return null;
    return `flag ${JSON.stringify(flag)}: unknown ${language === "c" ? "C" : "C++"} standard ${JSON.stringify(std)}`;
  }
  if (flag.startsWith("-W") && (WARNING.test(flag) || /^-Werror=[a-z][a-z0-9+-]*$/.test(flag))) return null;
  const f = /^-f(no-)?([a-z0-9_+-]+)$/.exec(flag);
  if (f && (F_FLAGS.has(f[2]!) || (f[1] && f[2] === "exceptions"))) return null;
  const m = /^-m(no-)?([a-z0-9-]+)$/.exec(flag);
  if (m && M_FLAGS.has(m[2]!)) return null;
  if (flag === "-mexec-model=reactor" || flag === "-mexec-model=command") return null;
  const inc = /^-I(.+)$/.exec(flag);
  if (inc) {
    const dir = inc[1]!;
    if (!dir.startsWith("/") && !dir.split("/").includes("..") && !dir.includes("\0")) return null;
    return `flag ${JSON.stringify(flag)}: include directories must be relative paths inside the request's files`;
  }
  return `flag ${JSON.stringify(flag)} is not allowed; allowed: -std=…, -D…, -U…, -I<relative dir>, -W…, -w, -pedantic, -O0…-O3/-Os/-Oz, -g, -f(no-)fast-math/wrapv/rtti/…, -m(no-)simd128/bulk-memory/…, -lm, -Wl,-z,stack-size=N`;
}

/**
 * Why a name given to a compiler on its command line would not be plain data, or null. A
 * name starting with `-` is an option and one starting with `@` a response file (clang
 * reads options from it, even after `--`), so neither is accepted.
 */
export function commandLineNameProblem(name: string): string | null {
  if (name.startsWith("-") || name.startsWith("@")) {
    return `${JSON.stringify(name)} starts with ${JSON.stringify(name[0])}, which the compiler would read as ${name[0] === "-" ? "an option" : "a response file of options"}; rename it (compiler options go in compile.flags)`;
  }
  return null;
}
