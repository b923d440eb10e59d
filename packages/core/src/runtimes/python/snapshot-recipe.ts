import { DISPLAY_SOURCE } from "./display.js";
import { DRIVER_SOURCE } from "./driver.js";

/** A short digest of a text (two 32-bit FNV-1a lanes), for cache keys that must change with it. */
function textDigest(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

/**
 * The driver's Python sources, compiled into every snapshot (module `_wasmbox_boot`) so a
 * sandbox execs code objects at boot instead of compiling ~600 lines in a cold interpreter.
 * A snapshot whose digest differs is not trusted for them: the sources are compiled then.
 */
export const DRIVER_DIGEST = textDigest(DRIVER_SOURCE + "\0" + DISPLAY_SOURCE);

/**
 * What the baseline snapshot has already imported, so a run's `import statistics` costs
 * nothing. Changing the list changes the snapshot's cache key.
 */
export const SNAPSHOT_RECIPE = {
  version: 2,
  driver: DRIVER_DIGEST,
  imports: [
    "json", "re", "math", "statistics", "collections", "itertools", "functools", "datetime", "csv",
    "random", "decimal", "fractions", "dataclasses", "typing", "io", "os", "sys", "traceback", "linecache",
  ],
} as const;

/** Starts the message of a snapshot build refused because its packages load shared libraries. */
export const SHARED_LIBRARIES_MARK = "snapshot-needs-shared-libraries";
