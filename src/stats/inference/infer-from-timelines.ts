/**
 * One inference query on a real timeline, a synthetic cohort and (optionally) the twins of
 * the real patients: the three rows of `trajsim infer`.
 */

import { TrajsimError } from '../../core/errors.js';
import { cohortMismatchNote, noTwinsNote, syntheticDisagreesNote } from '../../core/messages.js';
import type { Timeline } from '../../timeline/types.js';
import { type CombinedInference, clusterInfluence, combineEstimates } from './combine-estimates.js';
import { describeQuery, estimateTarget, type InferenceQuery } from './inference-target.js';

/** The result of {@link inferFromTimelines} (the JSON of `trajsim infer --json`). */
export interface InferenceResult extends CombinedInference {
  /** A label of the query, e.g. `survival@1095 (rx: Lev+5FU − Obs)`. */
  readonly target: string;
  readonly query: InferenceQuery;
  /** Patients: real, synthetic cohort, twins (0 without). */
  readonly counts: { readonly real: number; readonly synthetic: number; readonly twins: number };
  /** Twins per real patient (0 without twins). */
  readonly twinsPerPatient: number;
  /** Human-readable diagnostics (from the message catalog). */
  readonly notes: readonly string[];
}

/**
 * Estimates `query` on the real sample, on the synthetic cohort (naive), and combined
 * (prediction-powered, power-tuned; see `combineEstimates` and docs/inference.md).
 *
 * @param real - the real timeline (small sample).
 * @param synthetic - a large synthetic cohort from the generator.
 * @param query - the target, endpoint, contrast and adjustment.
 * @param twins - optional twins of the real patients (`generateTwins`): `perPatient` twins
 *   per real patient in real-row order.
 * @returns the three rows, the synthetic weight, diagnostics and notes.
 * @throws TrajsimError INVALID_ARGUMENT for a bad query (see `estimateTarget`) or a twins
 *   timeline whose size is not perPatient × real patients.
 * @example
 * const r = inferFromTimelines(real, synthetic, { target: { kind: 'median' }, endpoint: 'DEATH' },
 *   { timeline: twins, perPatient: 10 });
 * r.rows.map((x) => x.method) // => ['real', 'synthetic', 'combined']
 */
export function inferFromTimelines(
  real: Timeline,
  synthetic: Timeline,
  query: InferenceQuery,
  twins?: { readonly timeline: Timeline; readonly perPatient: number },
): InferenceResult {
  const n = real.patients.ids.length;
  if (twins && twins.timeline.patients.ids.length !== n * twins.perPatient) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `${twins.timeline.name}: ${twins.timeline.patients.ids.length} twins for ${n} real patients; expected ${twins.perPatient} per patient (${n * twins.perPatient})`,
      { field: 'twins' },
    );
  }
  const r = estimateTarget(real, query);
  const s = estimateTarget(synthetic, query);
  const paired = twins
    ? clusterInfluence(estimateTarget(twins.timeline, query), twins.perPatient)
    : undefined;
  const combined = combineEstimates({ real: r, synthetic: s, ...(paired ? { paired } : {}) });
  const notes: string[] = [];
  if (!paired) notes.push(noTwinsNote());
  if (combined.syntheticDisagrees) notes.push(syntheticDisagreesNote(combined.disagreementZ));
  if (combined.cohortMismatch) {
    notes.push(cohortMismatchNote(combined.twinsVsCohortZ, combined.syntheticWeight));
  }
  return {
    target: describeQuery(query),
    query,
    ...combined,
    counts: {
      real: n,
      synthetic: synthetic.patients.ids.length,
      twins: twins ? twins.timeline.patients.ids.length : 0,
    },
    twinsPerPatient: twins ? twins.perPatient : 0,
    notes,
  };
}
