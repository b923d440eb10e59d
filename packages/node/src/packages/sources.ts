/**
 * Where `wasmbox packages fetch` gets wheels: a Pyodide distribution (a folder or a mirror's
 * base URL), a PyPI-compatible simple index (PEP 691 JSON, else PEP 503 HTML), or a folder of
 * wheels. Only the fetch reads these; runs read the verified store alone.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { normalizeName } from "./lock.js";

const FETCH_TIMEOUT_MS = 300_000;

export const isUrl = (location: string) => /^https?:\/\//i.test(location);

/** A file of a folder or of a base URL, as bytes; null when it is not there (404, no such file). */
export async function readLocation(base: string, file: string): Promise<Uint8Array | null> {
  if (isUrl(base)) {
    const url = new URL(file, base.endsWith("/") ? base : `${base}/`);
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  try {
    return new Uint8Array(readFileSync(join(base, file)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** A wheel an index or a folder offers: where it is, and the sha256 the index states (null for a folder). */
export interface WheelCandidate {
  fileName: string;
  version: string;
  url: string;
  sha256: string | null;
}

/** `name-version-pytag-abitag-platform.whl` → name and version; null for anything else. */
export function parseWheelName(fileName: string): { name: string; version: string; tags: string } | null {
  // A plain file name: it becomes a path in the store, so nothing that could leave its folder.
  if (!/^[A-Za-z0-9._+!-]+$/.test(fileName) || fileName.startsWith(".")) return null;
  const m = /^([A-Za-z0-9_.]+)-([A-Za-z0-9_.!+]+)(?:-\d[^-]*)?-([^-]+-[^-]+-[^-]+)\.whl$/.exec(fileName);
  return m ? { name: normalizeName(m[1]!), version: m[2]!, tags: m[3]! } : null;
}

/** Pure-Python wheels only: the sandbox has no compiler and no native platform. */
const isPurePython = (tags: string) => /-none-any$/.test(tags) && /(^|\.)py3/.test(tags.split("-")[0]!);

/** The newest pure-Python wheel of `name` a folder holds. */
export function wheelFromFolder(dir: string, name: string): WheelCandidate | null {
  const found = readdirSync(dir)
    .map((fileName) => ({ fileName, parsed: parseWheelName(fileName) }))
    .filter((w) => w.parsed?.name === name && isPurePython(w.parsed.tags))
    .sort((a, b) => compareVersions(b.parsed!.version, a.parsed!.version));
  const best = found[0];
  return best ? { fileName: best.fileName, version: best.parsed!.version, url: join(dir, best.fileName), sha256: null } : null;
}

/** The newest pure-Python wheel of `name` on a simple index, with the sha256 the index gives. */
export async function wheelFromIndex(indexUrl: string, name: string): Promise<WheelCandidate | null> {
  const page = new URL(`${name}/`, indexUrl.endsWith("/") ? indexUrl : `${indexUrl}/`);
  const response = await fetch(page, {
    headers: { accept: "application/vnd.pypi.simple.v1+json, text/html;q=0.1" },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET ${page} answered ${response.status} ${response.statusText}`);
  const type = response.headers.get("content-type") ?? "";
  const links: { fileName: string; url: string; sha256: string | null }[] = [];
  if (type.includes("json")) {
    const body = (await response.json()) as { files?: { filename?: string; url?: string; hashes?: { sha256?: string }; yanked?: unknown }[] };
    for (const f of body.files ?? []) {
      if (typeof f.filename !== "string" || typeof f.url !== "string" || f.yanked) continue;
      links.push({ fileName: f.filename, url: new URL(f.url, page).href, sha256: f.hashes?.sha256 ?? null });
    }
  } else {
    const html = await response.text();
    for (const m of html.matchAll(/<a\s[^>]*href="([^"]+)"[^>]*>([^<]+)<\/a>/gi)) {
      if (/data-yanked/i.test(m[0])) continue;
      const href = new URL(m[1]!.replace(/&amp;/g, "&"), page);
      const sha256 = /^#sha256=([0-9a-f]{64})$/.exec(href.hash)?.[1] ?? null;
      href.hash = "";
      links.push({ fileName: m[2]!.trim(), url: href.href, sha256 });
    }
  }
  const wheels = links
    // Only what the index serves over HTTP(S); never a file:// or other scheme it names.
    .filter((l) => /^https?:$/.test(new URL(l.url).protocol))
    .map((l) => ({ ...l, parsed: parseWheelName(l.fileName) }))
    .filter((l) => l.parsed?.name === name && isPurePython(l.parsed.tags) && !/[a-z]/i.test(l.parsed.version.replace(/post|\./g, "")))
    .sort((a, b) => compareVersions(b.parsed!.version, a.parsed!.version));
  const best = wheels[0];
  return best ? { fileName: best.fileName, version: best.parsed!.version, url: best.url, sha256: best.sha256 } : null;
}

/** Fetch a candidate's bytes (a URL, or a path of a folder). */
export async function readCandidate(candidate: WheelCandidate): Promise<Uint8Array> {
  if (!isUrl(candidate.url)) return new Uint8Array(readFileSync(candidate.url));
  const response = await fetch(candidate.url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET ${candidate.url} answered ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A wheel's dependencies (its METADATA's `Requires-Dist`), normalised. Requirements behind an
 * extra are left out; version specifiers are not solved (the store pins what it fetched).
 */
export function wheelDependencies(wheel: Uint8Array): string[] {
  const files = unzipSync(wheel, { filter: (f) => /^[^/]+\.dist-info\/METADATA$/.test(f.name) });
  const metadata = Object.values(files)[0];
  if (!metadata) return [];
  const deps = new Set<string>();
  for (const line of new TextDecoder().decode(metadata).split(/\r?\n/)) {
    if (line === "") break; // the headers end at the first blank line
    const m = /^Requires-Dist:\s*([A-Za-z0-9][A-Za-z0-9._-]*)([^;]*)(?:;(.*))?$/i.exec(line);
    if (!m || (m[3] && /\bextra\s*==/.test(m[3]))) continue;
    deps.add(normalizeName(m[1]!));
  }
  return [...deps];
}

/** The top-level modules a wheel provides (its `top_level.txt`, else its top-level folders and .py files). */
export function wheelImports(wheel: Uint8Array): string[] {
  const topLevel = unzipSync(wheel, { filter: (f) => /^[^/]+\.dist-info\/top_level\.txt$/.test(f.name) });
  const listed = Object.values(topLevel)[0];
  if (listed) {
    const names = new TextDecoder().decode(listed).split(/\r?\n/).map((n) => n.trim());
    return names.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)).sort();
  }
  const entries: string[] = [];
  unzipSync(wheel, {
    filter: (f) => {
      entries.push(f.name);
      return false;
    },
  });
  const top = new Set<string>();
  for (const entry of entries) {
    const [first, second] = entry.split("/");
    if (!first || first.endsWith(".dist-info") || first.endsWith(".data")) continue;
    if (second !== undefined) top.add(first);
    else if (first.endsWith(".py")) top.add(first.slice(0, -3));
  }
  return [...top].filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n)).sort();
}

/** Compare dotted versions numerically where they are numbers (enough to pick the newest release). */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+!-]/);
  const pb = b.split(/[.+!-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0";
    const y = pb[i] ?? "0";
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
}
