/**
 * C++ precompiled headers for the standard library: what a program's build may take from one,
 * and the exact text a PCH is built from.
 *
 * Parsing libc++'s headers is most of a C++ compile here (`<iostream>` alone is ~2–4 s of
 * clang-in-wasm's frontend). A PCH of exactly the standard headers a file includes first, in its
 * order, compiled with its options, is the same as parsing them: the file's own `#include` lines
 * then find their include guards set. So a PCH is used only when that equivalence is certain:
 * - the file begins with `#include <h>` lines of standard headers only (blank lines and comments
 *   between them); anything else (a `#define NDEBUG`, a `#pragma`, a quoted include) ends the
 *   preamble, and everything from there on is parsed as without the PCH;
 * - the request passes no flag that changes how a header is found or read (no `-I`, `-D`, `-U`,
 *   `-g`, `-f…`, `-m…`: only `-std=`, `-Wall`/`-Wextra`, `-w` and the stack size), so `<h>` can
 *   only be the toolchain's own header, never a request's file;
 * - no request file lives under the directory the PCH is placed in.
 * The PCH's text is generated here from the header names alone: nothing of the request's
 * sources reaches it. Whether to trust the output is the caller's part: a build with a PCH
 * that printed anything, or failed, is done again without it (its diagnostics are the plain
 * build's, word for word).
 */
import type { ExecuteRequest } from "@wasmbox/contract";
import { buildInputs, C_SOURCE_FILES, own } from "./source-tree.js";

/** The directory of the tree a PCH and its header are placed in (the same path when built and used). */
export const PCH_DIR = "wasmbox-pch";
export const PCH_HEADER = `${PCH_DIR}/preamble.hpp`;
export const PCH_FILE = `${PCH_DIR}/preamble.pch`;

/** libc++'s public headers, and the C headers C++ programs include most. */
const STANDARD_HEADERS = new Set(
  (
    "algorithm any array atomic barrier bit bitset cassert ccomplex cctype cerrno cfenv cfloat charconv chrono cinttypes ciso646 climits clocale cmath codecvt compare complex concepts condition_variable coroutine csetjmp csignal cstdarg cstdbool cstddef cstdint cstdio cstdlib cstring ctgmath ctime cuchar cwchar cwctype deque exception execution expected filesystem flat_map flat_set format forward_list fstream functional future initializer_list iomanip ios iosfwd iostream istream iterator latch limits list locale map mdspan memory memory_resource mutex new numbers numeric optional ostream print queue random ranges ratio regex scoped_allocator semaphore set shared_mutex source_location span sstream stack stdexcept stop_token streambuf string string_view syncstream system_error thread tuple type_traits typeindex typeinfo unordered_map unordered_set utility valarray variant vector version " +
    "assert.h ctype.h errno.h float.h inttypes.h limits.h math.h stdarg.h stdbool.h stddef.h stdint.h stdio.h stdlib.h string.h time.h"
  ).split(" "),
);

/** At most this many headers in one PCH: a longer preamble uses its first ones. */
const MAX_HEADERS = 12;

const INCLUDE = /^[ \t]*#[ \t]*include[ \t]*<([a-z_.]+)>[ \t]*(?:\/\/[^\n]*)?$/;

/**
 * The standard headers a C++ file includes before anything else, in order (duplicates kept
 * out), or an empty list. Block comments are allowed only on lines of their own.
 */
export function standardPreamble(code: string): string[] {
  const headers: string[] = [];
  let inComment = false;
  for (const line of code.slice(0, 16_384).split("\n")) {
    // A trigraph (-std=c++11 and older read `??/` as a backslash) could join lines: stop.
    if (line.includes("??")) break;
    if (inComment) {
      if (line.includes("*/")) {
        if (line.slice(line.indexOf("*/") + 2).trim() !== "") break;
        inComment = false;
      }
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("//")) {
      // A line comment ending in a backslash continues onto the next line: stop there.
      if (trimmed.endsWith("\\")) break;
      continue;
    }
    if (trimmed.startsWith("/*")) {
      const end = trimmed.indexOf("*/", 2);
      if (end === -1) inComment = true;
      else if (trimmed.slice(end + 2).trim() !== "") break;
      continue;
    }
    const m = INCLUDE.exec(line);
    if (!m || !STANDARD_HEADERS.has(m[1]!) || line.endsWith("\\")) break;
    if (!headers.includes(m[1]!)) headers.push(m[1]!);
    if (headers.length === MAX_HEADERS) break;
  }
  return headers;
}

/** Flags a build may have and still use a PCH: they change neither which header is read nor how. */
function pchSafeFlag(flag: string): boolean {
  return /^-std=(c|gnu)\+\+[0-9a-z]+$/.test(flag) || flag === "-Wall" || flag === "-Wextra" || flag === "-w" || /^-Wl,-z,stack-size=\d+$/.test(flag);
}

/** What a C++ build's PCH is built from: the header text and the options that shape it. */
export interface PchPlan {
  headers: string[];
  /** `#include <h>` lines, one per header: the PCH's whole source. */
  text: string;
  /** The compile options the PCH is built with (they must match the build that uses it). */
  optimize: string;
  /** `-std=` flags of the request, in order (the last wins, as on clang's command line). */
  std: string[];
}

/**
 * The PCH a C++ request's build could use, or null (not C++, no standard preamble, a flag or a
 * file that could change what the headers mean).
 */
export function pchPlan(request: ExecuteRequest): PchPlan | null {
  if (own(request, "language") !== "cpp") return null;
  const compile = own(request, "compile");
  const flags = own(compile, "flags") ?? [];
  if (!flags.every(pchSafeFlag)) return null;
  const files = own(request, "files");
  // Compared as the compiler's tree will hold them (normalised paths); any case, to be safe.
  if (buildInputs(files, C_SOURCE_FILES).some(([p]) => p.toLowerCase().split("/")[0] === PCH_DIR)) return null;
  const headers = standardPreamble(own(request, "code") ?? "");
  if (headers.length === 0) return null;
  return { headers, text: headers.map((h) => `#include <${h}>\n`).join(""), optimize: own(compile, "optimize") ?? "2", std: flags.filter((f) => f.startsWith("-std=")) };
}

/**
 * Everything that changes a PCH's bytes, as one string (its store key, hashed by the host):
 * the compiler's version, the options and the header list; and whose it is (null: shared by
 * every tenant). A PCH holds only the toolchain's headers; the tenant is there so that a fast
 * build never tells one tenant which headers another compiled.
 */
export function pchKeyMaterial(plan: PchPlan, compilerVersion: string, tenant: string | null): string {
  return JSON.stringify({ format: 1, tenant, compiler: compilerVersion, optimize: plan.optimize, std: plan.std, headers: plan.headers });
}
