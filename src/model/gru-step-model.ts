import * as tf from '@tensorflow/tfjs';
import { TrajsimError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import {
  type AttributeEncoding,
  type AttributeRows,
  encodeAttributeRows,
  encodedWidth,
} from './attribute-encoder.js';
import { sampleBinnedGapDays, sampleGapDays } from './gap-distribution.js';
import {
  GruNetwork,
  type GruShape,
  gapOutputWidth,
  LOG_DAYS_SCALE,
  stepInputWidth,
} from './gru-network.js';
import type { ModelManifest } from './manifest.js';

/**
 * The GRU shape recorded in a manifest. Throws MODEL when a hyperparameter is missing.
 *
 * @example
 * gruShapeOf(readModelManifest('models/default')).hidden // => the hidden size it was trained with
 */
export function gruShapeOf(manifest: ModelManifest): GruShape {
  const hp = manifest.hyperparameters;
  const num = (key: string): number => {
    const v = hp[key];
    if (typeof v !== 'number')
      throw new TrajsimError('MODEL', `manifest hyperparameter '${key}' is missing`, {
        field: `hyperparameters.${key}`,
      });
    return v;
  };
  const head = hp['gapHead'] ?? 'mixture';
  let gapBinEdges: number[] | undefined;
  if (head === 'bins') {
    const raw = hp['gapBinEdges'];
    gapBinEdges = typeof raw === 'string' ? raw.split(',').map(Number) : [];
    const ok =
      gapBinEdges.length >= 3 &&
      gapBinEdges[0] === 0 &&
      gapBinEdges[1] === 1 &&
      gapBinEdges.every((e, i) => Number.isInteger(e) && (i === 0 || e > gapBinEdges![i - 1]!));
    if (!ok)
      throw new TrajsimError(
        'MODEL',
        "manifest hyperparameter 'gapBinEdges' is missing or not increasing integers starting 0,1",
        { field: 'hyperparameters.gapBinEdges' },
      );
  } else if (head !== 'mixture') {
    throw new TrajsimError(
      'MODEL',
      `unknown gap head '${String(head)}' (this trajsim knows 'mixture' and 'bins')`,
      { field: 'hyperparameters.gapHead' },
    );
  }
  return {
    ...(gapBinEdges ? { gapBinEdges } : {}),
    vocabularySize: manifest.vocabulary.codes.length,
    attributeWidth: encodedWidth(manifest.encoders),
    hidden: num('hidden'),
    layers: num('layers'),
    mixtures: num('mixtures'),
    gapHidden: num('gapHidden'),
    gapLogOffset: num('gapLogOffset'),
  };
}

/**
 * The GRU as a step-by-step sampler for a batch of patients (the StepModel of
 * src/generate). The batch's hidden states stay on the backend between steps; each step
 * uploads the previous events (one small tensor) and downloads one array holding the code
 * probabilities and the gap parameters of every possible next code (one transfer); the
 * sampling itself happens in TypeScript.
 */
export class GruStepModel {
  readonly codes: readonly string[];
  private readonly net: GruNetwork;
  private readonly encoders: readonly AttributeEncoding[];
  private readonly V: number;
  private readonly P: number;
  private readonly K: number;
  private readonly logOffset: number;
  private readonly binEdges: readonly number[] | undefined;
  private states: tf.Tensor2D[] = [];
  private attributeGates: tf.Tensor2D | undefined;
  private rows = 0;
  private output: Float32Array = new Float32Array(0);

  constructor(manifest: ModelManifest, weights: Float32Array) {
    if (manifest.kind !== 'gru' || !manifest.weights) {
      throw new TrajsimError('MODEL', `a ${manifest.kind} model has no GRU weights`);
    }
    const shape = gruShapeOf(manifest);
    this.net = GruNetwork.fromWeights(shape, manifest.weights, weights);
    this.codes = manifest.vocabulary.codes;
    this.encoders = manifest.encoders;
    this.V = shape.vocabularySize;
    this.K = shape.mixtures;
    this.P = gapOutputWidth(shape);
    this.logOffset = shape.gapLogOffset;
    this.binEdges = shape.gapBinEdges;
  }

  /** Starts a batch from attribute rows (encoder order: level index / number, -1 / NaN missing). */
  start(attributes: AttributeRows): void {
    this.end();
    const width = encodedWidth(this.encoders);
    const encoded = new Float32Array(attributes.rows * width);
    encodeAttributeRows(this.encoders, attributes, encoded);
    this.rows = attributes.rows;
    const [gates, ...states] = tf.tidy(() => {
      const a = tf.tensor2d(encoded, [attributes.rows, width]);
      return [this.net.attributeGates(a), ...this.net.initialStates(a)];
    });
    this.attributeGates = gates;
    this.states = states;
  }

  /**
   * One step for the current rows: previous code (V = beginning of sequence), previous gap
   * and previous day (days). Returns the code probabilities, [rows × V] (a view valid until
   * the next call).
   */
  step(prevCode: Int32Array, prevGapDays: Int32Array, prevDay: Int32Array): Float32Array {
    const n = this.rows;
    const V = this.V;
    const I = stepInputWidth(V);
    const x = new Float32Array(n * I);
    for (let r = 0; r < n; r++) {
      x[r * I + prevCode[r]!] = 1;
      x[r * I + V + 1] = Math.log1p(prevGapDays[r]!) / LOG_DAYS_SCALE;
      x[r * I + V + 2] = Math.log1p(prevDay[r]!) / LOG_DAYS_SCALE;
    }
    const gates = this.attributeGates;
    if (!gates) throw new TrajsimError('INTERNAL', 'step before start');
    const [out, ...next] = tf.tidy(() => {
      const states = this.net.step(tf.tensor2d(x, [n, I]), gates, this.states);
      const top = states[states.length - 1]!;
      const probs = tf.reshape(this.net.codeProbabilities(top), [-1]);
      const gaps = tf.reshape(this.net.gapParametersAllCodes(top), [-1]);
      return [tf.concat([probs, gaps]), ...states];
    });
    tf.dispose(this.states);
    this.states = next as tf.Tensor2D[];
    this.output = out!.dataSync() as Float32Array;
    out!.dispose();
    return this.output.subarray(0, n * V);
  }

  /** Draws the gap (days) before code `code` for row `row` of the last step. */
  sampleGapDays(row: number, code: number, rng: Rng): number {
    const at = this.rows * this.V + (row * this.V + code) * this.P;
    return this.binEdges
      ? sampleBinnedGapDays(this.output, at, this.binEdges, rng)
      : sampleGapDays(this.output, at, this.K, this.logOffset, rng);
  }

  /** Keeps only the given rows (ascending positions among the current rows). */
  keepRows(keep: Int32Array): void {
    if (!this.attributeGates) return;
    const gates = this.attributeGates;
    const [g, ...states] = tf.tidy(() => {
      const idx = tf.tensor1d(keep, 'int32');
      return [tf.gather(gates, idx), ...this.states.map((s) => tf.gather(s, idx))];
    });
    gates.dispose();
    tf.dispose(this.states);
    this.attributeGates = g as tf.Tensor2D;
    this.states = states as tf.Tensor2D[];
    this.rows = keep.length;
  }

  /** Releases the batch's tensors. */
  end(): void {
    this.attributeGates?.dispose();
    this.attributeGates = undefined;
    tf.dispose(this.states);
    this.states = [];
    this.rows = 0;
  }

  dispose(): void {
    this.end();
    this.net.dispose();
  }
}
