/**
 * What a sandbox loads. `@wasmbox/core/guest` is the entry of every sandbox (a Node child
 * process's worker, later a Web Worker); it must not load zod or the contract's schemas, which
 * only the host validates with. A type import written `import { type X }` would still load its
 * module (verbatimModuleSyntax keeps `import {} from`): this walks the built graph to see.
 *
 * Needs a build first (`npm run build`).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const OURS = ["@wasmbox/core", "@wasmbox/contract"];

/** Static and literal dynamic import specifiers of one built ES module (tsc's output). */
function specifiersOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm)) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

/**
 * Every module the entry loads, following relative imports and imports of our own packages;
 * other packages are listed by the specifier used, not followed.
 */
function importGraph(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of specifiersOf(file)) {
      if (spec.startsWith(".")) queue.push(resolve(dirname(file), spec));
      else if (OURS.some((pkg) => spec === pkg || spec.startsWith(`${pkg}/`))) {
        external.add(spec);
        queue.push(require.resolve(spec, { paths: [dirname(file)] }));
      } else external.add(spec);
    }
  }
  return { files, external };
}

describe("@wasmbox/core/guest, what every sandbox loads", () => {
  const { files, external } = importGraph(require.resolve("@wasmbox/core/guest"));

  it("loads neither zod nor the contract's schemas, only its zod-free compile-flag rules", () => {
    expect(files.size).toBeGreaterThan(10);
    expect([...external].filter((spec) => spec === "zod" || spec.startsWith("zod/"))).toEqual([]);
    expect([...external].filter((spec) => spec.startsWith("@wasmbox/"))).toEqual(["@wasmbox/contract/flags"]);
    expect([...files].filter((file) => /[\\/]contract[\\/]dist[\\/](?!flags\.js$)/.test(file))).toEqual([]);
  });

  it("loads no module only to import nothing from it (a type import left behind)", () => {
    const emptyImports = [...files].filter((file) => /^\s*import\s*\{\s*\}\s*from/m.test(readFileSync(file, "utf8")));
    expect(emptyImports).toEqual([]);
  });
});
