// Over 400 lines on purpose: the network's weights, its forward step, the three heads and
// their losses share one layout of tensors; splitting them would spread that layout over files.
import * as tf from '@tensorflow/tfjs';
import { TrajsimError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { MIN_LOG_SCALE } from './gap-distribution.js';
import {
  attributeGateWidth,
  type GruShape,
  gapOutputWidth,
  stepInputWidth,
  type WeightSpec,
} from './gru-shape.js';

/** One training batch as plain typed arrays (row-major), `rows` patients × `steps` steps. */
export interface SequenceBatch {
  readonly rows: number;
  readonly steps: number;
  /** [rows × steps, V + 3] step inputs (time-major within a row: index r * steps + t). */
  readonly inputs: Float32Array;
  /** [rows, attributeWidth] encoded attributes. */
  readonly attributes: Float32Array;
  /** [rows × steps, V] one-hot next code. */
  readonly targetCodes: Float32Array;
  /** [rows × steps] 1 where the next gap is 0 days. */
  readonly zeroGap: Float32Array;
  /** [rows × steps] ln(d + ½) of the next gap d (d ≥ 1; 1 used for d = 0 rows). */
  readonly logHi: Float32Array;
  /** [rows × steps] ln(d − ½), or ln(1e-20) for d = 1 (F(0) = 0). */
  readonly logLo: Float32Array;
  /** [rows × steps] 1 for real steps, 0 for padding. */
  readonly mask: Float32Array;
  /** [rows × steps] bin of the next gap (binned gap head only; 0 for padding). */
  readonly gapBin?: Int32Array;
  /** [rows × steps] ln(width of that bin in days). */
  readonly gapLogWidth?: Float32Array;
  /** Number of real steps (sum of mask). */
  readonly events: number;
  /**
   * Value head targets (models with values): [rows × steps] bin of the event's value (the last
   * bin = missing), 0 where the event's code has no value model.
   */
  readonly valueBin?: Int32Array;
  /** [rows × steps] ln(width of that bin) (see value-spec.ts valueTarget). */
  readonly valueLogWidth?: Float32Array;
  /** [rows × steps] 1 where the event's code is valued (and the step is real). */
  readonly valueMask?: Float32Array;
  /** [rows × steps, 2] the previous value of the same code (standardised) and a "had one" flag. */
  readonly valuePrev?: Float32Array;
}

interface Parameter {
  readonly name: string;
  readonly shape: number[];
  /** 'glorot' uniform, 'zeros', or explicit initial values. */
  readonly init: 'glorot' | 'zeros' | Float32Array;
}

/**
 * The GRU trajectory network, built from plain variables and standard ops (MatMul, Sigmoid,
 * Tanh, Softmax, elementwise) so its weights map one-to-one onto an ONNX GRU
 * (linear_before_reset = 1, the Keras/cuDNN "reset after" variant) and two dense heads.
 *
 * - attributes → initial hidden state of every layer: h0 = tanh(a·A_l + c_l); the attributes
 *   also enter every step of layer 0 (a·Ax, the same as concatenating them to the input).
 * - layer l: z, r, n gates; n = tanh(x·Wn + bxn + r ⊙ (h·Un + bhn)); h' = (1 − z) ⊙ n + z ⊙ h.
 * - code head: softmax(h·Wc + bc) over the V codes.
 * - gap head (conditioned on the next code c): g = tanh(h·Gh + onehot(c)·Gc + bg);
 *   params = g·Go + bo (see gap-distribution.ts). The one-hot inputs go through bias-free
 *   dense weights, never tf.layers.embedding (which the wasm backend cannot train).
 * - attribute skip (shape.attributeSkip): the code logits get + a·Sc and the gap head's g
 *   + a·Sg, both zero-initialised: a linear attribute term in every head, so the fitted head
 *   is calibrated per attribute level (the score equations of Sc) and the attributes reach
 *   the hazards without passing through the recurrence. Per patient, a·[Ax | Sc | Sg] is
 *   computed once ({@link GruNetwork.attributeGates}).
 *
 * The class owns its variables: call {@link GruNetwork.dispose}.
 */
export class GruNetwork {
  readonly shape: GruShape;
  private readonly names: string[] = [];
  private readonly vars = new Map<string, tf.Variable>();

  private constructor(shape: GruShape) {
    this.shape = shape;
  }

  /** The parameters in weights.bin order. */
  private static parameters(shape: GruShape, gapOutBias?: Float32Array): Parameter[] {
    const { vocabularySize: V, attributeWidth: A, hidden: H, layers: L, mixtures: K } = shape;
    const G = shape.gapHidden;
    const P = gapOutputWidth(shape);
    const params: Parameter[] = [];
    for (let l = 0; l < L; l++) {
      params.push({ name: `h0_${l}/kernel`, shape: [A, H], init: 'glorot' });
      params.push({ name: `h0_${l}/bias`, shape: [H], init: 'zeros' });
    }
    params.push({ name: 'gru_0/attribute_kernel', shape: [A, 3 * H], init: 'glorot' });
    for (let l = 0; l < L; l++) {
      const inWidth = l === 0 ? stepInputWidth(V, shape.valueHead !== undefined) : H;
      params.push({ name: `gru_${l}/kernel`, shape: [inWidth, 3 * H], init: 'glorot' });
      params.push({ name: `gru_${l}/recurrent_kernel`, shape: [H, 3 * H], init: 'glorot' });
      params.push({ name: `gru_${l}/input_bias`, shape: [3 * H], init: 'zeros' });
      params.push({ name: `gru_${l}/recurrent_bias`, shape: [3 * H], init: 'zeros' });
    }
    params.push({ name: 'code_head/kernel', shape: [H, V], init: 'glorot' });
    params.push({ name: 'code_head/bias', shape: [V], init: 'zeros' });
    params.push({ name: 'gap_head/state_kernel', shape: [H, G], init: 'glorot' });
    params.push({ name: 'gap_head/code_kernel', shape: [V, G], init: 'glorot' });
    params.push({ name: 'gap_head/bias', shape: [G], init: 'zeros' });
    params.push({ name: 'gap_out/kernel', shape: [G, P], init: 'glorot' });
    // Bins: the caller's initial logits (log of the training bin frequencies), else zeros.
    // Mixture: spread the locations over ±1.5 log-days around the offset, scales ≈ 1.
    const outBias = new Float32Array(P);
    if (shape.gapBinEdges) {
      if (gapOutBias && gapOutBias.length === P) outBias.set(gapOutBias);
    } else outBias[0] = -1;
    for (let k = 0; k < K && !shape.gapBinEdges; k++) {
      outBias[1 + K + k] = K === 1 ? 0 : -1.5 + (3 * k) / (K - 1);
      outBias[1 + 2 * K + k] = 0.5;
    }
    params.push({ name: 'gap_out/bias', shape: [P], init: outBias });
    const vh = shape.valueHead;
    if (vh) {
      // After every other weight: the layout of models without values is unchanged.
      params.push({ name: 'value_head/state_kernel', shape: [H, vh.hidden], init: 'glorot' });
      params.push({ name: 'value_head/code_kernel', shape: [V, vh.hidden], init: 'glorot' });
      params.push({ name: 'value_head/prev_kernel', shape: [2, vh.hidden], init: 'glorot' });
      params.push({ name: 'value_head/bias', shape: [vh.hidden], init: 'zeros' });
      params.push({ name: 'value_out/kernel', shape: [vh.hidden, vh.width], init: 'glorot' });
      params.push({ name: 'value_out/bias', shape: [vh.width], init: 'zeros' });
    }
    if (shape.attributeSkip) {
      // Last of all: models without the skip keep their layout and their random draws.
      params.push({ name: 'skip/code_kernel', shape: [A, V], init: 'zeros' });
      params.push({ name: 'skip/gap_kernel', shape: [A, G], init: 'zeros' });
    }
    return params;
  }

  /**
   * A freshly initialised network. Weights are drawn in TypeScript from `rng` (Glorot
   * uniform, U(±√(6 / (fan_in + fan_out)))), so the initial weights are identical on every
   * backend.
   */
  static create(shape: GruShape, rng: Rng, gapOutBias?: Float32Array): GruNetwork {
    const net = new GruNetwork(shape);
    for (const p of GruNetwork.parameters(shape, gapOutBias)) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      let values: Float32Array;
      if (p.init instanceof Float32Array) values = p.init;
      else if (p.init === 'zeros') values = new Float32Array(size);
      else {
        const stream = rng.fork(p.name);
        const fanIn = p.shape[0]!;
        const fanOut = p.shape[1] ?? 1;
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        values = new Float32Array(size);
        for (let i = 0; i < size; i++) values[i] = (2 * stream.uniform() - 1) * limit;
      }
      net.add(p.name, p.shape, values);
    }
    return net;
  }

  /** A network with the given weights (as exported by {@link GruNetwork.exportWeights}). */
  static fromWeights(
    shape: GruShape,
    specs: readonly WeightSpec[],
    data: Float32Array,
  ): GruNetwork {
    const expected = GruNetwork.parameters(shape);
    const net = new GruNetwork(shape);
    try {
      for (const p of expected) {
        const spec = specs.find((s) => s.name === p.name);
        const size = p.shape.reduce((a, b) => a * b, 1);
        if (
          !spec ||
          spec.shape.join('x') !== p.shape.join('x') ||
          spec.offset + size > data.length
        ) {
          throw new TrajsimError(
            'MODEL',
            `weight '${p.name}' is missing or has the wrong shape (expected [${p.shape}], found ${spec ? `[${spec.shape}]` : 'none'})`,
          );
        }
        net.add(p.name, p.shape, data.slice(spec.offset, spec.offset + size));
      }
    } catch (error) {
      net.dispose();
      throw error;
    }
    return net;
  }

  private add(name: string, shape: number[], values: Float32Array): void {
    this.names.push(name);
    const initial = tf.tensor(values, shape, 'float32');
    this.vars.set(name, tf.variable(initial, true, `${name}_${nextId()}`));
    initial.dispose();
  }

  private v(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new TrajsimError('INTERNAL', `no weight ${name}`);
    return v;
  }

  /** The trainable variables, in weights.bin order. */
  get trainable(): tf.Variable[] {
    return this.names.map((n) => this.v(n));
  }

  /** Number of scalar weights. */
  get size(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** All weights as one Float32Array with their specs (the content of weights.bin). */
  exportWeights(): { specs: WeightSpec[]; data: Float32Array } {
    const specs: WeightSpec[] = [];
    const data = new Float32Array(this.size);
    let offset = 0;
    for (const name of this.names) {
      const v = this.v(name);
      data.set(v.dataSync() as Float32Array, offset);
      specs.push({ name, shape: v.shape, offset });
      offset += v.size;
    }
    return { specs, data };
  }

  /** Overwrites all weights from an exported array (same specs order). */
  assignWeights(data: Float32Array): void {
    let offset = 0;
    for (const name of this.names) {
      const v = this.v(name);
      const t = tf.tensor(data.subarray(offset, offset + v.size), v.shape, 'float32');
      v.assign(t);
      t.dispose();
      offset += v.size;
    }
  }

  /** Initial hidden states [rows, H] of every layer from encoded attributes [rows, A]. */
  initialStates(attributes: tf.Tensor2D): tf.Tensor2D[] {
    const states: tf.Tensor2D[] = [];
    for (let l = 0; l < this.shape.layers; l++) {
      states.push(
        tf.tanh(
          tf.add(tf.matMul(attributes, this.v(`h0_${l}/kernel`)), this.v(`h0_${l}/bias`)),
        ) as tf.Tensor2D,
      );
    }
    return states;
  }

  /**
   * The per-patient attribute constants, [rows, attributeGateWidth]: layer 0's input gates
   * a·Ax (3H), then with an attribute skip the code-logit offsets a·Sc (V) and the gap head's
   * offsets a·Sg (gapHidden).
   */
  attributeGates(attributes: tf.Tensor2D): tf.Tensor2D {
    const gates = tf.matMul(attributes, this.v('gru_0/attribute_kernel')) as tf.Tensor2D;
    if (!this.shape.attributeSkip) return gates;
    return tf.concat2d(
      [
        gates,
        tf.matMul(attributes, this.v('skip/code_kernel')) as tf.Tensor2D,
        tf.matMul(attributes, this.v('skip/gap_kernel')) as tf.Tensor2D,
      ],
      1,
    );
  }

  /** The parts of {@link GruNetwork.attributeGates}: input gates, code and gap offsets. */
  private splitGates(gates: tf.Tensor2D): {
    input: tf.Tensor2D;
    code?: tf.Tensor2D;
    gap?: tf.Tensor2D;
  } {
    if (!this.shape.attributeSkip) return { input: gates };
    const { hidden: H, vocabularySize: V, gapHidden: G } = this.shape;
    if (gates.shape[1] !== attributeGateWidth(this.shape)) {
      throw new TrajsimError('INTERNAL', 'attribute gates of the wrong width');
    }
    const [input, code, gap] = tf.split(gates, [3 * H, V, G], 1) as tf.Tensor2D[];
    return { input: input!, code: code!, gap: gap! };
  }

  private cell(l: number, gx: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
    const H = this.shape.hidden;
    const gh = tf.add(
      tf.matMul(h, this.v(`gru_${l}/recurrent_kernel`)),
      this.v(`gru_${l}/recurrent_bias`),
    ) as tf.Tensor2D;
    const [xz, xr, xn] = tf.split(gx, [H, H, H], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const [hz, hr, hn] = tf.split(gh, [H, H, H], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const z = tf.sigmoid(tf.add(xz, hz));
    const r = tf.sigmoid(tf.add(xr, hr));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    return tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
  }

  /** Layer-0 input gates x·W + b + attribute gates. */
  private inputGates(l: number, x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(
      tf.matMul(x, this.v(`gru_${l}/kernel`)),
      this.v(`gru_${l}/input_bias`),
    ) as tf.Tensor2D;
  }

  /**
   * Advances every layer one step. `x` is [rows, V + 3]; returns the new states (the last
   * is the top layer's output). Call inside tf.tidy.
   */
  step(x: tf.Tensor2D, attributeGates: tf.Tensor2D, states: readonly tf.Tensor2D[]): tf.Tensor2D[] {
    const next: tf.Tensor2D[] = [];
    const gates0 = this.splitGates(attributeGates).input;
    let input = x;
    for (let l = 0; l < this.shape.layers; l++) {
      let gx = this.inputGates(l, input);
      if (l === 0) gx = tf.add(gx, gates0) as tf.Tensor2D;
      const h = this.cell(l, gx, states[l]!);
      next.push(h);
      input = h;
    }
    return next;
  }

  /**
   * Code probabilities [rows, V] from top-layer states [rows, H] and, for a network with an
   * attribute skip, the rows' {@link GruNetwork.attributeGates} (ignored without one).
   */
  codeProbabilities(h: tf.Tensor2D, attributeGates?: tf.Tensor2D): tf.Tensor2D {
    const offset = attributeGates ? this.splitGates(attributeGates).code : undefined;
    return tf.softmax(this.codeLogits(h, offset));
  }

  private codeLogits(h: tf.Tensor2D, offset?: tf.Tensor2D): tf.Tensor2D {
    const logits = tf.add(tf.matMul(h, this.v('code_head/kernel')), this.v('code_head/bias'));
    this.requireOffset(offset);
    return (offset ? tf.add(logits, offset) : logits) as tf.Tensor2D;
  }

  /** A skip network's heads need the attribute offsets: throws INTERNAL when they are absent. */
  private requireOffset(offset: tf.Tensor | undefined): void {
    if (this.shape.attributeSkip && !offset) {
      throw new TrajsimError(
        'INTERNAL',
        'a network with an attribute skip needs the attribute gates',
      );
    }
  }

  /**
   * Raw gap parameters [rows, gapOutputWidth] for one next code per row (`codes`, int32
   * [rows]): the gap head evaluated only where the sampler needs it (rows × B instead of
   * rows × V × B). The same numbers, op for op, as row r, code codes[r] of
   * {@link GruNetwork.gapParametersAllCodes}. Call inside tf.tidy.
   *
   * @example
   * tf.tidy(() => net.gapParameters(top, tf.tensor1d([2, 0], 'int32'))) // => [2, B] tensor
   */
  gapParameters(h: tf.Tensor2D, codes: tf.Tensor1D, attributeGates?: tf.Tensor2D): tf.Tensor2D {
    const fromState = this.gapFromState(h, attributeGates);
    const g = tf.tanh(tf.add(fromState, tf.gather(this.v('gap_head/code_kernel'), codes)));
    return tf.add(
      tf.matMul(g as tf.Tensor2D, this.v('gap_out/kernel')),
      this.v('gap_out/bias'),
    ) as tf.Tensor2D;
  }

  /**
   * Value-bin probabilities [rows, W] for one code per row (`codes`, int32 [rows]) given the
   * previous value of the same code (`prev`, [rows, 2]: standardised value, had-one flag):
   * softmax(tanh(h·Vh + onehot(c)·Vc + prev·Vp + bv)·Vo + vo + mask[c]). Throws INTERNAL for a
   * network without a value head. Call inside tf.tidy.
   *
   * @example
   * tf.tidy(() => net.valueProbabilities(top, tf.tensor1d([2], 'int32'), tf.zeros([1, 2]))) // => [1, W]
   */
  valueProbabilities(h: tf.Tensor2D, codes: tf.Tensor1D, prev: tf.Tensor2D): tf.Tensor2D {
    const vh = this.shape.valueHead;
    if (!vh) throw new TrajsimError('INTERNAL', 'this network has no value head');
    const mask = tf.tensor2d(vh.mask, [this.shape.vocabularySize, vh.width]);
    return tf.softmax(
      this.valueLogits(
        h,
        tf.gather(this.v('value_head/code_kernel'), codes),
        prev,
        tf.gather(mask, codes),
      ),
    );
  }

  private valueLogits(
    h: tf.Tensor2D,
    fromCode: tf.Tensor,
    prev: tf.Tensor2D,
    mask: tf.Tensor,
  ): tf.Tensor2D {
    const g = tf.tanh(
      tf.add(
        tf.add(
          tf.add(tf.matMul(h, this.v('value_head/state_kernel')), fromCode),
          tf.matMul(prev, this.v('value_head/prev_kernel')),
        ),
        this.v('value_head/bias'),
      ),
    ) as tf.Tensor2D;
    return tf.add(
      tf.add(tf.matMul(g, this.v('value_out/kernel')), this.v('value_out/bias')),
      mask,
    ) as tf.Tensor2D;
  }

  /**
   * Raw gap parameters for every possible next code: [rows × V, gapOutputWidth] (row-major by
   * row, then code). The one-stage evaluation the sampler used before {@link
   * GruNetwork.gapParameters}; kept as the reference the two-stage sampler is tested against.
   */
  gapParametersAllCodes(h: tf.Tensor2D, attributeGates?: tf.Tensor2D): tf.Tensor2D {
    const V = this.shape.vocabularySize;
    const G = this.shape.gapHidden;
    const rows = h.shape[0];
    const fromState = this.gapFromState(h, attributeGates);
    const g = tf.tanh(
      tf.add(tf.expandDims(fromState, 1), tf.expandDims(this.v('gap_head/code_kernel'), 0)),
    );
    return tf.add(
      tf.matMul(tf.reshape(g, [rows * V, G]) as tf.Tensor2D, this.v('gap_out/kernel')),
      this.v('gap_out/bias'),
    ) as tf.Tensor2D;
  }

  /** h·Gh + bg (+ a·Sg with an attribute skip): the gap head's hidden input before the code. */
  private gapFromState(h: tf.Tensor2D, attributeGates?: tf.Tensor2D): tf.Tensor2D {
    const fromState = tf.add(
      tf.matMul(h, this.v('gap_head/state_kernel')),
      this.v('gap_head/bias'),
    );
    const offset = attributeGates ? this.splitGates(attributeGates).gap : undefined;
    this.requireOffset(offset);
    return (offset ? tf.add(fromState, offset) : fromState) as tf.Tensor2D;
  }

  /**
   * Top-layer states [rows × steps, H] of a batch under teacher forcing (row-major: index
   * r · steps + t), the same recurrence as {@link GruNetwork.step}. Padded steps come after
   * a row's real steps, so they never feed a real step. Call inside tf.tidy.
   */
  private teacherForcedStates(batch: SequenceBatch): { hs: tf.Tensor2D; gates: tf.Tensor2D } {
    const { rows: B, steps: T } = batch;
    const V = this.shape.vocabularySize;
    const N = B * T;
    const attributes = tf.tensor2d(batch.attributes, [B, this.shape.attributeWidth]);
    let states = this.initialStates(attributes);
    const allGates = this.attributeGates(attributes);
    const attrGates = this.splitGates(allGates).input;
    const x = tf.tensor2d(batch.inputs, [N, stepInputWidth(V, this.shape.valueHead !== undefined)]);
    // Layer-0 input gates for all steps in one matmul, then one step at a time.
    const gx0 = tf.reshape(this.inputGates(0, x), [B, T, 3 * this.shape.hidden]);
    const gxSteps = tf.unstack(gx0, 1) as tf.Tensor2D[];
    const outputs: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const next: tf.Tensor2D[] = [];
      let input: tf.Tensor2D | undefined;
      for (let l = 0; l < this.shape.layers; l++) {
        const gx =
          l === 0 ? (tf.add(gxSteps[t]!, attrGates) as tf.Tensor2D) : this.inputGates(l, input!);
        const h = this.cell(l, gx, states[l]!);
        next.push(h);
        input = h;
      }
      states = next;
      outputs.push(input!);
    }
    const hs = tf.reshape(tf.stack(outputs, 1), [N, this.shape.hidden]) as tf.Tensor2D;
    // Every step of row r gets row r's constants (index r · T + t).
    const width = allGates.shape[1];
    const gates = tf.reshape(tf.tile(tf.expandDims(allGates, 1), [1, T, 1]), [N, width]);
    return { hs, gates: gates as tf.Tensor2D };
  }

  /**
   * Code probabilities [rows × steps, V] of every step of a batch under teacher forcing
   * (padded steps included; use the batch's mask). The same numbers the step model gives
   * when fed the real history (a test checks both, and checks calibration with them).
   * Call inside tf.tidy.
   */
  teacherForcedCodeProbabilities(batch: SequenceBatch): tf.Tensor2D {
    const { hs, gates } = this.teacherForcedStates(batch);
    return this.codeProbabilities(hs, gates);
  }

  /**
   * Code logits [rows × steps, V] of every step of a batch under teacher forcing,
   * h·Wc + bc (+ a·Sc with an attribute skip); padded steps included (use the batch's mask).
   * What the code-head refit (refit-code-head.ts) takes as its fixed offsets. Call inside
   * tf.tidy.
   *
   * @example
   * tf.tidy(() => net.teacherForcedCodeLogits(batch).dataSync()) // => rows·steps·V floats
   */
  teacherForcedCodeLogits(batch: SequenceBatch): tf.Tensor2D {
    const { hs, gates } = this.teacherForcedStates(batch);
    return this.codeLogits(hs, this.splitGates(gates).code);
  }

  /**
   * Negative log-likelihood of a batch under teacher forcing, summed over real steps and
   * divided by `normalizer` (default: the batch's events, i.e. the mean per event). Training
   * divides by a constant instead, so that every event weighs the same whatever its batch
   * (with length-bucketed batches a per-batch mean would weight the events of short
   * trajectories more). −[log P(code) + log P(gap | code)], masked. Call inside tf.tidy or
   * variableGrads.
   */
  batchLoss(
    batch: SequenceBatch,
    normalizer = batch.events,
  ): { loss: tf.Scalar; codeNll: tf.Scalar; gapNll: tf.Scalar; valueNll: tf.Scalar } {
    const mask = tf.tensor1d(batch.mask);
    const count = Math.max(1, normalizer);
    const { codeLl, gapLl, valueLl } = this.stepLogLikelihoods(batch);
    const codeNll = tf.div(tf.neg(tf.sum(tf.mul(mask, codeLl))), count) as tf.Scalar;
    const gapNll = tf.div(tf.neg(tf.sum(tf.mul(mask, gapLl))), count) as tf.Scalar;
    // valueLl is already 0 where the event has no value model (and on padding)
    const valueNll = (valueLl ? tf.div(tf.neg(tf.sum(valueLl)), count) : tf.scalar(0)) as tf.Scalar;
    const loss = (
      valueLl ? tf.add(tf.add(codeNll, gapNll), valueNll) : tf.add(codeNll, gapNll)
    ) as tf.Scalar;
    return { loss, codeNll, gapNll, valueNll };
  }

  /**
   * Log-likelihood [rows × steps] of every step of a batch under teacher forcing,
   * log P(code) + log P(gap | code); padded steps hold junk (multiply by the mask). What a
   * likelihood-based membership-inference attack scores. Call inside tf.tidy.
   */
  teacherForcedLogLikelihood(batch: SequenceBatch): tf.Tensor1D {
    const { codeLl, gapLl, valueLl } = this.stepLogLikelihoods(batch);
    const ll = tf.add(codeLl, gapLl) as tf.Tensor1D;
    return valueLl ? (tf.add(ll, valueLl) as tf.Tensor1D) : ll;
  }

  private stepLogLikelihoods(batch: SequenceBatch): {
    codeLl: tf.Tensor;
    gapLl: tf.Tensor;
    valueLl?: tf.Tensor;
  } {
    const V = this.shape.vocabularySize;
    const K = this.shape.mixtures;
    const N = batch.rows * batch.steps;
    const { hs, gates } = this.teacherForcedStates(batch);
    const { code, gap } = this.splitGates(gates);
    const targets = tf.tensor2d(batch.targetCodes, [N, V]);
    const codeLl = tf.sum(tf.mul(targets, tf.logSoftmax(this.codeLogits(hs, code))), 1);
    // The order of the sums of models without a skip is kept (their training is unchanged).
    const pre = tf.add(
      tf.add(
        tf.matMul(hs, this.v('gap_head/state_kernel')),
        tf.matMul(targets, this.v('gap_head/code_kernel')),
      ),
      this.v('gap_head/bias'),
    );
    const g = tf.tanh(gap ? tf.add(pre, gap) : pre) as tf.Tensor2D;
    const params = tf.add(
      tf.matMul(g, this.v('gap_out/kernel')),
      this.v('gap_out/bias'),
    ) as tf.Tensor2D;
    const gapLl = this.shape.gapBinEdges
      ? binnedGapLogLikelihood(params, batch)
      : gapLogLikelihood(params, K, this.shape.gapLogOffset, batch);
    const valueLl = this.shape.valueHead ? this.valueLogLikelihood(hs, targets, batch) : undefined;
    return { codeLl, gapLl, ...(valueLl ? { valueLl } : {}) };
  }

  /** Per-step log P(value | code, history), masked to valued events (0 elsewhere). */
  private valueLogLikelihood(
    hs: tf.Tensor2D,
    targets: tf.Tensor2D,
    batch: SequenceBatch,
  ): tf.Tensor1D {
    const vh = this.shape.valueHead!;
    if (!batch.valueBin || !batch.valueLogWidth || !batch.valueMask || !batch.valuePrev) {
      throw new TrajsimError('INTERNAL', 'a value head needs batches built with the value model');
    }
    const N = batch.rows * batch.steps;
    const mask = tf.tensor2d(vh.mask, [this.shape.vocabularySize, vh.width]);
    const logits = this.valueLogits(
      hs,
      tf.matMul(targets, this.v('value_head/code_kernel')),
      tf.tensor2d(batch.valuePrev, [N, 2]),
      tf.matMul(targets, mask),
    );
    const target = tf.oneHot(tf.tensor1d(batch.valueBin, 'int32'), vh.width).toFloat();
    const ll = tf.sub(
      tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1),
      tf.tensor1d(batch.valueLogWidth),
    );
    return tf.mul(ll, tf.tensor1d(batch.valueMask)) as tf.Tensor1D;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let variableCounter = 0;
function nextId(): number {
  return ++variableCounter;
}

/** log(1 − e^{−Δ}) for Δ > 0 as log(−expm1(−Δ)): accurate for small Δ, finite everywhere. */
function log1mExp(delta: tf.Tensor): tf.Tensor {
  return tf.log(tf.maximum(tf.neg(tf.expm1(tf.neg(delta))), 1e-30));
}

/**
 * Per-row log P(gap) of the binned head: log softmax(logits)[bin] − ln(bin width), i.e. the
 * probability of the exact day (uniform within its bin).
 */
function binnedGapLogLikelihood(logits: tf.Tensor2D, batch: SequenceBatch): tf.Tensor1D {
  if (!batch.gapBin || !batch.gapLogWidth) {
    throw new TrajsimError('INTERNAL', 'a binned gap head needs batches built with the bin edges');
  }
  const B = logits.shape[1];
  const target = tf.oneHot(tf.tensor1d(batch.gapBin, 'int32'), B).toFloat();
  const ll = tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1);
  return tf.sub(ll, tf.tensor1d(batch.gapLogWidth)) as tf.Tensor1D;
}

/** Per-row log P(gap) (see gap-distribution.ts for the distribution and its discretisation). */
function gapLogLikelihood(
  params: tf.Tensor2D,
  K: number,
  logOffset: number,
  batch: SequenceBatch,
): tf.Tensor1D {
  const N = params.shape[0];
  const [zeroLogit, weights, locRaw, scaleRaw] = tf.split(params, [1, K, K, K], 1) as tf.Tensor2D[];
  const mu = tf.add(locRaw!, logOffset);
  const s = tf.add(tf.softplus(scaleRaw!), MIN_LOG_SCALE);
  const logHi = tf.tensor2d(batch.logHi, [N, 1]);
  const logLo = tf.tensor2d(batch.logLo, [N, 1]);
  const a = tf.div(tf.sub(logHi, mu), s);
  const b = tf.div(tf.sub(logLo, mu), s);
  const delta = tf.div(tf.sub(logHi, logLo), s);
  // log(F(hi) − F(lo)) = log σ(a) + log σ(−b) + log(1 − e^{−(a − b)})
  const logComponent = tf.add(
    tf.add(tf.neg(tf.softplus(tf.neg(a))), tf.neg(tf.softplus(b))),
    log1mExp(delta),
  );
  const logMix = tf.logSumExp(tf.add(tf.logSoftmax(weights!), logComponent), 1);
  const z = tf.reshape(zeroLogit!, [N]);
  const zero = tf.tensor1d(batch.zeroGap);
  const logZero = tf.neg(tf.softplus(tf.neg(z)));
  const logPositive = tf.add(tf.neg(tf.softplus(z)), logMix);
  return tf.add(tf.mul(zero, logZero), tf.mul(tf.sub(1, zero), logPositive)) as tf.Tensor1D;
}
