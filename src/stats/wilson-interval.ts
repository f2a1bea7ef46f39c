import { assertArgument } from '../core/errors.js';
import { normalQuantile } from './normal.js';

/** A proportion with its confidence interval. */
export interface ProportionInterval {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

/**
 * The Wilson score interval of a binomial proportion k/n (Wilson 1927; R's
 * `prop.test(k, n, correct = FALSE)$conf.int`):
 * (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n), z = Φ⁻¹(1 − (1 − level)/2).
 * Unlike the Wald interval it is sensible at k = 0 (upper bound ≈ z²/(n + z²)).
 *
 * @param k - successes (an integer in 0..n)
 * @param n - trials (an integer >= 0); n = 0 gives NaN everywhere
 * @param level - confidence level in (0, 1), default 0.95
 * @throws TrajsimError INVALID_ARGUMENT for k outside 0..n or a bad level.
 * @example
 * wilsonInterval(0, 929) // => { estimate: 0, lower: 0, upper: 0.004118... }
 */
export function wilsonInterval(k: number, n: number, level = 0.95): ProportionInterval {
  assertArgument(
    Number.isInteger(k) && Number.isInteger(n) && k >= 0 && k <= n,
    `wilsonInterval: k must be an integer in 0..n, found k=${k}, n=${n}`,
  );
  assertArgument(level > 0 && level < 1, `wilsonInterval: level must be in (0, 1), found ${level}`);
  if (n === 0) return { estimate: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = k / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const half = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denom = 1 + z2 / n;
  return {
    estimate: p,
    lower: k === 0 ? 0 : Math.max(0, (centre - half) / denom),
    upper: k === n ? 1 : Math.min(1, (centre + half) / denom),
  };
}

/**
 * Newcombe's hybrid score interval for a difference of two independent proportions
 * p₁ − p₂ (Newcombe 1998, method 10), built from the two Wilson intervals (l, u):
 * lower = d − √((p₁ − l₁)² + (u₂ − p₂)²), upper = d + √((u₁ − p₁)² + (p₂ − l₂)²).
 *
 * @throws TrajsimError INVALID_ARGUMENT as {@link wilsonInterval}.
 * @example
 * proportionDifferenceInterval(21, 2000, 0, 929).lower > 0 // => true
 */
export function proportionDifferenceInterval(
  k1: number,
  n1: number,
  k2: number,
  n2: number,
  level = 0.95,
): ProportionInterval {
  const a = wilsonInterval(k1, n1, level);
  const b = wilsonInterval(k2, n2, level);
  const d = a.estimate - b.estimate;
  return {
    estimate: d,
    lower: d - Math.sqrt((a.estimate - a.lower) ** 2 + (b.upper - b.estimate) ** 2),
    upper: d + Math.sqrt((a.upper - a.estimate) ** 2 + (b.estimate - b.lower) ** 2),
  };
}
