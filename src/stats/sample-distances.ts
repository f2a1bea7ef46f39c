/**
 * Distances and summaries of real-valued samples (event values such as lab results), where the
 * integer-day count tables of `distances.ts` do not apply: two-sample Kolmogorov–Smirnov and
 * Wasserstein-1 between empirical distributions, R's type-7 quantile, Pearson correlation.
 * Inputs are never mutated; NaN entries are the caller's to drop. An empty sample gives NaN.
 */

/** An ascending copy of a sample. */
function sortedCopy(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x).sort();
}

/**
 * Walks the merged support of two samples and calls `visit(x, next, fa, fb)` on each interval
 * [x, next) with the empirical CDFs F_a, F_b on it. Returns false when either sample is empty.
 */
function walkCdfs(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  visit: (x: number, next: number, fa: number, fb: number) => void,
): boolean {
  const sa = sortedCopy(a);
  const sb = sortedCopy(b);
  const n = sa.length;
  const m = sb.length;
  if (n === 0 || m === 0) return false;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const x = j >= m || (i < n && sa[i]! <= sb[j]!) ? sa[i]! : sb[j]!;
    while (i < n && sa[i] === x) i++;
    while (j < m && sb[j] === x) j++;
    const next = i < n && (j >= m || sa[i]! <= sb[j]!) ? sa[i]! : j < m ? sb[j]! : x;
    visit(x, next, i / n, j / m);
  }
  return true;
}

/**
 * Two-sample Kolmogorov–Smirnov distance D = sup_x |F_a(x) − F_b(x)| of two real samples.
 *
 * @param a - first sample (any order; NaN must be dropped by the caller).
 * @param b - second sample.
 * @returns D in [0, 1]; NaN when either sample is empty.
 * @example
 * ksSamples([1, 2, 3], [2, 3, 4]) // => 1/3
 */
export function ksSamples(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  const ok = walkCdfs(a, b, (_x, _next, fa, fb) => {
    const g = Math.abs(fa - fb);
    if (g > d) d = g;
  });
  return ok ? d : Number.NaN;
}

/**
 * Wasserstein-1 distance W₁ = ∫ |F_a(x) − F_b(x)| dx between two real samples, in their unit.
 *
 * @param a - first sample.
 * @param b - second sample.
 * @returns W₁ ≥ 0; NaN when either sample is empty.
 * @example
 * wasserstein1Samples([0, 1], [1, 2]) // => 1 (a shift by 1)
 */
export function wasserstein1Samples(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  const ok = walkCdfs(a, b, (x, next, fa, fb) => {
    w += Math.abs(fa - fb) * (next - x);
  });
  return ok ? w : Number.NaN;
}

/**
 * Sample quantile of type 7 (R's `quantile` default): linear interpolation between order
 * statistics at h = (n − 1)·q.
 *
 * @param x - the sample (any order).
 * @param q - probability in [0, 1].
 * @returns the quantile; NaN for an empty sample.
 * @throws nothing; q outside [0, 1] is clamped.
 * @example
 * sampleQuantile([1, 2, 3, 4], 0.5) // => 2.5
 */
export function sampleQuantile(x: ArrayLike<number>, q: number): number {
  return sortedQuantile(sortedCopy(x), q);
}

/**
 * {@link sampleQuantile} of an already ascending sample (no copy).
 *
 * @example
 * sortedQuantile(Float64Array.of(1, 2, 3, 4), 0.25) // => 1.75
 */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Pearson correlation r = Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² Σ(y−ȳ)²) of paired samples.
 *
 * @param x - first coordinate.
 * @param y - second coordinate, same length.
 * @returns r in [−1, 1]; NaN for fewer than 2 pairs, a length mismatch or a constant coordinate.
 * @example
 * pearson([1, 2, 3], [2, 4, 7]) // => 0.9933992677987828
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return sxy / Math.sqrt(sxx * syy);
}
