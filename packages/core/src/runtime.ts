/**
 * The one interface every language runtime implements. The engine and the hosts only
 * talk to runtimes through it; each runtime lives in `runtimes/<name>/` and is loaded
 * lazily, inside a sandbox (a locked-down process or a Web Worker), never in the host.
 */
import type { ExecuteRequest, GuestError, JsonValue, Language, ResolvedLimits, RichOutput } from "@wasmbox/contract";

/**
 * A kind of sandbox: one loaded runtime can serve several languages (JS and TS share
 * QuickJS; every WebAssembly module runs in `wasm`). `clang` and `asc` sandboxes compile
 * C/C++ and AssemblyScript to WebAssembly: their "run" is a compile.
 */
export type SandboxKind = "python" | "quickjs" | "wasm" | "clang" | "asc";

/** Where a platform keeps runtime assets (file paths in Node, URLs in a browser). */
export interface RuntimeAssets {
  /** Directory holding pyodide.asm.wasm, python_stdlib.zip, … (trailing slash). */
  pyodideIndexURL: string;
  /** QuickJS-ng's wasm file, for platforms that compile it once and share the module. */
  quickjsWasmURL?: string;
}

export interface RuntimeLoadOptions {
  assets: RuntimeAssets;
  /**
   * A shared flag the supervisor sets (to 2, SIGINT) to ask the guest to stop. It lives
   * outside the guest's thread so guest code cannot silence the watchdog.
   */
  interruptBuffer: Int32Array;
  /**
   * Python: a memory snapshot to boot from (see `buildPythonSnapshot`), instead of
   * starting the interpreter and importing the common modules again.
   */
  pythonSnapshot?: Uint8Array;
  /**
   * Python: `pyodide.asm.wasm`, already compiled (by the sandbox's supervisor, once for all
   * the guest threads it boots), and its size in bytes to recognise it when Pyodide loads.
   */
  pythonWasm?: { module: WebAssembly.Module; byteLength: number };
  /**
   * Python: Pyodide's module factory (the default export of `pyodide.asm.mjs`), for platforms
   * that bundle it instead of letting Pyodide import it from `pyodideIndexURL` (a Web Worker
   * whose Content-Security-Policy forbids loading scripts).
   */
  pyodideFactory?: unknown;
  /**
   * Python: do one whole run of a program that prints nothing and binds no name at boot, so
   * the first request does not pay V8's lazy compilation of the run path (~8 ms). The Node
   * host sets it. The browser worker does not: with it, a session guest's flood of uncaught
   * timer errors is no longer stopped by the frame's budget (containment.test.ts), for a
   * reason not yet found.
   */
  pythonWarmUpRun?: boolean;
  /** QuickJS: the compiled wasm module, so each fresh instance skips compilation. */
  quickjsWasmModule?: WebAssembly.Module;
  /**
   * QuickJS: make each fresh interpreter by restoring a pristine image of the instance's
   * memory (the default, true), or by a new instance with the prelude evaluated again (false:
   * the slower way, kept to measure against).
   */
  quickjsPristineImage?: boolean;
}

/**
 * A Python wheel the host verified (its sha256 against the package store's lock file), handed
 * to a Python sandbox to install: the sandbox itself reads no package from anywhere.
 */
export interface PackageWheel {
  /** Normalised name (`python-dateutil`). */
  name: string;
  version: string;
  /** The wheel's file name (Pyodide reads the tags, and shared libraries' names, from it). */
  fileName: string;
  sha256: string;
  /** `site` for site-packages, `dynlib` for a shared library package. */
  installDir: "site" | "dynlib";
  /** The top-level modules it provides, imported when a snapshot or a pool is prepared with it. */
  imports: string[];
  bytes: Uint8Array;
}

/** Everything a runtime needs to run one request; the request is already validated. */
export interface GuestRunInput {
  request: ExecuteRequest;
  filename: string;
  limits: ResolvedLimits;
  /** Python: wheels to install before the code runs, dependencies first (already-installed ones are skipped). */
  packages?: PackageWheel[];
  /** `wasm` sandboxes: the module to run when it was compiled from the request's code. */
  module?: Uint8Array;
  /**
   * `clang` sandboxes, C++: a precompiled header of the standard headers the file begins with
   * (built by the host from those headers alone; see `pchPlan`), used with `-include-pch`.
   */
  precompiledHeader?: { text: string; bytes: Uint8Array };
  /**
   * `clang` sandboxes: build the precompiled header of `text` (`#include <h>` lines the host
   * wrote) with the request's options, returned as the file `main.pch`, instead of a module.
   */
  buildPrecompiledHeader?: { text: string };
}

export type GuestStream = "stdout" | "stderr";

export interface GuestIO {
  /**
   * Called in the order the guest writes. Output is bytes: a runtime passes exactly the
   * bytes the program wrote (a C `putchar(0xff)`, Python's `sys.stdout.buffer.write`, a JS
   * `Buffer`); a string is shorthand for its UTF-8 encoding.
   */
  write(stream: GuestStream, data: string | Uint8Array): void;
}

/** How a run ended, as seen from inside the sandbox. Limits enforced outside add their own statuses. */
export interface GuestOutcome {
  status: "ok" | "error" | "memory_limit" | "compile_error";
  error: GuestError | null;
  exitCode: number;
  value: JsonValue | null;
  /** Files created or changed under the working directory, by relative path. */
  files: Map<string, Uint8Array>;
  /**
   * Rich outputs (`display()`, figures, the last expression's rich form), in order, within
   * RICH_OUTPUT_CAPS. Runtimes that make none leave it out.
   */
  outputs?: RichOutput[];
}

/**
 * How a runtime runs one request (not the HTTP API's `RunMode`, which says how a run was
 * started: sync, async or in a session).
 */
export interface GuestRunMode {
  /**
   * Run in a brand-new interpreter that nothing before it has touched (QuickJS: a new wasm
   * instance with its own linear memory). Without it, a run continues the previous run's
   * interpreter — what sessions want. Runtimes whose guests can reach the host realm
   * (Pyodide) do not support it; hosts then use a new sandbox per run instead.
   */
  fresh?: boolean;
}

export interface LoadedRuntime extends Disposable {
  readonly kind: SandboxKind;
  /** Whether `run(…, { fresh: true })` is supported (see {@link GuestRunMode}). */
  readonly supportsFreshRuns: boolean;
  /** Runs one request, in the same interpreter as the last run unless `mode.fresh`. */
  run(input: GuestRunInput, io: GuestIO, mode?: GuestRunMode): Promise<GuestOutcome>;
  /**
   * Python: install wheels before any guest code (a pool preparing a package set), and import
   * their modules unless a snapshot already holds them imported (`importModules: false`).
   */
  installPackages?(wheels: readonly PackageWheel[], options: { importModules: boolean }): Promise<void>;
}

/**
 * Versions of the packages the runtimes are built from. The host reads them from the
 * packages' own metadata (Node: their package.json, and Python's from pyodide-lock.json;
 * see @wasmbox/node's locateAssets) — core reads no files.
 */
export interface RuntimeVersions {
  pyodide: string;
  python: string;
  quickjs: string;
  sucrase: string;
  clang: string;
  assemblyscript: string;
  wabt: string;
  wasiShim: string;
}

/**
 * What a language is, as a user sees it (`wasmbox runtimes`, `/v1/runtimes`, the CLI's
 * choice of language from a file name). Plain data: reading it loads no runtime.
 */
export interface LanguageDescription {
  readonly language: Language;
  /**
   * File name endings that mean this language, lower case, with their dot. Matched
   * case-insensitively, the longest ending first (`x.as.ts` is AssemblyScript, `x.ts`
   * TypeScript). No two languages share one.
   */
  readonly extensions: readonly string[];
  /** Whether `openSession` runs it (a stateful interpreter; compiled programs run once). */
  readonly sessions: boolean;
  /** The language version or dialect, e.g. `3.13.2`, `C17 (wasm32-wasi)`. */
  version(versions: RuntimeVersions): string;
  /** What runs it, with versions, e.g. `Pyodide 0.29.0`. */
  runtime(versions: RuntimeVersions): string;
}

export interface RuntimeDescriptor {
  readonly kind: SandboxKind;
  /** Languages this kind of sandbox serves (runs, or for compilers compiles). */
  readonly languages: readonly Language[];
  /**
   * The languages whose programs run in this kind of sandbox (see `sandboxKindFor`),
   * described. Compilers describe none: their languages run in `wasm`.
   */
  readonly describes: readonly LanguageDescription[];
  /** Loads the runtime (compiles wasm, boots the interpreter). Lazy: imports its code on call. */
  load(options: RuntimeLoadOptions): Promise<LoadedRuntime>;
}

/** A result's value may be at most this large as JSON (and within maxOutputBytes); larger results go in files. */
export const VALUE_MAX_BYTES = 4 * 1024 * 1024;

/** The working directory guest code starts in, for every language. */
export const GUEST_WORKDIR = "/home/user";
