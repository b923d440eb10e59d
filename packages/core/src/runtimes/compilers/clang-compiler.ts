/**
 * C and C++ → wasm32-wasi, with clang and wasm-ld compiled to WebAssembly themselves
 * (`@yowasp/clang`): no native toolchain, and the compiler is as sandboxed as guest code.
 * A "run" of this runtime is a compile: the module comes back as the file `main.wasm`,
 * diagnostics go to stderr verbatim.
 */
import type { GuestError } from "@wasmbox/contract";
import type { GuestIO, GuestOutcome, GuestRunInput, LoadedRuntime } from "../../runtime.js";
import { crashReason, firstError, fixFor, parseClangDiagnostics } from "./diagnostics.js";
import { checkCompileFlag, DEFAULT_STACK_BYTES } from "@wasmbox/contract/flags";
import { C_SOURCE_FILES, commandLineNameProblem, emptyTree, own, sourceTree, type Tree } from "./source-tree.js";
import { PCH_DIR, PCH_FILE, PCH_HEADER } from "./preamble.js";

type RunClang = (args: string[], files: Tree, options: Record<string, unknown>) => Promise<Tree | undefined>;

const EXCEPTIONS_NOTE =
  "C++ exceptions are not supported: wasmbox's wasm32-wasi C++ library is built without them. Use return codes, std::optional or std::expected instead of try/throw.";

/** Load clang (compiles ~75 MB of wasm) and warm it up with one tiny compile. */
export async function loadClangCompiler(): Promise<LoadedRuntime> {
  const { runClang } = (await import("@yowasp/clang")) as unknown as { runClang: RunClang };
  const compiler = new ClangCompiler(runClang);
  await compiler.warmUp();
  return compiler;
}

class ClangCompiler implements LoadedRuntime {
  readonly kind = "clang" as const;
  // Each compile is a new instance of clang's wasm: nothing carries over.
  readonly supportsFreshRuns = true;

  constructor(private readonly runClang: RunClang) {}

  async warmUp(): Promise<void> {
    const tree = emptyTree();
    tree["w.c"] = "int main(void) { return 0; }\n";
    await this.runClang(["clang", "-O2", "-x", "c", "w.c", "-o", "w.wasm"], tree, quiet(() => {}));
  }

  async run(input: GuestRunInput, io: GuestIO): Promise<GuestOutcome> {
    const build = own(input, "buildPrecompiledHeader");
    if (build) return this.#buildPch(input.request, own(build, "text"), io);
    const { request, filename } = input;
    // Only the request's own fields count (never anything inherited), and every input that
    // reaches clang's command line is checked here again: names are data, flags are allowlisted.
    const cxx = own(request, "language") === "cpp";
    const compile = own(request, "compile");
    const flags = own(compile, "flags") ?? [];
    const invoke = own(own(request, "wasm"), "invoke");
    const problem = commandLineNameProblem(filename);
    if (problem) return refused(`filename ${problem}`);
    for (const flag of flags) {
      const refusedFlag = checkCompileFlag(cxx ? "cpp" : "c", flag);
      if (refusedFlag) return refused(refusedFlag);
    }
    const pch = cxx ? own(input, "precompiledHeader") : undefined;
    const args = [
      cxx ? "clang++" : "clang",
      `-O${own(compile, "optimize") ?? "2"}`,
      ...(cxx ? ["-fno-exceptions"] : []),
      // Calling an export (wasm.invoke) needs no main(): build a WASI reactor (`_initialize`).
      ...(invoke !== undefined ? ["-mexec-model=reactor"] : []),
      ...stackLayout(flags),
      ...flags,
      ...(pch ? ["-include-pch", PCH_FILE] : []),
      "-x",
      cxx ? "c++" : "c",
      filename,
      "-o",
      "main.wasm",
    ];
    let output = "";
    const decoder = new TextDecoder();
    const write = (bytes: Uint8Array | null) => {
      const text = bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
      if (!text) return;
      output += text;
      io.write("stderr", text);
    };
    const tree = sourceTree(filename, own(request, "code") ?? "", own(request, "files"), C_SOURCE_FILES);
    // Its own copy: nothing this compile does to the tree reaches another compile's PCH.
    if (pch) tree[PCH_DIR] = pchTree(pch.text, pch.bytes.slice());
    try {
      const files = await this.runClang(args, tree, quiet(write));
      write(null);
      const wasm = own(files, "main.wasm");
      if (!(wasm instanceof Uint8Array)) return failed(output, "clang produced no module");
      return { status: "ok", error: null, exitCode: 0, value: null, files: new Map([["main.wasm", wasm]]) };
    } catch (e) {
      write(null);
      if (e instanceof Error && "code" in e && "files" in e) return failed(output, `clang exited with code ${String((e as { code: unknown }).code)}`);
      // A trap or exception inside clang itself (not a compile error): a short reason, no host stack.
      return crashed(cxx ? "C++" : "C", e, output);
    }
  }

  /**
   * A precompiled header of `text` (standard `#include` lines the host wrote), with the options
   * a build of `request` uses: the header alone is in the tree, none of the request's files.
   */
  async #buildPch(request: GuestRunInput["request"], text: unknown, io: GuestIO): Promise<GuestOutcome> {
    if (typeof text !== "string" || !/^(#include <[a-z_.]+>\n){1,16}$/.test(text)) return refused("a precompiled header is built from standard #include lines only");
    const compile = own(request, "compile");
    const std = (own(compile, "flags") ?? []).filter((f) => /^-std=(c|gnu)\+\+[0-9a-z]+$/.test(f));
    const args = ["clang++", `-O${own(compile, "optimize") ?? "2"}`, "-fno-exceptions", "-fstack-protector-strong", ...std, "-Xclang", "-fno-pch-timestamp", "-x", "c++-header", PCH_HEADER, "-o", PCH_FILE];
    const tree = emptyTree();
    tree[PCH_DIR] = pchTree(text);
    let output = "";
    const decoder = new TextDecoder();
    const write = (bytes: Uint8Array | null) => {
      output += bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
    };
    try {
      const files = await this.runClang(args, tree, quiet(write));
      const dir = own(files, PCH_DIR);
      const bytes = dir && typeof dir === "object" && !(dir instanceof Uint8Array) ? own(dir, "preamble.pch") : undefined;
      if (!(bytes instanceof Uint8Array) || output.trim() !== "") return failed(output, "clang built no precompiled header");
      return { status: "ok", error: null, exitCode: 0, value: null, files: new Map([["main.pch", bytes]]) };
    } catch (e) {
      io.write("stderr", output);
      return crashed("C++", e, output);
    }
  }

  [Symbol.dispose](): void {}
}

function pchTree(text: string, bytes?: Uint8Array): Tree {
  const dir = emptyTree();
  dir["preamble.hpp"] = text;
  if (bytes) dir["preamble.pch"] = bytes;
  return dir;
}

/**
 * How the module lays out its stack. The stack goes first in linear memory, below the static
 * data, so a stack that overflows runs below address 0 and traps rather than silently
 * overwriting globals (clang 22's wasm-ld does this by default; it is said here so it stays
 * so). Its size is native-like unless the request set one. `__stack_pointer` is exported so
 * the runtime can tell, when the program traps, whether it ran out of stack.
 */
function stackLayout(flags: readonly string[]): string[] {
  const chosen = flags.some((f) => f.startsWith("-Wl,-z,stack-size="));
  return [
    // A function that makes no calls may carve a VLA or alloca out of the stack without
    // storing the new stack pointer, so an overflow there would leave no trace in it. The
    // canary check makes such functions move the stack pointer like every other (and catches
    // local arrays written past their end). Ubuntu's gcc turns this on by default too.
    "-fstack-protector-strong",
    "-Wl,--stack-first", ...(chosen ? [] : [`-Wl,-z,stack-size=${DEFAULT_STACK_BYTES}`]), "-Wl,--export=__stack_pointer"];
}

function quiet(write: (bytes: Uint8Array | null) => void): Record<string, unknown> {
  return { stdout: write, stderr: write, fetchProgress: () => {} };
}

function failed(output: string, fallback: string): GuestOutcome {
  const diagnostics = parseClangDiagnostics(output);
  const { message, line } = firstError(diagnostics, fallback);
  const at = diagnostics.findIndex((d) => d.severity === "error");
  const fix = at === -1 ? null : fixFor(diagnostics[at]!, diagnostics.slice(at + 1));
  const exceptions = /with exceptions disabled|undefined symbol: __cxa_(throw|allocate_exception|begin_catch)/.test(output);
  const error: GuestError = {
    name: "CompileError",
    message: exceptions ? `${message}. ${EXCEPTIONS_NOTE}` : fix ? `${message}. To fix: ${fix}` : message,
    traceback: output,
    line,
  };
  return { status: "compile_error", error, exitCode: 1, value: null, files: new Map() };
}

/** A request this compiler will not run: nothing reached clang. */
function refused(message: string): GuestOutcome {
  return { status: "compile_error", error: { name: "CompileError", message, traceback: "", line: null }, exitCode: 1, value: null, files: new Map() };
}

function crashed(language: "C" | "C++", e: unknown, output: string): GuestOutcome {
  const error: GuestError = {
    name: "CompilerCrash",
    message: `the ${language} compiler crashed (${crashReason(e)}); nothing ran. This is a fault of the compiler on this code, not an error in it: try changing the code near where it stopped, or the flags`,
    traceback: output,
    line: null,
  };
  return { status: "compile_error", error, exitCode: 1, value: null, files: new Map() };
}
