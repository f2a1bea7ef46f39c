import { sortedQuantile } from '../stats/sample-distances.js';
import { wilsonInterval } from '../stats/wilson-interval.js';
import type { MetricContext } from './metric.js';
import type { TimelineSummary } from './summary.js';
import type { CodeValues } from './value-summary.js';

/** Mean days per month, for the months-before axis. */
const DAYS_PER_MONTH = 365.25 / 12;
/** Width of a bin of the months-before axis. */
export const VALUE_BIN_MONTHS = 6;
/** Number of bins (the axis covers 0..VALUE_BIN_MONTHS × VALUE_BINS months before). */
export const VALUE_BINS = 20;
/** A bin with fewer values than this has no median or quartiles (NaN: a gap in the plot). */
export const MIN_VALUES_PER_BIN = 10;
/** Values anchored at death when the real data has at least this many from patients who died. */
const MIN_DEATH_VALUES = 100;

/**
 * Median and quartiles of a value per bin of months before the anchor; for a 0/1 code
 * (`ValueTrajectory.kind` 'share') the share of 1s and its Wilson 95% interval instead.
 */
export interface ValueBands {
  readonly median: readonly number[];
  readonly q1: readonly number[];
  readonly q3: readonly number[];
  /** Values in each bin. */
  readonly n: readonly number[];
}

/** A value trajectory of one code, real vs synthetic (the report's "Values" plots). */
export interface ValueTrajectory {
  readonly code: string;
  /** Time is counted back from each patient's death, or from the end of follow-up of all patients. */
  readonly anchor: 'death' | 'end of follow-up';
  /** 'quantiles': median and quartiles; 'share': a 0/1 code, share of 1s with a Wilson 95% CI. */
  readonly kind: 'quantiles' | 'share';
  /** Start of each bin in months before the anchor: 0, 6, 12, ... */
  readonly monthsBefore: readonly number[];
  readonly real: ValueBands;
  readonly synthetic: ValueBands;
}

function bands(v: CodeValues | undefined, deathOnly: boolean, share: boolean): ValueBands {
  const bins: number[][] = Array.from({ length: VALUE_BINS }, () => []);
  if (v !== undefined) {
    for (let i = 0; i < v.values.length; i++) {
      if (deathOnly && v.died[i] !== 1) continue;
      const b = Math.floor(v.daysToEnd[i]! / DAYS_PER_MONTH / VALUE_BIN_MONTHS);
      if (b < VALUE_BINS) bins[b]!.push(v.values[i]!);
    }
  }
  const sorted = bins.map((b) => Float64Array.from(b).sort());
  if (share) {
    const ci = sorted.map((s) => {
      if (s.length < MIN_VALUES_PER_BIN)
        return { p: Number.NaN, lower: Number.NaN, upper: Number.NaN };
      let k = 0;
      for (let i = 0; i < s.length; i++) if (s[i] === 1) k++;
      const w = wilsonInterval(k, s.length);
      return { p: k / s.length, lower: w.lower, upper: w.upper };
    });
    return {
      median: ci.map((c) => round(c.p)),
      q1: ci.map((c) => round(c.lower)),
      q3: ci.map((c) => round(c.upper)),
      n: sorted.map((s) => s.length),
    };
  }
  const q = (p: number) =>
    sorted.map((s) => (s.length >= MIN_VALUES_PER_BIN ? round(sortedQuantile(s, p)) : Number.NaN));
  return { median: q(0.5), q1: q(0.25), q3: q(0.75), n: sorted.map((s) => s.length) };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * Value trajectories of every valued code: median and quartiles (type 7) of the code's values
 * by 6-month bins of time before death (patients who died; when the real data has ≥ 100 such
 * values) or before the end of follow-up (all patients), real and synthetic, up to 10 years.
 * A code whose real values are all 0 or 1 (e.g. smoking) gets the share of 1s per bin with its
 * Wilson 95% interval instead (`kind: 'share'`).
 *
 * @example
 * valueTrajectories(realSummary, syntheticSummary, ctx)[0]?.real.median[0] // median value in the last 6 months
 */
export function valueTrajectories(
  real: TimelineSummary,
  synthetic: TimelineSummary,
  ctx: MetricContext,
): ValueTrajectory[] {
  return ctx.valuedCodes.map((vc) => {
    const r = real.values.get(vc.code);
    let deathValues = 0;
    if (r) for (let i = 0; i < r.died.length; i++) deathValues += r.died[i]!;
    const deathOnly = deathValues >= MIN_DEATH_VALUES;
    const share = r?.values.every((x) => x === 0 || x === 1) ?? false;
    return {
      code: vc.code,
      anchor: deathOnly ? 'death' : 'end of follow-up',
      kind: share ? 'share' : 'quantiles',
      monthsBefore: Array.from({ length: VALUE_BINS }, (_, b) => b * VALUE_BIN_MONTHS),
      real: bands(r, deathOnly, share),
      synthetic: bands(synthetic.values.get(vc.code), deathOnly, share),
    };
  });
}
