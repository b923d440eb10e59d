/**
 * The bundled sample: telemetry of a small vehicle fleet, made here deterministically (a
 * seeded PRNG) so the CSV is the same on every build and the examples' answers can be checked.
 * 1 Hz samples: a row is one second, so a fraction of rows is a fraction of time.
 */

/** mulberry32: a tiny seeded PRNG, good enough for sample data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FLEET_COLUMNS = ["trip_id", "t_s", "speed_kmh", "heading_deg", "altitude_m", "fuel_rail_kpa", "wheel_fl_kmh", "wheel_fr_kmh", "wheel_rl_kmh", "wheel_rr_kmh"];

/** The CSV text: 4 trips of 90 to 120 seconds, a header row, LF line ends. */
export function fleetCsv() {
  const rand = prng(20261201);
  const rows = [FLEET_COLUMNS.join(",")];
  const trips = [{ id: "T1", n: 120 }, { id: "T2", n: 100 }, { id: "T3", n: 90 }, { id: "T4", n: 110 }];
  for (const [k, trip] of trips.entries()) {
    let speed = 20 + 10 * k;
    let heading = rand() * 360;
    let altitude = 120 + 40 * k;
    for (let t = 0; t < trip.n; t++) {
      speed = Math.max(0, Math.min(130, speed + (rand() - 0.45) * 6));
      // Mostly gentle steering with the odd sharp turn at a junction.
      const turn = rand() < 0.13 ? (rand() < 0.5 ? -1 : 1) * (45 + rand() * 60) : (rand() - 0.5) * 8;
      heading = (heading + turn + 360) % 360;
      altitude += (speed / 3.6) * 0.02 * Math.sin(t / 15 + k) + (rand() - 0.5) * 0.4;
      // Nominal 35 MPa rail pressure with noise and a few dips and spikes outside ±5 %.
      const excursion = rand() < 0.1 ? (rand() < 0.5 ? -1 : 1) * (0.06 + rand() * 0.06) : (rand() - 0.5) * 0.06;
      const rail = 35000 * (1 + excursion);
      const wheels = [0, 1, 2, 3].map(() => speed * (1 + (rand() - 0.5) * 0.02) + (turn > 40 || turn < -40 ? rand() * 3 : 0));
      // Heading drops out now and then (GPS gaps): an empty field.
      const headingField = t > 0 && rand() < 0.07 ? "" : heading.toFixed(1);
      rows.push([trip.id, t, speed.toFixed(2), headingField, altitude.toFixed(2), rail.toFixed(0), ...wheels.map((w) => w.toFixed(2))].join(","));
    }
  }
  return rows.join("\n") + "\n";
}
