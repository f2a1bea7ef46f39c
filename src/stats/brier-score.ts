/**
 * The time-dependent Brier score of predicted survival probabilities under right censoring,
 * weighted by the inverse probability of censoring (Graf et al. 1999), and its integral.
 */

import { TrajsimError } from '../core/errors.js';
import { kaplanMeier, survivalAt } from './kaplan-meier.js';

/** The Brier score at each time of a grid and its integral over the grid. */
export interface IntegratedBrierResult {
  /** The grid (units of time), ascending. */
  readonly times: readonly number[];
  /** BS(t) at each grid time. */
  readonly scores: Float64Array;
  /** (1/(t_K − t_1)) ∫ BS(t) dt over the grid by the trapezoidal rule; NaN for a single time. */
  readonly integrated: number;
}

/**
 * Graf's IPCW Brier score at time t of predicted survival probabilities Ŝᵢ(t):
 * BS(t) = (1/n) Σᵢ [ 1(Tᵢ ≤ t, δᵢ = 1) Ŝᵢ(t)² / G(Tᵢ−) + 1(Tᵢ > t) (1 − Ŝᵢ(t))² / G(t) ],
 * G the Kaplan–Meier curve of the censoring times (`survfit(Surv(time, 1 − status) ~ 1)`:
 * deaths at a censoring time count as at risk of censoring). Rows censored at or before t
 * contribute 0 (their weight is carried by the others).
 *
 * @param time - follow-up times (e.g. days since a landmark), finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param survival - each row's predicted P(T > t), in [0, 1].
 * @param t - the time of the score (units of `time`).
 * @returns BS(t) in [0, 1] for calibrated inputs; NaN when G(t) or a needed G(Tᵢ−) is 0.
 * @throws TrajsimError INVALID_ARGUMENT for length mismatches, bad times or statuses, a
 *   prediction outside [0, 1] (naming the index) or a t that is not finite.
 * @example
 * brierScore([1, 2, 3], [1, 0, 1], [0, 0.5, 1], 1.5) // => 0.08333333333333333
 */
export function brierScore(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  survival: ArrayLike<number>,
  t: number,
): number {
  const censoring = censoringCurve(time, status);
  return scoreAt(time, status, survival, t, censoring);
}

/**
 * The Brier score ({@link brierScore}) at every time of a grid, and the integrated Brier
 * score IBS = (1/(t_K − t_1)) ∫_{t_1}^{t_K} BS(t) dt by the trapezoidal rule over the grid
 * (Graf et al. 1999 integrate over [0, τ]: put 0 first, with Ŝ = 1, to get their IBS).
 *
 * @param time - follow-up times, finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param times - the grid, strictly ascending, finite.
 * @param survival - survival[k][i] = row i's predicted P(T > times[k]).
 * @returns the grid, BS at each grid time and the integral.
 * @throws TrajsimError INVALID_ARGUMENT as {@link brierScore}, for an empty or unsorted grid,
 *   or a survival list whose length differs from the grid's.
 * @example
 * integratedBrierScore([1, 2, 3], [1, 0, 1], [0, 1.5], [[1, 1, 1], [0, 0.5, 1]]).integrated
 * // => 0.041666666666666664 (the mean of 0 and 0.0833…)
 */
export function integratedBrierScore(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  times: readonly number[],
  survival: readonly ArrayLike<number>[],
): IntegratedBrierResult {
  if (times.length === 0 || times.length !== survival.length) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `integratedBrierScore: ${times.length} grid times and ${survival.length} prediction columns; expected the same number, at least 1`,
    );
  }
  for (let k = 1; k < times.length; k++) {
    if (!(times[k]! > times[k - 1]!)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `integratedBrierScore: times[${k}] is ${times[k]}; expected strictly ascending times`,
      );
    }
  }
  const censoring = censoringCurve(time, status);
  const scores = Float64Array.from(times, (t, k) =>
    scoreAt(time, status, survival[k]!, t, censoring),
  );
  let area = 0;
  for (let k = 1; k < times.length; k++) {
    area += ((scores[k]! + scores[k - 1]!) / 2) * (times[k]! - times[k - 1]!);
  }
  const span = times[times.length - 1]! - times[0]!;
  return { times: [...times], scores, integrated: span > 0 ? area / span : Number.NaN };
}

/** G: Kaplan–Meier of the censoring times (status flipped). */
function censoringCurve(time: ArrayLike<number>, status: ArrayLike<number>) {
  const flipped = Uint8Array.from({ length: status.length }, (_, i) => (status[i] === 1 ? 0 : 1));
  if (status.length !== time.length) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `brierScore: status has length ${status.length}, expected ${time.length} (the length of time)`,
    );
  }
  for (let i = 0; i < status.length; i++) {
    if (status[i] !== 0 && status[i] !== 1) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `brierScore: status[${i}] is ${status[i]}; expected 0 or 1`,
      );
    }
  }
  return kaplanMeier(time, flipped);
}

/** G(u−): the censoring curve just before u. */
function leftLimit(censoring: ReturnType<typeof kaplanMeier>, u: number): number {
  const times = censoring.time;
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 1 : censoring.surv[lo - 1]!;
}

function scoreAt(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  survival: ArrayLike<number>,
  t: number,
  censoring: ReturnType<typeof kaplanMeier>,
): number {
  const n = time.length;
  if (!Number.isFinite(t)) {
    throw new TrajsimError('INVALID_ARGUMENT', `brierScore: t is ${t}; expected a finite number`);
  }
  if (survival.length !== n) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `brierScore: survival has length ${survival.length}, expected ${n} (the length of time)`,
    );
  }
  const gt = survivalAt(censoring, t);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const s = survival[i]!;
    if (!(s >= 0 && s <= 1)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `brierScore: survival[${i}] is ${s}; expected a probability in [0, 1]`,
      );
    }
    const ti = time[i]!;
    if (ti <= t && status[i] === 1) sum += (s * s) / leftLimit(censoring, ti);
    else if (ti > t) sum += ((1 - s) * (1 - s)) / gt;
  }
  return n === 0 ? Number.NaN : sum / n;
}
