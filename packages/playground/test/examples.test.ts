/**
 * The fleet examples are right: each one's Python runs with this machine's python3 against
 * the bundled CSV, and what it prints is compared with the same answers computed here, in
 * TypeScript, without Python's help.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fleetCsv } from "../scripts/fleet-csv.mjs";
import { EXAMPLES } from "../src/examples.js";

const csv = fleetCsv();
const dir = mkdtempSync(join(tmpdir(), "wasmbox-fleet-"));
mkdirSync(join(dir, "data"));
writeFileSync(join(dir, "data/fleet.csv"), csv);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row { [column: string]: string }
const [header, ...lines] = csv.trimEnd().split("\n");
const columns = header!.split(",");
const rows: Row[] = lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [columns[i]!, v])));
const trips = new Map<string, Row[]>();
for (const row of rows) trips.set(row["trip_id"]!, [...(trips.get(row["trip_id"]!) ?? []), row]);
const num = (row: Row, column: string): number => Number(row[column]);

function runExample(id: string): string {
  const example = EXAMPLES.find((e) => e.id === id);
  if (!example) throw new Error(`no example ${id}`);
  const run = spawnSync("python3", ["-c", example.code], { cwd: dir, encoding: "utf8" });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return run.stdout;
}

/** Python's statistics.median. */
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

describe("the fleet examples compute the right answers", () => {
  it("has a CSV with gaps in heading and four trips", () => {
    expect(columns).toEqual(["trip_id", "t_s", "speed_kmh", "heading_deg", "altitude_m", "fuel_rail_kpa", "wheel_fl_kmh", "wheel_fr_kmh", "wheel_rl_kmh", "wheel_rr_kmh"]);
    expect(rows.length).toBeGreaterThan(300);
    expect(rows.filter((r) => r["heading_deg"] === "").length).toBeGreaterThan(10);
    expect([...trips.keys()]).toEqual(["T1", "T2", "T3", "T4"]);
  });

  it("sharp turns: top-decile heading change after forward-filling gaps, wrapped at 360", () => {
    const changes: { trip: string; abs: number }[] = [];
    for (const [trip, trs] of trips) {
      let last: number | null = null;
      for (const row of trs) {
        const heading: number | null = row["heading_deg"] === "" ? last : num(row, "heading_deg");
        if (last !== null && heading !== null) {
          let delta = heading - last;
          while (delta >= 180) delta -= 360;
          while (delta < -180) delta += 360;
          changes.push({ trip, abs: Math.abs(delta) });
        }
        last = heading;
      }
    }
    // The 90th percentile as a linear interpolation between order statistics at (n+1)·0.9.
    const sorted = changes.map((c) => c.abs).sort((a, b) => a - b);
    const pos = (sorted.length + 1) * 0.9;
    const j = Math.floor(pos);
    const threshold = sorted[j - 1]! + (sorted[j]! - sorted[j - 1]!) * (pos - j);
    const sharp = changes.filter((c) => c.abs > threshold);

    const out = runExample("fleet-sharp-turns");
    expect(out).toContain(`steps: ${changes.length}\n`);
    expect(out).toContain(`threshold: ${threshold.toFixed(2)} deg\n`);
    expect(out).toContain(`sharp turns: ${sharp.length}\n`);
    for (const trip of trips.keys()) expect(out).toContain(`  ${trip}: ${sharp.filter((c) => c.trip === trip).length}\n`);
    // The sample has sharp turns to find, and a top decile is about a tenth.
    expect(sharp.length).toBeGreaterThan(changes.length * 0.05);
    expect(sharp.length).toBeLessThanOrEqual(Math.ceil(changes.length * 0.1));
  });

  it("fuel-rail pressure outside a ±5 % band around the median", () => {
    const pressure = rows.map((r) => num(r, "fuel_rail_kpa"));
    const m = median(pressure);
    const outside = pressure.filter((p) => p < m * 0.95 || p > m * 1.05).length;
    const out = runExample("fleet-fuel-rail");
    expect(out).toContain(`median: ${m.toFixed(1)} kPa`);
    expect(out).toContain(`outside band: ${outside} of ${pressure.length} samples\n`);
    expect(out).toContain(`fraction outside: ${(outside / pressure.length).toFixed(4)}\n`);
    expect(outside).toBeGreaterThan(0);
  });

  it("max wheel-speed spread per trip", () => {
    const out = runExample("fleet-wheel-spread");
    const wheels = ["wheel_fl_kmh", "wheel_fr_kmh", "wheel_rl_kmh", "wheel_rr_kmh"];
    for (const [trip, trs] of trips) {
      let best = { spread: -1, t: "" };
      for (const row of trs) {
        const speeds = wheels.map((w) => num(row, w));
        const spread = Math.max(...speeds) - Math.min(...speeds);
        if (spread > best.spread) best = { spread, t: row["t_s"]! };
      }
      expect(out).toContain(`${trip}: max spread ${best.spread.toFixed(2)} km/h at t=${best.t} s\n`);
    }
  });

  it("Pearson correlation of altitude and speed", () => {
    const x = rows.map((r) => num(r, "altitude_m"));
    const y = rows.map((r) => num(r, "speed_kmh"));
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    const mx = mean(x), my = mean(y);
    let sxy = 0, sxx = 0, syy = 0;
    for (let i = 0; i < x.length; i++) {
      sxy += (x[i]! - mx) * (y[i]! - my);
      sxx += (x[i]! - mx) ** 2;
      syy += (y[i]! - my) ** 2;
    }
    const r = sxy / Math.sqrt(sxx * syy);
    const out = runExample("fleet-correlation");
    expect(out).toContain(`samples: ${rows.length}\n`);
    expect(out).toContain(`pearson r (altitude vs speed): ${r.toFixed(4)}\n`);
  });

  it("the chart example writes an SVG with one point per sample of trip T1", () => {
    const out = runExample("fleet-plot");
    const n = trips.get("T1")!.length;
    expect(out).toBe(`wrote speed.svg (${n} points)\n`);
    const svg = readFileSync(join(dir, "speed.svg"), "utf8");
    expect(svg.startsWith("<svg ")).toBe(true);
    const points = /<polyline points="([^"]+)"/.exec(svg)![1]!.split(" ");
    expect(points).toHaveLength(n);
  });

  it("every Python example uses the standard library only", () => {
    for (const example of EXAMPLES.filter((e) => e.language === "python")) {
      const imports = [...example.code.matchAll(/^(?:import|from) (\w+)/gm)].map((m) => m[1]);
      for (const name of imports) expect(["csv", "collections", "statistics", "math", "sys"]).toContain(name);
    }
  });
});
