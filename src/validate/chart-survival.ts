// The survival panels of the fidelity charts (chart-data.ts): Kaplan–Meier and cumulative
// incidence curves with bands, numbers at risk and censoring marks, on the chart days.
import { upperBound } from '../core/sorted-search.js';
import { cumulativeIncidence } from '../stats/cumulative-incidence.js';
import { countTotal } from '../stats/distances.js';
import { type KaplanMeierResult, kaplanMeier } from '../stats/kaplan-meier.js';
import { expandSurvival } from './expand-counts.js';
import type { AtRiskTable, CensorMarks, ChartCurve, SurvivalPanel } from './fidelity-report.js';
import type { CompetingCounts, SurvivalCounts } from './summary.js';

/** Points per chart curve, at most. */
export const CHART_POINTS = 300;

/** Rounds a chart value to 5 decimals (non-finite as is). */
export const round = (v: number): number => (Number.isFinite(v) ? Math.round(v * 1e5) / 1e5 : v);

/** The chart days 0..H, at most CHART_POINTS of them (H always last). */
export function grid(horizonDays: number): number[] {
  const step = Math.max(1, Math.ceil(horizonDays / CHART_POINTS));
  const xs: number[] = [];
  for (let d = 0; d < horizonDays; d += step) xs.push(d);
  xs.push(horizonDays);
  return xs;
}

/** A daily curve sampled on the chart days (its last value beyond its end). */
export function sampleDaily(curve: Float64Array, xs: readonly number[]): ChartCurve {
  if (curve.length === 0) return { x: [], y: [] };
  return { x: [...xs], y: xs.map((d) => round(curve[Math.min(d, curve.length - 1)]!)) };
}

/** Days of a year, for the round time points of the at-risk tables and the time axes. */
export const DAYS_PER_YEAR = 365.25;

/** Censoring marks drawn per curve, at most (evenly thinned beyond). */
export const MAX_CENSOR_MARKS = 150;

/**
 * Round time points for numbers at risk on [0, H] days: multiples of ¼, ½, 1, 2 or 5 years,
 * the smallest step giving at most 10 intervals, rounded to whole days.
 *
 * @example
 * atRiskDays(2920) // => [0, 365, 731, 1096, 1461, 1826, 2192, 2557] (yearly)
 * atRiskDays(400) // => [0, 91, 183, 274, 365] (quarterly)
 */
export function atRiskDays(horizonDays: number): number[] {
  const years = horizonDays / DAYS_PER_YEAR;
  const step = [0.25, 0.5, 1, 2, 5, 10].find((s) => years / s <= 10) ?? 10;
  const out: number[] = [];
  for (let k = 0; k * step * DAYS_PER_YEAR <= horizonDays + 1e-9; k++) {
    out.push(Math.round(k * step * DAYS_PER_YEAR));
  }
  return out;
}

/** Numbers at risk just before each day: subjects whose time (event or censoring) is ≥ day. */
export function atRiskAt(tables: readonly ArrayLike<number>[], days: readonly number[]): number[] {
  let n = 0;
  for (const t of tables) n += countTotal(t);
  const out: number[] = [];
  let gone = 0;
  let d = 0;
  for (const day of days) {
    for (; d < day; d++) for (const t of tables) gone += d < t.length ? t[d]! : 0;
    out.push(n - gone);
  }
  return out;
}

/** Censoring days ≤ H with the curve's value there, evenly thinned to at most MAX_CENSOR_MARKS. */
export function censorMarks(
  censored: ArrayLike<number>,
  valueAt: (day: number) => number,
  horizonDays: number,
): CensorMarks {
  const days: number[] = [];
  for (let d = 0; d <= horizonDays && d < censored.length; d++) if (censored[d]! > 0) days.push(d);
  const keep =
    days.length <= MAX_CENSOR_MARKS
      ? days
      : Array.from(
          { length: MAX_CENSOR_MARKS },
          (_, i) => days[Math.floor((i * days.length) / MAX_CENSOR_MARKS)]!,
        );
  return { x: keep, y: keep.map((d) => round(valueAt(d))) };
}

/** Value of a step curve given at sorted times (`time`, `value`) on day d (`start` before). */
export function stepAt(time: Float64Array, value: Float64Array, d: number, start: number): number {
  const after = upperBound(time, d);
  return after === 0 ? start : value[after - 1]!;
}

/** KM curve with its Greenwood log-interval band sampled on the grid. */
export function sampleKm(km: KaplanMeierResult, xs: readonly number[]): ChartCurve {
  const at = (a: Float64Array, d: number) => round(stepAt(km.time, a, d, 1));
  return {
    x: [...xs],
    y: xs.map((d) => at(km.surv, d)),
    lower: xs.map((d) => at(km.lower, d)),
    upper: xs.map((d) => at(km.upper, d)),
  };
}

/** The Kaplan–Meier estimate of a risk table. */
export function kmOf(counts: SurvivalCounts): KaplanMeierResult {
  const { time, status } = expandSurvival(counts);
  return kaplanMeier(time, status);
}

/** A Kaplan–Meier panel of two risk tables on [0, H]. */
export function kmPanel(
  real: SurvivalCounts,
  synthetic: SurvivalCounts,
  xs: readonly number[],
  days: readonly number[],
  horizonDays: number,
): SurvivalPanel & { kr: KaplanMeierResult; ks: KaplanMeierResult } {
  const kr = kmOf(real);
  const ks = kmOf(synthetic);
  const atRisk: AtRiskTable = {
    days: [...days],
    real: atRiskAt([real.events, real.censored], days),
    synthetic: atRiskAt([synthetic.events, synthetic.censored], days),
  };
  return {
    kr,
    ks,
    real: kr.n > 0 ? sampleKm(kr, xs) : { x: [], y: [] },
    synthetic: ks.n > 0 ? sampleKm(ks, xs) : { x: [], y: [] },
    censorReal: censorMarks(real.censored, (d) => stepAt(kr.time, kr.surv, d, 1), horizonDays),
    censorSynthetic: censorMarks(
      synthetic.censored,
      (d) => stepAt(ks.time, ks.surv, d, 1),
      horizonDays,
    ),
    atRisk,
    patients: { real: kr.n, synthetic: ks.n },
  };
}

/**
 * Aalen–Johansen cumulative incidence (death competing) with its 95% pointwise band
 * (log-transformed, F·exp(±1.96·se/F), as survfit's default `conf.type = "log"`).
 */
export function cifCurve(
  c: CompetingCounts,
  xs: readonly number[],
): { curve: ChartCurve; time: Float64Array; cif: Float64Array } {
  const tables = [c.event, c.competing, c.censored] as const;
  let n = 0;
  for (const t of tables) n += countTotal(t);
  const time = new Float64Array(n);
  const cause = new Uint8Array(n);
  let i = 0;
  const days = Math.max(...tables.map((t) => t.length));
  for (let d = 0; d < days; d++) {
    for (const [k, t] of tables.entries()) {
      const m = d < t.length ? t[d]! : 0;
      for (let j = 0; j < m; j++) {
        time[i] = d;
        cause[i++] = k === 0 ? 1 : k === 1 ? 2 : 0;
      }
    }
  }
  if (n === 0) return { curve: { x: [], y: [] }, time, cif: new Float64Array(0) };
  const r = cumulativeIncidence(time, cause);
  const f = r.cif[0] ?? new Float64Array(r.time.length);
  const se = r.stdErr[0] ?? new Float64Array(r.time.length);
  const y: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  for (const d of xs) {
    const v = stepAt(r.time, f, d, 0);
    const s = stepAt(r.time, se, d, 0);
    y.push(round(v));
    if (v > 0 && Number.isFinite(s)) {
      lower.push(round(v * Math.exp((-1.959964 * s) / v)));
      upper.push(round(Math.min(1, v * Math.exp((1.959964 * s) / v))));
    } else {
      lower.push(0);
      upper.push(0);
    }
  }
  return { curve: { x: [...xs], y, lower, upper }, time: r.time, cif: f };
}

/** A cumulative-incidence panel of one code: real vs synthetic, with bands. */
export function cifPanel(
  real: CompetingCounts,
  synthetic: CompetingCounts,
  xs: readonly number[],
  days: readonly number[],
  horizonDays: number,
): SurvivalPanel {
  const a = cifCurve(real, xs);
  const b = cifCurve(synthetic, xs);
  const all = (c: CompetingCounts) => [c.event, c.competing, c.censored];
  return {
    real: a.curve,
    synthetic: b.curve,
    censorReal: censorMarks(real.censored, (d) => stepAt(a.time, a.cif, d, 0), horizonDays),
    censorSynthetic: censorMarks(
      synthetic.censored,
      (d) => stepAt(b.time, b.cif, d, 0),
      horizonDays,
    ),
    atRisk: {
      days: [...days],
      real: atRiskAt(all(real), days),
      synthetic: atRiskAt(all(synthetic), days),
    },
    patients: {
      real: all(real).reduce((n, t) => n + countTotal(t), 0),
      synthetic: all(synthetic).reduce((n, t) => n + countTotal(t), 0),
    },
  };
}
