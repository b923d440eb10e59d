/**
 * What the engine checks and derives around a compile (C, C++, AssemblyScript), without a
 * host: the cache key's material, the exports of a built module, a compiler crash in a line.
 */
import type { ExecuteRequest } from "@wasmbox/contract";
import { stackBytesOf } from "@wasmbox/contract/flags";
import { ASC_SOURCE_FILES, buildInputs, C_SOURCE_FILES } from "../runtimes/compilers/source-tree.js";

/**
 * Bumped whenever what a build depends on changes beyond the key's fields (how wasmbox
 * builds the compiler's command line or source tree): older entries are never read again.
 * 2: inputs by normalised path, per-tenant keys.
 * 3: C/C++ link with a native-like stack (8 MiB, stack first) and export `__stack_pointer`.
 */
const FORMAT = 3;

/**
 * Everything that changes a request's build, as one string: the compile cache's key (a host
 * that names entries by it hashes it). `inputs` are the build's files exactly as the compiler
 * sees them (normalised paths, collisions resolved), so two requests with one key give the
 * compiler the same tree. The tenant is part of it: a hit (`compile.cached`, or a faster
 * answer) only ever comes from the same tenant's earlier build.
 * @param tenant whose cache this is (undefined: the shared tenant of library and CLI use)
 */
export function compileKeyMaterial(request: ExecuteRequest, filename: string, compilerVersion: string, tenant?: string): string {
  const inputs = buildInputs(request.files, request.language === "assemblyscript" ? ASC_SOURCE_FILES : C_SOURCE_FILES);
  return JSON.stringify({
    format: FORMAT,
    tenant: tenant ?? null,
    language: request.language,
    compiler: compilerVersion,
    optimize: request.compile?.optimize ?? "2",
    flags: request.compile?.flags ?? [],
    // The stack a C/C++ build gets, default included: a new default is a new build.
    stackBytes: request.language === "assemblyscript" ? null : stackBytesOf(request.compile?.flags ?? []),
    reactor: request.wasm?.invoke !== undefined,
    filename,
    code: request.code,
    inputs,
  });
}

/**
 * The names a wasm module exports, read from its export section; null if the bytes are not
 * a well-formed module header/section layout. Used to check a build before it is cached.
 */
export function wasmExportNames(bytes: Uint8Array): string[] | null {
  if (bytes.byteLength < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return null;
  let at = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (at >= bytes.byteLength || shift > 28) throw new RangeError("bad LEB128");
      const b = bytes[at++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  };
  try {
    while (at < bytes.byteLength) {
      const id = bytes[at++]!;
      const size = leb();
      const end = at + size;
      if (end > bytes.byteLength) return null;
      if (id === 7) {
        const names: string[] = [];
        const count = leb();
        const decoder = new TextDecoder();
        for (let i = 0; i < count; i++) {
          const length = leb();
          if (at + length > end) return null;
          names.push(decoder.decode(bytes.subarray(at, at + length)));
          at += length;
          at++; // export kind
          leb(); // index
        }
        return names;
      }
      at = end;
    }
    return [];
  } catch {
    return null;
  }
}

/**
 * A compiler's crash as a short reason: the first line of what it said, without any path.
 * @param scrub the host's `scrubCompilerOutput`
 */
export function crashSummary(crash: string, scrub: (text: string) => string): string {
  const text = scrub(crash.replace(/^the sandbox crashed: /, ""));
  const first = text.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  const reason = first.replace(/(?:file:\/\/)?(?:\/[^\s'"():]+)+(?::\d+)*/g, "…").slice(0, 200);
  return reason || "no reason given";
}

/**
 * Why a module a C/C++ compile produced is not what its request asked for, or null: a WASI
 * command must export `_start`, a reactor (`wasm.invoke`, `-mexec-model=reactor`) `_initialize`.
 * A mismatch means the compiler was not building what the cache key says, so it is neither
 * run nor cached.
 */
export function unexpectedModule(kind: "clang" | "asc", request: ExecuteRequest, module: Uint8Array): string | null {
  const exports = wasmExportNames(module);
  if (exports === null) return `the ${kind === "asc" ? "AssemblyScript" : request.language === "cpp" ? "C++" : "C"} compiler produced bytes that are not a WebAssembly module`;
  if (kind === "asc") return null;
  let reactor = request.wasm?.invoke !== undefined;
  for (const flag of request.compile?.flags ?? []) {
    if (flag === "-mexec-model=reactor") reactor = true;
    else if (flag === "-mexec-model=command") reactor = false;
  }
  const wanted = reactor ? "_initialize" : "_start";
  return exports.includes(wanted) ? null : `the ${request.language === "cpp" ? "C++" : "C"} compiler built a module without ${wanted}, although a ${reactor ? "reactor" : "command"} was asked for`;
}
