/**
 * Sorts by UTF-16 code units: the same order on every machine and locale (unlike
 * `localeCompare`).
 *
 * @param a - first string
 * @param b - second string
 * @returns negative, zero or positive, as `Array.prototype.sort` expects
 * @example
 * ['b', 'B', 'a'].sort(compareCodeUnits) // => ['B', 'a', 'b']
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
