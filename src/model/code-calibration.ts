import * as tf from '@tensorflow/tfjs';
import type { Timeline } from '../timeline/types.js';
import { encodeTimelineForGru, recordedMaxSteps } from './encode-timeline.js';
import { GruNetwork } from './gru-network.js';
import { gruShapeOf } from './gru-shape.js';
import type { ModelManifest } from './manifest.js';
import { makeSequenceBatch, sequenceLength } from './sequence-batches.js';

/** Observed and expected (teacher-forced) number of events per code. */
export interface CodeCalibration {
  readonly codes: readonly string[];
  /** Events of each code in the timeline (capped at `maxSteps` per patient). */
  readonly observed: Float64Array;
  /** Σ over the same events' steps of the model's P(code | real history). */
  readonly expected: Float64Array;
}

/**
 * Teacher-forced calibration of a GRU's code head: feeds every patient's real history and
 * sums, per code, the predicted probability over the steps, next to the observed count.
 *
 * For a model that fits the data, observed − expected is a sum of martingale differences
 * (E[1{code_t = c} − P_t(c) | history] = 0), so the two agree up to sampling error: about
 * √expected. In particular the terminal codes' expected counts must add up to about one per
 * patient. A miscalibrated code head ends (or prolongs) generated trajectories even when
 * the sampling is exact: this is the check to run first when survival is off.
 *
 * @example
 * const c = codeCalibration(manifest, weights, heldOut);
 * c.expected[c.codes.indexOf('DEATH')] / c.observed[c.codes.indexOf('DEATH')] // => ≈ 1
 */
export function codeCalibration(
  manifest: ModelManifest,
  weights: Float32Array,
  timeline: Timeline,
  options: { readonly batchSize?: number; readonly maxSteps?: number } = {},
): CodeCalibration {
  const shape = gruShapeOf(manifest);
  const V = shape.vocabularySize;
  const n = timeline.patients.ids.length;
  const batchSize = options.batchSize ?? 256;
  const maxSteps = options.maxSteps ?? recordedMaxSteps(manifest);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const data = encodeTimelineForGru(manifest, shape, timeline);
  const order = Array.from(rows).sort(
    (a, b) =>
      sequenceLength(timeline, a, maxSteps) - sequenceLength(timeline, b, maxSteps) || a - b,
  );
  const observed = new Float64Array(V);
  const expected = new Float64Array(V);
  const net = GruNetwork.fromWeights(shape, manifest.weights ?? [], weights);
  try {
    for (let i = 0; i < n; i += batchSize) {
      const batch = makeSequenceBatch(
        data,
        Int32Array.from(order.slice(i, i + batchSize)),
        maxSteps,
      );
      const probs = tf.tidy(
        () => net.teacherForcedCodeProbabilities(batch).dataSync() as Float32Array,
      );
      for (let r = 0; r < batch.rows * batch.steps; r++) {
        if (batch.mask[r] === 0) continue;
        for (let c = 0; c < V; c++) {
          expected[c]! += probs[r * V + c]!;
          observed[c]! += batch.targetCodes[r * V + c]!;
        }
      }
    }
  } finally {
    net.dispose();
  }
  return { codes: manifest.vocabulary.codes, observed, expected };
}
