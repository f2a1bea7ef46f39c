import { dailyCumulativeIncidence, dailyEcdf, dailySurvival } from '../stats/daily-curves.js';
import { type KaplanMeierResult, kaplanMeier } from '../stats/kaplan-meier.js';
import { restrictedMean } from '../stats/restricted-mean.js';
import { TERMINAL_CODES } from '../timeline/types.js';
import { expandSurvival } from './expand-counts.js';
import type { ChartCurve, FidelityCharts } from './fidelity-report.js';
import { firstOccurrenceOf, levelSurvivalOf } from './merge-summaries.js';
import type { MetricContext } from './metric.js';
import { countQuantile } from './metric-context.js';
import { KEY_SEPARATOR, START_CODE, type TimelineSummary } from './summary.js';

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

/** KM curve with its Greenwood log-interval band sampled on the grid. */
function sampleKm(km: KaplanMeierResult, xs: readonly number[]): ChartCurve {
  const y: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  let j = -1;
  for (const d of xs) {
    while (j + 1 < km.time.length && km.time[j + 1]! <= d) j++;
    y.push(j < 0 ? 1 : round(km.surv[j]!));
    lower.push(j < 0 ? 1 : round(km.lower[j]!));
    upper.push(j < 0 ? 1 : round(km.upper[j]!));
  }
  return { x: [...xs], y, lower, upper };
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
  const km = (s: TimelineSummary) => {
    const { time, status } = expandSurvival(s.os);
    return kaplanMeier(time, status);
  };
  const kr = km(real);
  const ks = km(synthetic);
  const median = (k: KaplanMeierResult) => ({
    value: k.median,
    lower: k.medianLower,
    upper: k.medianUpper,
  });

  const strata: FidelityCharts['strata'][number][] = [];
  for (const { attribute, levels } of ctx.strata) {
    for (const level of levels) {
      const a = levelSurvivalOf(real, attribute, level);
      const b = levelSurvivalOf(synthetic, attribute, level);
      strata.push({
        attribute,
        level,
        real: sampleDaily(dailySurvival(a.events, a.censored, h), xs),
        synthetic: sampleDaily(dailySurvival(b.events, b.censored, h), xs),
      });
    }
  }
  const timeToFirst = ctx.frequentCodes.map((code) => {
    const a = firstOccurrenceOf(real, code);
    const b = firstOccurrenceOf(synthetic, code);
    return {
      code,
      real: sampleDaily(dailyCumulativeIncidence(a.event, a.competing, a.censored, h), xs),
      synthetic: sampleDaily(dailyCumulativeIncidence(b.event, b.competing, b.censored, h), xs),
    };
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
      real: sampleKm(kr, xs),
      synthetic: sampleKm(ks, xs),
      realMedian: median(kr),
      syntheticMedian: median(ks),
      realRmst: restrictedMean(kr, h),
      syntheticRmst: restrictedMean(ks, h),
    },
    strata,
    timeToFirst,
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
