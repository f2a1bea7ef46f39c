/**
 * The per-patient summary of history-conditioned twins, accumulated while the futures are
 * written: for each code, the predicted probability that it happens within each horizon after
 * the landmark, and the predicted time to death.
 */

import { Field, Float64, Int32, Schema, Table, tableToIPC, Utf8 } from 'apache-arrow';
import { TrajsimError } from '../core/errors.js';
import { upperBound } from '../core/sorted-search.js';
import type { GeneratedPatient } from '../generate/generation-types.js';
import { cumulativeIncidence } from '../stats/cumulative-incidence.js';
import { normalQuantile } from '../stats/normal.js';
import {
  float64Data,
  int32Data,
  recordBatchOf,
  utf8DataOfEncoded,
} from '../timeline/arrow-schema.js';
import { csvField } from '../timeline/export.js';
import { TERMINAL_CODES } from '../timeline/types.js';

/** Default horizons: 1, 2 and 5 years after the landmark (⌊365.25 · years⌋ days). */
export const DEFAULT_TWIN_HORIZONS_DAYS: readonly number[] = [365, 730, 1826];

/** Level of the intervals of the summary (90%). */
export const TWIN_INTERVAL_LEVEL = 0.9;

/** The twins' predictions for one real patient. */
export interface TwinSummaryRow {
  readonly patientId: string;
  /** Landmark day (days since index). */
  readonly landmarkDay: number;
  /** Futures summarised. */
  readonly futures: number;
  /**
   * [codes × horizons], code-major: the predicted probability that the code happens within
   * horizon h days after the landmark (Aalen–Johansen over the futures, DEATH competing, a
   * future's END_OF_FOLLOWUP censoring it; for DEATH itself, 1 − Kaplan–Meier).
   */
  readonly risk: Float64Array;
  /** 90% Monte Carlo interval of `risk` across the futures (normal, IJ standard error, clipped to [0, 1]). */
  readonly riskLower: Float64Array;
  readonly riskUpper: Float64Array;
  /** Predicted death risk by horizon (DEATH's row of `risk`): what the evaluation scores. */
  readonly deathRisk: Float64Array;
  /** Median time to death after the landmark (days); NaN: beyond the futures' follow-up. */
  readonly medianDeathDays: number;
  /** 5% and 95% quantiles of the time to death across futures (days); NaN: beyond follow-up. */
  readonly deathDaysLower: number;
  readonly deathDaysUpper: number;
  /** Longest follow-up after the landmark among the futures (days). */
  readonly followUpDays: number;
}

/** The F(t) of a step function (times ascending) at t: the last value at a time ≤ t, else 0. */
function stepAt(time: Float64Array, value: Float64Array, t: number): number {
  const after = upperBound(time, t);
  return after === 0 ? 0 : value[after - 1]!;
}

/** The first time F(t) ≥ q (NaN: never). */
function quantileOf(time: Float64Array, value: Float64Array, q: number): number {
  for (let j = 0; j < time.length; j++) if (value[j]! >= q - 1e-12) return time[j]!;
  return Number.NaN;
}

/**
 * Accumulates the futures of one real patient at a time (they arrive consecutively, in
 * output order) and turns each completed patient into a {@link TwinSummaryRow}. Memory is
 * one patient's futures × codes, whatever the number of patients.
 *
 * @example
 * const acc = new TwinSummaryAccumulator(model.stepModel.codes, 100);
 * const row = acc.add(patient, 'P1', 365, prefixLength); // a row after the 100th future of P1
 */
export class TwinSummaryAccumulator {
  private readonly first: Float64Array;
  private readonly end: Float64Array;
  private readonly died: Uint8Array;
  private k = 0;
  private readonly death: number;
  private readonly z = normalQuantile(1 - (1 - TWIN_INTERVAL_LEVEL) / 2);

  constructor(
    readonly codes: readonly string[],
    readonly futures: number,
    readonly horizonsDays: readonly number[] = DEFAULT_TWIN_HORIZONS_DAYS,
  ) {
    this.first = new Float64Array(futures * codes.length);
    this.end = new Float64Array(futures);
    this.died = new Uint8Array(futures);
    this.death = codes.indexOf(TERMINAL_CODES.DEATH);
  }

  /**
   * Adds future k of the current patient (events from `prefixLength` on are the future);
   * returns the patient's row after the last future, else undefined.
   */
  add(
    patient: GeneratedPatient,
    id: string,
    landmarkDay: number,
    prefixLength: number,
  ): TwinSummaryRow | undefined {
    const V = this.codes.length;
    const base = this.k * V;
    this.first.fill(Number.NaN, base, base + V);
    const n = patient.codes.length;
    for (let e = n - 1; e >= prefixLength; e--) {
      this.first[base + patient.codes[e]!] = patient.days[e]! - landmarkDay;
    }
    const lastDay = n > 0 ? patient.days[n - 1]! : landmarkDay;
    this.end[this.k] = Math.max(0, lastDay - landmarkDay);
    this.died[this.k] = n > prefixLength && patient.codes[n - 1] === this.death ? 1 : 0;
    this.k++;
    if (this.k < this.futures) return undefined;
    this.k = 0;
    return this.row(id, landmarkDay);
  }

  private row(patientId: string, landmarkDay: number): TwinSummaryRow {
    const V = this.codes.length;
    const H = this.horizonsDays.length;
    const N = this.futures;
    const risk = new Float64Array(V * H);
    const riskLower = new Float64Array(V * H);
    const riskUpper = new Float64Array(V * H);
    const time = new Float64Array(N);
    const cause = new Int32Array(N);
    let death: { t: Float64Array; f: Float64Array } = {
      t: new Float64Array(0),
      f: new Float64Array(0),
    };
    for (let c = 0; c < V; c++) {
      for (let j = 0; j < N; j++) {
        const t = this.first[j * V + c]!;
        if (!Number.isNaN(t)) {
          time[j] = Math.max(0, t);
          cause[j] = 1;
        } else {
          time[j] = this.end[j]!;
          cause[j] = this.died[j] === 1 ? 2 : 0;
        }
      }
      const r = cumulativeIncidence(time, cause);
      const f = r.cif[0] ?? new Float64Array(r.time.length);
      const se = r.stdErr[0] ?? new Float64Array(r.time.length);
      if (c === this.death) death = { t: r.time, f };
      this.horizonsDays.forEach((h, m) => {
        const p = stepAt(r.time, f, h);
        const s = stepAt(r.time, se, h);
        risk[c * H + m] = p;
        riskLower[c * H + m] = Math.max(0, p - this.z * s);
        riskUpper[c * H + m] = Math.min(1, p + this.z * s);
      });
    }
    let followUp = 0;
    for (let j = 0; j < N; j++) followUp = Math.max(followUp, this.end[j]!);
    return {
      patientId,
      landmarkDay,
      futures: N,
      risk,
      riskLower,
      riskUpper,
      deathRisk:
        this.death >= 0
          ? risk.slice(this.death * H, (this.death + 1) * H)
          : new Float64Array(H).fill(Number.NaN),
      medianDeathDays: quantileOf(death.t, death.f, 0.5),
      deathDaysLower: quantileOf(death.t, death.f, 0.05),
      deathDaysUpper: quantileOf(death.t, death.f, 0.95),
      followUpDays: followUp,
    };
  }
}

/** Column names of the summary, after patient_id, landmark_day, futures. */
function valueColumns(codes: readonly string[], horizons: readonly number[]): string[] {
  const names = ['follow_up_days', 'death_median_days', 'death_days_p05', 'death_days_p95'];
  for (const c of codes) {
    for (const h of horizons) names.push(`${c}@${h}d`, `${c}@${h}d_lo`, `${c}@${h}d_hi`);
  }
  return names;
}

/** The value cells of a row, in {@link valueColumns} order. */
function valueCells(r: TwinSummaryRow, codes: number, horizons: number): number[] {
  const cells = [r.followUpDays, r.medianDeathDays, r.deathDaysLower, r.deathDaysUpper];
  for (let c = 0; c < codes; c++) {
    for (let m = 0; m < horizons; m++) {
      const i = c * horizons + m;
      cells.push(r.risk[i]!, r.riskLower[i]!, r.riskUpper[i]!);
    }
  }
  return cells;
}

/**
 * The summary as CSV: one row per real patient; a time to death beyond the futures'
 * follow-up is written `>F` (F = follow_up_days), other undefined cells `NA`.
 *
 * @param rows - the summary rows.
 * @param codes - the model's codes (the order of `risk`).
 * @param horizons - the horizons (days) of `risk`.
 * @returns the CSV text.
 * @throws nothing.
 * @example
 * twinSummaryCsv(rows, codes, [365]).split('\n')[0] // => 'patient_id,landmark_day,futures,follow_up_days,...'
 */
export function twinSummaryCsv(
  rows: readonly TwinSummaryRow[],
  codes: readonly string[],
  horizons: readonly number[],
): string {
  const header = ['patient_id', 'landmark_day', 'futures', ...valueColumns(codes, horizons)];
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) {
    const cells = valueCells(r, codes.length, horizons.length).map((v, j) =>
      Number.isNaN(v) ? (j >= 1 && j <= 3 ? `>${r.followUpDays}` : 'NA') : String(v),
    );
    lines.push([csvField(r.patientId), r.landmarkDay, r.futures, ...cells].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The summary as an Arrow IPC file: the CSV's columns, times beyond follow-up null.
 *
 * @param rows - the summary rows.
 * @param codes - the model's codes.
 * @param horizons - the horizons (days).
 * @returns the file's bytes.
 * @throws TrajsimError INTERNAL for rows of another shape than `codes` × `horizons`.
 * @example
 * writeFileAtomic('out/summary.arrow', twinSummaryArrow(rows, codes, [365, 730, 1826]));
 */
export function twinSummaryArrow(
  rows: readonly TwinSummaryRow[],
  codes: readonly string[],
  horizons: readonly number[],
): Uint8Array {
  const names = valueColumns(codes, horizons);
  const columns = names.map(() => new Float64Array(rows.length));
  rows.forEach((r, i) => {
    const cells = valueCells(r, codes.length, horizons.length);
    if (cells.length !== names.length) {
      throw new TrajsimError('INTERNAL', 'a twin summary row does not match its columns');
    }
    cells.forEach((v, j) => {
      columns[j]![i] = v;
    });
  });
  const schema = new Schema([
    new Field('patient_id', new Utf8(), false),
    new Field('landmark_day', new Int32(), false),
    new Field('futures', new Int32(), false),
    ...names.map((n) => new Field(n, new Float64(), true)),
  ]);
  const encoder = new TextEncoder();
  const batch = recordBatchOf(schema, rows.length, [
    utf8DataOfEncoded(rows.map((r) => encoder.encode(r.patientId))),
    int32Data(Int32Array.from(rows, (r) => r.landmarkDay)),
    int32Data(Int32Array.from(rows, (r) => r.futures)),
    ...columns.map((c) => float64Data(c)),
  ]);
  return tableToIPC(new Table([batch]), 'file');
}
