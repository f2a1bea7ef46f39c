import { cumulativeIncidence } from '../stats/cumulative-incidence.js';
import { dailyEcdf } from '../stats/daily-curves.js';
import { countTotal } from '../stats/distances.js';
import { type KaplanMeierResult, kaplanMeier } from '../stats/kaplan-meier.js';
import { logRankTest } from '../stats/log-rank.js';
import { restrictedMean } from '../stats/restricted-mean.js';
import { TERMINAL_CODES } from '../timeline/types.js';
import { expandSurvival } from './expand-counts.js';
import type {
  AtRiskTable,
  CensorMarks,
  ChartCurve,
  ExcludedLevel,
  FidelityCharts,
  ForestData,
  ForestTerm,
  SurvivalPanel,
} from './fidelity-report.js';
import { firstOccurrenceOf, levelSurvivalOf } from './merge-summaries.js';
import type { MetricContext } from './metric.js';
import { countQuantile } from './metric-context.js';
import { cachedCox, coxReferences } from './metrics/survival.js';
import {
  type CompetingCounts,
  KEY_SEPARATOR,
  START_CODE,
  type SurvivalCounts,
  type TimelineSummary,
} from './summary.js';

/** Points per chart curve, at most. */
const CHART_POINTS = 300;

const round = (v: number): number => (Number.isFinite(v) ? Math.round(v * 1e5) / 1e5 : v);

function grid(horizonDays: number): number[] {
  const step = Math.max(1, Math.ceil(horizonDays / CHART_POINTS));
  const xs: number[] = [];
  for (let d = 0; d < horizonDays; d += step) xs.push(d);
  xs.push(horizonDays);
  return xs;
}

function sampleDaily(curve: Float64Array, xs: readonly number[]): ChartCurve {
  if (curve.length === 0) return { x: [], y: [] };
  return { x: [...xs], y: xs.map((d) => round(curve[Math.min(d, curve.length - 1)]!)) };
}

/** Days of a year, for the round time points of the at-risk tables and the time axes. */
export const DAYS_PER_YEAR = 365.25;

/** Censoring marks drawn per curve, at most (evenly thinned beyond). */
const MAX_CENSOR_MARKS = 150;

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
function atRiskAt(tables: readonly ArrayLike<number>[], days: readonly number[]): number[] {
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
function censorMarks(
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
function stepAt(time: Float64Array, value: Float64Array, d: number, start: number): number {
  let lo = 0;
  let hi = time.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (time[mid]! <= d) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? start : value[lo - 1]!;
}

/** KM curve with its Greenwood log-interval band sampled on the grid. */
function sampleKm(km: KaplanMeierResult, xs: readonly number[]): ChartCurve {
  const at = (a: Float64Array, d: number) => round(stepAt(km.time, a, d, 1));
  return {
    x: [...xs],
    y: xs.map((d) => at(km.surv, d)),
    lower: xs.map((d) => at(km.lower, d)),
    upper: xs.map((d) => at(km.upper, d)),
  };
}

function kmOf(counts: SurvivalCounts): KaplanMeierResult {
  const { time, status } = expandSurvival(counts);
  return kaplanMeier(time, status);
}

/** A Kaplan–Meier panel of two risk tables on [0, H]. */
function kmPanel(
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
function cifCurve(
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

function cifPanel(
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

/** Levels of the real data that the per-level comparison leaves out, and why. */
function excludedLevels(
  real: TimelineSummary,
  synthetic: TimelineSummary,
  ctx: MetricContext,
): ExcludedLevel[] {
  const out: ExcludedLevel[] = [];
  const size = (c: SurvivalCounts | undefined) =>
    c ? countTotal(c.events) + countTotal(c.censored) : 0;
  for (const [attribute, levels] of [...real.osByLevel].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const shown = ctx.strata.find((s) => s.attribute === attribute)?.levels ?? [];
    for (const [level, counts] of levels) {
      if (shown.includes(level)) continue;
      const n = size(counts);
      const share = n / real.patients;
      out.push({
        attribute,
        level,
        realPatients: n,
        realShare: round(share),
        syntheticPatients: size(synthetic.osByLevel.get(attribute)?.get(level)),
        reason: share < ctx.minLevelShare ? 'below-min-share' : 'only-level',
        minShare: ctx.minLevelShare,
      });
    }
  }
  return out;
}

/** Hazard ratios of the Cox model on all attributes, real vs synthetic, per term. */
function forestData(
  real: TimelineSummary,
  synthetic: TimelineSummary,
  ctx: MetricContext,
): ForestData {
  const refs = coxReferences(real);
  const fa = cachedCox(real, ctx, refs);
  const fb = cachedCox(synthetic, ctx, refs);
  if (fa instanceof Error)
    return { terms: [], note: `real Cox model not estimable: ${fa.message}` };
  const terms: ForestTerm[] = [];
  for (const t of fa.terms) {
    let attribute = t.term;
    let level: string | null = null;
    let reference: string | null = null;
    for (const a of real.perPatient.attributes) {
      if (a.kind === 'numeric' && a.name === t.term) attribute = a.name;
      if (a.kind !== 'categorical' || !t.term.startsWith(a.name)) continue;
      const l = t.term.slice(a.name.length);
      if (a.levels.includes(l)) {
        attribute = a.name;
        level = l;
        reference = refs.get(a.name) ?? null;
      }
    }
    const o = fb instanceof Error ? undefined : fb.terms.find((x) => x.term === t.term);
    terms.push({
      term: t.term,
      attribute,
      level,
      reference,
      real: { hr: round(t.hr), lower: round(t.lower), upper: round(t.upper) },
      synthetic: o
        ? { hr: round(o.hr), lower: round(o.lower), upper: round(o.upper) }
        : { hr: Number.NaN, lower: Number.NaN, upper: Number.NaN },
    });
  }
  return {
    terms,
    ...(fb instanceof Error ? { note: `synthetic Cox model not estimable: ${fb.message}` } : {}),
  };
}

function rowProbabilities(
  s: TimelineSummary,
  from: readonly string[],
  to: readonly string[],
): number[][] {
  return from.map((f) => {
    let total = 0;
    const row = to.map((t) => {
      const n = s.transitions.get(f + KEY_SEPARATOR + t) ?? 0;
      total += n;
      return n;
    });
    return row.map((n) => (total > 0 ? round(n / total) : 0));
  });
}

/**
 * The data behind the report's charts, from the full real and synthetic summaries: overall
 * survival (Kaplan–Meier with Greenwood log-intervals, medians with CIs, RMST at the horizon,
 * via `kaplanMeier` and `restrictedMean`), per-level survival, cumulative incidence of each
 * frequent code, the gap ECDF, prevalence and transition probabilities.
 *
 * @example
 * const charts = chartData(summarizeTimeline(real), summarizeTimeline(synthetic), ctx);
 * charts.os.real // the real overall-survival curve sampled at the chart's days, with its CI
 */
export function chartData(
  real: TimelineSummary,
  synthetic: TimelineSummary,
  ctx: MetricContext,
): FidelityCharts {
  const h = ctx.horizonDays;
  const xs = grid(h);
  const days = atRiskDays(h);
  const { kr, ks, ...os } = kmPanel(real.os, synthetic.os, xs, days, h);
  const median = (k: KaplanMeierResult) => ({
    value: k.median,
    lower: k.medianLower,
    upper: k.medianUpper,
  });
  const a = expandSurvival(real.os);
  const b = expandSurvival(synthetic.os);
  const time = new Float64Array(a.time.length + b.time.length);
  const status = new Uint8Array(time.length);
  const group = new Uint8Array(time.length).fill(1, a.time.length);
  time.set(a.time);
  time.set(b.time, a.time.length);
  status.set(a.status);
  status.set(b.status, a.time.length);
  const lr = logRankTest(time, status, group);

  const strata: FidelityCharts['strata'][number][] = [];
  for (const { attribute, levels } of ctx.strata) {
    for (const level of levels) {
      const {
        kr: _r,
        ks: _s,
        ...panel
      } = kmPanel(
        levelSurvivalOf(real, attribute, level),
        levelSurvivalOf(synthetic, attribute, level),
        xs,
        days,
        h,
      );
      strata.push({ attribute, level, ...panel });
    }
  }
  const timeToFirst = ctx.frequentCodes.map((code) => {
    const panel = cifPanel(
      firstOccurrenceOf(real, code),
      firstOccurrenceOf(synthetic, code),
      xs,
      days,
      h,
    );
    return { code, ...panel };
  });
  const gapMax = Math.max(1, countQuantile(real.gaps, 0.99));
  const gx = grid(gapMax);
  const codes = [...new Set([...real.codePatients.keys(), ...synthetic.codePatients.keys()])];
  const from = [
    START_CODE,
    ...codes.filter((c) => c !== TERMINAL_CODES.DEATH && c !== TERMINAL_CODES.END_OF_FOLLOWUP),
  ];
  return {
    horizonDays: h,
    os: {
      ...os,
      realMedian: median(kr),
      syntheticMedian: median(ks),
      realRmst: restrictedMean(kr, h),
      syntheticRmst: restrictedMean(ks, h),
      logRank: { chisq: lr.chisq, df: lr.df, p: lr.p },
    },
    strata,
    excludedLevels: excludedLevels(real, synthetic, ctx),
    timeToFirst,
    forest: forestData(real, synthetic, ctx),
    gaps: {
      real: sampleDaily(dailyEcdf(real.gaps, gapMax), gx),
      synthetic: sampleDaily(dailyEcdf(synthetic.gaps, gapMax), gx),
    },
    prevalence: codes.map((code) => ({
      code,
      real: round((real.codePatients.get(code) ?? 0) / real.patients),
      synthetic: round((synthetic.codePatients.get(code) ?? 0) / synthetic.patients),
    })),
    transitions: {
      from,
      to: codes,
      real: rowProbabilities(real, from, codes),
      synthetic: rowProbabilities(synthetic, from, codes),
    },
  };
}
