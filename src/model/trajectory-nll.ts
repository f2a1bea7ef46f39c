import * as tf from '@tensorflow/tfjs';
import { TrajsimError } from '../core/errors.js';
import { likelihoodNeedsGru } from '../core/messages.js';
import type { Timeline } from '../timeline/types.js';
import { encodeTimelineForGru, recordedMaxSteps } from './encode-timeline.js';
import { GruNetwork } from './gru-network.js';
import { gruShapeOf } from './gru-shape.js';
import type { LoadedModel } from './read-model.js';
import { makeSequenceBatch, sequenceLength } from './sequence-batches.js';

/** Per-event NLL of {@link eventNll}, flat with offsets. */
export interface EventNll {
  /**
   * Nats per event, teacher forced: patient `rows[i]`'s events at `nll[offsets[i]]` up to
   * `nll[offsets[i + 1]]`, in timeline order (entry `offsets[i] + j` is the timeline's event
   * `timeline.offsets[rows[i]] + j`), its first `maxSteps` events only.
   */
  readonly nll: Float64Array;
  /** `rows.length + 1` offsets into `nll` (offsets[0] = 0). */
  readonly offsets: Int32Array;
}

/**
 * The GRU's own negative log-likelihood of every event of each given patient (teacher forced,
 * given its attributes), in nats: −[log P(code_t | history) + log P(gap_t | code_t, history)
 * (+ log P(value_t | code_t, history) for an event of a valued code of a model with values:
 * bin probability ÷ bin width, a density on the standardised scale for continuous codes)],
 * over the first `maxSteps` events of each patient. {@link trajectoryNll} is its mean per
 * patient. Rows are scored in batches of similar length (`batchSize`, default 256). Needs a
 * selected tfjs backend.
 *
 * @param model - a loaded GRU model (a Markov model is refused).
 * @param timeline - the patients' timeline; its codes must be in the model's vocabulary.
 * @param rows - patient rows to score.
 * @param options - `batchSize`: patients per forward pass.
 * @returns the per-event NLL (nats), flat with per-row offsets.
 * @throws TrajsimError MODEL for a Markov model or a code the model never saw.
 * @example
 * const { nll, offsets } = eventNll(loadModel('models/default'), colon, Int32Array.of(0, 1));
 * nll.subarray(offsets[1], offsets[2]) // => Float64Array [3.2, 1.7, ...] (row 1's events, nats)
 */
export function eventNll(
  model: LoadedModel,
  timeline: Timeline,
  rows: Int32Array,
  options: { readonly batchSize?: number } = {},
): EventNll {
  const { manifest, weights } = model;
  if (manifest.kind !== 'gru' || !weights) {
    throw new TrajsimError('MODEL', likelihoodNeedsGru(model.dir, manifest.kind));
  }
  const shape = gruShapeOf(manifest);
  const maxSteps = recordedMaxSteps(manifest);
  const batchSize = options.batchSize ?? 256;
  const data = encodeTimelineForGru(manifest, shape, timeline);
  const lengths = Int32Array.from(rows, (p) => sequenceLength(timeline, p, maxSteps));
  const offsets = new Int32Array(rows.length + 1);
  lengths.forEach((L, s) => {
    offsets[s + 1] = offsets[s]! + L;
  });
  const order = Array.from(rows.keys()).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const nll = new Float64Array(offsets[rows.length]!);
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
        for (let t = 0; t < lengths[s]!; t++) nll[offsets[s]! + t] = -ll[r * batch.steps + t]!;
      });
    }
  } finally {
    net.dispose();
  }
  return { nll, offsets };
}

/**
 * The GRU's own negative log-likelihood of each given patient's events (teacher forced,
 * given its attributes), in nats per event: the mean of the patient's {@link eventNll} over
 * its first `maxSteps` events (0 for a patient without events). The score of the
 * likelihood-based membership-inference attack (a memorising model gives its training
 * patients a lower NLL than unseen ones). Needs a selected tfjs backend.
 *
 * @param model - a loaded GRU model (a Markov model is refused).
 * @param timeline - the patients' timeline; its codes must be in the model's vocabulary.
 * @param rows - patient rows to score.
 * @param options - `batchSize`: patients per forward pass.
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
  const { nll, offsets } = eventNll(model, timeline, rows, options);
  const out = new Float64Array(rows.length);
  for (let s = 0; s < rows.length; s++) {
    // Σ log-likelihood, negated at the end: bit-identical to summing the network's outputs
    let sum = 0;
    for (let k = offsets[s]!; k < offsets[s + 1]!; k++) sum -= nll[k]!;
    out[s] = -sum / Math.max(1, offsets[s + 1]! - offsets[s]!);
  }
  return out;
}
