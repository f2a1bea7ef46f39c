import { assertArgument } from '../core/errors.js';
import { DEFAULT_SEED } from '../core/rng.js';
import { countTotal } from '../stats/distances.js';
import { TERMINAL_CODES } from '../timeline/types.js';
import type { MetricContext, ValuedCode } from './metric.js';
import { START_CODE, splitKey, type TimelineSummary } from './summary.js';

/** Options of {@link metricContext}; every field has a documented default. */
export interface MetricContextOptions {
  /** Curves are compared on days 0..H; default the 90th percentile of real follow-up. */
  readonly horizonDays?: number;
  /** A code is "frequent" when at least this fraction of real patients has it (default 0.05). */
  readonly minCodePrevalence?: number;
  /** A transition is "frequent" when it has at least this many real occurrences (default 200)... */
  readonly minTransitionCount?: number;
  /** ...and at least this share of all real transitions (default 0.01). */
  readonly minTransitionShare?: number;
  /** A level is compared when at least this fraction of real patients has it (default 0.05). */
  readonly minLevelShare?: number;
  /** Number of top n-grams compared (default 20). */
  readonly topNgrams?: number;
  /** Cox fits use at most this many patients (default 200 000). */
  readonly coxMaxPatients?: number;
  /** Seed for subsampling (default {@link DEFAULT_SEED}, '1'). */
  readonly seed?: string | number;
  /** A code's values are compared when at least this share of its real events has one (default 0.5)... */
  readonly minValueShare?: number;
  /** ...and it has at least this many real values (default 30). */
  readonly minValues?: number;
}

/**
 * The codes whose values the metrics compare: non-terminal codes of the real summary with at
 * least `minValues` values on at least `minValueShare` of their events, sorted by name, with the
 * mean and sample SD of their real values, their number of consecutive pairs and of deaths
 * after a measurement (which decide whether the pair and Cox metrics are computed).
 *
 * @example
 * valuedCodes(nafldSummary).map((v) => v.code) // => ['LAB:fib4', 'LAB:hdl', 'LAB:sbp', 'LAB:smoke']
 */
export function valuedCodes(
  real: TimelineSummary,
  options: Pick<MetricContextOptions, 'minValueShare' | 'minValues'> = {},
): ValuedCode[] {
  const minShare = options.minValueShare ?? 0.5;
  const minValues = options.minValues ?? 30;
  const out: ValuedCode[] = [];
  for (const [code, v] of real.values) {
    const n = v.values.length;
    if (n < minValues || n < minShare * v.events) continue;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += v.values[i]!;
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (v.values[i]! - mean) ** 2;
    const sd = Math.sqrt(ss / (n - 1));
    let deaths = 0;
    for (let i = 0; i < v.intervals.event.length; i++) deaths += v.intervals.event[i]!;
    out.push({ code, mean, sd: sd > 0 ? sd : 1, pairs: v.lagPrev.length, deaths });
  }
  return out.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/**
 * Smallest k with F(k) ≥ q for a count table.
 *
 * @example
 * countQuantile([1, 2, 1], 0.5) // F = (.25, .75, 1) => 1
 */
export function countQuantile(counts: ArrayLike<number>, q: number): number {
  const n = countTotal(counts);
  if (n === 0) return Number.NaN;
  let cum = 0;
  for (let k = 0; k < counts.length; k++) {
    cum += counts[k]!;
    if (cum >= q * n) return k;
  }
  return counts.length - 1;
}

/**
 * Fixes what the metrics compare from the full real summary: the horizon, the frequent codes
 * and transitions, the attribute levels to stratify by. Deterministic (sorted by name).
 *
 * @throws TrajsimError INVALID_ARGUMENT for a negative or non-integer horizon, or a real
 *   summary without patients.
 * @example
 * metricContext(realSummary).horizonDays // => e.g. 2190 (90% of real follow-up ends by then)
 */
export function metricContext(
  real: TimelineSummary,
  options: MetricContextOptions = {},
): MetricContext {
  assertArgument(real.patients > 0, 'the real timeline has no patients');
  const horizonDays = options.horizonDays ?? Math.max(1, countQuantile(real.followUp, 0.9));
  assertArgument(
    Number.isInteger(horizonDays) && horizonDays >= 0,
    `horizonDays is ${horizonDays}; expected an integer >= 0`,
  );
  const minPrev = options.minCodePrevalence ?? 0.05;
  const frequentCodes = [...real.codePatients]
    .filter(
      ([code, n]) =>
        code !== TERMINAL_CODES.DEATH &&
        code !== TERMINAL_CODES.END_OF_FOLLOWUP &&
        n >= minPrev * real.patients &&
        // A code every patient has on day 0 (e.g. DIAGNOSIS) has nothing to compare.
        !(n === real.patients && (real.firstOccurrence.get(code)?.event[0] ?? 0) === n),
    )
    .map(([code]) => code)
    .sort();
  let totalTransitions = 0;
  for (const [key, n] of real.transitions) if (!key.startsWith(START_CODE)) totalTransitions += n;
  const minCount = options.minTransitionCount ?? 200;
  const minShare = options.minTransitionShare ?? 0.01;
  const frequentTransitions = [...real.transitions]
    .filter(
      ([key, n]) =>
        splitKey(key)[0] !== START_CODE && n >= minCount && n >= minShare * totalTransitions,
    )
    .map(([key]) => key)
    .sort();
  const minLevel = options.minLevelShare ?? 0.05;
  const strata = [...real.osByLevel]
    .map(([attribute, levels]) => ({
      attribute,
      levels: [...levels]
        .filter(
          ([, c]) => countTotal(c.events) + countTotal(c.censored) >= minLevel * real.patients,
        )
        .map(([level]) => level),
    }))
    .filter((s) => s.levels.length >= 2)
    .sort((a, b) => (a.attribute < b.attribute ? -1 : 1));
  return {
    horizonDays,
    frequentCodes,
    frequentTransitions,
    minLevelShare: minLevel,
    strata,
    topNgrams: options.topNgrams ?? 20,
    coxMaxPatients: options.coxMaxPatients ?? 200_000,
    seed: String(options.seed ?? DEFAULT_SEED),
    valuedCodes: valuedCodes(real, options),
  };
}
