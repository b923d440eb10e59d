import { readFile } from "node:fs/promises";
export class Queue {
  #items = [];
  static from(iterable) { const q = new Queue(); for (const x of iterable) q.push(x); return q; }
  push(x) { this.#items.push(x); return this; }
  get size() { return this.#items.length; }
  *[Symbol.iterator]() { yield* this.#items; }
}
export default async function main(path = "data.txt") {
  const text = await readFile(path, "utf8");
  const counts = text.split(/\s+/u).reduce((m, w) => (m[w] = (m[w] ?? 0) + 1, m), {});
  const top = Object.entries(counts).sort(([, a], [, b]) => b - a).slice(0, 3);
  return top.map(([w, n]) => `${w}: ${n}`).join("\n") || null;
}
label: for (let i = 0n; i < 10n; i++) { if (i % 3n === 0n) continue label; }
