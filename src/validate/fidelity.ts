/**
 * Fidelity assessment: every metric between the synthetic cohort and the real data, its noise
 * floor (real half vs real half), the matched comparison (real half vs a synthetic subsample
 * of the same size), their ratio, and a verdict against thresholds.
 */

import { TrajsimError } from '../core/errors.js';
import { formatNumber } from '../core/format.js';
import { DEFAULT_SEED } from '../core/rng.js';
import type { Timeline } from '../timeline/types.js';
import { chartData } from './chart-data.js';
import {
  FINDING_CODES,
  type FidelityMetric,
  type FidelityReport,
  type Finding,
  type Spread,
} from './fidelity-report.js';
import { mergeSummaries } from './merge-summaries.js';
import type { MetricContext, MetricValue } from './metric.js';
import { type MetricContextOptions, metricContext } from './metric-context.js';
import { attributeMetrics } from './metrics/attributes.js';
import { constraintMetrics } from './metrics/constraints.js';
import { displayKey, structureMetrics } from './metrics/structure.js';
import { survivalMetrics } from './metrics/survival.js';
import { timeMetrics } from './metrics/time.js';
import { valueMetrics } from './metrics/values.js';
import {
  DEFAULT_REPEATS,
  MatchedSubsample,
  type RealSummaries,
  summarizeShard,
  summarizeWithHalves,
} from './noise-floor.js';
import type { ConstraintViolations, TimelineSummary } from './summary.js';
import { judgeMetric, type Thresholds, thresholdFor } from './thresholds.js';

/**
 * Every fidelity metric of `other` against `ref`, in report order (constraints, structure,
 * time, survival). Pure: the same summaries and context give the same values.
 *
 * @example
 * compareSummaries(s, s, metricContext(s)).find((m) => m.id === 'os.km.sup')?.value // => 0
 */
export function compareSummaries(
  ref: TimelineSummary,
  other: TimelineSummary,
  ctx: MetricContext,
): MetricValue[] {
  return [
    ...constraintMetrics(ref, other),
    ...structureMetrics(ref, other, ctx),
    ...timeMetrics(ref, other, ctx),
    ...survivalMetrics(ref, other, ctx),
    // issue 17: attribute structure and per-term Cox z (a block of its own)
    ...attributeMetrics(ref, other, ctx),
    // issue 10: event values per valued code
    ...valueMetrics(ref, other, ctx),
  ];
}

function spread(values: readonly number[]): Spread {
  const finite = values.filter((v) => !Number.isNaN(v));
  const n = finite.length;
  const mean = n > 0 ? finite.reduce((s, v) => s + v, 0) / n : Number.NaN;
  const sd =
    n > 1 ? Math.sqrt(finite.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : Number.NaN;
  return { mean, sd, values: [...values] };
}

/** One CONSTRAINT_VIOLATION finding per violated constraint kind of one dataset. */
function violationFindings(
  violations: ConstraintViolations,
  dataset: 'synthetic data' | 'real data',
  severity: Finding['severity'],
): Finding[] {
  return Object.entries(violations)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => ({
      code: FINDING_CODES.CONSTRAINT_VIOLATION,
      path: `constraints.${kind}`,
      message: `${dataset}: ${count} × ${kind}`,
      severity,
      statistic: count,
      threshold: 0,
    }));
}

function ratioOf(matched: number, floor: number): number {
  if (Number.isNaN(matched) || Number.isNaN(floor)) return Number.NaN;
  if (floor === 0) return matched === 0 ? 1 : Number.POSITIVE_INFINITY;
  return matched / floor;
}

const fmt = (v: number): string => formatNumber(v, { fixedFrom: 100 });

/** Inputs of {@link assessFidelity}: summaries made by `summarizeWithHalves` / `summarizeShard`. */
export interface FidelityInputs {
  readonly real: RealSummaries;
  readonly realName: string;
  readonly synthetic: TimelineSummary;
  readonly syntheticNames: readonly string[];
  /** One synthetic subsample per repeat, each of the size of the real half B. */
  readonly matched: readonly TimelineSummary[];
  readonly generation?: readonly { readonly source: string; readonly content: unknown }[];
}

export interface FidelityOptions extends MetricContextOptions {
  readonly thresholds: Thresholds;
}

/**
 * Computes the fidelity report: each metric synthetic vs real (value), real half A vs real
 * half B (noise floor, per repeat), real half A vs a synthetic subsample of |B| patients
 * (matched, per repeat), ratio = mean matched ÷ mean noise floor, and the verdict of each
 * gated metric; findings list failures, constraint violations and undefined metrics.
 *
 * @throws TrajsimError INVALID_ARGUMENT when the repeats of `real` and `matched` differ,
 *   INVALID_INPUT when the synthetic cohort is empty.
 *
 * @example
 * const report = assessFidelity({ real, synthetic, matched }, { thresholds: defaultThresholds() });
 * report.passed // => true when no gated metric fails its threshold
 */
export function assessFidelity(inputs: FidelityInputs, options: FidelityOptions): FidelityReport {
  const { real, synthetic, matched } = inputs;
  if (synthetic.patients === 0) {
    throw new TrajsimError(
      'INVALID_INPUT',
      'the synthetic timeline has no patients; nothing to validate',
    );
  }
  const ctx = metricContext(real.full, options);
  if (real.halves.length !== matched.length) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `repeats differ: ${real.halves.length} real splits, ${matched.length} synthetic subsamples`,
    );
  }
  const values = compareSummaries(real.full, synthetic, ctx);
  const floors = real.halves.map((h) => compareSummaries(h.a, h.b, ctx));
  const matches = real.halves.map((h, r) => compareSummaries(h.a, matched[r]!, ctx));

  const findings: Finding[] = [];
  const metrics: FidelityMetric[] = values.map((m, i) => {
    const noiseFloor = spread(floors.map((f) => f[i]!.value));
    const match = spread(matches.map((f) => f[i]!.value));
    const ratio = ratioOf(match.mean, noiseFloor.mean);
    const threshold = thresholdFor(options.thresholds, m.id);
    const verdict = judgeMetric(threshold, m.value, ratio);
    if (verdict.pass === false) {
      const parts: string[] = [];
      if (verdict.failed.includes('maxValue'))
        parts.push(`value ${fmt(m.value)} > maxValue ${fmt(threshold.maxValue!)}`);
      if (verdict.failed.includes('maxRatio')) {
        parts.push(
          `ratio ${fmt(ratio)} > maxRatio ${fmt(threshold.maxRatio!)} (matched ${fmt(match.mean)} vs noise floor ${fmt(noiseFloor.mean)}, SD ${fmt(noiseFloor.sd)})`,
        );
      }
      findings.push({
        code: FINDING_CODES.THRESHOLD_FAILED,
        path: m.id,
        message: `${m.label}: ${parts.join('; ')}`,
        severity: 'error',
        statistic: verdict.failed.includes('maxValue') ? m.value : ratio,
        threshold: verdict.failed.includes('maxValue') ? threshold.maxValue! : threshold.maxRatio!,
      });
    }
    if (Number.isNaN(m.value)) {
      findings.push({
        code: FINDING_CODES.METRIC_UNDEFINED,
        path: m.id,
        message: `${m.label} is undefined${m.note ? `: ${m.note}` : ''}`,
        severity: 'warning',
        statistic: Number.NaN,
        threshold: Number.NaN,
      });
    }
    return {
      ...m,
      noiseFloor,
      matched: match,
      ratio,
      threshold,
      pass: verdict.pass,
      failed: verdict.failed,
    };
  });
  findings.push(
    ...violationFindings(synthetic.violations, 'synthetic data', 'error'),
    ...violationFindings(real.full.violations, 'real data', 'warning'),
  );
  const half = real.halves[0]!;
  const matchedSize = matched[0]?.patients ?? 0;
  if (matchedSize < half.b.patients) {
    findings.push({
      code: FINDING_CODES.SMALL_SYNTHETIC,
      path: 'matched',
      message: `the synthetic cohort (${synthetic.patients}) is smaller than a real half (${half.b.patients}); matched comparisons use all of it, so ratios are not like with like`,
      severity: 'warning',
      statistic: synthetic.patients,
      threshold: half.b.patients,
    });
  }
  return {
    format: 'trajsim-fidelity-report',
    formatVersion: 1,
    passed: metrics.every((m) => m.pass !== false),
    real: { name: inputs.realName, patients: real.full.patients, events: real.full.events },
    synthetic: {
      names: [...inputs.syntheticNames],
      patients: synthetic.patients,
      events: synthetic.events,
    },
    settings: {
      horizonDays: ctx.horizonDays,
      repeats: real.halves.length,
      seed: ctx.seed,
      halfSizes: [half.a.patients, half.b.patients],
      matchedSize,
      frequentCodes: ctx.frequentCodes,
      frequentTransitions: ctx.frequentTransitions.map(displayKey),
      strata: ctx.strata,
      coxMaxPatients: ctx.coxMaxPatients,
    },
    metrics,
    findings,
    charts: chartData(real.full, synthetic, ctx),
    generation: [...(inputs.generation ?? [])],
  };
}

/** Options of {@link assessTimelines}. */
export interface AssessTimelinesOptions extends FidelityOptions {
  /** Number of random half-splits (default 5). */
  readonly repeats?: number;
}

/**
 * Validates in-memory timelines: summarises the real one with its random halves and the
 * synthetic shards (in the order given) with their matched subsamples, then
 * {@link assessFidelity}. The seed (default {@link DEFAULT_SEED}, '1') fixes the splits, subsamples and Cox subsample.
 *
 * @example
 * const report = assessTimelines(real, [synthetic], { thresholds: defaultThresholds() });
 * report.passed // => true for a faithful synthetic cohort
 */
export function assessTimelines(
  real: Timeline,
  synthetic: readonly Timeline[],
  options: AssessTimelinesOptions,
): FidelityReport {
  const repeats = options.repeats ?? DEFAULT_REPEATS;
  const seed = String(options.seed ?? DEFAULT_SEED);
  const realSummaries = summarizeWithHalves(real, { repeats, seed });
  const total = synthetic.reduce((n, t) => n + t.patients.ids.length, 0);
  const subsample = new MatchedSubsample(total, realSummaries.halves[0]!.b.patients, repeats, seed);
  let first = 0;
  const shards = synthetic.map((t) => {
    const s = summarizeShard(t, first, subsample);
    first += t.patients.ids.length;
    return s;
  });
  return assessFidelity(
    {
      real: realSummaries,
      realName: real.name,
      synthetic: mergeSummaries(shards.map((s) => s.full)),
      syntheticNames: synthetic.map((t) => t.name),
      matched: Array.from({ length: repeats }, (_, r) =>
        mergeSummaries(shards.map((s) => s.matched[r]!)),
      ),
    },
    { ...options, seed },
  );
}
