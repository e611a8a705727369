/** Money as the app stores it: USD rounded to the micro-dollar, so sums of many small calls stay exact enough and compare equal. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
