/**
 * Calibration of predicted risks at a time t under right censoring: mean predicted against
 * Kaplan–Meier observed risk by group of predicted risk, and the calibration slope.
 */

import { TrajsimError } from '../core/errors.js';
import { kaplanMeier, survivalAt } from './kaplan-meier.js';

/** One group of a {@link calibrationCurve}. */
export interface CalibrationGroup {
  /** Rows in the group. */
  readonly n: number;
  /** Events at or before t in the group. */
  readonly events: number;
  /** Mean predicted risk P(T ≤ t) of the group. */
  readonly predicted: number;
  /** 1 − Kaplan–Meier S(t) of the group (S held at its last value past the group's last event). */
  readonly observed: number;
}

/** The calibration curve at t and its slope. */
export interface CalibrationResult {
  readonly t: number;
  readonly groups: readonly CalibrationGroup[];
  /**
   * Slope of the weighted least-squares line of observed on predicted risk across groups
   * (weights = group sizes): 1 when predictions are calibrated, < 1 when too extreme.
   */
  readonly slope: number;
  /** Intercept of that line (0 when calibrated). */
  readonly intercept: number;
}

/**
 * Groups rows by quantile of predicted risk (the row of rank r = 1..n, sorted by risk with ties
 * by index, goes to group ⌈r·groups/n⌉: R's `ceiling(rank(risk, ties = "first") * groups / n)`),
 * and compares each group's mean predicted risk with its Kaplan–Meier observed risk
 * 1 − Ŝ(t) (`survfit` per group, `summary(fit, times = t, extend = TRUE)`). The calibration
 * slope is the slope of observed on predicted by weighted least squares over the groups,
 * weights the group sizes: Σ wᵢ (pᵢ − p̄)(oᵢ − ō) / Σ wᵢ (pᵢ − p̄)².
 *
 * @param time - follow-up times (e.g. days since a landmark), finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param risk - each row's predicted P(T ≤ t), in [0, 1].
 * @param t - the horizon (units of `time`).
 * @param options - groups (default 10: deciles), at most the number of rows.
 * @returns the groups in ascending predicted risk, the slope and the intercept (NaN when all
 *   groups have the same mean prediction).
 * @throws TrajsimError INVALID_ARGUMENT for length mismatches, bad times or statuses, a risk
 *   outside [0, 1] (naming the index), or a bad group count.
 * @example
 * const c = calibrationCurve([1, 2, 3, 4], [1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2], 3, { groups: 2 });
 * c.groups.map((g) => g.observed) // => [0, 1]
 */
export function calibrationCurve(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  risk: ArrayLike<number>,
  t: number,
  options: { readonly groups?: number } = {},
): CalibrationResult {
  const n = time.length;
  const groups = options.groups ?? 10;
  if (!(Number.isInteger(groups) && groups >= 1 && groups <= Math.max(n, 1))) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `calibrationCurve: groups is ${groups}; expected an integer in 1..${n} (the number of rows)`,
    );
  }
  if (risk.length !== n || status.length !== n) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `calibrationCurve: time, status and risk have lengths ${n}, ${status.length}, ${risk.length}; expected equal`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (!(risk[i]! >= 0 && risk[i]! <= 1)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `calibrationCurve: risk[${i}] is ${risk[i]}; expected a probability in [0, 1]`,
      );
    }
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => risk[a]! - risk[b]! || a - b);
  const out: CalibrationGroup[] = [];
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * n) / groups);
    const to = Math.floor(((g + 1) * n) / groups);
    const rows = order.subarray(from, to);
    const gt = Float64Array.from(rows, (i) => time[i]!);
    const gs = Float64Array.from(rows, (i) => status[i]!);
    let predicted = 0;
    let events = 0;
    for (const i of rows) {
      predicted += risk[i]!;
      if (status[i] === 1 && time[i]! <= t) events++;
    }
    const km = kaplanMeier(gt, gs);
    out.push({
      n: rows.length,
      events,
      predicted: predicted / rows.length,
      observed: 1 - survivalAt(km, t),
    });
  }
  const { slope, intercept } = weightedLine(
    out.map((g) => g.predicted),
    out.map((g) => g.observed),
    out.map((g) => g.n),
  );
  return { t, groups: out, slope, intercept };
}

/**
 * The slope of the least-squares line of `observed` on `predicted` (per row, unweighted):
 * Σ (pᵢ − p̄)(oᵢ − ō) / Σ (pᵢ − p̄)². Against a known true risk (observed = the truth), a
 * slope of 1 means the predictions are calibrated in spread; < 1, too extreme.
 *
 * @param predicted - predicted risks.
 * @param observed - observed (or true) risks, same length.
 * @returns the slope and intercept; NaN when the predictions are all equal or empty.
 * @throws TrajsimError INVALID_ARGUMENT for a length mismatch or a non-finite value.
 * @example
 * calibrationSlope([0.1, 0.2, 0.3], [0.1, 0.3, 0.5]).slope // => 2
 */
export function calibrationSlope(
  predicted: ArrayLike<number>,
  observed: ArrayLike<number>,
): { slope: number; intercept: number } {
  if (predicted.length !== observed.length) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `calibrationSlope: predicted has length ${predicted.length}, observed ${observed.length}; expected equal`,
    );
  }
  for (let i = 0; i < predicted.length; i++) {
    if (!(Number.isFinite(predicted[i]!) && Number.isFinite(observed[i]!))) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `calibrationSlope: row ${i} has predicted ${predicted[i]}, observed ${observed[i]}; expected finite numbers`,
      );
    }
  }
  return weightedLine(
    Array.from(predicted),
    Array.from(observed),
    Array.from({ length: predicted.length }, () => 1),
  );
}

function weightedLine(
  x: readonly number[],
  y: readonly number[],
  w: readonly number[],
): { slope: number; intercept: number } {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    sw += w[i]!;
    sx += w[i]! * x[i]!;
    sy += w[i]! * y[i]!;
  }
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    sxx += w[i]! * (x[i]! - mx) ** 2;
    sxy += w[i]! * (x[i]! - mx) * (y[i]! - my);
  }
  const slope = sxx > 0 ? sxy / sxx : Number.NaN;
  return { slope, intercept: my - slope * mx };
}
