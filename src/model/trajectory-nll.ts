import * as tf from '@tensorflow/tfjs';
import { TrajsimError } from '../core/errors.js';
import { likelihoodNeedsGru } from '../core/messages.js';
import type { Timeline } from '../timeline/types.js';
import { encodeTimelineForGru, recordedMaxSteps } from './encode-timeline.js';
import { GruNetwork } from './gru-network.js';
import { gruShapeOf } from './gru-step-model.js';
import type { LoadedModel } from './load-model.js';
import { makeSequenceBatch, sequenceLength } from './sequence-batches.js';

/**
 * The GRU's own negative log-likelihood of each given patient's events (teacher forced,
 * given its attributes), in nats per event: −(1/L) Σ_t [log P(code_t | history) +
 * log P(gap_t | code_t, history) (+ log P(value_t | code_t, history) for an event of a valued
 * code of a model with values: bin probability ÷ bin width, a density on the standardised
 * scale for continuous codes)], over the first `maxSteps` events. The score of the
 * likelihood-based membership-inference attack (a memorising model gives its training
 * patients a lower NLL than unseen ones). Needs a selected tfjs backend.
 *
 * @param model - a loaded GRU model (a Markov model is refused).
 * @param timeline - the patients' timeline; its codes must be in the model's vocabulary.
 * @param rows - patient rows to score.
 * @throws TrajsimError MODEL for a Markov model or a code the model never saw.
 * @example
 * trajectoryNll(loadModel('models/colon'), heldOut, Int32Array.of(0, 1)) // => Float64Array [2.1, 3.4]
 */
export function trajectoryNll(
  model: LoadedModel,
  timeline: Timeline,
  rows: Int32Array,
  options: { readonly batchSize?: number } = {},
): Float64Array {
  const { manifest, weights } = model;
  if (manifest.kind !== 'gru' || !weights) {
    throw new TrajsimError('MODEL', likelihoodNeedsGru(model.dir, manifest.kind));
  }
  const shape = gruShapeOf(manifest);
  const maxSteps = recordedMaxSteps(manifest);
  const batchSize = options.batchSize ?? 256;
  const data = encodeTimelineForGru(manifest, shape, timeline);
  const order = Array.from(rows.keys()).sort(
    (a, b) =>
      sequenceLength(timeline, rows[a]!, maxSteps) - sequenceLength(timeline, rows[b]!, maxSteps) ||
      a - b,
  );
  const out = new Float64Array(rows.length);
  const net = GruNetwork.fromWeights(shape, manifest.weights ?? [], weights);
  try {
    for (let i = 0; i < order.length; i += batchSize) {
      const slots = order.slice(i, i + batchSize);
      const batch = makeSequenceBatch(
        data,
        Int32Array.from(slots, (s) => rows[s]!),
        maxSteps,
      );
      const ll = tf.tidy(() => net.teacherForcedLogLikelihood(batch).dataSync() as Float32Array);
      slots.forEach((s, r) => {
        let sum = 0;
        let steps = 0;
        for (let t = 0; t < batch.steps; t++) {
          const k = r * batch.steps + t;
          if (batch.mask[k] === 0) continue;
          sum += ll[k]!;
          steps++;
        }
        out[s] = -sum / Math.max(1, steps);
      });
    }
  } finally {
    net.dispose();
  }
  return out;
}
