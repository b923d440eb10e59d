/**
 * What the baseline snapshot has already imported, so a run's `import statistics` costs
 * nothing. Changing the list changes the snapshot's cache key.
 */
export const SNAPSHOT_RECIPE = {
  version: 1,
  imports: [
    "json", "re", "math", "statistics", "collections", "itertools", "functools", "datetime", "csv",
    "random", "decimal", "fractions", "dataclasses", "typing", "io", "os", "sys", "traceback", "linecache",
  ],
} as const;

/** Starts the message of a snapshot build refused because its packages load shared libraries. */
export const SHARED_LIBRARIES_MARK = "snapshot-needs-shared-libraries";
