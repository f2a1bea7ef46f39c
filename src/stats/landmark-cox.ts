/**
 * The landmark Cox model a biostatistician would build as a baseline for digital twins: patients
 * alive and followed at a landmark day, their attributes plus summaries of their history up to
 * the landmark, a Cox model (Breslow ties and baseline hazard) for death after the landmark.
 */

import { TrajsimError } from '../core/errors.js';
import { isTerminalCode, type Timeline } from '../timeline/types.js';
import { type CoxBaseline, coxBaseline, coxPredictRisk } from './cox-baseline.js';
import { type CoxResult, coxPh } from './cox-ph.js';
import { type LandmarkCohort, landmarkCohort } from './landmark-cohort.js';

const DAYS_PER_YEAR = 365.25;

/** One column of the landmark design: how it is computed from a patient's row and history. */
export type LandmarkFeature =
  | {
      readonly name: string;
      readonly kind: 'numeric';
      /** Attribute name (features refer to attributes, levels and codes by name). */
      readonly attribute: string;
      readonly fill: number;
    }
  | { readonly name: string; readonly kind: 'missing'; readonly attribute: string }
  | {
      readonly name: string;
      readonly kind: 'level';
      readonly attribute: string;
      /** The level, or null for a missing value. */
      readonly level: string | null;
    }
  | { readonly name: string; readonly kind: 'count' | 'since'; readonly code: string }
  | {
      readonly name: string;
      readonly kind: 'lastValue';
      readonly code: string;
      readonly fill: number;
    };

/** A fitted landmark Cox model. */
export interface LandmarkCoxModel {
  readonly landmarkDay: number;
  /** The design columns, in coefficient order. */
  readonly features: readonly LandmarkFeature[];
  /** Candidate columns left out: constant, or collinear with earlier ones, on the training rows. */
  readonly dropped: readonly string[];
  readonly fit: CoxResult;
  readonly baseline: CoxBaseline;
}

/** Options of {@link fitLandmarkCox}. */
export interface LandmarkCoxOptions {
  /** The landmark day (days since index). */
  readonly landmarkDay: number;
  /**
   * A non-terminal code enters the history summaries when at least this fraction of the
   * training patients at risk had it by the landmark; default 0.02.
   */
  readonly minPrevalence?: number;
}

/**
 * Fits the landmark Cox baseline on the training rows at risk at the landmark: every attribute
 * (numeric as is, missing filled with the training mean plus a missing indicator; categorical
 * as treatment contrasts against the most frequent level, missing as its own level) and, for
 * each non-terminal code seen by the landmark in ≥ minPrevalence of them, log(1 + count so
 * far), years since its last occurrence (years since index when never) and, for codes that
 * carry values, the last value (training mean when none). Constant and collinear columns
 * (Gram–Schmidt on the centred training columns, relative tolerance 1e-8) are dropped. The
 * model is `coxPh` with Breslow ties and the Breslow baseline hazard ({@link coxBaseline}).
 *
 * @param timeline - the history timeline.
 * @param trainRows - the patient rows to fit on (those not at risk at the landmark are skipped).
 * @param options - landmarkDay, minPrevalence.
 * @returns the model: features, dropped columns, the Cox fit and its baseline hazard.
 * @throws TrajsimError INVALID_ARGUMENT for a bad landmark or prevalence, no deaths after the
 *   landmark among the training rows, or a singular fit.
 * @example
 * const model = fitLandmarkCox(timeline, trainRows, { landmarkDay: 365 });
 * predictLandmarkRisk(model, timeline, heldOutRows, [365, 730, 1825]).risk[2] // 5-year risks
 */
export function fitLandmarkCox(
  timeline: Timeline,
  trainRows: ArrayLike<number>,
  options: LandmarkCoxOptions,
): LandmarkCoxModel {
  const { landmarkDay } = options;
  const minPrevalence = options.minPrevalence ?? 0.02;
  if (!(minPrevalence > 0 && minPrevalence <= 1)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `minPrevalence is ${minPrevalence}; expected a number in (0, 1]`,
      { field: 'minPrevalence' },
    );
  }
  const cohort = landmarkCohort(timeline, landmarkDay, trainRows);
  let deaths = 0;
  for (const s of cohort.status) deaths += s;
  if (deaths === 0) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `fitLandmarkCox: no training patient at risk at day ${landmarkDay} dies after it; a Cox model needs events`,
    );
  }
  const history = historySummaries(timeline, cohort.rows, landmarkDay);
  const candidates = candidateFeatures(timeline, cohort.rows, history, minPrevalence);
  const all = candidates.map((f) => featureColumn(f, timeline, cohort.rows, history));
  const keep = independentColumns(all);
  const features = keep.map((c) => candidates[c]!);
  const columns = keep.map((c) => all[c]!);
  const dropped = candidates.filter((_, c) => !keep.includes(c)).map((f) => f.name);
  const fit = coxPh(
    cohort.time,
    cohort.status,
    { names: features.map((f) => f.name), columns },
    { ties: 'breslow' },
  );
  const baseline = coxBaseline(
    cohort.time,
    cohort.status,
    columns,
    fit.terms.map((t) => t.coef),
  );
  return { landmarkDay, features, dropped, fit, baseline };
}

/**
 * The risk of death within each horizon after the landmark that a {@link fitLandmarkCox}
 * model predicts for the rows at risk at its landmark.
 *
 * @param model - from {@link fitLandmarkCox}.
 * @param timeline - the timeline of the rows (the same coding as the training timeline).
 * @param rows - patient rows to predict (those not at risk at the landmark are left out).
 * @param horizons - days after the landmark, e.g. [365, 730, 1825].
 * @returns the landmark cohort of the rows and risk[k][i] = P(death ≤ horizons[k] days after
 *   the landmark) for its row i.
 * @throws TrajsimError INVALID_ARGUMENT as {@link landmarkCohort}.
 * @example
 * predictLandmarkRisk(model, timeline, [0, 1, 2], [365]).risk[0] // one-year risks
 */
export function predictLandmarkRisk(
  model: LandmarkCoxModel,
  timeline: Timeline,
  rows: ArrayLike<number>,
  horizons: readonly number[],
): { cohort: LandmarkCohort; risk: Float64Array[] } {
  const cohort = landmarkCohort(timeline, model.landmarkDay, rows);
  const history = historySummaries(timeline, cohort.rows, model.landmarkDay);
  const columns = model.features.map((f) => featureColumn(f, timeline, cohort.rows, history));
  return { cohort, risk: horizons.map((h) => coxPredictRisk(model.baseline, columns, h)) };
}

/** Per patient (cohort order) and code: count, last day and last value up to the landmark. */
interface HistorySummaries {
  readonly landmarkDay: number;
  readonly nCodes: number;
  /** [i * nCodes + c] */
  readonly count: Int32Array;
  readonly lastDay: Int32Array;
  readonly lastValue: Float64Array;
}

function historySummaries(
  timeline: Timeline,
  rows: Int32Array,
  landmarkDay: number,
): HistorySummaries {
  const nCodes = timeline.events.codes.length;
  const count = new Int32Array(rows.length * nCodes);
  const lastDay = new Int32Array(rows.length * nCodes).fill(-1);
  const lastValue = new Float64Array(rows.length * nCodes).fill(Number.NaN);
  const { day, code, value } = timeline.events;
  rows.forEach((p, i) => {
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      if (day[e]! > landmarkDay) break;
      const j = i * nCodes + code[e]!;
      count[j]!++;
      lastDay[j] = day[e]!;
      if (Number.isFinite(value[e]!)) lastValue[j] = value[e]!;
    }
  });
  return { landmarkDay, nCodes, count, lastDay, lastValue };
}

/** The candidate columns on the training cohort, fills (means) from it. */
function candidateFeatures(
  timeline: Timeline,
  rows: Int32Array,
  history: HistorySummaries,
  minPrevalence: number,
): LandmarkFeature[] {
  const out: LandmarkFeature[] = [];
  timeline.patients.attributes.forEach((attr) => {
    if (attr.kind === 'numeric') {
      let sum = 0;
      let seen = 0;
      for (const p of rows) {
        const v = attr.values[p]!;
        if (Number.isFinite(v)) {
          sum += v;
          seen++;
        }
      }
      out.push({
        name: attr.name,
        kind: 'numeric',
        attribute: attr.name,
        fill: seen > 0 ? sum / seen : 0,
      });
      if (seen < rows.length)
        out.push({ name: `${attr.name}:missing`, kind: 'missing', attribute: attr.name });
      return;
    }
    const freq = new Float64Array(attr.levels.length + 1); // last slot: missing
    for (const p of rows) freq[attr.codes[p]! < 0 ? attr.levels.length : attr.codes[p]!]!++;
    let reference = 0;
    for (let l = 1; l < freq.length; l++) if (freq[l]! > freq[reference]!) reference = l;
    for (let l = 0; l < freq.length; l++) {
      if (l === reference || freq[l] === 0) continue;
      const level = l === attr.levels.length ? '(missing)' : attr.levels[l]!;
      out.push({
        name: `${attr.name}=${level}`,
        kind: 'level',
        attribute: attr.name,
        level: l === attr.levels.length ? null : level,
      });
    }
  });
  const codes = timeline.events.codes;
  for (let c = 0; c < history.nCodes; c++) {
    if (isTerminalCode(codes[c]!)) continue;
    let having = 0;
    let valueSum = 0;
    let valued = 0;
    for (let i = 0; i < rows.length; i++) {
      if (history.count[i * history.nCodes + c]! > 0) having++;
      const v = history.lastValue[i * history.nCodes + c]!;
      if (Number.isFinite(v)) {
        valueSum += v;
        valued++;
      }
    }
    if (having < minPrevalence * rows.length) continue;
    out.push({ name: `count:${codes[c]}`, kind: 'count', code: codes[c]! });
    out.push({ name: `yearsSince:${codes[c]}`, kind: 'since', code: codes[c]! });
    if (valued > 0) {
      out.push({
        name: `lastValue:${codes[c]}`,
        kind: 'lastValue',
        code: codes[c]!,
        fill: valueSum / valued,
      });
    }
  }
  return out;
}

/**
 * One design column for the rows. Attributes, levels and codes are looked up by name, so a
 * held-out timeline imported apart (other dictionary order) gets the same columns; a code it
 * lacks reads as never seen, a level it lacks as never taken.
 */
function featureColumn(
  f: LandmarkFeature,
  timeline: Timeline,
  rows: Int32Array,
  history: HistorySummaries,
): Float64Array {
  const col = new Float64Array(rows.length);
  if (f.kind === 'count' || f.kind === 'since' || f.kind === 'lastValue') {
    const c = timeline.events.codes.indexOf(f.code);
    const fill = f.kind === 'lastValue' ? f.fill : 0;
    for (let i = 0; i < rows.length; i++) {
      const j = i * history.nCodes + c;
      if (f.kind === 'count') col[i] = c < 0 ? 0 : Math.log1p(history.count[j]!);
      else if (f.kind === 'since') {
        const last = c < 0 ? -1 : history.lastDay[j]!;
        col[i] = (history.landmarkDay - Math.max(last, 0)) / DAYS_PER_YEAR;
      } else {
        const v = c < 0 ? Number.NaN : history.lastValue[j]!;
        col[i] = Number.isFinite(v) ? v : fill;
      }
    }
    return col;
  }
  if (!('attribute' in f)) return col;
  const name = f.attribute;
  const a = timeline.patients.attributes.find((x) => x.name === name);
  for (let i = 0; i < rows.length; i++) {
    const p = rows[i]!;
    if (f.kind === 'level') {
      let level: string | null | undefined;
      if (a?.kind === 'categorical') level = a.codes[p]! < 0 ? null : a.levels[a.codes[p]!];
      col[i] = level === f.level ? 1 : 0;
    } else {
      const v = a?.kind === 'numeric' ? a.values[p]! : Number.NaN;
      if (f.kind === 'numeric') col[i] = Number.isFinite(v) ? v : f.fill;
      else col[i] = Number.isFinite(v) ? 0 : 1;
    }
  }
  return col;
}

/**
 * Indices of the columns kept by Gram–Schmidt on the centred columns: a constant column (centred
 * squared norm ≤ 1e-12 of its raw one) is dropped, and so is one whose residual, after
 * projecting out the kept ones, has squared norm ≤ 1e-8 of its centred one.
 */
function independentColumns(columns: readonly Float64Array[]): number[] {
  const basis: Float64Array[] = [];
  const keep: number[] = [];
  columns.forEach((col, c) => {
    const n = col.length;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += col[i]!;
    mean /= Math.max(n, 1);
    const r = Float64Array.from(col, (v) => v - mean);
    let norm0 = 0;
    let raw = 0;
    for (let i = 0; i < n; i++) {
      norm0 += r[i]! * r[i]!;
      raw += col[i]! * col[i]!;
    }
    if (!(norm0 > 1e-12 * raw)) return; // constant (up to rounding)
    for (const b of basis) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += r[i]! * b[i]!;
      for (let i = 0; i < n; i++) r[i]! -= dot * b[i]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += r[i]! * r[i]!;
    if (norm <= 1e-8 * norm0) return;
    const inv = 1 / Math.sqrt(norm);
    basis.push(r.map((v) => v * inv));
    keep.push(c);
  });
  return keep;
}
