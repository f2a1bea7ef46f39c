/**
 * Survival and cumulative-incidence curves evaluated on every day 0..H, computed from
 * integer-day count tables (the mergeable form a `TimelineSummary` keeps). They are the same
 * estimators as `kaplanMeier` and `cumulativeIncidence` (a test checks agreement to 1e-12);
 * here they are tabulated per day so that two curves can be compared pointwise in O(H).
 */

/** Reads a count table entry, 0 past its end. */
function c(counts: ArrayLike<number>, d: number): number {
  return d < counts.length ? counts[d]! : 0;
}

function total(...tables: ArrayLike<number>[]): number {
  let s = 0;
  for (const t of tables) for (let i = 0; i < t.length; i++) s += t[i]!;
  return s;
}

/**
 * Kaplan–Meier survival S(d) just after day d, for d = 0..H, from event and censoring counts
 * per day: S(d) = ∏_{k ≤ d} (1 − e_k / n_k), n_k = number with time ≥ k (censored at k are
 * at risk at k, as `survfit`).
 *
 * @param events - events[k] = number of events on day k.
 * @param censored - censored[k] = number censored on day k.
 * @param horizonDays - H, an integer ≥ 0.
 * @returns Float64Array of length H + 1; empty (length 0) when there are no subjects.
 * @example
 * dailySurvival([0, 1, 1], [0, 0, 0, 2], 3) // n = 4 => [1, 0.75, 0.5, 0.5]
 */
export function dailySurvival(
  events: ArrayLike<number>,
  censored: ArrayLike<number>,
  horizonDays: number,
): Float64Array {
  let atRisk = total(events, censored);
  if (atRisk === 0) return new Float64Array(0);
  const out = new Float64Array(horizonDays + 1);
  let s = 1;
  for (let d = 0; d <= horizonDays; d++) {
    const e = c(events, d);
    if (e > 0 && atRisk > 0) s *= 1 - e / atRisk;
    out[d] = s;
    atRisk -= e + c(censored, d);
  }
  return out;
}

/**
 * Aalen–Johansen cumulative incidence F₁(d) of the event of interest with one competing event,
 * for d = 0..H: F₁(d) = Σ_{k ≤ d} S(k−1) · e_k / n_k, with S the all-cause Kaplan–Meier curve.
 *
 * @param event - event[k] = number whose event of interest happened on day k.
 * @param competing - competing[k] = number whose competing event (e.g. death) came first, day k.
 * @param censored - censored[k] = number censored on day k.
 * @param horizonDays - H, an integer ≥ 0.
 * @returns Float64Array of length H + 1; empty when there are no subjects.
 * @example
 * dailyCumulativeIncidence([0, 1], [0, 0, 1], [0, 0, 0, 1], 3) // => [0, 1/3, 1/3, 1/3]
 */
export function dailyCumulativeIncidence(
  event: ArrayLike<number>,
  competing: ArrayLike<number>,
  censored: ArrayLike<number>,
  horizonDays: number,
): Float64Array {
  let atRisk = total(event, competing, censored);
  if (atRisk === 0) return new Float64Array(0);
  const out = new Float64Array(horizonDays + 1);
  let s = 1;
  let f = 0;
  for (let d = 0; d <= horizonDays; d++) {
    const e1 = c(event, d);
    const e2 = c(competing, d);
    if (atRisk > 0 && e1 + e2 > 0) {
      f += (s * e1) / atRisk;
      s *= 1 - (e1 + e2) / atRisk;
    }
    out[d] = f;
    atRisk -= e1 + e2 + c(censored, d);
  }
  return out;
}

/**
 * Empirical CDF F(d) = P(X ≤ d) for d = 0..H of a count table.
 *
 * @returns Float64Array of length H + 1; empty when the table is empty.
 * @example
 * dailyEcdf([1, 0, 3], 3) // => [0.25, 0.25, 1, 1]
 */
export function dailyEcdf(counts: ArrayLike<number>, horizonDays: number): Float64Array {
  const n = total(counts);
  if (n === 0) return new Float64Array(0);
  const out = new Float64Array(horizonDays + 1);
  let cum = 0;
  for (let d = 0; d <= horizonDays; d++) {
    cum += c(counts, d);
    out[d] = cum / n;
  }
  return out;
}
