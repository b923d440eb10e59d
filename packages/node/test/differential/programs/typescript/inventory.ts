// Written for this suite: parse stock records from stdin into typed objects and report.
import { readFileSync } from "node:fs";

type Category = "fruit" | "dairy" | "bakery";
interface Item { sku: string; name: string; category: Category; quantity: number; priceCents: number }

function parse(line: string, lineNo: number): Item | Error {
  const [sku, name, category, quantity, price] = line.split("|").map((s) => s.trim());
  if (!sku || !name || !category || quantity === undefined || price === undefined) return new Error(`line ${lineNo}: expected 5 fields`);
  if (!["fruit", "dairy", "bakery"].includes(category)) return new Error(`line ${lineNo}: unknown category "${category}"`);
  const q = Number.parseInt(quantity, 10);
  const cents = Math.round(Number.parseFloat(price) * 100);
  if (Number.isNaN(q) || Number.isNaN(cents)) return new Error(`line ${lineNo}: bad number`);
  return { sku, name, category: category as Category, quantity: q, priceCents: cents };
}

const results = readFileSync(0, "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#")).map(parse);
const items = results.filter((r): r is Item => !(r instanceof Error));
for (const e of results.filter((r): r is Error => r instanceof Error)) console.log("skipped:", e.message);
const byCategory = new Map<Category, Item[]>();
for (const item of items) byCategory.set(item.category, [...(byCategory.get(item.category) ?? []), item]);
const money = (cents: number): string => `$${(cents / 100).toFixed(2)}`;
for (const [category, list] of [...byCategory].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const value = list.reduce((s, i) => s + i.quantity * i.priceCents, 0);
  console.log(`${category.toUpperCase()} (${list.length} items, ${money(value)})`);
  for (const i of list.sort((x, y) => y.quantity * y.priceCents - x.quantity * x.priceCents))
    console.log(`  ${i.sku.padEnd(6)} ${i.name.padEnd(18)} ${String(i.quantity).padStart(4)} × ${money(i.priceCents).padStart(7)}`);
}
const names = new Set(items.map((i) => i.name.split(" ")[0]!.toLowerCase()));
console.log(`distinct first words: ${[...names].sort().join(", ")}`);
