// The GRU's sizes, read from a manifest, and the step-input helpers shared by the tfjs and the
// ONNX step models. No tfjs here: generation workers on the onnx engine import this, not the
// network (which loads tfjs, ~100 MiB per worker).
import { TrajsimError } from '../core/errors.js';
import { encodedWidth } from './attribute-encoder.js';
import { gapParamsPerCode } from './gap-distribution.js';
import type { ModelManifest } from './manifest.js';
import {
  type LastValues,
  type ResolvedValueModel,
  resolveValueModel,
  standardizeValue,
} from './value-spec.js';

/** Sizes that define a GRU network. */
export interface GruShape {
  /** Number of output codes V (inputs add a beginning-of-sequence token: V + 1). */
  readonly vocabularySize: number;
  /** Width of the encoded attributes. */
  readonly attributeWidth: number;
  readonly hidden: number;
  readonly layers: number;
  /** Log-logistic mixture components K of the gap head. */
  readonly mixtures: number;
  /** Width of the gap head's hidden layer. */
  readonly gapHidden: number;
  /** Added to the gap head's locations (log-days): the mean log of positive training gaps. */
  readonly gapLogOffset: number;
  /**
   * Present for the discretised gap head (see gap-distribution.ts): the day-bin edges
   * (B + 1 integers, edges[0] = 0, edges[1] = 1); the head then outputs B bin logits per code
   * and `mixtures` / `gapLogOffset` are unused. Absent: the log-logistic mixture head.
   */
  readonly gapBinEdges?: readonly number[];
  /**
   * Present for a model with event values (value-spec.ts): the value head's output width W
   * (bins + missing), its hidden width, and the [V × W] additive logit mask (bins a code lacks).
   * The step input then has two more features: the previous event's standardised value and a
   * has-value flag.
   */
  readonly valueHead?: {
    readonly width: number;
    readonly hidden: number;
    readonly mask: Float32Array;
  };
  /**
   * True for a network with an attribute skip into the heads (manifest hyperparameter
   * `attributeSkip: 1`): code logits get a·Sc and the gap head's hidden layer a·Sg, two
   * per-patient constants. Absent: the network without them (older models).
   */
  readonly attributeSkip?: boolean;
}

/**
 * Numbers per code in the gap head's output: B bin logits, or 1 + 3K mixture parameters.
 *
 * @example
 * gapOutputWidth({ ...shape, gapBinEdges: [0, 1, 2, 4] }) // => 3 (bin logits)
 */
export function gapOutputWidth(shape: GruShape): number {
  return shape.gapBinEdges ? shape.gapBinEdges.length - 1 : gapParamsPerCode(shape.mixtures);
}

/**
 * Width of the per-row attribute constants a network computes once per patient
 * ({@link GruShape}): layer 0's input gates (3H), then with an attribute skip the code-logit
 * offsets (V) and the gap head's hidden offsets (gapHidden).
 *
 * @param shape - the network's shape.
 * @throws nothing.
 * @example
 * attributeGateWidth({ ...shape, hidden: 64 }) // => 192 (no skip)
 */
export function attributeGateWidth(shape: GruShape): number {
  return 3 * shape.hidden + (shape.attributeSkip ? shape.vocabularySize + shape.gapHidden : 0);
}

/** log1p(days) is divided by this so time inputs are O(1) (log1p(3000) ≈ 8). */
export const LOG_DAYS_SCALE = 8;

/**
 * Per-step input width without attributes: previous-code one-hot (V + 1), log1p gap, log1p days,
 * and for a model with values the previous event's standardised value and a has-value flag.
 *
 * @param vocabularySize - V, the output codes.
 * @param values - whether the model has a value head (two more features).
 * @throws nothing.
 * @example
 * stepInputWidth(10) // => 13
 */
export function stepInputWidth(vocabularySize: number, values = false): number {
  return vocabularySize + (values ? 5 : 3);
}

/** A weight's name, shape and offset (in floats) inside weights.bin. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
}

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
  const values = manifest.values
    ? resolveValueModel(manifest.values, manifest.vocabulary.codes)
    : undefined;
  const valueHidden = hp['valueHidden'];
  return {
    ...(hp['attributeSkip'] === 1 ? { attributeSkip: true } : {}),
    ...(gapBinEdges ? { gapBinEdges } : {}),
    ...(values
      ? {
          valueHead: {
            width: values.spec.width,
            hidden: typeof valueHidden === 'number' ? valueHidden : num('gapHidden'),
            mask: values.mask,
          },
        }
      : {}),
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
 * Step input of a model with values: writes the previous event's standardised value and a
 * has-value flag into x (columns V + 3, V + 4 of each row) and records it as the row's last
 * value of that code. A missing value (NaN) leaves the last value as it was.
 *
 * @param vm - the resolved value model.
 * @param last - the batch's per-row last values.
 * @param prevCode - previous codes (V = beginning of sequence).
 * @param prevValue - previous values in data units (NaN: none); absent: none at all.
 * @param x - the step inputs [rows × I].
 * @param I - the step input width.
 * @param n - rows.
 * @throws nothing.
 * @example
 * recordPrevValues(vm, last, prevCode, prevValue, x, V + 5, rows) // x now holds the value features
 */
export function recordPrevValues(
  vm: ResolvedValueModel,
  last: LastValues,
  prevCode: Int32Array,
  prevValue: Float64Array | undefined,
  x: Float32Array,
  I: number,
  n: number,
): void {
  const V = vm.valued.length;
  for (let r = 0; r < n; r++) {
    const c = prevCode[r]!;
    const v = prevValue ? prevValue[r]! : Number.NaN;
    const spec = c < V ? vm.byCode[c] : undefined;
    if (!spec || !Number.isFinite(v)) continue;
    const z = standardizeValue(spec, v);
    last.set(r, vm.slot[c]!, z);
    x[r * I + I - 2] = z;
    x[r * I + I - 1] = 1;
  }
}

/**
 * The value head's second input for one next code per row: [rows, 2] = the row's last
 * standardised value of that code and a had-one flag (0, 0 for codes without values).
 *
 * @param vm - the resolved value model.
 * @param last - the batch's per-row last values.
 * @param nextCodes - the code drawn per row.
 * @param n - rows.
 * @throws nothing.
 * @example
 * valueHeadInputs(vm, last, nextCodes, rows) // => Float32Array [rows × 2]
 */
export function valueHeadInputs(
  vm: ResolvedValueModel,
  last: LastValues,
  nextCodes: Int32Array,
  n: number,
): Float32Array {
  const out = new Float32Array(2 * n);
  for (let r = 0; r < n; r++) {
    const c = nextCodes[r]!;
    last.features(r, c < vm.slot.length ? vm.slot[c]! : -1, out, 2 * r);
  }
  return out;
}
