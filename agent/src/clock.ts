/**
 * Elapsed time for probe results. A monotonic clock, so that a wall-clock step on the node (NTP
 * catching up during a run) cannot make a probe look slow or negative.
 */

/** Milliseconds since an arbitrary fixed point. process.hrtime() (not .bigint()) works on Node 12.0. */
export function now(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1000 + nanoseconds / 1e6;
}

/** Whole milliseconds since `start` (a value from now()). */
export function since(start: number): number {
  return Math.max(0, Math.round(now() - start));
}
