/**
 * Statistics of a two-class score (membership inference): ROC AUC with midranks and the
 * Hanley–McNeil standard error, TPR at a fixed FPR, and Wilson intervals for proportions.
 */

/** An estimate with a two-sided 95% interval. */
export interface Interval {
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
}

const Z95 = 1.959963984540054;

/**
 * Wilson score interval of a proportion x / n (Wilson 1927), 95%.
 *
 * @param x - successes (0 ≤ x ≤ n).
 * @param n - trials; n = 0 gives NaN (undefined).
 * @example
 * wilsonInterval(5, 10) // => { value: 0.5, lower: 0.2366, upper: 0.7634 }
 */
export function wilsonInterval(x: number, n: number): Interval {
  if (n <= 0) return { value: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  const p = x / n;
  const z2 = Z95 * Z95;
  const den = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / den;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / den;
  return {
    value: p,
    lower: x <= 0 ? 0 : Math.max(0, centre - half),
    upper: x >= n ? 1 : Math.min(1, centre + half),
  };
}

/**
 * 95% interval of a difference of two independent proportions x1/n1 − x2/n2 by Newcombe's
 * hybrid score method (Newcombe 1998, method 10: Wilson limits of each proportion combined),
 * which stays informative at 0 or n successes, where the Wald interval collapses.
 *
 * @example
 * proportionDifference(56, 70, 48, 80) // => { value: 0.2, lower: 0.0524, upper: 0.3339 }
 */
export function proportionDifference(x1: number, n1: number, x2: number, n2: number): Interval {
  if (n1 <= 0 || n2 <= 0) return { value: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  const a = wilsonInterval(x1, n1);
  const b = wilsonInterval(x2, n2);
  const d = a.value - b.value;
  return {
    value: d,
    lower: d - Math.sqrt((a.value - a.lower) ** 2 + (b.upper - b.value) ** 2),
    upper: d + Math.sqrt((a.upper - a.value) ** 2 + (b.value - b.lower) ** 2),
  };
}

/**
 * ROC AUC of scores (higher = more likely positive): the Mann–Whitney probability
 * P(S⁺ > S⁻) + ½ P(S⁺ = S⁻), from midranks, with the Hanley–McNeil (1982) standard error
 * and a 95% interval clipped to [0, 1].
 *
 * @param positive - scores of the positives (members).
 * @param negative - scores of the negatives (non-members).
 * @example
 * rocAuc(Float64Array.of(3, 4), Float64Array.of(1, 2)).value // => 1
 */
export function rocAuc(positive: Float64Array, negative: Float64Array): Interval {
  const n1 = positive.length;
  const n0 = negative.length;
  if (n1 === 0 || n0 === 0) return { value: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  const all = new Float64Array(n1 + n0);
  all.set(positive);
  all.set(negative, n1);
  const order = Int32Array.from({ length: n1 + n0 }, (_, i) => i).sort((a, b) => all[a]! - all[b]!);
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && all[order[j + 1]!] === all[order[i]!]) j++;
    const mid = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (order[t]! < n1) rankSum += mid;
    i = j + 1;
  }
  const auc = (rankSum - (n1 * (n1 + 1)) / 2) / (n1 * n0);
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  const variance =
    (auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n0 - 1) * (q2 - auc * auc)) / (n1 * n0);
  const se = Math.sqrt(Math.max(0, variance));
  return {
    value: auc,
    lower: Math.max(0, auc - Z95 * se),
    upper: Math.min(1, auc + Z95 * se),
  };
}

/**
 * True-positive rate at a false-positive rate of at most `fpr`: the threshold is the
 * smallest score that at most ⌊fpr · n⁻⌋ negatives exceed; positives strictly above it count.
 * With a Wilson 95% interval over the positives.
 *
 * @example
 * tprAtFpr(Float64Array.of(5, 6, 0), Float64Array.of(1, 2, 3, 4), 0.01).value // => 2/3
 */
export function tprAtFpr(positive: Float64Array, negative: Float64Array, fpr: number): Interval {
  if (positive.length === 0 || negative.length === 0) {
    return { value: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  }
  const sorted = Float64Array.from(negative).sort();
  const allowed = Math.floor(fpr * sorted.length);
  const threshold = sorted[sorted.length - 1 - allowed]!;
  let x = 0;
  for (const s of positive) if (s > threshold) x++;
  return wilsonInterval(x, positive.length);
}
