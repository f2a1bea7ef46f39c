import type { Rng } from '../core/rng.js';
import type { Timeline } from '../timeline/types.js';

/**
 * The Markov baseline's per-code value model (issue 10): the baseline the GRU's value head is
 * compared against. For each valued code, the value of an event is drawn from the empirical
 * distribution of that code's training values (missing share kept), conditioned on the bin of
 * the previous recorded value of the same code in the patient.
 */

/** A code is valued when at least this share of its training events carries a value. */
export const VALUED_CODE_MIN_SHARE = 0.5;
/** Quantile bins of the previous value of the same code (plus one bin for "none before"). */
export const MARKOV_VALUE_BINS = 5;
/** A previous-value bin with fewer events than this uses the code's pooled distribution. */
export const MARKOV_MIN_BIN_VALUES = 20;

/** An empirical value distribution: sorted distinct values, their counts, and the events with no value. */
export interface ValueHistogram {
  readonly values: number[];
  readonly counts: number[];
  readonly missing: number;
}

/** The value model of one valued code. */
export interface MarkovCodeValues {
  /** Vocabulary index of the code. */
  readonly code: number;
  /** Ascending cut points of the previous value; bin 1 + (number of cuts <= previous value). */
  readonly cuts: number[];
  /** By previous-value bin: [0] "none before", [1..cuts.length + 1]; null: too few events, use `pooled`. */
  readonly bins: (ValueHistogram | null)[];
  readonly pooled: ValueHistogram;
}

/** The value section of markov.json (absent in models without valued codes or older models). */
export interface MarkovValueParameters {
  readonly minShare: number;
  readonly bins: number;
  readonly codes: MarkovCodeValues[];
}

/**
 * The bin of a previous value: 0 for none (NaN), else 1 + the number of cuts <= `prev`.
 *
 * @param prev - the previous recorded value of the code (data units), NaN for none
 * @param cuts - ascending cut points
 * @example
 * previousValueBin(55, [40, 50, 60]) // => 3
 * previousValueBin(Number.NaN, [40]) // => 0
 */
export function previousValueBin(prev: number, cuts: ArrayLike<number>): number {
  if (Number.isNaN(prev)) return 0;
  let b = 1;
  for (let i = 0; i < cuts.length; i++) if (prev >= cuts[i]!) b++;
  return b;
}

function histogram(values: number[], missing: number): ValueHistogram {
  const m = new Map<number, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  const sorted = [...m.keys()].sort((a, b) => a - b);
  return { values: sorted, counts: sorted.map((v) => m.get(v)!), missing };
}

/** Distinct quantile cut points at k / bins (k = 1..bins − 1) of sorted values (type 1, lower). */
function quantileCuts(sorted: Float64Array, bins: number): number[] {
  const cuts: number[] = [];
  for (let k = 1; k < bins; k++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / bins))]!;
    if (cuts.length === 0 || v > cuts[cuts.length - 1]!) cuts.push(v);
  }
  // A cut at the minimum would leave its lower bin empty.
  return cuts.filter((c) => c > sorted[0]!);
}

/**
 * Valued codes of the vocabulary: codes whose training events carry a value in at least
 * {@link VALUED_CODE_MIN_SHARE} of them (the same rule as the GRU's value head).
 *
 * @param timeline - the training timeline
 * @param train - training patient indices
 * @param codeMap - timeline code index → vocabulary index
 * @param V - vocabulary size
 * @returns 1 for a valued vocabulary code, else 0
 * @example
 * valuedVocabularyCodes(nafld, train, codeMap, V)[codeOf('LAB:hdl')] // => 1
 */
export function valuedVocabularyCodes(
  timeline: Timeline,
  train: Int32Array,
  codeMap: ArrayLike<number>,
  V: number,
): Uint8Array {
  const total = new Float64Array(V);
  const withValue = new Float64Array(V);
  const { code, value } = timeline.events;
  for (const p of train) {
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const c = codeMap[code[e]!]!;
      total[c]!++;
      if (!Number.isNaN(value[e]!)) withValue[c]!++;
    }
  }
  return Uint8Array.from(total, (t, c) =>
    t > 0 && withValue[c]! / t >= VALUED_CODE_MIN_SHARE ? 1 : 0,
  );
}

/**
 * Fits the per-code value model on the training patients: for each valued code, quantile
 * cuts of its values, and the empirical distribution of its values (with the missing count)
 * by bin of the previous recorded value of the same code in the patient ("none before" is
 * bin 0). Returns undefined when no code is valued (the model then makes no value draws).
 *
 * @param timeline - the training timeline
 * @param train - training patient indices
 * @param codeMap - timeline code index → vocabulary index
 * @param V - vocabulary size
 * @example
 * fitMarkovValues(nafld, train, codeMap, V)?.codes.length // => the number of valued codes
 */
export function fitMarkovValues(
  timeline: Timeline,
  train: Int32Array,
  codeMap: ArrayLike<number>,
  V: number,
): MarkovValueParameters | undefined {
  const valued = valuedVocabularyCodes(timeline, train, codeMap, V);
  const codes: number[] = [];
  valued.forEach((v, c) => {
    if (v) codes.push(c);
  });
  if (codes.length === 0) return undefined;
  const { code, value } = timeline.events;
  // Pass 1: the values of each code, for the cuts.
  const all = codes.map(() => [] as number[]);
  const slot = new Int32Array(V).fill(-1);
  codes.forEach((c, k) => {
    slot[c] = k;
  });
  for (const p of train) {
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const k = slot[codeMap[code[e]!]!]!;
      if (k >= 0 && !Number.isNaN(value[e]!)) all[k]!.push(value[e]!);
    }
  }
  const cuts = all.map((vs) => quantileCuts(Float64Array.from(vs).sort(), MARKOV_VALUE_BINS));
  // Pass 2: values by previous-value bin.
  const binValues = codes.map((_, k) =>
    Array.from({ length: cuts[k]!.length + 2 }, () => [] as number[]),
  );
  const binMissing = codes.map((_, k) => new Float64Array(cuts[k]!.length + 2));
  const last = new Float64Array(codes.length);
  for (const p of train) {
    last.fill(Number.NaN);
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const k = slot[codeMap[code[e]!]!]!;
      if (k < 0) continue;
      const b = previousValueBin(last[k]!, cuts[k]!);
      const v = value[e]!;
      if (Number.isNaN(v)) binMissing[k]![b]!++;
      else {
        binValues[k]![b]!.push(v);
        last[k] = v;
      }
    }
  }
  return {
    minShare: VALUED_CODE_MIN_SHARE,
    bins: MARKOV_VALUE_BINS,
    codes: codes.map((c, k) => {
      const bins = binValues[k]!.map((vs, b) =>
        vs.length + binMissing[k]![b]! >= MARKOV_MIN_BIN_VALUES
          ? histogram(vs, binMissing[k]![b]!)
          : null,
      );
      const missing = binMissing[k]!.reduce((s, x) => s + x, 0);
      return { code: c, cuts: cuts[k]!, bins, pooled: histogram(all[k]!, missing) };
    }),
  };
}

/** A histogram ready for inverse-CDF draws: cumulative[0] = missing, cumulative[i + 1] up to values[i]. */
interface CumulativeValues {
  readonly values: Float64Array;
  readonly cumulative: Float64Array;
}

function cumulativeOf(h: ValueHistogram): CumulativeValues {
  const cumulative = new Float64Array(h.values.length + 1);
  let s = h.missing;
  cumulative[0] = s;
  h.counts.forEach((c, i) => {
    s += c;
    cumulative[i + 1] = s;
  });
  return { values: Float64Array.from(h.values), cumulative };
}

/**
 * The per-row state of the value model during generation: the last recorded value of each
 * valued code per row, updated from the events the sampler feeds back (`observe`), and the
 * draws of `sample` (one uniform per value).
 *
 * @example
 * const s = new MarkovValueSampler(params, V);
 * s.start(rows); s.observe(prevCode, prevValue); s.sample(row, code, rng); // a value or NaN
 */
export class MarkovValueSampler {
  /** 1 for a valued vocabulary code. */
  readonly valuedCodes: Uint8Array;
  private readonly slot: Int32Array;
  private readonly cuts: Float64Array[];
  /** [slot][bin] */
  private readonly tables: CumulativeValues[][];
  private last = new Float64Array(0);
  private rows = 0;

  constructor(params: MarkovValueParameters, V: number) {
    this.valuedCodes = new Uint8Array(V);
    this.slot = new Int32Array(V).fill(-1);
    this.cuts = params.codes.map((c) => Float64Array.from(c.cuts));
    this.tables = params.codes.map((c, k) => {
      this.valuedCodes[c.code] = 1;
      this.slot[c.code] = k;
      const pooled = cumulativeOf(c.pooled);
      return c.bins.map((h) => (h ? cumulativeOf(h) : pooled));
    });
  }

  private get width(): number {
    return this.cuts.length;
  }

  /** Starts `rows` rows with no previous values. */
  start(rows: number): void {
    this.rows = rows;
    this.last = new Float64Array(rows * this.width).fill(Number.NaN);
  }

  /** New patients at `positions` (ascending; may append rows): their previous values are cleared. */
  replaceRows(positions: Int32Array): void {
    const w = this.width;
    const lastPos = positions.length > 0 ? positions[positions.length - 1]! : -1;
    const rows = Math.max(this.rows, lastPos + 1);
    if (rows > this.rows) {
      const grown = new Float64Array(rows * w).fill(Number.NaN);
      grown.set(this.last.subarray(0, this.rows * w));
      this.last = grown;
      this.rows = rows;
    }
    for (const k of positions) this.last.fill(Number.NaN, k * w, (k + 1) * w);
  }

  /** Keeps only the given rows (ascending positions). */
  keepRows(keep: Int32Array): void {
    const w = this.width;
    const last = new Float64Array(keep.length * w);
    keep.forEach((k, i) => {
      last.set(this.last.subarray(k * w, (k + 1) * w), i * w);
    });
    this.last = last;
    this.rows = keep.length;
  }

  /** Records each row's previous event value (NaN values and unvalued codes leave the state). */
  observe(prevCode: Int32Array, prevValue: Float64Array | undefined): void {
    if (!prevValue) return;
    const w = this.width;
    for (let r = 0; r < this.rows; r++) {
      const k = this.slot[prevCode[r]!] ?? -1;
      const v = prevValue[r]!;
      if (k >= 0 && !Number.isNaN(v)) this.last[r * w + k] = v;
    }
  }

  /**
   * Draws the value of `code` for `row`: one uniform, inverse CDF of the bin's histogram,
   * NaN for a missing value (or a code without a value model, with no draw).
   */
  sample(row: number, code: number, rng: Rng): number {
    const k = this.slot[code] ?? -1;
    if (k < 0) return Number.NaN;
    const bin = previousValueBin(this.last[row * this.width + k]!, this.cuts[k]!);
    const h = this.tables[k]![bin]!;
    const c = h.cumulative;
    const target = rng.uniform() * c[c.length - 1]!;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return lo === 0 ? Number.NaN : h.values[lo - 1]!;
  }
}
