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
import { GruNetwork } from './gru-network.js';
import {
  gapOutputWidth,
  gruShapeOf,
  LOG_DAYS_SCALE,
  recordPrevValues,
  stepInputWidth,
  valueHeadInputs,
} from './gru-shape.js';
import type { ModelManifest } from './manifest.js';
import {
  LastValues,
  type ResolvedValueModel,
  resolveValueModel,
  sampleValueFromProbabilities,
} from './value-spec.js';

/**
 * The GRU as a step-by-step sampler for a batch of patients (the StepModel of
 * src/generate). The batch's hidden states stay on the backend between steps. Each step is
 * two-stage: {@link GruStepModel.step} uploads the previous events and downloads the code
 * probabilities [rows × V]; the sampler draws the codes; {@link GruStepModel.setNextCodes}
 * evaluates the gap head for the drawn code of each row only and downloads [rows × P]. The
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
  private gapOutput: Float32Array = new Float32Array(0);
  /** Event values: the resolved value model (absent: no value head, no value draws). */
  private readonly values: ResolvedValueModel | undefined;
  /** StepModel.valuedCodes: 1 for a code whose events carry a value. */
  readonly valuedCodes?: Uint8Array;
  private readonly lastValues: LastValues;
  private valueOutput: Float32Array = new Float32Array(0);

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
    this.values = manifest.values
      ? resolveValueModel(manifest.values, manifest.vocabulary.codes)
      : undefined;
    if (this.values) this.valuedCodes = this.values.valued;
    this.lastValues = new LastValues(this.values?.spec.codes.length ?? 0);
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
    this.lastValues.start(attributes.rows);
  }

  /**
   * Puts new patients into rows `positions` (ascending; replaced rows, then appended ones from
   * `rows` on): their initial states and attribute gates, one concat + gather per call.
   */
  replaceRows(positions: Int32Array, attributes: AttributeRows): void {
    const old = this.attributeGates;
    if (!old) {
      this.start(attributes);
      return;
    }
    const width = encodedWidth(this.encoders);
    const encoded = new Float32Array(attributes.rows * width);
    encodeAttributeRows(this.encoders, attributes, encoded);
    const n = this.rows;
    const last = positions.length > 0 ? positions[positions.length - 1]! : -1;
    const total = Math.max(n, last + 1);
    // Row k of the result: row k of the old batch, or new row j where positions[j] = k.
    const index = Int32Array.from({ length: total }, (_, k) => k);
    positions.forEach((k, j) => {
      index[k] = n + j;
    });
    const [gates, ...states] = tf.tidy(() => {
      const a = tf.tensor2d(encoded, [attributes.rows, width]);
      const initial = this.net.initialStates(a);
      const idx = tf.tensor1d(index, 'int32');
      return [
        tf.gather(tf.concat([old, this.net.attributeGates(a)]), idx),
        ...this.states.map((s, l) => tf.gather(tf.concat([s, initial[l]!]), idx)),
      ];
    });
    old.dispose();
    tf.dispose(this.states);
    this.attributeGates = gates as tf.Tensor2D;
    this.states = states as tf.Tensor2D[];
    this.rows = total;
    this.lastValues.replaceRows(positions);
  }

  /**
   * One step for the current rows: previous code (V = beginning of sequence), previous gap
   * and previous day (days), and for a model with values the previous event's value (data
   * units, NaN for none). Returns the code probabilities, [rows × V].
   */
  step(
    prevCode: Int32Array,
    prevGapDays: Int32Array,
    prevDay: Int32Array,
    prevValue?: Float64Array,
  ): Float32Array {
    const n = this.rows;
    const V = this.V;
    const I = stepInputWidth(V, this.values !== undefined);
    const x = new Float32Array(n * I);
    for (let r = 0; r < n; r++) {
      x[r * I + prevCode[r]!] = 1;
      x[r * I + V + 1] = Math.log1p(prevGapDays[r]!) / LOG_DAYS_SCALE;
      x[r * I + V + 2] = Math.log1p(prevDay[r]!) / LOG_DAYS_SCALE;
    }
    if (this.values) recordPrevValues(this.values, this.lastValues, prevCode, prevValue, x, I, n);
    const gates = this.attributeGates;
    if (!gates) throw new TrajsimError('INTERNAL', 'step before start');
    const [probs, ...next] = tf.tidy(() => {
      const states = this.net.step(tf.tensor2d(x, [n, I]), gates, this.states);
      return [this.net.codeProbabilities(states[states.length - 1]!, gates), ...states];
    });
    tf.dispose(this.states);
    this.states = next as tf.Tensor2D[];
    const out = probs!.dataSync() as Float32Array;
    probs!.dispose();
    return out;
  }

  /**
   * Evaluates the gap head of the last step for one next code per current row (any valid
   * code for rows whose gap is not drawn): the second stage of a step.
   */
  setNextCodes(nextCodes: Int32Array): void {
    const top = this.states[this.states.length - 1];
    if (!top) throw new TrajsimError('INTERNAL', 'setNextCodes before step');
    const params = tf.tidy(() =>
      this.net.gapParameters(
        top,
        tf.tensor1d(nextCodes.subarray(0, this.rows), 'int32'),
        this.attributeGates,
      ),
    );
    this.gapOutput = params.dataSync() as Float32Array;
    params.dispose();
    if (this.values) {
      const prev = valueHeadInputs(this.values, this.lastValues, nextCodes, this.rows);
      const probs = tf.tidy(() =>
        this.net.valueProbabilities(
          top,
          tf.tensor1d(nextCodes.subarray(0, this.rows), 'int32'),
          tf.tensor2d(prev, [this.rows, 2]),
        ),
      );
      this.valueOutput = probs.dataSync() as Float32Array;
      probs.dispose();
    }
  }

  /**
   * Draws the value of the event whose code was set for `row` by {@link
   * GruStepModel.setNextCodes} (data units; NaN = no value recorded, or a code without values).
   */
  sampleValue(row: number, code: number, rng: Rng): number {
    const spec = this.values?.byCode[code];
    if (!this.values || !spec) return Number.NaN;
    const W = this.values.spec.width;
    return sampleValueFromProbabilities(spec, this.valueOutput, row * W, W, rng);
  }

  /** Draws the gap (days) before the code set for `row` by {@link GruStepModel.setNextCodes}. */
  sampleGapDays(row: number, _code: number, rng: Rng): number {
    const at = row * this.P;
    return this.binEdges
      ? sampleBinnedGapDays(this.gapOutput, at, this.binEdges, rng)
      : sampleGapDays(this.gapOutput, at, this.K, this.logOffset, rng);
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
    this.lastValues.keepRows(keep);
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
