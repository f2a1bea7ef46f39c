/**
 * Event values (issue 10): which codes carry values, how a value is transformed,
 * standardised and binned for the GRU's value head, and how a value is drawn from the head's
 * bin probabilities. Pure functions over typed arrays; the network lives in gru-network.ts.
 *
 * - A code is *valued* when at least {@link VALUE_DEFAULTS.minShare} of its training events
 *   carry a value (and at least {@link VALUE_DEFAULTS.minValues} values).
 * - Transform: `log` when every training value is > 0 and the log makes the distribution
 *   less skewed (|skewness(ln v)| < |skewness(v)|), else `identity` (nafld: HDL 1.11 → −0.05,
 *   SBP 0.67 → −0.39, FIB-4 4.22 → 2.24 take the log; smoking 0/1 stays as it is).
 * - Standardised value z = (T(v) − mean) / std over the training values (what the GRU sees,
 *   clipped to ±{@link VALUE_Z_CLIP}).
 * - Bins: up to `bins` quantile bins per code, edges in data units. Integer codes (every
 *   training value an integer) get half-integer edges, so a bin holds whole numbers and a
 *   code with few levels (0/1) gets one bin per level: exact. A value is drawn as a bin, then
 *   uniformly within it (transformed scale; integers: whole numbers; tails: value-tail.ts).
 * - Missing value ("the event was recorded without a value") is one more output: the last.
 */
import type { Rng } from '../core/rng.js';
import type { Timeline } from '../timeline/types.js';
import { sampleTail, tailLogWidth, tailScale } from './value-tail.js';

/** Defaults of valued-code detection and binning. */
export const VALUE_DEFAULTS = {
  /** A code is valued when this share of its training events have a value. */
  minShare: 0.5,
  /** ... and it has at least this many values. */
  minValues: 10,
  /** Most value bins per code (the head outputs bins + 1: the last is "missing"). */
  bins: 32,
} as const;

/** Standardised inputs are clipped to ±this. */
export const VALUE_Z_CLIP = 5;

/** How one valued code's values are modelled (stored in the manifest's `values.codes`). */
export interface ValueCodeSpec {
  readonly code: string;
  readonly transform: 'log' | 'identity';
  /** Mean and standard deviation of T(value) over the training values. */
  readonly mean: number;
  readonly std: number;
  /** Every training value was an integer: draws are whole numbers. */
  readonly integer: boolean;
  /** Share of this code's training events without a value. */
  readonly missingShare: number;
  /** Bin edges in data units, increasing (bins = edges.length − 1). */
  readonly edges: readonly number[];
}

/** The value section of a model: the valued codes and the head's output width. */
export interface ValueModelSpec {
  readonly minShare: number;
  /** Output width of the value head: most bins of a code + 1 (missing). */
  readonly width: number;
  readonly codes: readonly ValueCodeSpec[];
}

function transform(spec: Pick<ValueCodeSpec, 'transform'>, v: number): number {
  return spec.transform === 'log' ? Math.log(v) : v;
}

function untransform(spec: Pick<ValueCodeSpec, 'transform'>, t: number): number {
  return spec.transform === 'log' ? Math.exp(t) : t;
}

function skewness(values: ArrayLike<number>): number {
  const n = values.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += values[i]!;
  m /= n;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - m;
    s2 += d * d;
    s3 += d * d * d;
  }
  s2 /= n;
  s3 /= n;
  return s2 > 0 ? s3 / s2 ** 1.5 : 0;
}

/** Quantile edges (data units) of sorted values: integer codes at half-integers. */
function quantileEdges(sorted: Float64Array, bins: number, integer: boolean): number[] {
  const n = sorted.length;
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  const edges: number[] = [integer ? min - 0.5 : min];
  for (let j = 1; j < bins; j++) {
    const q = sorted[Math.min(n - 1, Math.floor((j * n) / bins))]!;
    const e = integer ? q - 0.5 : q;
    if (e > edges[edges.length - 1]! && e < (integer ? max + 0.5 : max)) edges.push(e);
  }
  edges.push(integer ? max + 0.5 : max);
  if (edges.length === 2 && edges[0] === edges[1]) edges[1] = edges[0]! + 1;
  return edges;
}

/**
 * Fits the value model of a timeline's training rows: valued codes (by share), transform,
 * standardisation, integer detection, missing share and quantile bin edges per code.
 * Returns undefined when no code is valued (the model then has no value head).
 *
 * @param timeline - the training timeline (values NaN where missing).
 * @param rows - training patient rows.
 * @param codeMap - vocabulary index of each timeline code index.
 * @param vocabularyCodes - the model's output codes.
 * @param bins - most bins per code (default {@link VALUE_DEFAULTS}.bins).
 * @throws nothing.
 * @example
 * fitValueModel(timeline, train, codeMap, vocabulary.codes)?.codes.map((c) => c.code)
 * // => ['LAB:fib4', 'LAB:hdl', ...]
 */
export function fitValueModel(
  timeline: Timeline,
  rows: Int32Array,
  codeMap: Int32Array,
  vocabularyCodes: readonly string[],
  bins: number = VALUE_DEFAULTS.bins,
): ValueModelSpec | undefined {
  const V = vocabularyCodes.length;
  const events = new Float64Array(V);
  const perCode: number[][] = Array.from({ length: V }, () => []);
  const { code, value } = timeline.events;
  for (const p of rows) {
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const c = codeMap[code[e]!]!;
      events[c]! += 1;
      const v = value[e]!;
      if (Number.isFinite(v)) perCode[c]!.push(v);
    }
  }
  const specs: ValueCodeSpec[] = [];
  for (let c = 0; c < V; c++) {
    const vals = perCode[c]!;
    if (
      vals.length < VALUE_DEFAULTS.minValues ||
      vals.length < VALUE_DEFAULTS.minShare * events[c]!
    )
      continue;
    const sorted = Float64Array.from(vals).sort();
    const integer = vals.every((v) => Number.isInteger(v));
    const positive = sorted[0]! > 0 && (!integer || sorted[0]! - 0.5 > 0);
    const useLog =
      positive && Math.abs(skewness(sorted.map(Math.log))) < Math.abs(skewness(sorted));
    const t: Pick<ValueCodeSpec, 'transform'> = { transform: useLog ? 'log' : 'identity' };
    let mean = 0;
    for (const v of sorted) mean += transform(t, v);
    mean /= sorted.length;
    let s2 = 0;
    for (const v of sorted) s2 += (transform(t, v) - mean) ** 2;
    const std = Math.sqrt(s2 / sorted.length);
    specs.push({
      code: vocabularyCodes[c]!,
      transform: t.transform,
      mean,
      std: std > 1e-12 ? std : 1,
      integer,
      missingShare: 1 - vals.length / events[c]!,
      edges: quantileEdges(sorted, bins, integer),
    });
  }
  if (specs.length === 0) return undefined;
  const width = Math.max(...specs.map((s) => s.edges.length - 1)) + 1;
  return { minShare: VALUE_DEFAULTS.minShare, width, codes: specs };
}

/**
 * A value model resolved against a vocabulary: per vocabulary index its spec (or none), the
 * slot of each valued code, and the additive mask of the head's logits.
 */
export interface ResolvedValueModel {
  readonly spec: ValueModelSpec;
  /** Per vocabulary code: its spec or undefined. */
  readonly byCode: readonly (ValueCodeSpec | undefined)[];
  /** Per vocabulary code: 1 when valued (StepModel.valuedCodes). */
  readonly valued: Uint8Array;
  /** Per vocabulary code: its slot among the valued codes, −1 for none. */
  readonly slot: Int32Array;
  /** [V × width] 0 where a bin exists for the code, {@link VALUE_MASKED} where not. */
  readonly mask: Float32Array;
}

/** Logit offset of bins a code does not have (softmax weight e^−10000 = 0). */
export const VALUE_MASKED = -10000;

/**
 * Resolves a value model against the model's vocabulary (codes not in it are ignored).
 *
 * @param spec - the manifest's value section.
 * @param codes - the vocabulary's output codes.
 * @throws nothing.
 * @example
 * resolveValueModel(spec, ['DIAGNOSIS', 'LAB:hdl', 'DEATH']).valued // => Uint8Array [0, 1, 0]
 */
export function resolveValueModel(
  spec: ValueModelSpec,
  codes: readonly string[],
): ResolvedValueModel {
  const V = codes.length;
  const W = spec.width;
  const byCode: (ValueCodeSpec | undefined)[] = new Array(V).fill(undefined);
  const valued = new Uint8Array(V);
  const slot = new Int32Array(V).fill(-1);
  const mask = new Float32Array(V * W);
  let n = 0;
  for (let c = 0; c < V; c++) {
    const s = spec.codes.find((x) => x.code === codes[c]);
    if (!s) continue;
    byCode[c] = s;
    valued[c] = 1;
    slot[c] = n++;
    const bins = s.edges.length - 1;
    for (let j = bins; j < W - 1; j++) mask[c * W + j] = VALUE_MASKED;
    if (s.missingShare === 0) mask[c * W + W - 1] = VALUE_MASKED;
  }
  return { spec, byCode, valued, slot, mask };
}

/**
 * Standardised value z = (T(v) − mean) / std, clipped to ±{@link VALUE_Z_CLIP}.
 *
 * @param spec - the code's value spec.
 * @param v - the value in data units (finite).
 * @throws nothing.
 * @example
 * standardizeValue({ transform: 'identity', mean: 10, std: 2 } as ValueCodeSpec, 12) // => 1
 */
export function standardizeValue(spec: ValueCodeSpec, v: number): number {
  const t = spec.transform === 'log' ? Math.log(Math.max(v, 1e-300)) : v;
  const z = (t - spec.mean) / spec.std;
  return Math.max(-VALUE_Z_CLIP, Math.min(VALUE_Z_CLIP, z));
}

/**
 * The head's target for a value: its bin (values outside the training range go to the first
 * or last bin), or `width − 1` for a missing value; and ln of the bin's width (standardised
 * units for a continuous code, the count of whole numbers for an integer code; 0 for
 * missing), so that log P(value) = log softmax[bin] − logWidth.
 *
 * @param spec - the code's value spec.
 * @param width - the head's output width.
 * @param v - the value in data units, NaN for missing.
 * @throws nothing.
 * @example
 * valueTarget(spec, 33, Number.NaN) // => { bin: 32, logWidth: 0 }
 */
export function valueTarget(
  spec: ValueCodeSpec,
  width: number,
  v: number,
): { bin: number; logWidth: number } {
  if (!Number.isFinite(v)) return { bin: width - 1, logWidth: 0 };
  const e = spec.edges;
  const bins = e.length - 1;
  let lo = 0;
  let hi = bins - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (e[mid]! <= v) lo = mid;
    else hi = mid - 1;
  }
  return { bin: lo, logWidth: tailLogWidth(spec, lo, v) ?? Math.log(binWidth(spec, lo)) };
}

function binWidth(spec: ValueCodeSpec, j: number): number {
  const a = spec.edges[j]!;
  const b = spec.edges[j + 1]!;
  if (spec.integer) return Math.max(1, Math.round(b - a));
  return Math.max(1e-9, (transform(spec, b) - transform(spec, a)) / spec.std);
}

/**
 * Draws a value from the head's bin probabilities `probs[at .. at + width)`: one uniform picks
 * the bin (the last = missing → NaN); then one uniform (continuous code: uniform on the
 * transformed scale; a tail bin: value-tail.ts) or one `int` (integer code: a whole number).
 *
 * @param spec - the code's value spec.
 * @param probs - bin probabilities (softmax of the masked logits), row-major.
 * @param at - offset of the row.
 * @param width - the head's output width.
 * @param rng - the patient's stream.
 * @throws nothing.
 * @example
 * sampleValueFromProbabilities(smokeSpec, Float32Array.of(0, 1, 0), 0, 3, rng) // => 1
 */
export function sampleValueFromProbabilities(
  spec: ValueCodeSpec,
  probs: ArrayLike<number>,
  at: number,
  width: number,
  rng: Rng,
): number {
  const bins = spec.edges.length - 1;
  let total = probs[at + width - 1]!;
  for (let j = 0; j < bins; j++) total += probs[at + j]!;
  let u = rng.uniform() * total;
  let j = 0;
  for (; j < bins; j++) {
    u -= probs[at + j]!;
    if (u < 0) break;
  }
  if (j === bins) {
    // the missing slot (or float rounding past the last bin: the last bin when none is missing)
    if (spec.missingShare > 0 && probs[at + width - 1]! > 0) return Number.NaN;
    j = bins - 1;
  }
  const a = spec.edges[j]!;
  const b = spec.edges[j + 1]!;
  if (tailScale(spec, j) > 0) return sampleTail(spec, j, rng.uniform());
  if (spec.integer) {
    const first = Math.round(a + 0.5);
    const count = Math.max(1, Math.round(b - a));
    return first + rng.int(count);
  }
  const ta = transform(spec, a);
  const tb = transform(spec, b);
  return untransform(spec, ta + rng.uniform() * (tb - ta));
}

/**
 * Per-row "last value of each valued code" state of a batch (standardised value and a
 * "had one" flag per valued slot), kept in step with the step model's rows.
 */
export class LastValues {
  private z: Float32Array;
  private had: Uint8Array;
  private rows = 0;
  constructor(private readonly slots: number) {
    this.z = new Float32Array(0);
    this.had = new Uint8Array(0);
  }

  /** Number of rows held. */
  get size(): number {
    return this.rows;
  }

  private grow(total: number): void {
    const S = this.slots;
    if (this.z.length >= total * S) return;
    const z = new Float32Array(Math.max(total, 2 * this.rows) * S);
    const had = new Uint8Array(z.length);
    z.set(this.z.subarray(0, this.rows * S));
    had.set(this.had.subarray(0, this.rows * S));
    this.z = z;
    this.had = had;
  }

  /** Clears everything (a new batch of `rows` rows with no values). */
  start(rows: number): void {
    this.rows = 0;
    this.grow(rows);
    this.z.fill(0, 0, rows * this.slots);
    this.had.fill(0, 0, rows * this.slots);
    this.rows = rows;
  }

  /** New patients at `positions` (ascending; replaced, then appended rows). */
  replaceRows(positions: Int32Array): void {
    const S = this.slots;
    const last = positions.length > 0 ? positions[positions.length - 1]! : -1;
    const total = Math.max(this.rows, last + 1);
    this.grow(total);
    for (const k of positions) {
      this.z.fill(0, k * S, (k + 1) * S);
      this.had.fill(0, k * S, (k + 1) * S);
    }
    this.rows = total;
  }

  /** Keeps only the given rows (ascending positions). */
  keepRows(keep: Int32Array): void {
    const S = this.slots;
    for (let j = 0; j < keep.length; j++) {
      const k = keep[j]!;
      this.z.copyWithin(j * S, k * S, (k + 1) * S);
      this.had.copyWithin(j * S, k * S, (k + 1) * S);
    }
    this.rows = keep.length;
  }

  /** Records a row's observed value (standardised) of a slot. */
  set(row: number, slot: number, z: number): void {
    this.z[row * this.slots + slot] = z;
    this.had[row * this.slots + slot] = 1;
  }

  /** Writes [z, had] of (row, slot) into `out` at `at` (0, 0 for slot −1). */
  features(row: number, slot: number, out: Float32Array, at: number): void {
    if (slot < 0) {
      out[at] = 0;
      out[at + 1] = 0;
      return;
    }
    out[at] = this.z[row * this.slots + slot]!;
    out[at + 1] = this.had[row * this.slots + slot]!;
  }
}
