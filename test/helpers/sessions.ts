// Session durations for access-log tests: bands a timer makes, and the spread people make closing tabs.

/** `n` durations from `from` in steps of `step` ms. */
export function spread(n: number, from: number, step: number): number[] {
  return Array.from({ length: n }, (_, k) => from + k * step);
}

/** Durations spread over hours, as people closing tabs make them: no two within a factor of 1.5. */
export const NATURAL = [2_000, 9_000, 40_000, 300_000, 900_000, 1_500_000, 3_600_000, 5_500_000, 9_000_000, 14_000_000];
