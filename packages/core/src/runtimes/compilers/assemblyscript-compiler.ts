/**
 * AssemblyScript → WebAssembly with the official compiler (`assemblyscript`, on Binaryen).
 * The program's top-level code is exported as `_initialize` (not run during
 * instantiation), so it runs once its memory is bound; see the wasm runtime.
 */
import type { GuestIO, GuestOutcome, GuestRunInput, LoadedRuntime } from "../../runtime.js";
import { decodeFileContent } from "../../guest/files.js";
import { crashReason, firstError, parseAscDiagnostics, scrubHostDetails } from "./diagnostics.js";
import { checkCompileFlag } from "@wasmbox/contract/flags";
import { ASC_SOURCE_FILES, buildInputs, commandLineNameProblem, own } from "./source-tree.js";

interface AscResult {
  error: Error | null;
  stdout: { toString(): string };
  stderr: { toString(): string };
}
interface AscApiOptions {
  readFile: (name: string, baseDir: string) => Promise<string | null>;
  writeFile: (name: string, contents: Uint8Array | string, baseDir: string) => Promise<void>;
  listFiles: (dirname: string, baseDir: string) => Promise<string[] | null>;
}
type AscMain = (argv: string[], options: AscApiOptions) => Promise<AscResult>;

export async function loadAssemblyScriptCompiler(): Promise<LoadedRuntime> {
  const asc = ((await import("assemblyscript/asc")) as unknown as { default: { main: AscMain } }).default;
  const compiler = new AscCompiler(asc.main);
  // Warm up: the first compile pays for loading Binaryen and the standard library.
  await compiler.compile([], new Map([["w.ts", "export function w(): i32 { return 1; }"]]));
  return compiler;
}

/** What one compile gave: the module (if any) and the compiler's output. */
interface Compiled {
  binary: Uint8Array | null;
  output: string;
  error: Error | null;
}

/** The compiler's crash handler ends the process (`process.exit(1)`): this is thrown instead. */
class CompilerExit extends Error {
  constructor(code: unknown, printed: string) {
    super(crashBanner(printed) ?? `the compiler exited with code ${String(code)}`);
    this.name = "CompilerExit";
  }
}

/**
 * The reason in the compiler's crash banner ("Whoops, the AssemblyScript compiler has crashed
 * during compile :-( … Here is the stack trace …"): the error's first line and the phase.
 */
function crashBanner(printed: string): string | null {
  const lines = printed.split("\n").map((l) => l.replace(/^\s*▌\s?/, "").trim());
  const phase = /has crashed during (.+?) :-\(/.exec(printed)?.[1];
  const at = lines.findIndex((l) => l.startsWith("Here is the stack trace"));
  const first = at >= 0 ? lines.slice(at + 1).find((l) => l !== "") : undefined;
  if (!phase && !first) return null;
  return `${first ?? "no reason given"}${phase ? ` during ${phase}` : ""}`;
}

class AscCompiler implements LoadedRuntime {
  readonly kind = "asc" as const;
  readonly supportsFreshRuns = true;

  constructor(private readonly main: AscMain) {}

  /**
   * Compile `sources` (normalised path → text; the entry files) with `options` (allowlisted
   * flags and the levels wasmbox sets). Every source name goes on the command line as
   * `./name`: a path, never an option. The compiler reads only these sources (from a Map,
   * so no name reaches a prototype) and writes only `main.wasm`.
   */
  async compile(options: readonly string[], sources: ReadonlyMap<string, string>): Promise<Compiled> {
    const written = new Map<string, Uint8Array | string>();
    const argv = ["--outFile", "main.wasm", "--noColors", "--exportStart", "_initialize", ...options, ...[...sources.keys()].map((name) => `./${name}`)];
    const api: AscApiOptions = {
      readFile: (name) => Promise.resolve(sources.get(name) ?? null),
      writeFile: (name, contents) => {
        written.set(name, contents);
        return Promise.resolve();
      },
      listFiles: () => Promise.resolve([]),
    };
    // On a crash the compiler prints its stack with console.error and calls process.exit(1),
    // which would end this sandbox's guest thread: keep what it printed (for a short reason)
    // and make the exit a thrown error for the caller.
    const proc = (globalThis as { process?: { exit: (code?: number) => never } }).process;
    const exit = proc?.exit;
    const consoleError = console.error;
    const printed: string[] = [];
    console.error = (...args: unknown[]) => {
      printed.push(args.map(String).join(" "));
    };
    if (proc) {
      proc.exit = (code?: number) => {
        throw new CompilerExit(code, printed.join("\n"));
      };
    }
    try {
      const result = await this.main(argv, api);
      const binary = written.get("main.wasm");
      return {
        binary: binary instanceof Uint8Array ? binary : null,
        output: scrubHostDetails(`${result.stdout.toString()}${result.stderr.toString()}`),
        error: result.error,
      };
    } finally {
      console.error = consoleError;
      if (proc && exit) proc.exit = exit;
    }
  }

  async run(input: GuestRunInput, io: GuestIO): Promise<GuestOutcome> {
    const { request, filename } = input;
    const compile = own(request, "compile");
    const flags = own(compile, "flags") ?? [];
    const level = own(compile, "optimize") ?? "2";
    const sources = new Map<string, string>();
    for (const [path, content] of buildInputs(own(request, "files"), ASC_SOURCE_FILES)) {
      const problem = commandLineNameProblem(path);
      if (problem) return refused(`files: ${problem}`);
      if (path !== filename) sources.set(path, new TextDecoder().decode(decodeFileContent(content)));
    }
    const problem = commandLineNameProblem(filename);
    if (problem) return refused(`filename ${problem}`);
    // The entry file comes last, so top-level code runs in the same order for the same inputs.
    sources.set(filename, own(request, "code") ?? "");
    for (const flag of flags) {
      const refusedFlag = checkCompileFlag("assemblyscript", flag);
      if (refusedFlag) return refused(refusedFlag);
    }
    const options = [
      "--optimizeLevel",
      /^\d$/.test(level) ? level : "2",
      "--shrinkLevel",
      level === "s" ? "1" : level === "z" ? "2" : "0",
      ...flags,
    ];
    let result: Compiled;
    try {
      result = await this.compile(options, sources);
    } catch (e) {
      const reason = e instanceof CompilerExit ? scrubHostDetails(e.message).slice(0, 200) : crashReason(e);
      return {
        status: "compile_error",
        error: {
          name: "CompilerCrash",
          message: `the AssemblyScript compiler crashed (${reason}); nothing ran. This is a fault of the compiler on this code, not an error in it: try changing the code near where it stopped, or the flags`,
          traceback: "",
          line: null,
        },
        exitCode: 1,
        value: null,
        files: new Map(),
      };
    }
    const { output } = result;
    if (output) io.write("stderr", output);
    if (result.error || !result.binary) {
      const diagnostics = parseAscDiagnostics(output);
      const fallback = result.error ? crashReason(result.error).replace(/^Error: /, "") : "the AssemblyScript compiler produced no module";
      const { message, line } = firstError(diagnostics, fallback);
      return { status: "compile_error", error: { name: "CompileError", message, traceback: output, line }, exitCode: 1, value: null, files: new Map() };
    }
    return { status: "ok", error: null, exitCode: 0, value: null, files: new Map([["main.wasm", result.binary]]) };
  }

  [Symbol.dispose](): void {}
}

/** A request this compiler will not run: nothing reached the compiler. */
function refused(message: string): GuestOutcome {
  return { status: "compile_error", error: { name: "CompileError", message, traceback: "", line: null }, exitCode: 1, value: null, files: new Map() };
}
