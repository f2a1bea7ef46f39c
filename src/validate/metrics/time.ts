import { dailyCumulativeIncidence } from '../../stats/daily-curves.js';
import {
  countTotal,
  ksFromCounts,
  supNormDaily,
  wasserstein1FromCounts,
} from '../../stats/distances.js';
import { firstOccurrenceOf } from '../merge-summaries.js';
import type { MetricContext, MetricValue } from '../metric.js';
import type { TimelineSummary } from '../summary.js';
import { displayKey, ksAndW1Metrics } from './structure.js';

const FAMILY = 'time';
const EMPTY = new Float64Array(0);

/**
 * Time metrics: inter-event gaps overall (KS, W₁ in days) and per frequent transition (the
 * reference-count-weighted mean of per-transition KS and W₁, each transition in `details`),
 * time to first occurrence of each frequent code (sup-norm of the Aalen–Johansen cumulative
 * incidence curves up to the horizon, death competing), and follow-up length (KS, W₁).
 *
 * @example
 * timeMetrics(realHalfA, realHalfB, ctx).find((m) => m.id === 'gaps.ks')?.unit // => 'probability'
 */
export function timeMetrics(
  ref: TimelineSummary,
  other: TimelineSummary,
  ctx: MetricContext,
): MetricValue[] {
  const out: MetricValue[] = [];
  out.push(
    ...ksAndW1Metrics(
      'gaps',
      FAMILY,
      'Inter-event gaps, all transitions',
      'days',
      ref.gaps,
      other.gaps,
    ),
  );

  const ks: Record<string, number> = {};
  const w1: Record<string, number> = {};
  let wSum = 0;
  let ksSum = 0;
  let w1Sum = 0;
  let undefinedCount = 0;
  for (const key of ctx.frequentTransitions) {
    const a = ref.gapsByTransition.get(key) ?? EMPTY;
    const b = other.gapsByTransition.get(key) ?? EMPTY;
    const name = displayKey(key);
    const k = ksFromCounts(a, b);
    const w = wasserstein1FromCounts(a, b);
    ks[name] = k;
    w1[name] = w;
    const weight = countTotal(a);
    if (Number.isNaN(k)) {
      // The other side never makes this transition: as far apart as distributions get.
      ks[name] = 1;
      undefinedCount++;
      ksSum += weight;
      wSum += weight;
      continue;
    }
    ksSum += weight * k;
    w1Sum += weight * w;
    wSum += weight;
  }
  const missingNote =
    undefinedCount > 0
      ? `${undefinedCount} frequent transition(s) never occur on the compared side (KS counted as 1)`
      : undefined;
  out.push({
    id: 'gaps.transition.ks',
    family: FAMILY,
    label: 'Gaps per frequent transition (weighted mean KS)',
    unit: 'probability',
    value: wSum > 0 ? ksSum / wSum : Number.NaN,
    details: ks,
    ...(missingNote ? { note: missingNote } : {}),
  });
  out.push({
    id: 'gaps.transition.w1',
    family: FAMILY,
    label: 'Gaps per frequent transition (weighted mean W1)',
    unit: 'days',
    value: wSum > 0 && undefinedCount === 0 ? w1Sum / wSum : Number.NaN,
    details: w1,
    ...(missingNote ? { note: missingNote } : {}),
  });

  for (const code of ctx.frequentCodes) {
    const a = firstOccurrenceOf(ref, code);
    const b = firstOccurrenceOf(other, code);
    const h = ctx.horizonDays;
    const fa = dailyCumulativeIncidence(a.event, a.competing, a.censored, h);
    const fb = dailyCumulativeIncidence(b.event, b.competing, b.censored, h);
    out.push({
      id: `time_to_first.${code}.cif_sup`,
      family: FAMILY,
      label: `Time to first ${code} (cumulative incidence sup-norm, death competing)`,
      unit: 'probability',
      value: supNormDaily(fa, fb, h),
      details: {
        [`ref_cif_at_${h}`]: fa[h] ?? Number.NaN,
        [`other_cif_at_${h}`]: fb[h] ?? Number.NaN,
      },
    });
  }

  out.push(
    ...ksAndW1Metrics(
      'follow_up',
      FAMILY,
      'Follow-up length',
      'days',
      ref.followUp,
      other.followUp,
    ),
  );
  return out;
}
