/**
 * Real wheels and a Pyodide-format distribution, built by the tests: the build machines reach
 * only npm and Debian, so Pyodide's own wheels (numpy, pandas…) cannot be downloaded here.
 * The wheels are real zip files in the wheel format (dist-info METADATA, WHEEL, RECORD) that
 * Pyodide's installer unpacks, as it would any pure-Python wheel.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { strToU8, zipSync } from "fflate";

export interface TestPackage {
  name: string;
  version: string;
  /** Files under site-packages, e.g. `{ "geo/__init__.py": "..." }`. */
  files: Record<string, string>;
  requires?: string[];
}

export interface BuiltWheel {
  name: string;
  version: string;
  fileName: string;
  bytes: Uint8Array;
  sha256: string;
  imports: string[];
  depends: string[];
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

export function buildWheel(pkg: TestPackage): BuiltWheel {
  const dist = `${pkg.name.replace(/-/g, "_")}-${pkg.version}`;
  const metadata = [`Metadata-Version: 2.1`, `Name: ${pkg.name}`, `Version: ${pkg.version}`, ...(pkg.requires ?? []).map((r) => `Requires-Dist: ${r}`), "", ""].join("\n");
  const files: Record<string, Uint8Array> = {};
  for (const [path, text] of Object.entries(pkg.files)) files[path] = strToU8(text);
  files[`${dist}.dist-info/METADATA`] = strToU8(metadata);
  files[`${dist}.dist-info/WHEEL`] = strToU8("Wheel-Version: 1.0\nGenerator: wasmbox-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
  const record = Object.entries(files).map(([p, b]) => `${p},sha256=${Buffer.from(createHash("sha256").update(b).digest()).toString("base64url")},${b.byteLength}`);
  files[`${dist}.dist-info/RECORD`] = strToU8([...record, `${dist}.dist-info/RECORD,,`, ""].join("\n"));
  // Fixed timestamps: the same package builds the same bytes, so its hash is stable.
  const bytes = zipSync(Object.fromEntries(Object.entries(files).map(([p, b]) => [p, [b, { mtime: new Date("2026-01-01T00:00:00Z") }]])), { level: 6 });
  const imports = [...new Set(Object.keys(pkg.files).map((p) => p.split("/")[0]!.replace(/\.py$/, "")))];
  return { name: pkg.name, version: pkg.version, fileName: `${dist}-py3-none-any.whl`, bytes, sha256: sha256(bytes), imports, depends: (pkg.requires ?? []).map((r) => /^[A-Za-z0-9._-]+/.exec(r)![0].toLowerCase()) };
}

/** Write wheels and a `pyodide-lock.json` for them (with the installed Pyodide's `info`) into `dir`. */
export function writeDistribution(dir: string, wheels: readonly BuiltWheel[], options: { lockSha256?: Record<string, string> } = {}): void {
  mkdirSync(dir, { recursive: true });
  const runtimeLock = JSON.parse(readFileSync(join(dirname(createRequire(import.meta.url).resolve("pyodide/package.json")), "pyodide-lock.json"), "utf8")) as { info: unknown };
  const packages: Record<string, unknown> = {};
  for (const w of wheels) {
    writeFileSync(join(dir, w.fileName), w.bytes);
    packages[w.name] = { name: w.name, version: w.version, file_name: w.fileName, sha256: options.lockSha256?.[w.name] ?? w.sha256, depends: w.depends, imports: w.imports, install_dir: "site", package_type: "package", unvendored_tests: false };
  }
  writeFileSync(join(dir, "pyodide-lock.json"), JSON.stringify({ info: runtimeLock.info, packages }));
}

/** The test distribution: `wbx-units` (a dependency), `wbx-geo` (needs it), `wbx-report` (needs geo). */
export function testPackages(): BuiltWheel[] {
  return [
    buildWheel({ name: "wbx-units", version: "1.2.0", files: { "wbx_units/__init__.py": "KM_PER_MILE = 1.609344\ndef km(miles):\n    return miles * KM_PER_MILE\n" } }),
    buildWheel({
      name: "wbx-geo",
      version: "0.3.1",
      requires: ["wbx-units>=1.0"],
      files: {
        "wbx_geo/__init__.py": "from wbx_units import km\nimport math\ndef haversine_km(a, b):\n    (la1, lo1), (la2, lo2) = [(math.radians(x), math.radians(y)) for x, y in (a, b)]\n    h = math.sin((la2-la1)/2)**2 + math.cos(la1)*math.cos(la2)*math.sin((lo2-lo1)/2)**2\n    return 2 * 6371.0088 * math.asin(math.sqrt(h))\n",
        "wbx_geo/extra.py": "def twice(x):\n    return 2 * x\n",
      },
    }),
    buildWheel({ name: "wbx-report", version: "2.0.0", requires: ["wbx-geo"], files: { "wbx_report.py": "import wbx_geo\ndef line(name, km):\n    return f'{name}: {km:.1f} km'\n" } }),
  ];
}

/**
 * A wheel of a pure-Python package Debian installed (`/usr/lib/python3/dist-packages/<module>`):
 * real third-party code, packed as the wheel pip would have installed it from.
 */
export function wheelFromDebian(name: string, version: string, modules: string[], root = "/usr/lib/python3/dist-packages"): BuiltWheel {
  const files: Record<string, string> = {};
  const walk = (rel: string) => {
    const full = join(root, rel);
    if (statSync(full).isDirectory()) {
      for (const entry of readdirSync(full)) if (entry !== "__pycache__") walk(`${rel}/${entry}`);
    } else if (rel.endsWith(".py") || rel.endsWith(".typed")) files[rel] = readFileSync(full, "utf8");
  };
  for (const module of modules) walk(existsSync(join(root, module)) ? module : `${module}.py`);
  return buildWheel({ name, version, files });
}
