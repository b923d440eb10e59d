/**
 * AssemblyScript → WebAssembly with the official compiler (`assemblyscript`, on Binaryen).
 * The program's top-level code is exported as `_initialize` (not run during
 * instantiation), so it runs once its memory is bound; see the wasm runtime.
 */
import type { GuestIO, GuestOutcome, GuestRunInput, LoadedRuntime } from "../../runtime.js";
import type { FileContent } from "../../contract.js";
import { decodeFileContent, normalizeGuestPath } from "../../guest/files.js";
import { firstError, parseAscDiagnostics } from "./diagnostics.js";
import { ASC_SOURCE_FILES } from "./source-tree.js";

interface AscResult {
  error: Error | null;
  stdout: { toString(): string };
  stderr: { toString(): string };
  binary: Uint8Array | null;
}
type CompileString = (sources: Record<string, string>, options: Record<string, unknown>) => Promise<AscResult>;

export async function loadAssemblyScriptCompiler(): Promise<LoadedRuntime> {
  const asc = ((await import("assemblyscript/asc")) as unknown as { default: { compileString: CompileString } }).default;
  const compiler = new AscCompiler(asc.compileString);
  // Warm up: the first compile pays for loading Binaryen and the standard library.
  await compiler.compile({ "w.ts": "export function w(): i32 { return 1; }" }, {});
  return compiler;
}

class AscCompiler implements LoadedRuntime {
  readonly kind = "asc" as const;
  readonly supportsFreshRuns = true;

  constructor(private readonly compileString: CompileString) {}

  compile(sources: Record<string, string>, options: Record<string, unknown>): Promise<AscResult> {
    return this.compileString(sources, { noColors: true, exportStart: "_initialize", ...options });
  }

  async run(input: GuestRunInput, io: GuestIO): Promise<GuestOutcome> {
    const { request, filename } = input;
    const level = request.compile?.optimize ?? "2";
    const options: Record<string, unknown> = {
      optimizeLevel: /^\d$/.test(level) ? Number(level) : 2,
      shrinkLevel: level === "s" ? 1 : level === "z" ? 2 : 0,
      ...flagsToOptions(request.compile?.flags ?? []),
    };
    const sources = { ...otherSources(request.files), [filename]: request.code };
    const result = await this.compile(sources, options);
    const output = `${result.stdout.toString()}${result.stderr.toString()}`;
    if (output) io.write("stderr", output);
    if (result.error || !result.binary) {
      const diagnostics = parseAscDiagnostics(output);
      const { message, line } = firstError(diagnostics, result.error?.message ?? "the AssemblyScript compiler produced no module");
      return { status: "compile_error", error: { name: "CompileError", message, traceback: output, line }, exitCode: 1, value: null, files: new Map() };
    }
    return { status: "ok", error: null, exitCode: 0, value: null, files: new Map([["main.wasm", result.binary]]) };
  }

  [Symbol.dispose](): void {}
}

/** Allowed flags (checked at the boundary) as compiler options. */
function flagsToOptions(flags: readonly string[]): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const flag of flags) {
    const [name, value] = flag.replace(/^--/, "").split("=", 2) as [string, string | undefined];
    if (name === "enable" || name === "disable") options[name] = [...((options[name] as string[]) ?? []), ...value!.split(",")];
    else options[name] = value ?? true;
  }
  return options;
}

function otherSources(files: Record<string, FileContent> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, content] of Object.entries(files ?? {})) {
    if (ASC_SOURCE_FILES.test(path)) out[normalizeGuestPath(path)] = new TextDecoder().decode(decodeFileContent(content));
  }
  return out;
}
