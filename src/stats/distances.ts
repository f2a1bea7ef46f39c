/**
 * Distances between distributions and curves, computed exactly from integer-day count tables
 * (`counts[k]` = how many observations equal k) and from daily curves (`curve[d]` = value on
 * [d, d + 1), right-continuous). Because trajsim's days are integers, an empirical
 * distribution *is* its count table: these distances are exact, and count tables from shards
 * merge by addition (see `mergeSummaries`).
 *
 * Undefined cases (an empty table) give NaN; nothing here throws on data.
 */

/**
 * Total of a count table.
 *
 * @example
 * countTotal([2, 0, 3]) // => 5
 */
export function countTotal(counts: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += counts[i]!;
  return s;
}

/**
 * Two-sample Kolmogorov–Smirnov distance D = max_k |F_a(k) − F_b(k)| between the empirical
 * distributions given by two count tables on the integers 0, 1, 2, … (the tables may differ
 * in length; missing entries are 0).
 *
 * @returns D in [0, 1]; NaN when either table is empty.
 * @example
 * ksFromCounts([1, 1], [0, 1, 1]) // F_a = (.5, 1, 1), F_b = (0, .5, 1) => 0.5
 */
export function ksFromCounts(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const gaps = cdfGaps(a, b);
  if (gaps === undefined) return Number.NaN;
  let d = 0;
  for (let k = 0; k < gaps.length; k++) if (gaps[k]! > d) d = gaps[k]!;
  return d;
}

/**
 * Wasserstein-1 (earth mover's) distance between two integer distributions given as count
 * tables: W₁ = ∫ |F_a(x) − F_b(x)| dx = Σ_k |F_a(k) − F_b(k)| (unit spacing), in the unit of
 * the support (days for gaps, events for events-per-patient).
 *
 * @returns W₁ ≥ 0; NaN when either table is empty.
 * @example
 * wasserstein1FromCounts([1], [0, 0, 1]) // a point mass at 0 vs one at 2 => 2
 */
export function wasserstein1FromCounts(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const gaps = cdfGaps(a, b);
  if (gaps === undefined) return Number.NaN;
  // Unit intervals [k, k + 1) up to the last support point; the last gap, |1 − 1|, is 0.
  let w = 0;
  for (let k = 0; k < gaps.length - 1; k++) w += gaps[k]!;
  return w;
}

/**
 * |F_a(k) − F_b(k)| for k = 0 … max(len a, len b) − 1, the gaps between the empirical CDFs of
 * two count tables (the walk that KS takes the largest of and W₁ sums); undefined when either
 * table is empty.
 */
function cdfGaps(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array | undefined {
  const na = countTotal(a);
  const nb = countTotal(b);
  if (na === 0 || nb === 0) return undefined;
  const n = Math.max(a.length, b.length);
  const gaps = new Float64Array(n);
  let ca = 0;
  let cb = 0;
  for (let k = 0; k < n; k++) {
    ca += k < a.length ? a[k]! : 0;
    cb += k < b.length ? b[k]! : 0;
    gaps[k] = Math.abs(ca / na - cb / nb);
  }
  return gaps;
}

/**
 * Total variation distance ½ Σ_x |p(x) − q(x)| between two categorical distributions given
 * as (unnormalised) weights keyed by category; a category missing from one side weighs 0.
 *
 * @returns TVD in [0, 1]; NaN when either side sums to 0.
 * @example
 * totalVariation(new Map([['A', 1], ['B', 1]]), new Map([['A', 1]])) // => 0.5
 */
export function totalVariation(
  p: ReadonlyMap<string, number>,
  q: ReadonlyMap<string, number>,
): number {
  return sumOverCategories(p, q, (a, b) => Math.abs(a - b)) / 2;
}

/**
 * Jensen–Shannon divergence in bits, JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m) with m = (p + q)/2,
 * between two categorical distributions given as weights keyed by category (normalised here).
 * Bounded: 0 for equal distributions, 1 for disjoint supports.
 *
 * @returns JS in [0, 1]; NaN when either side sums to 0.
 * @example
 * jensenShannon(new Map([['A', 1]]), new Map([['B', 3]])) // => 1
 */
export function jensenShannon(
  p: ReadonlyMap<string, number>,
  q: ReadonlyMap<string, number>,
): number {
  const js = sumOverCategories(p, q, (a, b) => {
    const m = (a + b) / 2;
    let t = 0;
    if (a > 0) t += a * Math.log2(a / m);
    if (b > 0) t += b * Math.log2(b / m);
    return t / 2;
  });
  // Rounding can leave a tiny negative or a value a hair above 1.
  return Math.min(1, Math.max(0, js));
}

/**
 * Σ over the union of categories of term(p(x), q(x)), with p and q normalised (a category
 * missing from one side weighs 0); the categories of p first, then those only in q. NaN when
 * either side sums to 0.
 */
function sumOverCategories(
  p: ReadonlyMap<string, number>,
  q: ReadonlyMap<string, number>,
  term: (a: number, b: number) => number,
): number {
  const sp = sumValues(p);
  const sq = sumValues(q);
  if (sp === 0 || sq === 0) return Number.NaN;
  let s = 0;
  for (const [k, v] of p) s += term(v / sp, (q.get(k) ?? 0) / sq);
  for (const [k, v] of q) if (!p.has(k)) s += term(0, v / sq);
  return s;
}

function sumValues(m: ReadonlyMap<string, number>): number {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
}

/** Value of a daily curve at day d, carried flat past its end. */
function at(curve: ArrayLike<number>, d: number): number {
  return d < curve.length ? curve[d]! : curve[curve.length - 1]!;
}

/**
 * Sup-norm sup_{0 ≤ t ≤ H} |a(t) − b(t)| of two right-continuous daily step curves
 * (`curve[d]` = value on [d, d + 1); a curve shorter than H is carried flat).
 *
 * @param horizonDays - H, an integer ≥ 0 (day H itself is included).
 * @returns the largest absolute difference; NaN when either curve is empty.
 * @example
 * supNormDaily([1, 0.5, 0.5], [1, 1, 0.25], 2) // => 0.5
 */
export function supNormDaily(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  horizonDays: number,
): number {
  if (a.length === 0 || b.length === 0) return Number.NaN;
  let d = 0;
  for (let t = 0; t <= horizonDays; t++) {
    const diff = Math.abs(at(a, t) - at(b, t));
    if (diff > d) d = diff;
  }
  return d;
}

/**
 * Integrated absolute difference ∫₀^H |a(t) − b(t)| dt of two right-continuous daily step
 * curves, = Σ_{d < H} |a[d] − b[d]|, in days (for survival curves: the area between them,
 * the RMST difference's unsigned cousin).
 *
 * @returns the area in days; NaN when either curve is empty.
 * @example
 * integratedAbsDifferenceDaily([1, 0.5], [1, 1], 3) // |0| + |0.5| + |0.5| => 1
 */
export function integratedAbsDifferenceDaily(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  horizonDays: number,
): number {
  if (a.length === 0 || b.length === 0) return Number.NaN;
  let s = 0;
  for (let t = 0; t < horizonDays; t++) s += Math.abs(at(a, t) - at(b, t));
  return s;
}
