/**
 * Pyodide's lock file (`pyodide-lock.json`): the pinned packages of a Pyodide distribution,
 * each with its wheel's file name, sha256, dependencies and the modules it provides. The
 * package store resolves every request against it, so versions never float.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const LockPackageSchema = z.object({
  name: z.string(),
  version: z.string(),
  file_name: z.string().regex(/^[A-Za-z0-9._+-]+\.(whl|zip|tar|tgz|tar\.gz)$/, "file_name must be a plain wheel file name"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "sha256 must be 64 hex digits"),
  depends: z.array(z.string()).default([]),
  imports: z.array(z.string()).default([]),
  install_dir: z.enum(["site", "dynlib"]).default("site"),
  package_type: z.string().default("package"),
  /** wasmbox's own: where a package not in the distribution came from (`index`, `wheels`). */
  source: z.string().optional(),
});
export type LockPackage = z.infer<typeof LockPackageSchema>;

export const LockFileSchema = z.object({
  info: z.object({ python: z.string(), abi_version: z.string().optional(), platform: z.string().optional(), arch: z.string().optional() }).loose(),
  packages: z.record(z.string(), LockPackageSchema),
});
export type LockFile = z.infer<typeof LockFileSchema>;

/** PEP 503 normalisation: `Python_Dateutil` and `python.dateutil` are `python-dateutil`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** Parse a lock file's text; a malformed one is an error naming where it came from. */
export function parseLock(text: string, from: string): LockFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${from} is not JSON: it must be a Pyodide lock file (pyodide-lock.json)`);
  }
  const parsed = LockFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${from} is not a Pyodide lock file: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  // Keys are looked up normalised, whatever the file used.
  const packages: Record<string, LockPackage> = {};
  for (const [key, entry] of Object.entries(parsed.data.packages)) packages[normalizeName(key)] = { ...entry, depends: entry.depends.map(normalizeName) };
  return { info: parsed.data.info, packages };
}

/** The lock file of the installed `pyodide` npm package: what this wasmbox's Python is. */
export function runtimeLock(pyodideDir: string): LockFile {
  const file = join(pyodideDir, "pyodide-lock.json");
  return parseLock(readFileSync(file, "utf8"), file);
}

/**
 * A distribution's lock must be for the same Python and ABI as the runtime: a wheel built for
 * another Pyodide would fail to import, or worse, half-work.
 */
export function lockMismatch(distribution: LockFile, runtime: LockFile): string | null {
  const a = distribution.info;
  const b = runtime.info;
  if (a.python !== b.python || (a.abi_version ?? b.abi_version) !== b.abi_version) {
    return `it is for Python ${a.python}${a.abi_version ? ` (ABI ${a.abi_version})` : ""}, and this wasmbox runs Python ${b.python}${b.abi_version ? ` (ABI ${b.abi_version})` : ""}: use the Pyodide release that matches the installed pyodide package`;
  }
  return null;
}

/**
 * `names` and everything they depend on, dependencies first (the order to install them).
 * @returns the order, and the names (requested or depended on) the lock does not have
 */
export function closure(lock: Pick<LockFile, "packages">, names: readonly string[]): { order: string[]; unknown: { name: string; neededBy: string | null }[] } {
  const order: string[] = [];
  const unknown: { name: string; neededBy: string | null }[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, neededBy: string | null) => {
    if (state.has(name)) return;
    const entry = lock.packages[name];
    if (!entry) {
      state.set(name, "done");
      unknown.push({ name, neededBy });
      return;
    }
    state.set(name, "visiting");
    for (const dep of entry.depends) visit(dep, name);
    state.set(name, "done");
    order.push(name);
  };
  for (const name of names) visit(normalizeName(name), null);
  return { order, unknown };
}
