/**
 * Which packages a Python run loads, and from which pool: the request's `packages`, else (when
 * the host detects imports) the store's packages the code imports; resolved by the host to
 * verified wheels; served by a pool prepared with a set that holds them all, when there is one.
 */
import type { LoadedPackage } from "@wasmbox/contract";
import type { PackageWheel } from "../runtime.js";
import type { MissingPackage, PackageProvider } from "./sandbox-host.js";

export type PackagePlan =
  | { ok: true; wheels: PackageWheel[]; preset: number | undefined; loaded: LoadedPackage[] }
  | { ok: false; message: string };

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

/**
 * The top-level modules a program imports (`import a.b, c as d`, `from e.f import g`), found
 * line by line. A name in a string or a comment may be found too: that only loads a package
 * the store has, never fails a run.
 */
export function detectImports(code: string): string[] {
  const found = new Set<string>();
  for (const line of code.split(/\r?\n/)) {
    const from = /^\s*from\s+([A-Za-z_][\w]*)[\w.]*\s+import\b/.exec(line);
    if (from) found.add(from[1]!);
    const imp = /^\s*import\s+([^#;]+)/.exec(line);
    if (!imp) continue;
    for (const part of imp[1]!.split(",")) {
      const m = /^\s*([A-Za-z_]\w*)/.exec(part);
      if (m) found.add(m[1]!);
    }
  }
  return [...found];
}

/** Decide what a run loads. A package that cannot be loaded fails the run with a message naming it and the command that fetches it. */
export function planPackages(requested: readonly string[] | undefined, code: string, provider: PackageProvider | undefined): PackagePlan | null {
  let names = requested ? [...requested] : [];
  if (!requested && provider?.detectImports) {
    const map = provider.importMap();
    names = [...new Set(detectImports(code).flatMap((module) => map.get(module) ?? []))];
  }
  if (names.length === 0) return null;
  if (!provider) {
    return { ok: false, message: `this host has no Python package store, so packages (${names.join(", ")}) cannot be loaded here; run the code on a wasmbox server or CLI whose operator fetched them (wasmbox packages fetch ${names.join(" ")})` };
  }
  const resolved = provider.resolve(names);
  if (!resolved.ok) return { ok: false, message: missingMessage(resolved.missing, names, provider) };
  const wanted = new Set(resolved.wheels.map((w) => w.name));
  // The smallest prepared set holding every package the run needs.
  let preset: number | undefined;
  provider.presets.forEach((set, i) => {
    if ([...wanted].every((n) => set.includes(n)) && (preset === undefined || set.length < provider.presets[preset]!.length)) preset = i;
  });
  return { ok: true, wheels: resolved.wheels, preset, loaded: resolved.wheels.map((w) => ({ name: w.name, version: w.version, sha256: w.sha256 })) };
}

/**
 * A `ModuleNotFoundError` for a module a package of the store's lock file provides: say which
 * package, and how it is loaded (named in `packages`, or fetched first).
 */
export function moduleHint(message: string, provider: PackageProvider | undefined): string | null {
  const module = /^No module named '([A-Za-z_][\w]*)/.exec(message)?.[1];
  const pkg = module && provider?.packageForModule(module);
  if (!pkg) return null;
  return pkg.fetched
    ? `${module} is in package ${pkg.name} ${pkg.version}, in the package store: name it in the request's packages (CLI: --package ${pkg.name})`
    : `${module} is in package ${pkg.name} ${pkg.version}, which is not in the package store yet: an operator fetches it with \`wasmbox packages fetch ${pkg.name}\``;
}

function missingMessage(missing: readonly MissingPackage[], requested: readonly string[], provider: PackageProvider): string {
  const parts = missing.map((m) => {
    const version = provider.pinnedVersion(m.name);
    const what = `${m.name}${version ? ` ${version}` : ""}${m.neededBy ? ` (needed by ${m.neededBy})` : ""}`;
    if (m.reason === "corrupt") return `${what}: its wheel in the package store does not match the sha256 its lock file pins (changed on disk), so it was refused`;
    if (m.reason === "unknown") return `${what}: no such package in the package store's lock file (Pyodide's distribution) or among the packages fetched from an index`;
    return `${what}: not in the package store yet`;
  });
  const fetch = [...new Set(requested.map(normalize))].join(" ");
  return `${missing.length === 1 ? "a package" : "packages"} could not be loaded: ${parts.join("; ")}. An operator fetches ${requested.length === 1 ? "it" : "them"} once with \`wasmbox packages fetch ${fetch}\` (from a Pyodide distribution: --from DIR|URL or WASMBOX_PYODIDE_PACKAGES; other pure-Python packages: --index URL); after that runs need no network`;
}
