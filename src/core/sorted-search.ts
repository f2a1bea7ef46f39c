/**
 * Binary search in an ascending array of numbers: where a value would be inserted before or
 * after its equals. `upperBound(a, x) − lowerBound(a, x)` counts the elements equal to x.
 */

/**
 * The first index whose element is ≥ x (a.length when none is).
 *
 * @param a - ascending numbers
 * @param x - the value searched for
 * @example
 * lowerBound([1, 2, 2, 5], 2) // => 1
 */
export function lowerBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first index whose element is > x (a.length when none is).
 *
 * @param a - ascending numbers
 * @param x - the value searched for
 * @example
 * upperBound([1, 2, 2, 5], 2) // => 3
 */
export function upperBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
