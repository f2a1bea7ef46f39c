import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng.js';
import { AUTO_TRAINING } from './data-driven-defaults.js';
import { gapBinEdges } from './gap-distribution.js';
import { GruNetwork } from './gru-network.js';
import { stepInputWidth } from './gru-shape.js';

export interface StepProbeOptions {
  readonly hidden?: number;
  readonly layers?: number;
  readonly batch?: number;
  readonly vocabularySize?: number;
  readonly attributeWidth?: number;
  /** Day bins of the gap head (default: the trainer's); 0 = the log-logistic mixture head. */
  readonly gapBins?: number;
  /** Timed steps (after 3 warm-up steps). */
  readonly steps?: number;
}

/**
 * Measures the raw network step on the active backend as the sampler runs it (two-stage):
 * GRU step + code head, download, then the gap head for one code per row, download; random
 * inputs, no sampling. Returns rows (events) per second.
 *
 * @example
 * await probeStepThroughput({ hidden: 128, batch: 1024 }) // => { eventsPerSecond: 40000, ... }
 */
export function probeStepThroughput(options: StepProbeOptions = {}): {
  eventsPerSecond: number;
  stepsPerSecond: number;
  batch: number;
  hidden: number;
} {
  const hidden = options.hidden ?? 128;
  const batch = options.batch ?? 1024;
  const V = options.vocabularySize ?? 14;
  const A = options.attributeWidth ?? 16;
  const steps = options.steps ?? 20;
  const gapBins = options.gapBins ?? AUTO_TRAINING.maxBins;
  const net = GruNetwork.create(
    {
      vocabularySize: V,
      attributeWidth: A,
      hidden,
      layers: options.layers ?? 1,
      mixtures: 4,
      gapHidden: 32,
      gapLogOffset: 4,
      // The default (binned) gap head over a 10-year range of gaps: its output (bins per
      // code per row) is most of a step's download.
      ...(gapBins > 0 ? { gapBinEdges: gapBinEdges(3650, gapBins) } : {}),
    },
    new Rng('probe'),
  );
  const rng = new Rng('probe-inputs');
  const x = new Float32Array(batch * stepInputWidth(V));
  for (let r = 0; r < batch; r++) x[r * stepInputWidth(V) + rng.int(V + 1)] = 1;
  const attrs = Float32Array.from({ length: batch * A }, () => rng.normal());
  const [gates, ...initial] = tf.tidy(() => {
    const a = tf.tensor2d(attrs, [batch, A]);
    return [net.attributeGates(a), ...net.initialStates(a)];
  });
  let states = initial;
  const nextCodes = Int32Array.from({ length: batch }, () => rng.int(V));
  // Two-stage like the sampler: code probabilities down, codes up, gap parameters down.
  const once = () => {
    const [probs, ...next] = tf.tidy(() => {
      const s = net.step(
        tf.tensor2d(x, [batch, stepInputWidth(V)]),
        gates!,
        states as tf.Tensor2D[],
      );
      return [net.codeProbabilities(s[s.length - 1]!), ...s];
    });
    probs!.dataSync();
    probs!.dispose();
    tf.dispose(states);
    states = next;
    const gaps = tf.tidy(() =>
      net.gapParameters(states[states.length - 1]!, tf.tensor1d(nextCodes, 'int32')),
    );
    gaps.dataSync();
    gaps.dispose();
  };
  try {
    for (let i = 0; i < 3; i++) once();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) once();
    const seconds = (performance.now() - t0) / 1000;
    return {
      eventsPerSecond: (steps * batch) / seconds,
      stepsPerSecond: steps / seconds,
      batch,
      hidden,
    };
  } finally {
    tf.dispose([gates!, ...states]);
    net.dispose();
  }
}
