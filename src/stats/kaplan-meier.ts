/**
 * The Kaplan–Meier estimate of a survival curve with Greenwood standard errors and
 * log-transformed confidence intervals, matching R's `survival::survfit` (conf.type "log").
 */

import { TrajsimError } from '../core/errors.js';
import { normalQuantile } from './normal.js';

/** Options of {@link kaplanMeier}. */
export interface KaplanMeierOptions {
  /** Confidence level of the pointwise intervals and the median's interval; default 0.95. */
  readonly confLevel?: number;
}

/** A Kaplan–Meier curve, one entry per distinct event time (as `summary(survfit)` shows). */
export interface KaplanMeierResult {
  /** Distinct times with at least one event, ascending (units of the input times). */
  readonly time: Float64Array;
  /** Number at risk just before each time (time ≥ t, so censorings at t are at risk). */
  readonly nRisk: Float64Array;
  /** Number of events at each time. */
  readonly nEvent: Float64Array;
  /**
   * Censored in (previous event time, this time], as `summary(survfit)$n.censor`: a censoring
   * tied with an event time counts at that time; censorings after the last event time appear
   * in no entry (they are `n - events - sum(nCensor)`).
   */
  readonly nCensor: Float64Array;
  /** S(t) just after each time. */
  readonly surv: Float64Array;
  /** Standard error of S(t) itself, Greenwood; NaN where S(t) = 0. */
  readonly stdErr: Float64Array;
  /** Lower limit of the log-transformed interval; NaN where S(t) = 0. */
  readonly lower: Float64Array;
  /** Upper limit of the log-transformed interval, capped at 1; NaN where S(t) = 0. */
  readonly upper: Float64Array;
  /** Median survival as `print(survfit)`; NaN when the curve never drops to 0.5. */
  readonly median: number;
  /** Lower confidence limit of the median (from the `lower` curve); NaN when undefined. */
  readonly medianLower: number;
  /** Upper confidence limit of the median (from the `upper` curve); NaN when undefined. */
  readonly medianUpper: number;
  /** Number of observations. */
  readonly n: number;
  /** Number of events. */
  readonly events: number;
}

/**
 * Estimates the Kaplan–Meier survival curve S(t) = ∏_{tᵢ ≤ t} (1 − dᵢ/nᵢ) with Greenwood's
 * variance Var[log S(t)] = Σ_{tᵢ ≤ t} dᵢ / (nᵢ (nᵢ − dᵢ)) (Greenwood 1926), the standard error
 * of S(t) itself (S(t) times its square root) and log-transformed pointwise intervals
 * exp(log S ± z·se(log S)), upper capped at 1 — all as R's `survfit(Surv(time, status) ~ 1)`
 * and `summary()` of it. Ties: events and censorings at the same time count the censored as
 * at risk.
 *
 * The median and its interval follow `print(survfit)` (`summary(fit)$table`): the first time
 * the curve (or its lower/upper limit) is ≤ 0.5 (within 1.5e-8); if it equals 0.5 there and
 * drops further later, the midpoint between that time and the next drop. `quantile(survfit)`
 * differs only when a curve ends flat at exactly 0.5 (it then averages with the last
 * follow-up time). Undefined values (never reaching 0.5) are NaN.
 *
 * @param time - follow-up time of each observation (e.g. days), finite and ≥ 0.
 * @param status - 1 for an event, 0 for censored, one per observation.
 * @param options - `confLevel` in (0, 1), default 0.95.
 * @returns the curve at each distinct event time and its summaries; inputs are not mutated.
 * @throws TrajsimError INVALID_ARGUMENT for a length mismatch, a negative, NaN or infinite
 *   time, a status other than 0/1 (naming the index and value), or a confLevel outside (0, 1).
 * @example
 * const km = kaplanMeier([1, 2, 2, 3, 4], [1, 1, 0, 1, 1]);
 * km.time // => Float64Array [1, 2, 3, 4]
 * km.surv // => Float64Array [0.8, 0.6, 0.3, 0] (to rounding)
 * km.median // => 3
 */
export function kaplanMeier(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  options: KaplanMeierOptions = {},
): KaplanMeierResult {
  const confLevel = options.confLevel ?? 0.95;
  if (!(confLevel > 0 && confLevel < 1)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `kaplanMeier: confLevel must be in (0, 1), found ${confLevel}`,
    );
  }
  const n = time.length;
  const order = survivalOrder('kaplanMeier', time, status);
  const z = normalQuantile(1 - (1 - confLevel) / 2);

  // One pass over the sorted rows to count distinct event times.
  let m = 0;
  for (let i = 0; i < n; ) {
    const t = time[order[i]!]!;
    let d = 0;
    for (; i < n && time[order[i]!] === t; i++) d += status[order[i]!]!;
    if (d > 0) m++;
  }

  const out = {
    time: new Float64Array(m),
    nRisk: new Float64Array(m),
    nEvent: new Float64Array(m),
    nCensor: new Float64Array(m),
    surv: new Float64Array(m),
    stdErr: new Float64Array(m),
    lower: new Float64Array(m),
    upper: new Float64Array(m),
  };
  let atRisk = n;
  let s = 1;
  let greenwood = 0;
  let censoredSince = 0;
  let events = 0;
  let j = 0;
  for (let i = 0; i < n; ) {
    const t = time[order[i]!]!;
    let d = 0;
    let count = 0;
    for (; i < n && time[order[i]!] === t; i++) {
      d += status[order[i]!]!;
      count++;
    }
    if (d > 0) {
      s *= 1 - d / atRisk;
      greenwood += atRisk === d ? Number.POSITIVE_INFINITY : d / (atRisk * (atRisk - d));
      const seLog = Math.sqrt(greenwood);
      out.time[j] = t;
      out.nRisk[j] = atRisk;
      out.nEvent[j] = d;
      out.nCensor[j] = censoredSince + count - d;
      out.surv[j] = s;
      out.stdErr[j] = s * seLog; // 0 · ∞ = NaN where S = 0, as survfit
      if (s > 0) {
        out.lower[j] = Math.exp(Math.log(s) - z * seLog);
        out.upper[j] = Math.min(Math.exp(Math.log(s) + z * seLog), 1);
      } else {
        out.lower[j] = Number.NaN;
        out.upper[j] = Number.NaN;
      }
      censoredSince = 0;
      events += d;
      j++;
    } else {
      censoredSince += count;
    }
    atRisk -= count;
  }

  return {
    ...out,
    median: firstAtOrBelowHalf(out.time, out.surv),
    medianLower: firstAtOrBelowHalf(out.time, out.lower),
    medianUpper: firstAtOrBelowHalf(out.time, out.upper),
    n,
    events,
  };
}

/**
 * S(t) of a fitted curve as a right-continuous step function (1 before the first event time).
 *
 * @param km - a curve from {@link kaplanMeier}.
 * @param t - the time (units of the fitted times); beyond the last event time the curve stays
 *   at its last value (R's `summary(fit, times = t, extend = TRUE)`).
 * @returns S(t) in [0, 1].
 * @throws TrajsimError INVALID_ARGUMENT when t is NaN.
 * @example
 * survivalAt(kaplanMeier([1, 2, 3], [1, 0, 1]), 2.5) // => 0.6666666666666667
 */
export function survivalAt(km: KaplanMeierResult, t: number): number {
  if (Number.isNaN(t)) throw new TrajsimError('INVALID_ARGUMENT', 'survivalAt: t is NaN');
  const times = km.time;
  // Largest index with times[idx] <= t.
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 1 : km.surv[lo - 1]!;
}

const HALF_TOLERANCE = Math.sqrt(2.220446049250313e-16);

/**
 * survmean's `minmin` in R's survival: the first time the curve is < 0.5 + tol (NaN values
 * skipped); if it is 0.5 within tol there and a lower value follows, the midpoint with the
 * first time of that lower value.
 */
function firstAtOrBelowHalf(time: Float64Array, y: Float64Array): number {
  let first = -1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isNaN(v) && v < 0.5 + HALF_TOLERANCE) {
      first = i;
      break;
    }
  }
  if (first < 0) return Number.NaN;
  const y0 = y[first]!;
  const t0 = time[first]!;
  if (Math.abs(y0 - 0.5) < HALF_TOLERANCE) {
    for (let i = first + 1; i < y.length; i++) {
      const v = y[i]!;
      if (!Number.isNaN(v) && v < y0) return (t0 + time[i]!) / 2;
    }
  }
  return t0;
}

/**
 * Checks right-censored survival input and returns the row indices ordered by ascending time
 * (shared by the survival statistics of `validate/`).
 *
 * @internal
 * @param fn - the calling function's name, for messages.
 * @param time - follow-up times, finite and ≥ 0.
 * @param status - 0/1 event indicators, same length.
 * @returns row indices sorted by time (ties in input order).
 * @throws TrajsimError INVALID_ARGUMENT for a length mismatch, a bad time or a bad status,
 *   naming the index and value.
 * @example
 * survivalOrder('f', [3, 1, 2], [1, 0, 1]) // => Int32Array [1, 2, 0]
 */
export function survivalOrder(
  fn: string,
  time: ArrayLike<number>,
  status: ArrayLike<number>,
): Int32Array {
  const n = time.length;
  if (status.length !== n) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `${fn}: status has length ${status.length}, expected ${n} (the length of time)`,
    );
  }
  checkTimes(fn, time);
  for (let i = 0; i < n; i++) {
    const s = status[i];
    if (s !== 0 && s !== 1) {
      throw new TrajsimError('INVALID_ARGUMENT', `${fn}: status[${i}] is ${s}; expected 0 or 1`);
    }
  }
  return sortedByTime(time);
}

/**
 * Checks that every follow-up time is finite and ≥ 0.
 *
 * @internal
 * @param fn - the calling function's name, for messages.
 * @param time - follow-up times.
 * @throws TrajsimError INVALID_ARGUMENT for the first bad time, naming its index and value.
 * @example
 * checkTimes('f', [0, 2.5]) // => undefined (no error)
 * checkTimes('f', [1, -2]) // throws 'f: time[1] is -2; expected a finite number >= 0'
 */
export function checkTimes(fn: string, time: ArrayLike<number>): void {
  for (let i = 0; i < time.length; i++) {
    const t = time[i]!;
    if (!(t >= 0 && t < Number.POSITIVE_INFINITY)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `${fn}: time[${i}] is ${t}; expected a finite number >= 0`,
      );
    }
  }
}

/**
 * Checks integer labels ≥ 0 (group ids, cause codes) of the same length as the times and
 * returns one more than the largest label (the number of label values 0..max; 0 when empty).
 *
 * @internal
 * @param fn - the calling function's name, for messages.
 * @param name - the argument's name, for messages (e.g. 'group').
 * @param labels - the labels.
 * @param n - the expected length (of time).
 * @param expected - what a label should be, for messages (e.g. 'an integer group id >= 0').
 * @throws TrajsimError INVALID_ARGUMENT for a length mismatch or the first label that is not
 *   an integer ≥ 0, naming its index and value.
 * @example
 * labelCount('f', 'group', [0, 2, 1], 3, 'an integer >= 0') // => 3
 */
export function labelCount(
  fn: string,
  name: string,
  labels: ArrayLike<number>,
  n: number,
  expected: string,
): number {
  if (labels.length !== n) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `${fn}: ${name} has length ${labels.length}, expected ${n} (the length of time)`,
    );
  }
  let k = 0;
  for (let i = 0; i < n; i++) {
    const g = labels[i]!;
    if (!(Number.isInteger(g) && g >= 0)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `${fn}: ${name}[${i}] is ${g}; expected ${expected}`,
      );
    }
    if (g + 1 > k) k = g + 1;
  }
  return k;
}

/**
 * Row indices ordered by ascending time, ties in input order.
 *
 * @internal
 * @param time - values to order (already validated).
 * @returns an Int32Array permutation.
 * @example
 * sortedByTime([2, 1, 2]) // => Int32Array [1, 0, 2]
 */
export function sortedByTime(time: ArrayLike<number>): Int32Array {
  const n = time.length;
  const t = Float64Array.from(time);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => t[a]! - t[b]! || a - b);
  return order;
}
