import { dailyEcdf } from '../stats/daily-curves.js';
import { countTotal } from '../stats/distances.js';
import type { KaplanMeierResult } from '../stats/kaplan-meier.js';
import { logRankTest } from '../stats/log-rank.js';
import { restrictedMean } from '../stats/restricted-mean.js';
import { TERMINAL_CODES } from '../timeline/types.js';
import { atRiskDays, cifPanel, grid, kmPanel, round, sampleDaily } from './chart-survival.js';
import { valueTrajectories } from './chart-values.js';
import { expandSurvival } from './expand-counts.js';
import type { ExcludedLevel, FidelityCharts, ForestData, ForestTerm } from './fidelity-report.js';
import { firstOccurrenceOf, levelSurvivalOf } from './merge-summaries.js';
import type { MetricContext } from './metric.js';
import { countQuantile } from './metric-context.js';
import { cachedCox, coxReferences } from './metrics/survival.js';
import { KEY_SEPARATOR, START_CODE, type SurvivalCounts, type TimelineSummary } from './summary.js';

export { atRiskDays, DAYS_PER_YEAR } from './chart-survival.js';

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
    values: valueTrajectories(real, synthetic, ctx),
  };
}
