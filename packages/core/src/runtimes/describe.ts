/**
 * The languages wasmbox runs, described from the runtime descriptors (RUNTIMES): the one
 * place extensions, versions and session support are written down. The CLI infers a
 * language from a file name here, and the engine answers `runtimes()` (`wasmbox runtimes`,
 * `/v1/runtimes`) and decides what `openSession` accepts from here. Loads no runtime.
 */
import type { Language } from "@wasmbox/contract";
import type { LanguageDescription, RuntimeVersions } from "../runtime.js";
import { RUNTIMES } from "./index.js";

/** A language and what runs it, as `wasmbox runtimes` and `/v1/runtimes` list it. */
export interface RuntimeInfo {
  language: Language;
  version: string;
  runtime: string;
  extensions: string[];
}

/** Every language, in the order `wasmbox runtimes` lists them. */
const DESCRIPTIONS: readonly LanguageDescription[] = Object.values(RUNTIMES).flatMap((r) => r.describes);

/** Extensions, longest first, so `x.as.ts` is AssemblyScript before `.ts` is considered. */
const BY_EXTENSION: ReadonlyArray<readonly [string, Language]> = DESCRIPTIONS.flatMap((d) => d.extensions.map((e) => [e, d.language] as const)).sort(
  ([a], [b]) => b.length - a.length,
);

/** The description of a language. */
export function languageDescription(language: Language): LanguageDescription {
  const found = DESCRIPTIONS.find((d) => d.language === language);
  if (!found) throw new Error(`no runtime describes ${language}`);
  return found;
}

/** Every language with its version, runtime and extensions, given the host's package versions. */
export function describeRuntimes(versions: RuntimeVersions): RuntimeInfo[] {
  return DESCRIPTIONS.map((d) => ({ language: d.language, version: d.version(versions), runtime: d.runtime(versions), extensions: [...d.extensions] }));
}

/**
 * The language a file name implies, from its ending (case-insensitive, the longest
 * matching extension wins: `x.as.ts` is AssemblyScript, `x.ts` TypeScript); undefined when
 * no language has that ending.
 * @example
 * languageForFilename("src/Main.CPP"); // "cpp"
 */
export function languageForFilename(name: string): Language | undefined {
  const lower = name.toLowerCase();
  // A name that is only the ending (`.py`, `dir/.py`) is a hidden file, not a program.
  const named = (extension: string) => /[^\\/]$/.test(lower.slice(0, -extension.length));
  return BY_EXTENSION.find(([extension]) => lower.endsWith(extension) && named(extension))?.[1];
}

/** Whether `openSession` runs this language: interpreters do, compiled programs run one request at a time. */
export function supportsSessions(language: Language): boolean {
  return languageDescription(language).sessions;
}
