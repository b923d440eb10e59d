/**
 * The examples menu. The fleet examples read the bundled sample (examples/fleet.csv, sent as
 * `data/fleet.csv`) with Python's standard library only: numpy is not in the browser runtime.
 */

/** The languages the picker offers; WAT runs as the contract's `wasm` language (WebAssembly text). */
export const PLAYGROUND_LANGUAGES = ["python", "javascript", "typescript", "c", "cpp", "wasm"] as const;
export type PlaygroundLanguage = (typeof PLAYGROUND_LANGUAGES)[number];
export const LANGUAGE_LABELS: Record<PlaygroundLanguage, string> = {
  python: "Python",
  javascript: "JavaScript",
  typescript: "TypeScript",
  c: "C",
  cpp: "C++",
  wasm: "WAT (wasm text)",
};

export interface Example {
  id: string;
  title: string;
  language: PlaygroundLanguage;
  code: string;
  /** Sends the bundled sample as `data/fleet.csv`. */
  usesFleetCsv?: boolean;
}

/** Shared by the fleet examples: the CSV as a list of dicts, numbers parsed, one list per trip. */
const LOAD_FLEET = `import csv
from collections import defaultdict

with open("data/fleet.csv", newline="") as f:
    rows = list(csv.DictReader(f))
trips = defaultdict(list)
for row in rows:
    trips[row["trip_id"]].append(row)
`;

const SHARP_TURNS = `${LOAD_FLEET}
import statistics

# Heading change per step, after forward-filling the gaps (empty fields) within a trip.
changes = []
for trip_id, trip in trips.items():
    last = None
    for row in sorted(trip, key=lambda r: int(r["t_s"])):
        heading = float(row["heading_deg"]) if row["heading_deg"] else last
        if last is not None and heading is not None:
            # Wrap at 360: a turn from 359 to 1 degrees is 2 degrees, not 358.
            delta = (heading - last + 180) % 360 - 180
            changes.append((trip_id, abs(delta)))
        last = heading

# Sharp turns: steps whose |change| is in the top decile (above the 90th percentile).
threshold = statistics.quantiles([c for _, c in changes], n=10)[-1]
sharp = [(t, c) for t, c in changes if c > threshold]
print(f"steps: {len(changes)}")
print(f"threshold: {threshold:.2f} deg")
print(f"sharp turns: {len(sharp)}")
for trip_id in trips:
    print(f"  {trip_id}: {sum(1 for t, _ in sharp if t == trip_id)}")
`;

const FUEL_RAIL = `${LOAD_FLEET}
import statistics

# Samples are 1 Hz, so the fraction of samples is the fraction of time.
pressure = [float(r["fuel_rail_kpa"]) for r in rows]
median = statistics.median(pressure)
low, high = median * 0.95, median * 1.05
outside = sum(1 for p in pressure if p < low or p > high)
print(f"median: {median:.1f} kPa, band {low:.1f} .. {high:.1f} kPa")
print(f"outside band: {outside} of {len(pressure)} samples")
print(f"fraction outside: {outside / len(pressure):.4f}")
`;

const WHEEL_SPREAD = `${LOAD_FLEET}
WHEELS = ["wheel_fl_kmh", "wheel_fr_kmh", "wheel_rl_kmh", "wheel_rr_kmh"]

# Spread at each sample: fastest wheel minus slowest. A large one means slip or a turn.
for trip_id, trip in trips.items():
    best = max(trip, key=lambda r: max(float(r[w]) for w in WHEELS) - min(float(r[w]) for w in WHEELS))
    speeds = [float(best[w]) for w in WHEELS]
    print(f"{trip_id}: max spread {max(speeds) - min(speeds):.2f} km/h at t={best['t_s']} s")
`;

const CORRELATION = `${LOAD_FLEET}
import statistics

altitude = [float(r["altitude_m"]) for r in rows]
speed = [float(r["speed_kmh"]) for r in rows]
r = statistics.correlation(altitude, speed)
print(f"samples: {len(rows)}")
print(f"pearson r (altitude vs speed): {r:.4f}")
`;

const SPEED_PLOT = `${LOAD_FLEET}
# A chart without matplotlib: write the SVG by hand. The page shows it under the output.
W, H, PAD = 640, 320, 40
trip = trips["T1"]
t = [int(r["t_s"]) for r in trip]
v = [float(r["speed_kmh"]) for r in trip]
x = lambda s: PAD + (s - min(t)) / (max(t) - min(t)) * (W - 2 * PAD)
y = lambda s: H - PAD - (s - min(v)) / (max(v) - min(v)) * (H - 2 * PAD)
points = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(t, v))
svg = f"""<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}">
<rect width="{W}" height="{H}" fill="white"/>
<text x="{PAD}" y="24" font-family="sans-serif" font-size="16">Trip T1: speed (km/h) over time (s)</text>
<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="black"/>
<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="black"/>
<text x="{PAD}" y="{H - 12}" font-family="sans-serif" font-size="12">{min(t)}</text>
<text x="{W - PAD}" y="{H - 12}" font-family="sans-serif" font-size="12" text-anchor="end">{max(t)}</text>
<text x="{PAD - 4}" y="{PAD + 4}" font-family="sans-serif" font-size="12" text-anchor="end">{max(v):.0f}</text>
<text x="{PAD - 4}" y="{H - PAD}" font-family="sans-serif" font-size="12" text-anchor="end">{min(v):.0f}</text>
<polyline points="{points}" fill="none" stroke="#1565c0" stroke-width="2"/>
</svg>
"""
with open("speed.svg", "w") as f:
    f.write(svg)
print(f"wrote speed.svg ({len(t)} points)")
`;

const C_EXAMPLE = `#include <stdio.h>

/* Primes below 100 with a sieve of Eratosthenes. */
int main(void) {
    char composite[100] = {0};
    int count = 0;
    for (int i = 2; i < 100; i++) {
        if (composite[i]) continue;
        printf("%d ", i);
        count++;
        for (int j = i * i; j < 100; j += i) composite[j] = 1;
    }
    printf("\\n%d primes below 100\\n", count);
    return 0;
}
`;

const CPP_EXAMPLE = `#include <iostream>
#include <map>
#include <string>

int main() {
    std::map<std::string, int> words;
    for (const char* w : {"wasm", "box", "wasm", "sandbox", "box", "wasm"}) words[w]++;
    for (const auto& [word, n] : words) std::cout << word << ": " << n << "\\n";
}
`;

const JS_EXAMPLE = `// Fibonacci numbers with BigInt: exact past 2^53.
const fib = [0n, 1n];
while (fib.length < 100) fib.push(fib.at(-1) + fib.at(-2));
console.log("fib(99) =", fib[99].toString());
console.error("this line goes to stderr");
fib.length;
`;

const TS_EXAMPLE = `interface Sample { tripId: string; speedKmh: number }

const samples: Sample[] = [
  { tripId: "T1", speedKmh: 42.5 },
  { tripId: "T1", speedKmh: 57.1 },
  { tripId: "T2", speedKmh: 88.0 },
];

function meanBy(items: Sample[], key: (s: Sample) => string): Map<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const s of items) {
    const acc = sums.get(key(s)) ?? { total: 0, n: 0 };
    sums.set(key(s), { total: acc.total + s.speedKmh, n: acc.n + 1 });
  }
  return new Map([...sums].map(([k, v]) => [k, v.total / v.n]));
}

for (const [trip, mean] of meanBy(samples, (s) => s.tripId)) console.log(\`\${trip}: \${mean.toFixed(1)} km/h\`);
`;

const WAT_EXAMPLE = `;; A WASI command written by hand: _start writes a line to stdout with fd_write.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; The iovec at 0: pointer 16, length 23. The text at 16.
  (data (i32.const 0) "\\10\\00\\00\\00\\17\\00\\00\\00")
  (data (i32.const 16) "hello from WebAssembly\\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
`;

const PYTHON_HELLO = `import sys

print("Hello from Python", sys.version.split()[0])
print("stderr looks like this", file=sys.stderr)
`;

export const EXAMPLES: readonly Example[] = [
  { id: "python-hello", title: "Python: hello", language: "python", code: PYTHON_HELLO },
  { id: "fleet-sharp-turns", title: "Fleet: sharp turns (top-decile heading change)", language: "python", code: SHARP_TURNS, usesFleetCsv: true },
  { id: "fleet-fuel-rail", title: "Fleet: fuel-rail pressure outside ±5 %", language: "python", code: FUEL_RAIL, usesFleetCsv: true },
  { id: "fleet-wheel-spread", title: "Fleet: max wheel-speed spread per trip", language: "python", code: WHEEL_SPREAD, usesFleetCsv: true },
  { id: "fleet-correlation", title: "Fleet: altitude vs speed correlation", language: "python", code: CORRELATION, usesFleetCsv: true },
  { id: "fleet-plot", title: "Fleet: speed chart (writes speed.svg)", language: "python", code: SPEED_PLOT, usesFleetCsv: true },
  { id: "c-primes", title: "C: primes", language: "c", code: C_EXAMPLE },
  { id: "cpp-words", title: "C++: word count", language: "cpp", code: CPP_EXAMPLE },
  { id: "js-fibonacci", title: "JavaScript: BigInt Fibonacci", language: "javascript", code: JS_EXAMPLE },
  { id: "ts-mean", title: "TypeScript: typed mean per trip", language: "typescript", code: TS_EXAMPLE },
  { id: "wat-hello", title: "WAT: hello via WASI fd_write", language: "wasm", code: WAT_EXAMPLE },
];

/** The code shown when a language is picked with nothing of its own in the editor. */
export function starterFor(language: PlaygroundLanguage): string {
  return EXAMPLES.find((e) => e.language === language)!.code;
}
