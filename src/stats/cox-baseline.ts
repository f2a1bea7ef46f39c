/**
 * The Breslow estimate of a Cox model's baseline cumulative hazard, and the risk it predicts,
 * as R's `basehaz(fit, centered = TRUE)` for a `coxph(..., ties = "breslow")` fit.
 */

import { TrajsimError } from '../core/errors.js';
import { survivalOrder } from './kaplan-meier.js';

/** A baseline cumulative hazard at the covariate means. */
export interface CoxBaseline {
  /** Distinct event times, ascending (units of the fitted times). */
  readonly times: Float64Array;
  /** Ĥ₀(t) at each time, at the covariate means. */
  readonly cumHazard: Float64Array;
  /** The covariate means the hazard is centred at, one per design column. */
  readonly means: Float64Array;
  /** The coefficients (log hazard ratios), one per design column. */
  readonly coef: Float64Array;
}

/**
 * Breslow's baseline cumulative hazard Ĥ₀(t) = Σ_{tₖ ≤ t} dₖ / Σ_{j: Tⱼ ≥ tₖ} exp(β·(xⱼ − x̄))
 * (Breslow 1972), centred at the column means x̄ like R's `basehaz(fit, centered = TRUE)`.
 *
 * @param time - follow-up times, finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param columns - the design columns the model was fitted on (rows as `time`).
 * @param coef - the fitted coefficients, one per column (e.g. `coxPh(...).terms[c].coef`).
 * @returns event times, Ĥ₀ at each, the means and the coefficients.
 * @throws TrajsimError INVALID_ARGUMENT for length mismatches, bad times or statuses, or a
 *   non-finite covariate.
 * @example
 * const b = coxBaseline([1, 2, 3], [1, 1, 0], [new Float64Array([0, 0, 0])], [0]);
 * b.cumHazard // => Float64Array [1/3, 1/3 + 1/2]
 */
export function coxBaseline(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  columns: readonly Float64Array[],
  coef: ArrayLike<number>,
): CoxBaseline {
  const order = survivalOrder('coxBaseline', time, status);
  const n = time.length;
  const p = columns.length;
  if (coef.length !== p) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `coxBaseline: ${coef.length} coefficients for ${p} columns; expected one per column`,
    );
  }
  const means = new Float64Array(p);
  columns.forEach((col, c) => {
    if (col.length !== n) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `coxBaseline: column ${c} has length ${col.length}, expected ${n} (the length of time)`,
      );
    }
    let s = 0;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(col[i]!)) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `coxBaseline: column ${c}[${i}] is ${col[i]}; expected a finite number`,
        );
      }
      s += col[i]!;
    }
    means[c] = n > 0 ? s / n : 0;
  });
  const risk = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let eta = 0;
    for (let c = 0; c < p; c++) eta += coef[c]! * (columns[c]![i]! - means[c]!);
    risk[i] = Math.exp(eta);
  }
  // Risk-set sums from the latest time down; one entry per distinct event time.
  const times: number[] = [];
  const increments: number[] = [];
  let s0 = 0;
  for (let end = n - 1; end >= 0; ) {
    const t = time[order[end]!]!;
    let start = end;
    while (start > 0 && time[order[start - 1]!] === t) start--;
    let deaths = 0;
    for (let k = start; k <= end; k++) {
      s0 += risk[order[k]!]!;
      deaths += status[order[k]!]!;
    }
    if (deaths > 0) {
      times.push(t);
      increments.push(deaths / s0);
    }
    end = start - 1;
  }
  times.reverse();
  increments.reverse();
  const cumHazard = new Float64Array(times.length);
  let h = 0;
  increments.forEach((d, k) => {
    h += d;
    cumHazard[k] = h;
  });
  return { times: Float64Array.from(times), cumHazard, means, coef: Float64Array.from(coef) };
}

/**
 * The risk P(T ≤ t | x) = 1 − exp(−Ĥ₀(t) · exp(β·(x − x̄))) a Cox model predicts for each row
 * of a design (Ĥ₀ a right-continuous step function, 0 before the first event time).
 *
 * @param baseline - from {@link coxBaseline}.
 * @param columns - the design columns of the rows to predict, in the fitted column order.
 * @param t - the horizon (units of the fitted times).
 * @returns one risk in [0, 1] per row.
 * @throws TrajsimError INVALID_ARGUMENT for a wrong column count, unequal column lengths or a
 *   t that is NaN.
 * @example
 * const b = coxBaseline([1, 2, 3], [1, 1, 0], [new Float64Array([0, 0, 0])], [0]);
 * coxPredictRisk(b, [new Float64Array([0])], 1.5) // => Float64Array [1 − exp(−1/3)]
 */
export function coxPredictRisk(
  baseline: CoxBaseline,
  columns: readonly Float64Array[],
  t: number,
): Float64Array {
  const p = baseline.coef.length;
  if (columns.length !== p || Number.isNaN(t)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `coxPredictRisk: ${columns.length} columns for ${p} coefficients at t = ${t}; expected ${p} columns and a number t`,
    );
  }
  const n = columns[0]?.length ?? 0;
  let lo = 0;
  let hi = baseline.times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (baseline.times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  const h0 = lo === 0 ? 0 : baseline.cumHazard[lo - 1]!;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let eta = 0;
    for (let c = 0; c < p; c++) {
      const col = columns[c]!;
      if (col.length !== n) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `coxPredictRisk: column ${c} has length ${col.length}, expected ${n}`,
        );
      }
      eta += baseline.coef[c]! * (col[i]! - baseline.means[c]!);
    }
    out[i] = 1 - Math.exp(-h0 * Math.exp(eta));
  }
  return out;
}
