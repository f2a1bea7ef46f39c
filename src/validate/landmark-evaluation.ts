/**
 * Calibration and discrimination of predicted risks of death after a landmark (digital twins,
 * a landmark Cox baseline, the true risk on the reference process) on held-out patients.
 */

import { TrajsimError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { trueLandmarkRisk } from '../reference/landmark-risk.js';
import type { ReferencePerturbations } from '../reference/reference-parameters.js';
import { integratedBrierScore } from '../stats/brier-score.js';
import {
  type CalibrationGroup,
  calibrationCurve,
  calibrationSlope,
} from '../stats/calibration-curve.js';
import { concordanceIndex } from '../stats/concordance-index.js';
import { landmarkCohort } from '../stats/landmark-cohort.js';
import { fitLandmarkCox, predictLandmarkRisk } from '../stats/landmark-cox.js';
import type { Timeline } from '../timeline/types.js';
import { type BootstrapInterval, bootstrapConcordance } from './concordance-bootstrap.js';

/** Predicted risks of one predictor: risk[k][j] = P(death ≤ horizons[k] after the landmark) of ids[j]. */
export interface LandmarkPredictions {
  readonly name: string;
  readonly ids: readonly string[];
  readonly risk: readonly ArrayLike<number>[];
}

/** Options of {@link evaluateLandmarkPredictions}. */
export interface LandmarkEvaluationOptions {
  /** Timeline the Cox baseline is fitted on (the training split). */
  readonly train: Timeline;
  /** Timeline of the held-out patients the predictions are for. */
  readonly heldOut: Timeline;
  /** Rows of `train` to fit on (default all). */
  readonly trainRows?: ArrayLike<number>;
  /** Rows of `heldOut` to evaluate (default all). */
  readonly heldOutRows?: ArrayLike<number>;
  /** Landmark, days since index. */
  readonly landmarkDay: number;
  /** Horizons after the landmark, days, ascending (default 365, 730, 1826: ⌊365.25 · 1, 2, 5⌋, as `trajsim twins`). */
  readonly horizons?: readonly number[];
  /** Predictions to evaluate (e.g. the twins'); the Cox baseline is always added. */
  readonly predictions?: readonly LandmarkPredictions[];
  /** Set for a reference-process timeline: adds the true risk (with these perturbations). */
  readonly reference?: { readonly perturbations?: ReferencePerturbations };
  /** Calibration groups (default 10: deciles). */
  readonly groups?: number;
  /**
   * Paired bootstrap of Uno's C (resampling the scored patients): intervals of each C and of
   * its difference from the Cox baseline's. Default: none.
   */
  readonly bootstrap?: { readonly replicates: number; readonly seed: string | number };
}

/** The scores of one predictor at one horizon. */
export interface HorizonScores {
  readonly days: number;
  /** Harrell's C of the risk at this horizon, event times truncated at it. */
  readonly harrell: number;
  /** Uno's C (IPCW, tau = this horizon). */
  readonly uno: number;
  /** Graf's IPCW Brier score at this horizon. */
  readonly brier: number;
  /** Mean predicted risk against Kaplan–Meier observed risk by group, slope of observed on predicted. */
  readonly calibration: {
    readonly groups: readonly CalibrationGroup[];
    readonly slope: number;
    readonly intercept: number;
  };
  /** Reference only: slope and intercept of the true risk on this risk (1 and 0 when calibrated). */
  readonly truthSlope?: number;
  readonly truthIntercept?: number;
  /** Reference only: mean |predicted − true risk|. */
  readonly truthMeanAbsoluteError?: number;
  /** With a bootstrap: 95% percentile interval of Uno's C. */
  readonly unoInterval?: BootstrapInterval;
  /** With a bootstrap: Uno's C minus the Cox baseline's, and its 95% interval (paired). */
  readonly unoMinusCox?: BootstrapInterval & { readonly estimate: number };
}

/** The evaluation of one predictor. */
export interface PredictorScores {
  readonly name: string;
  readonly horizons: readonly HorizonScores[];
  /** Integrated Brier score over [0, last horizon] (trapezoid on 0 and the horizons, Ŝ(0) = 1). */
  readonly integratedBrier: number;
}

/** What {@link evaluateLandmarkPredictions} measured (JSON-ready). */
export interface LandmarkEvaluation {
  readonly landmarkDay: number;
  readonly horizons: readonly number[];
  /** Held-out patients, those at risk at the landmark, those scored (every predictor has them), deaths among them. */
  readonly patients: {
    readonly heldOut: number;
    readonly atRisk: number;
    readonly scored: number;
    readonly deaths: number;
  };
  /** Per predictor: at-risk held-out patients without a prediction (left out of every score). */
  readonly missing: Readonly<Record<string, number>>;
  /** Training patients at risk and Cox columns used / dropped. */
  readonly cox: {
    readonly trainAtRisk: number;
    readonly columns: readonly string[];
    readonly dropped: readonly string[];
  };
  readonly predictors: readonly PredictorScores[];
  /** Name of the true-risk predictor when one was computed. */
  readonly truth?: string;
}

export const COX_PREDICTOR = 'cox landmark';
export const TRUTH_PREDICTOR = 'true risk';

/**
 * Scores predicted risks of death after a landmark on the held-out patients at risk there:
 * for each predictor and horizon h, Harrell's and Uno's C (event times ≤ h), Graf's Brier
 * score at h, the decile calibration curve and its slope; the integrated Brier score over
 * [0, last horizon]. A landmark Cox model fitted on the training timeline is always a
 * predictor; on the reference process the true risk is one too, and every predictor also gets
 * the slope of the true risk on its risk. Scores use only the patients every predictor has.
 *
 * @param options - timelines, rows, landmark, horizons, predictions, reference, groups.
 * @returns the counts, Cox columns and per-predictor scores.
 * @throws TrajsimError INVALID_ARGUMENT for bad horizons, predictions whose risk columns do not
 *   match the horizons or ids, or (from the statistics) no patient to score.
 * @example
 * const ev = evaluateLandmarkPredictions({ train, heldOut, landmarkDay: 365, predictions: [twins] });
 * ev.predictors.map((p) => [p.name, p.horizons[2].uno]) // => [['twins', 0.71], ['cox landmark', 0.70]]
 */
export function evaluateLandmarkPredictions(
  options: LandmarkEvaluationOptions,
): LandmarkEvaluation {
  const horizons = options.horizons ?? [365, 730, 1826];
  checkHorizons(horizons);
  const { heldOut, landmarkDay } = options;
  const cohort = landmarkCohort(heldOut, landmarkDay, options.heldOutRows);
  const cox = fitLandmarkCox(
    options.train,
    options.trainRows ??
      Int32Array.from({ length: options.train.patients.ids.length }, (_, i) => i),
    { landmarkDay },
  );
  const coxRisk = predictLandmarkRisk(cox, heldOut, cohort.rows, horizons).risk;
  const ids = Array.from(cohort.rows, (p) => heldOut.patients.ids[p]!);
  const all: LandmarkPredictions[] = [...(options.predictions ?? [])];
  all.push({ name: COX_PREDICTOR, ids, risk: coxRisk });
  if (options.reference !== undefined) {
    const truth = trueLandmarkRisk(heldOut, landmarkDay, horizons, {
      rows: cohort.rows,
      perturbations: options.reference.perturbations ?? {},
    });
    all.push({ name: TRUTH_PREDICTOR, ids, risk: truth.risk });
  }
  const aligned = alignPredictions(all, ids, horizons);
  const scored = aligned.keep;
  const time = Float64Array.from(scored, (i) => cohort.time[i]!);
  const status = Uint8Array.from(scored, (i) => cohort.status[i]!);
  const truthRisk =
    options.reference === undefined
      ? undefined
      : aligned.risk[all.length - 1]!.map((r) => Float64Array.from(scored, (i) => r[i]!));
  const risks = aligned.risk.map((cols) =>
    cols.map((r) => Float64Array.from(scored, (i) => r[i]!)),
  );
  const scores = all.map((p, k) =>
    scorePredictor(p.name, risks[k]!, {
      time,
      status,
      horizons,
      groups: options.groups ?? 10,
      truth: truthRisk,
    }),
  );
  const predictors =
    options.bootstrap === undefined
      ? scores
      : withBootstrap(scores, risks, time, status, horizons, {
          ...options.bootstrap,
          reference: all.findIndex((p) => p.name === COX_PREDICTOR),
        });
  let deaths = 0;
  for (const s of status) deaths += s;
  return {
    landmarkDay,
    horizons: [...horizons],
    patients: {
      heldOut: options.heldOutRows?.length ?? heldOut.patients.ids.length,
      atRisk: cohort.rows.length,
      scored: scored.length,
      deaths,
    },
    missing: Object.fromEntries(all.map((p, k) => [p.name, aligned.missing[k]!])),
    cox: {
      trainAtRisk: cox.fit.n,
      columns: cox.features.map((f) => f.name),
      dropped: [...cox.dropped],
    },
    predictors,
    ...(options.reference === undefined ? {} : { truth: TRUTH_PREDICTOR }),
  };
}

/**
 * Held-out rows of a timeline: a seeded shuffle of the rows, the first round(n · fraction)
 * held out (both parts sorted).
 *
 * @param n - number of patient rows.
 * @param fraction - held-out fraction in (0, 1).
 * @param rng - e.g. `new Rng(seed).fork('held-out')`.
 * @returns the training and held-out rows.
 * @throws TrajsimError INVALID_ARGUMENT for a fraction outside (0, 1).
 * @example
 * heldOutSplit(10, 0.2, new Rng(1).fork('held-out')) // => { train: 8 rows, heldOut: 2 rows }
 */
export function heldOutSplit(
  n: number,
  fraction: number,
  rng: Rng,
): { train: Int32Array; heldOut: Int32Array } {
  if (!(fraction > 0 && fraction < 1)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `held-out fraction is ${fraction}; expected (0, 1)`,
      {
        field: 'heldOutFraction',
      },
    );
  }
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const k = Math.round(n * fraction);
  return { train: order.slice(k).sort(), heldOut: order.slice(0, k).sort() };
}

function checkHorizons(horizons: readonly number[]): void {
  if (horizons.length === 0) {
    throw new TrajsimError('INVALID_ARGUMENT', 'horizons is empty; expected at least one day', {
      field: 'horizons',
    });
  }
  horizons.forEach((h, k) => {
    if (!(Number.isFinite(h) && h > 0 && (k === 0 || h > horizons[k - 1]!))) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `horizons[${k}] is ${h}; expected finite days > 0 in ascending order`,
        { field: 'horizons' },
      );
    }
  });
}

/**
 * Each predictor's risks in cohort order (NaN where it has no prediction) and the cohort
 * indices every predictor covers.
 */
function alignPredictions(
  all: readonly LandmarkPredictions[],
  ids: readonly string[],
  horizons: readonly number[],
): { risk: Float64Array[][]; keep: number[]; missing: number[] } {
  const covered = new Uint8Array(ids.length).fill(1);
  const missing: number[] = [];
  const risk = all.map((p) => {
    if (p.risk.length !== horizons.length) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `predictions ${p.name}: ${p.risk.length} risk columns for ${horizons.length} horizons`,
      );
    }
    const index = new Map<string, number>();
    p.ids.forEach((id, j) => {
      index.set(id, j);
    });
    const cols = p.risk.map((col, k) => {
      if (col.length !== p.ids.length) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `predictions ${p.name}: risk column ${k} has ${col.length} values for ${p.ids.length} ids`,
        );
      }
      return Float64Array.from(ids, (id) => {
        const j = index.get(id);
        return j === undefined ? Number.NaN : col[j]!;
      });
    });
    let miss = 0;
    ids.forEach((_, i) => {
      if (cols.some((c) => !Number.isFinite(c[i]!))) {
        covered[i] = 0;
        miss++;
      }
    });
    missing.push(miss);
    return cols;
  });
  const keep: number[] = [];
  covered.forEach((c, i) => {
    if (c === 1) keep.push(i);
  });
  return { risk, keep, missing };
}

/** Adds paired-bootstrap intervals of Uno's C and of its difference from the reference's. */
function withBootstrap(
  scores: readonly PredictorScores[],
  risks: readonly Float64Array[][],
  time: Float64Array,
  status: Uint8Array,
  horizons: readonly number[],
  options: { replicates: number; seed: string | number; reference: number },
): PredictorScores[] {
  const root = new Rng(options.seed).fork('bootstrap');
  const boots = horizons.map((h, k) =>
    bootstrapConcordance(
      time,
      status,
      risks.map((r) => r[k]!),
      {
        weighting: 'uno',
        tau: h,
        replicates: options.replicates,
        reference: options.reference,
        rng: root.fork(h),
      },
    ),
  );
  const ref = scores[options.reference]!;
  return scores.map((p, j) => ({
    ...p,
    horizons: p.horizons.map((h, k) => ({
      ...h,
      unoInterval: boots[k]!.intervals[j]!,
      unoMinusCox: { estimate: h.uno - ref.horizons[k]!.uno, ...boots[k]!.differences[j]! },
    })),
  }));
}

function scorePredictor(
  name: string,
  risk: readonly Float64Array[],
  data: {
    time: Float64Array;
    status: Uint8Array;
    horizons: readonly number[];
    groups: number;
    truth: readonly Float64Array[] | undefined;
  },
): PredictorScores {
  const { time, status, horizons, truth } = data;
  const ibs = integratedBrierScore(
    time,
    status,
    [0, ...horizons],
    [new Float64Array(time.length).fill(1), ...risk.map((r) => r.map((v) => 1 - v))],
  );
  const scores = horizons.map((h, k): HorizonScores => {
    const r = risk[k]!;
    const cal = calibrationCurve(time, status, r, h, {
      groups: Math.min(data.groups, time.length),
    });
    const base: HorizonScores = {
      days: h,
      harrell: concordanceIndex(time, status, r, { tau: h }).concordance,
      uno: concordanceIndex(time, status, r, { weighting: 'uno', tau: h }).concordance,
      brier: ibs.scores[k + 1]!,
      calibration: { groups: cal.groups, slope: cal.slope, intercept: cal.intercept },
    };
    if (truth === undefined) return base;
    const t = truth[k]!;
    const line = calibrationSlope(r, t);
    let mae = 0;
    for (let i = 0; i < r.length; i++) mae += Math.abs(r[i]! - t[i]!);
    return {
      ...base,
      truthSlope: line.slope,
      truthIntercept: line.intercept,
      truthMeanAbsoluteError: mae / Math.max(r.length, 1),
    };
  });
  return { name, horizons: scores, integratedBrier: ibs.integrated };
}
