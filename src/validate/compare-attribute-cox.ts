/**
 * The per-term comparison of two timelines' Cox models of overall survival on their patient
 * attributes, as a function of timelines (the fidelity metric `attributes.cox.*` uses the same
 * comparison on summaries).
 */

import type { Timeline } from '../timeline/types.js';
import { type MetricContextOptions, metricContext } from './metric-context.js';
import { type CoxTermComparison, coxTermComparison } from './metrics/attributes.js';
import { summarizeTimeline } from './summarize-timeline.js';

export type { CoxTermComparison } from './metrics/attributes.js';

/**
 * Fits the Cox model of overall survival on all attributes to `reference` and to `other`
 * (reference levels from `reference`, at most `options.coxMaxPatients` patients each, default
 * 200 000, subsampled with `options.seed`) and compares them term by term: coefficients, SEs,
 * z = Δcoef / SE(reference) and the two-sample z2 = Δcoef / √(SE² + SE²).
 *
 * @param reference - the timeline whose fit is the reference (e.g. a large truth cohort).
 * @param other - the timeline compared with it (e.g. a synthetic cohort).
 * @param options - Cox patient cap and seed (other metric-context options are ignored here).
 * @returns one row per term both fits have.
 * @throws TrajsimError INVALID_ARGUMENT when `reference` has no patients; what coxPh throws.
 * @example
 * compareAttributeCox(truth, synthetic).find((t) => t.term === 'stage=IV')
 * // => { term: 'stage=IV', refCoef: 1.2, refSe: 0.05, otherCoef: 1.1, otherSe: 0.06, z: -2, z2: -1.3 }
 */
export function compareAttributeCox(
  reference: Timeline,
  other: Timeline,
  options: Pick<MetricContextOptions, 'coxMaxPatients' | 'seed'> = {},
): CoxTermComparison[] {
  const ref = summarizeTimeline(reference);
  return coxTermComparison(ref, summarizeTimeline(other), metricContext(ref, options));
}
