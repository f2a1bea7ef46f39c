import { TrajsimError } from '../core/errors.js';
import { upperBound } from '../core/sorted-search.js';
import { normalQuantile } from '../stats/normal.js';
import { sortedQuantile } from '../stats/sample-distances.js';
import type { Attribute, AttributeSpec } from '../timeline/types.js';

/**
 * How one static attribute becomes network inputs.
 *
 * - categorical: one-hot over `levels` plus one explicit UNKNOWN slot (missing values and
 *   levels the model never saw land there); width `levels.length + 1`.
 * - numeric: `(x - mean) / std`, or with `knots` its normal score (below), and a missing
 *   indicator (value 0 and indicator 1 when missing); width 2.
 *
 * The normal score maps a value through the training values' empirical distribution onto the
 * standard normal: `knots` are increasing training quantiles, `scores` their normal scores,
 * linear in between and flat beyond the ends. A heavy tail (colon's `nodes`, up to 33 with
 * a median of 2) then stays within ±2.2 instead of reaching 9 SDs, so the network cannot
 * extrapolate a linear effect onto a few extreme patients.
 */
export type AttributeEncoding =
  | { readonly name: string; readonly kind: 'categorical'; readonly levels: readonly string[] }
  | {
      readonly name: string;
      readonly kind: 'numeric';
      readonly mean: number;
      readonly std: number;
      readonly knots?: readonly number[] | undefined;
      readonly scores?: readonly number[] | undefined;
    };

/** How numeric attributes can be encoded: standardised, or by their normal score. */
export const NUMERIC_ENCODINGS = ['standard', 'normal-score'] as const;
export type NumericEncoding = (typeof NUMERIC_ENCODINGS)[number];

/** Training quantiles a normal-score encoder keeps (at probabilities (k + ½) / 33). */
export const NORMAL_SCORE_KNOTS = 33;

/**
 * Attribute values of a batch of patients, one row per patient, one column per attribute in
 * encoder order: a categorical value is a level index into the encoder's `levels` (-1
 * missing), a numeric value is the number (NaN missing).
 */
export interface AttributeRows {
  readonly rows: number;
  readonly values: Float64Array;
}

/**
 * Number of network inputs the encoders produce.
 *
 * @example
 * encodedWidth([{ name: 'stage', kind: 'categorical', levels: ['I', 'II'] }, { name: 'age', kind: 'numeric', mean: 60, std: 10 }])
 * // => 5 (2 levels + UNKNOWN, value + missing indicator)
 */
export function encodedWidth(encoders: readonly AttributeEncoding[]): number {
  let w = 0;
  for (const e of encoders) w += e.kind === 'categorical' ? e.levels.length + 1 : 2;
  return w;
}

/**
 * Fits encoders to a timeline's attributes: categorical levels as listed, numeric mean and
 * (population) standard deviation over non-missing values (std 1 when undefined or 0).
 *
 * @example
 * fitAttributeEncoders([{ name: 'age', kind: 'numeric', values: Float64Array.of(40, 60, NaN) }])
 * // => [{ name: 'age', kind: 'numeric', mean: 50, std: 10 }]
 */
export function fitAttributeEncoders(
  attributes: readonly Attribute[],
  rows?: ArrayLike<number>,
  numeric: NumericEncoding = 'standard',
): AttributeEncoding[] {
  return attributes.map((a) => {
    if (a.kind === 'categorical') return { name: a.name, kind: 'categorical', levels: a.levels };
    const present: number[] = [];
    const count = rows ? rows.length : a.values.length;
    for (let i = 0; i < count; i++) {
      const v = a.values[rows ? rows[i]! : i]!;
      if (!Number.isNaN(v)) present.push(v);
    }
    const n = present.length;
    let sum = 0;
    let sumSq = 0;
    for (const v of present) {
      sum += v;
      sumSq += v * v;
    }
    const mean = n > 0 ? sum / n : 0;
    const variance = n > 0 ? Math.max(0, sumSq / n - mean * mean) : 0;
    const std = variance > 1e-12 ? Math.sqrt(variance) : 1;
    const ns = numeric === 'normal-score' ? normalScoreKnots(present) : undefined;
    return { name: a.name, kind: 'numeric', mean, std, ...(ns ?? {}) };
  });
}

/**
 * Knots and normal scores of a normal-score encoder: the type-7 quantiles of `values` at
 * probabilities (k + ½) / {@link NORMAL_SCORE_KNOTS}, equal quantiles merged into one knot
 * with the mean of their scores. Undefined when fewer than two distinct knots remain.
 *
 * @example
 * normalScoreKnots([1, 2, 3, 4]).knots[0] // => 1.045... (the 1.5 % quantile)
 */
export function normalScoreKnots(
  values: readonly number[],
): { knots: number[]; scores: number[] } | undefined {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n < 2) return undefined;
  const knots: number[] = [];
  const scores: number[] = [];
  let tied = 0;
  let tiedSum = 0;
  for (let k = 0; k < NORMAL_SCORE_KNOTS; k++) {
    const p = (k + 0.5) / NORMAL_SCORE_KNOTS;
    const x = sortedQuantile(sorted, p);
    const score = normalQuantile(p);
    if (knots.length > 0 && x === knots[knots.length - 1]) {
      tied++;
      tiedSum += score;
      scores[scores.length - 1] = tiedSum / tied;
    } else {
      knots.push(x);
      scores.push(score);
      tied = 1;
      tiedSum = score;
    }
  }
  return knots.length >= 2 ? { knots, scores } : undefined;
}

/** Piecewise-linear map through (xs, ys), flat beyond the ends; xs increasing. */
function piecewiseLinear(xs: readonly number[], ys: readonly number[], x: number): number {
  const last = xs.length - 1;
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[last]!) return ys[last]!;
  const hi = upperBound(xs, x); // xs[hi − 1] ≤ x < xs[hi]
  const lo = hi - 1;
  return ys[lo]! + ((x - xs[lo]!) / (xs[hi]! - xs[lo]!)) * (ys[hi]! - ys[lo]!);
}

/** The network input of numeric value `v` (not NaN) under encoder `enc`. */
function encodeNumber(enc: Extract<AttributeEncoding, { kind: 'numeric' }>, v: number): number {
  return enc.knots && enc.scores
    ? piecewiseLinear(enc.knots, enc.scores, v)
    : (v - enc.mean) / enc.std;
}

/**
 * The attribute schema (names, kinds, levels) the encoders expect.
 *
 * @example
 * encoderSchema([{ name: 'age', kind: 'numeric', mean: 60, std: 10 }]) // => [{ name: 'age', kind: 'numeric' }]
 */
export function encoderSchema(encoders: readonly AttributeEncoding[]): AttributeSpec[] {
  return encoders.map((e) =>
    e.kind === 'categorical'
      ? { name: e.name, kind: 'categorical', levels: e.levels }
      : { name: e.name, kind: 'numeric' },
  );
}

/**
 * Attribute rows of the given patient rows of a timeline, aligned to `encoders` by name
 * (columns are matched by name, never by position). Categorical levels are remapped to the
 * encoder's levels; a level the encoder does not know becomes -1 (UNKNOWN).
 * Throws INVALID_INPUT when an attribute the encoders need is absent or of another kind.
 *
 * @example
 * const rows = attributeRowsOf(manifest.encoders, timeline.patients.attributes, [0, 1, 2]);
 * rows.rows // => 3
 */
export function attributeRowsOf(
  encoders: readonly AttributeEncoding[],
  attributes: readonly Attribute[],
  patientRows: ArrayLike<number>,
): AttributeRows {
  const nA = encoders.length;
  const n = patientRows.length;
  const values = new Float64Array(n * nA);
  encoders.forEach((enc, a) => {
    const attr = attributes.find((x) => x.name === enc.name);
    if (!attr || attr.kind !== enc.kind) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `attribute '${enc.name}' (${enc.kind}) is missing from the data${attr ? ` (found ${attr.kind})` : ''}`,
        { field: enc.name },
      );
    }
    if (attr.kind === 'categorical' && enc.kind === 'categorical') {
      const remap = Int32Array.from(attr.levels, (l) => enc.levels.indexOf(l));
      for (let i = 0; i < n; i++) {
        const c = attr.codes[patientRows[i]!]!;
        values[i * nA + a] = c < 0 ? -1 : remap[c]!;
      }
    } else if (attr.kind === 'numeric') {
      for (let i = 0; i < n; i++) values[i * nA + a] = attr.values[patientRows[i]!]!;
    }
  });
  return { rows: n, values };
}

/**
 * Encodes attribute rows into `out` (row-major, `encodedWidth` floats per row, starting at
 * row `outRow`, `stride` floats between rows).
 *
 * @example
 * // encoders [{kind:'categorical', levels:['I','II']}, {kind:'numeric', mean:50, std:10}]
 * // row [1, 60] → [0, 1, 0,  1, 0]; row [-1, NaN] → [0, 0, 1,  0, 1]
 */
export function encodeAttributeRows(
  encoders: readonly AttributeEncoding[],
  rows: AttributeRows,
  out: Float32Array,
  options: { readonly stride?: number; readonly column?: number } = {},
): void {
  const nA = encoders.length;
  const width = encodedWidth(encoders);
  const stride = options.stride ?? width;
  const column = options.column ?? 0;
  for (let r = 0; r < rows.rows; r++) {
    let o = r * stride + column;
    for (let a = 0; a < nA; a++) {
      const enc = encoders[a]!;
      const v = rows.values[r * nA + a]!;
      if (enc.kind === 'categorical') {
        const k = enc.levels.length;
        for (let j = 0; j <= k; j++) out[o + j] = 0;
        const level = Number.isInteger(v) && v >= 0 && v < k ? v : k;
        out[o + level] = 1;
        o += k + 1;
      } else {
        if (Number.isNaN(v)) {
          out[o] = 0;
          out[o + 1] = 1;
        } else {
          out[o] = encodeNumber(enc, v);
          out[o + 1] = 0;
        }
        o += 2;
      }
    }
  }
}

/**
 * Decodes one encoded row back to attribute values (the inverse of
 * {@link encodeAttributeRows}; UNKNOWN becomes -1, a set missing indicator NaN).
 *
 * @example
 * decodeAttributeRow(encoders, encodeAttributeRows(encoders, rows).subarray(0, encodedWidth(encoders)))
 * // => the first row's values again (level indices, numbers)
 */
export function decodeAttributeRow(
  encoders: readonly AttributeEncoding[],
  encoded: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(encoders.length);
  let o = 0;
  encoders.forEach((enc, a) => {
    if (enc.kind === 'categorical') {
      const k = enc.levels.length;
      let level = -1;
      for (let j = 0; j < k; j++) if (encoded[o + j]! > 0.5) level = j;
      out[a] = level;
      o += k + 1;
    } else {
      const x = encoded[o]!;
      const inverse =
        enc.knots && enc.scores
          ? piecewiseLinear(enc.scores, enc.knots, x)
          : x * enc.std + enc.mean;
      out[a] = encoded[o + 1]! > 0.5 ? Number.NaN : inverse;
      o += 2;
    }
  });
  return out;
}
