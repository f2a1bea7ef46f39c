import type * as Ort from 'onnxruntime-node';
import { TrajsimError } from '../core/errors.js';
import { cudaProviderUnavailable } from '../core/messages.js';
import type { Rng } from '../core/rng.js';
import {
  type AttributeEncoding,
  type AttributeRows,
  encodeAttributeRows,
  encodedWidth,
} from './attribute-encoder.js';
import { rowTotals, sampleBinnedGapDaysGivenTotal, sampleGapDays } from './gap-distribution.js';
import {
  attributeGateWidth,
  gapOutputWidth,
  gruShapeOf,
  LOG_DAYS_SCALE,
  recordPrevValues,
  valueHeadInputs,
} from './gru-shape.js';
import type { ModelManifest } from './manifest.js';
import { exportOnnx, type OnnxModelFiles } from './onnx-export.js';
import {
  cudaProviderInstalled,
  loadOnnxRuntime,
  type OnnxEngineOptions,
  type OnnxRuntime,
  sessionOptions,
} from './onnx-runtime.js';
import {
  LastValues,
  type ResolvedValueModel,
  resolveValueModel,
  sampleValueFromProbabilities,
} from './value-spec.js';

/** Whole days up to which the step's log-day feature comes from a table (~50 years). */
const LOG_DAY_TABLE_MAX = 1 << 15;

/**
 * The GRU as a step model running on ONNX Runtime (the `onnx` engine): the exported graphs
 * of src/model/onnx-export.ts, the same two-stage step and the same sampling code as the tfjs
 * {@link GruStepModel}, so both engines consume every patient's random stream identically
 * (their outputs differ only by float rounding). The batch's states live in typed arrays
 * between steps. Create with {@link OnnxStepModel.create}; call `dispose` when done.
 */
export class OnnxStepModel {
  readonly codes: readonly string[];
  private readonly ort: OnnxRuntime;
  private readonly sessions: {
    start: Ort.InferenceSession;
    step: Ort.InferenceSession;
    gap: Ort.InferenceSession;
  };
  private readonly encoders: readonly AttributeEncoding[];
  private readonly H: number;
  /** Per-row attribute constants: 3H, or 3H + V + G with an attribute skip (gru-shape.ts). */
  private readonly gateWidth: number;
  private readonly skip: boolean;
  private readonly L: number;
  private readonly P: number;
  private readonly K: number;
  private readonly logOffset: number;
  private readonly binEdges: readonly number[] | undefined;
  private rows = 0;
  private gates: Float32Array = new Float32Array(0);
  private states: Float32Array[] = [];
  private gapOutput: Float32Array = new Float32Array(0);
  /** Per row, the sum of its gap-bin probabilities (binned heads; {@link rowTotals}). */
  private gapTotals = new Float64Array(0);
  /** Reused input buffer of the step's time features. */
  private time = new Float32Array(0);
  /** Reused input buffer of the step's previous values (models with values). */
  private valueIn = new Float32Array(0);
  /** log1p(d) / LOG_DAYS_SCALE for whole days d (a cache of the step's time features). */
  private logDayTable = new Float64Array(0);
  /** Event values: the resolved value model (absent: no value head, no value draws). */
  private readonly values: ResolvedValueModel | undefined;
  /** StepModel.valuedCodes: 1 for a code whose events carry a value. */
  readonly valuedCodes?: Uint8Array;
  private readonly lastValues: LastValues;
  private valueOutput: Float32Array = new Float32Array(0);

  private constructor(
    ort: OnnxRuntime,
    manifest: ModelManifest,
    sessions: OnnxStepModel['sessions'],
  ) {
    const shape = gruShapeOf(manifest);
    this.ort = ort;
    this.sessions = sessions;
    this.codes = manifest.vocabulary.codes;
    this.encoders = manifest.encoders;
    this.H = shape.hidden;
    this.gateWidth = attributeGateWidth(shape);
    this.skip = shape.attributeSkip === true;
    this.L = shape.layers;
    this.P = gapOutputWidth(shape);
    this.K = shape.mixtures;
    this.logOffset = shape.gapLogOffset;
    this.binEdges = shape.gapBinEdges;
    this.values = manifest.values
      ? resolveValueModel(manifest.values, manifest.vocabulary.codes)
      : undefined;
    if (this.values) this.valuedCodes = this.values.valued;
    this.lastValues = new LastValues(this.values?.spec.codes.length ?? 0);
  }

  /**
   * Opens the three ONNX sessions of a GRU model: from `files` (e.g. a model folder's onnx/),
   * else exported from the weights in memory. Throws BACKEND when onnxruntime-node or the
   * asked device is unavailable, MODEL for a model without a network.
   *
   * @example
   * const sm = await OnnxStepModel.create(manifest, weights, { threads: 2 });
   */
  static async create(
    manifest: ModelManifest,
    weights: Float32Array,
    options: OnnxEngineOptions = {},
    files?: OnnxModelFiles,
  ): Promise<OnnxStepModel> {
    const ort = await loadOnnxRuntime(options.importModule);
    if (options.device === 'cuda' && !cudaProviderInstalled()) {
      throw new TrajsimError(
        'BACKEND',
        cudaProviderUnavailable('libonnxruntime_providers_cuda.so is not installed'),
      );
    }
    const bytes = files ?? exportOnnx(manifest, weights);
    const so = sessionOptions(options);
    const open = async (b: Uint8Array) => {
      try {
        return await ort.InferenceSession.create(b, so);
      } catch (cause) {
        const reason = (cause as Error)?.message?.split('\n')[0] ?? String(cause);
        throw new TrajsimError(
          'BACKEND',
          options.device === 'cuda'
            ? cudaProviderUnavailable(reason)
            : `ONNX Runtime could not open the model: ${reason}`,
          { cause },
        );
      }
    };
    const sessions = {
      start: await open(bytes.start),
      step: await open(bytes.step),
      gap: await open(bytes.gap),
    };
    return new OnnxStepModel(ort, manifest, sessions);
  }

  private tensor(data: Float32Array | Int32Array, dims: readonly number[]): Ort.Tensor {
    return data instanceof Int32Array
      ? new this.ort.Tensor('int32', data, dims)
      : new this.ort.Tensor('float32', data, dims);
  }

  /** Starts a batch from attribute rows (encoder order: level index / number, -1 / NaN missing). */
  async start(attributes: AttributeRows): Promise<void> {
    this.end();
    this.lastValues.start(0);
    await this.replaceRows(
      Int32Array.from({ length: attributes.rows }, (_, j) => j),
      attributes,
    );
  }

  /**
   * Puts new patients into rows `positions` (ascending; replaced rows, then appended ones from
   * `rows` on): their initial states and attribute gates are written in place.
   */
  async replaceRows(positions: Int32Array, attributes: AttributeRows): Promise<void> {
    const n = attributes.rows;
    const H = this.H;
    const width = encodedWidth(this.encoders);
    const encoded = new Float32Array(n * width);
    encodeAttributeRows(this.encoders, attributes, encoded);
    const out = await this.sessions.start.run({ attributes: this.tensor(encoded, [n, width]) });
    const last = positions.length > 0 ? positions[positions.length - 1]! : -1;
    const total = Math.max(this.rows, last + 1);
    const grow = (a: Float32Array, perRow: number): Float32Array => {
      if (a.length >= total * perRow) return a;
      const c = new Float32Array(Math.max(total, 2 * this.rows) * perRow);
      c.set(a.subarray(0, this.rows * perRow));
      return c;
    };
    const W = this.gateWidth;
    this.gates = grow(this.gates, W);
    this.states = Array.from({ length: this.L }, (_, l) =>
      grow(this.states[l] ?? new Float32Array(0), H),
    );
    const gates = out['attribute_gates']!.data as Float32Array;
    const states = this.states.map((_, l) => out[`state_${l}`]!.data as Float32Array);
    for (let j = 0; j < n; j++) {
      const k = positions[j]!;
      this.gates.set(gates.subarray(j * W, (j + 1) * W), k * W);
      for (let l = 0; l < this.L; l++) {
        this.states[l]!.set(states[l]!.subarray(j * H, (j + 1) * H), k * H);
      }
    }
    this.rows = total;
    this.lastValues.replaceRows(positions);
  }

  /**
   * One step for the current rows (previous code, V = beginning of sequence; previous gap and
   * day, in days). Returns the code probabilities [rows × V].
   */
  async step(
    prevCode: Int32Array,
    prevGapDays: Int32Array,
    prevDay: Int32Array,
    prevValue?: Float64Array,
  ): Promise<Float32Array> {
    const n = this.rows;
    if (this.time.length < 2 * n) this.time = new Float32Array(2 * n);
    const time = this.time.subarray(0, 2 * n);
    for (let r = 0; r < n; r++) {
      time[2 * r] = this.logDays(prevGapDays[r]!);
      time[2 * r + 1] = this.logDays(prevDay[r]!);
    }
    const feeds: Record<string, Ort.Tensor> = {
      prev_code: this.tensor(prevCode.subarray(0, n), [n]),
      time: this.tensor(time, [n, 2]),
      attribute_gates: this.tensor(this.gates.subarray(0, n * this.gateWidth), [n, this.gateWidth]),
    };
    if (this.values) {
      if (this.valueIn.length < 2 * n) this.valueIn = new Float32Array(2 * n);
      const value = this.valueIn.subarray(0, 2 * n).fill(0);
      recordPrevValues(this.values, this.lastValues, prevCode, prevValue, value, 2, n);
      feeds['value'] = this.tensor(value, [n, 2]);
    }
    // the row buffers may be longer than n rows (replaceRows grows them ahead)
    for (let l = 0; l < this.L; l++)
      feeds[`state_${l}`] = this.tensor(this.states[l]!.subarray(0, n * this.H), [n, this.H]);
    const out = await this.sessions.step.run(feeds);
    for (let l = 0; l < this.L; l++) this.states[l] = out[`state_out_${l}`]!.data as Float32Array;
    return out['code_probs']!.data as Float32Array;
  }

  /**
   * log1p(days) / LOG_DAYS_SCALE, the step's time feature (the same double as computing it:
   * whole days up to {@link LOG_DAY_TABLE_MAX} come from a table filled with that expression).
   */
  private logDays(days: number): number {
    const table = this.logDayTable;
    if (days >= 0 && days < table.length) return table[days]!;
    if (!(days >= 0 && days < LOG_DAY_TABLE_MAX)) return Math.log1p(days) / LOG_DAYS_SCALE;
    const grown = new Float64Array(
      Math.min(LOG_DAY_TABLE_MAX, Math.max(days + 1, 2 * table.length)),
    );
    grown.set(table);
    for (let d = table.length; d < grown.length; d++) grown[d] = Math.log1p(d) / LOG_DAYS_SCALE;
    this.logDayTable = grown;
    return grown[days]!;
  }

  /** The gap head for the drawn code of every current row (the second stage of a step). */
  async setNextCodes(nextCodes: Int32Array): Promise<void> {
    const n = this.rows;
    const feeds: Record<string, Ort.Tensor> = {
      state: this.tensor(this.states[this.L - 1]!.subarray(0, n * this.H), [n, this.H]),
      code: this.tensor(nextCodes.subarray(0, n), [n]),
    };
    if (this.skip) {
      feeds['attribute_gates'] = this.tensor(this.gates.subarray(0, n * this.gateWidth), [
        n,
        this.gateWidth,
      ]);
    }
    if (this.values) {
      feeds['prev_value'] = this.tensor(
        valueHeadInputs(this.values, this.lastValues, nextCodes, n),
        [n, 2],
      );
    }
    const out = await this.sessions.gap.run(feeds);
    this.gapOutput = out['gap_params']!.data as Float32Array;
    if (this.binEdges) {
      // every row's bin total in one pass, four rows at a time (the draws then walk one row)
      if (this.gapTotals.length < n)
        this.gapTotals = new Float64Array(Math.max(n, 2 * this.gapTotals.length));
      rowTotals(this.gapOutput, n, this.P, this.binEdges.length - 1, this.gapTotals);
    }
    if (this.values) this.valueOutput = out['value_probs']!.data as Float32Array;
  }

  /**
   * Draws the value of the event whose code was set for `row` by {@link
   * OnnxStepModel.setNextCodes} (data units; NaN = no value recorded, or a code without values).
   */
  sampleValue(row: number, code: number, rng: Rng): number {
    const spec = this.values?.byCode[code];
    if (!this.values || !spec) return Number.NaN;
    const W = this.values.spec.width;
    return sampleValueFromProbabilities(spec, this.valueOutput, row * W, W, rng);
  }

  /** Draws the gap (days) before the code set for `row` by {@link OnnxStepModel.setNextCodes}. */
  sampleGapDays(row: number, _code: number, rng: Rng): number {
    const at = row * this.P;
    return this.binEdges
      ? sampleBinnedGapDaysGivenTotal(this.gapOutput, at, this.binEdges, this.gapTotals[row]!, rng)
      : sampleGapDays(this.gapOutput, at, this.K, this.logOffset, rng);
  }

  /** Keeps only the given rows (ascending positions among the current rows). */
  keepRows(keep: Int32Array): void {
    const H = this.H;
    const W = this.gateWidth;
    const gates = new Float32Array(keep.length * W);
    const states = this.states.map(() => new Float32Array(keep.length * H));
    for (let j = 0; j < keep.length; j++) {
      const k = keep[j]!;
      gates.set(this.gates.subarray(k * W, (k + 1) * W), j * W);
      for (let l = 0; l < this.L; l++) {
        states[l]!.set(this.states[l]!.subarray(k * H, (k + 1) * H), j * H);
      }
    }
    this.gates = gates;
    this.states = states;
    this.rows = keep.length;
    this.lastValues.keepRows(keep);
  }

  /** Ends the batch. */
  end(): void {
    this.rows = 0;
    this.gates = new Float32Array(0);
    this.states = [];
  }

  /** Releases the ONNX sessions. */
  dispose(): void {
    this.end();
    for (const s of Object.values(this.sessions)) void s.release();
  }
}
