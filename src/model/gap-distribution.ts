import type { Rng } from '../core/rng.js';

/**
 * The distribution of the gap in whole days between an event and the next one, as predicted
 * by the GRU's gap head for one (state, next code) pair.
 *
 * Parameters (`GAP_PARAMS_PER_CODE(K)` = 1 + 3K numbers, raw network outputs):
 * `[zeroLogit, w_1..w_K, m_1..m_K, r_1..r_K]`.
 *
 * - P(gap = 0) = σ(zeroLogit): a point mass for same-day events.
 * - Otherwise the gap is drawn from a continuous mixture of K log-logistic distributions
 *   (mixture weights softmax(w), location μ_k = m_k + offset in log-days, scale
 *   s_k = softplus(r_k) + {@link MIN_LOG_SCALE}). The log-logistic has a closed-form CDF,
 *   F_k(x) = σ((ln x − μ_k) / s_k), so the discretisation below is exact and stable, and its
 *   tails are heavier than a log-normal's (long survival gaps).
 *
 * Continuous → days: a continuous draw X maps to the day gap d = max(1, round(X)), i.e.
 * d = 1 on (0, 1.5), d on [d − ½, d + ½) for d ≥ 2. Hence for d ≥ 1
 *
 *     P(gap = d) = (1 − σ(zeroLogit)) · Σ_k π_k · (F_k(d + ½) − F_k(lo_d)),  lo_1 = 0, lo_d = d − ½,
 *
 * which is exactly what the training loss evaluates (in log space, using
 * σ(a) − σ(b) = σ(a)·σ(−b)·(1 − e^{−(a−b)})) and what {@link sampleGapDays} draws from.
 */
export const MIN_LOG_SCALE = 0.02;

/**
 * Numbers per code in the gap head's output for K mixture components.
 *
 * @example
 * gapParamsPerCode(3) // => 10
 */
export function gapParamsPerCode(components: number): number {
  return 1 + 3 * components;
}

function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}

function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/**
 * Draws a gap in whole days from raw gap-head parameters `params[at .. at + 1 + 3K)`.
 * Uses, in order: one uniform (zero mass), then, if not zero, one uniform (component) and
 * one uniform (logistic quantile). Returns an integer >= 0.
 *
 * @example
 * sampleGapDays(Float32Array.of(-50, 0, Math.log(30), 0), 0, 1, 0, rng) // => ~30 (an integer >= 1)
 */
export function sampleGapDays(
  params: ArrayLike<number>,
  at: number,
  components: number,
  logOffset: number,
  rng: Rng,
): number {
  const K = components;
  const zeroLogit = params[at]!;
  if (rng.uniform() < 1 / (1 + Math.exp(-zeroLogit))) return 0;
  // component by softmax(w)
  let maxW = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < K; k++) maxW = Math.max(maxW, params[at + 1 + k]!);
  let total = 0;
  for (let k = 0; k < K; k++) total += Math.exp(params[at + 1 + k]! - maxW);
  let u = rng.uniform() * total;
  let k = 0;
  for (; k < K - 1; k++) {
    u -= Math.exp(params[at + 1 + k]! - maxW);
    if (u < 0) break;
  }
  const mu = params[at + 1 + K + k]! + logOffset;
  const s = softplus(params[at + 1 + 2 * K + k]!) + MIN_LOG_SCALE;
  const q = rng.uniformOpen();
  const logX = mu + s * Math.log(q / (1 - q));
  // Clamp to ~27 000 years; the sampler's horizon censors long before.
  const x = Math.exp(Math.min(logX, 23));
  return Math.max(1, Math.round(x));
}

/**
 * log P(gap = d) under raw gap-head parameters (natural log), for tests and diagnostics; the
 * training loss computes the same quantity with tensors.
 *
 * @example
 * gapLogProbability(params, 0, 3, 30, logOffset) // => ln P(gap = 30 days), a number <= 0
 */
export function gapLogProbability(
  params: ArrayLike<number>,
  at: number,
  components: number,
  logOffset: number,
  days: number,
): number {
  const K = components;
  const zeroLogit = params[at]!;
  if (days === 0) return logSigmoid(zeroLogit);
  let maxW = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < K; k++) maxW = Math.max(maxW, params[at + 1 + k]!);
  let total = 0;
  for (let k = 0; k < K; k++) total += Math.exp(params[at + 1 + k]! - maxW);
  const hi = days + 0.5;
  const lo = days === 1 ? 0 : days - 0.5;
  let mass = 0;
  for (let k = 0; k < K; k++) {
    const mu = params[at + 1 + K + k]! + logOffset;
    const s = softplus(params[at + 1 + 2 * K + k]!) + MIN_LOG_SCALE;
    const fHi = 1 / (1 + Math.exp(-(Math.log(hi) - mu) / s));
    const fLo = lo === 0 ? 0 : 1 / (1 + Math.exp(-(Math.log(lo) - mu) / s));
    mass += (Math.exp(params[at + 1 + k]! - maxW) / total) * (fHi - fLo);
  }
  return logSigmoid(-zeroLogit) + Math.log(mass);
}

/**
 * The discretised ("bins") gap head: a softmax over B bins of whole days, bin j holding the
 * days [edges[j], edges[j + 1]), edges[0] = 0, edges[1] = 1 (bin 0 is the same-day point
 * mass), edges[B] = the longest training gap + 1. Within a bin every day is equally likely:
 *
 *     P(gap = d) = softmax(logits)_j / (edges[j + 1] − edges[j]),  d in bin j,
 *
 * exact on integer days (no continuous → day rounding) and able to represent sharp peaks
 * (a visit schedule of 90 ± 15 days) that a few smooth log-logistics blur. Gaps longer than
 * the last edge are counted in the last bin by the training loss and never sampled. Standard
 * ops only (MatMul + Softmax), so the head exports to ONNX like the mixture head.
 */

/**
 * Bin edges for `bins` bins over 0..maxDays: bin 0 = day 0, then bins of width
 * max(1, ⌊c·d⌋) starting at day d (single days first, then roughly log-spaced), with the
 * smallest c that needs at most `bins` bins. Deterministic (plain double arithmetic).
 *
 * @example
 * gapBinEdges(5, 64) // => [0, 1, 2, 3, 4, 5, 6] (every day its own bin)
 */
export function gapBinEdges(maxDays: number, bins: number): number[] {
  const top = Math.max(1, Math.floor(maxDays));
  if (!(bins >= 2)) throw new RangeError(`need at least 2 gap bins, got ${bins}`);
  const edgesFor = (c: number): number[] => {
    const e = [0, 1];
    let d = 1;
    while (d <= top) {
      d = Math.min(top + 1, d + Math.max(1, Math.floor(c * d)));
      e.push(d);
    }
    return e;
  };
  if (top + 1 <= bins) return edgesFor(0);
  let lo = 0;
  let hi = 1;
  while (edgesFor(hi).length - 1 > bins) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (edgesFor(mid).length - 1 > bins) lo = mid;
    else hi = mid;
  }
  return edgesFor(hi);
}

/**
 * The bin (index into edges) holding `days`; days beyond the last edge go in the last bin.
 *
 * @example
 * gapBinOf([0, 1, 2, 4, 8], 3) // => 2 (the bin [2, 4))
 * gapBinOf([0, 1, 2, 4, 8], 100) // => 3 (the last bin)
 */
export function gapBinOf(edges: readonly number[], days: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  if (days >= edges[hi]!) return hi;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid]! <= days) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Scratch for the unnormalised bin weights of one draw (each exp computed once). */
let binWeights = new Float64Array(256);

/**
 * Draws a gap in whole days from bin logits `params[at .. at + B)`. Uses, in order: one
 * uniform (bin), then, if the bin holds more than one day, one `int` (day within the bin).
 *
 * @example
 * sampleBinnedGapDays(logits, 0, [0, 1, 2, 4, 8], new Rng('1')) // => a whole number of days in [0, 8)
 */
export function sampleBinnedGapDays(
  params: ArrayLike<number>,
  at: number,
  edges: readonly number[],
  rng: Rng,
): number {
  const B = edges.length - 1;
  if (binWeights.length < B) binWeights = new Float64Array(B);
  const w = binWeights;
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < B; j++) max = Math.max(max, params[at + j]!);
  for (let j = 0; j < B; j++) w[j] = Math.exp(params[at + j]! - max);
  // the unnormalised weights are summed in the same order there: the same draws
  return sampleBinnedGapDaysFromProbabilities(w, 0, edges, rng);
}

/**
 * {@link sampleBinnedGapDays} from bin probabilities `probs[at .. at + B)` (the softmax of the
 * logits, as the ONNX engine's gap graph outputs them): the same distribution and the same
 * draws from `rng` (one uniform for the bin, one `int` within a wider bin), without an exp
 * per bin. Results differ from the logits version only where float rounding moves a bin
 * boundary.
 *
 * @example
 * sampleBinnedGapDaysFromProbabilities(Float32Array.of(0, 1, 0), 0, [0, 1, 2, 5], rng) // => 1
 */
export function sampleBinnedGapDaysFromProbabilities(
  probs: ArrayLike<number>,
  at: number,
  edges: readonly number[],
  rng: Rng,
): number {
  const B = edges.length - 1;
  let total = 0;
  for (let j = 0; j < B; j++) total += probs[at + j]!;
  return sampleBinnedGapDaysGivenTotal(probs, at, edges, total, rng);
}

/**
 * {@link sampleBinnedGapDaysFromProbabilities} given the row's `total` (the sum of its bin
 * probabilities in bin order, as {@link rowTotals} computes it for a whole batch): the same
 * draws, bit for bit.
 *
 * @param total - probs[at] + probs[at + 1] + ... + probs[at + B − 1], summed in that order
 * @example
 * sampleBinnedGapDaysGivenTotal(Float32Array.of(0, 1, 0), 0, [0, 1, 2, 5], 1, rng) // => 1
 */
export function sampleBinnedGapDaysGivenTotal(
  probs: ArrayLike<number>,
  at: number,
  edges: readonly number[],
  total: number,
  rng: Rng,
): number {
  const B = edges.length - 1;
  let u = rng.uniform() * total;
  let j = 0;
  for (; j < B - 1; j++) {
    u -= probs[at + j]!;
    if (u < 0) break;
  }
  const width = edges[j + 1]! - edges[j]!;
  return width > 1 ? edges[j]! + rng.int(width) : edges[j]!;
}

/**
 * The sum of each row's first `width` numbers, `out[r] = probs[r·stride] + ... +
 * probs[r·stride + width − 1]` added in that order (so bit for bit the sum a sampler's own
 * loop over the row gives), for rows 0..rows − 1. Four rows are summed side by side: four
 * independent chains of additions run in parallel on the CPU where one row's chain waits on
 * each addition (the total pass of a 106-bin row costs about half).
 *
 * @param probs - row-major numbers, `stride` per row
 * @param rows - rows to sum
 * @param stride - numbers per row in `probs`
 * @param width - numbers summed per row (<= stride)
 * @param out - receives the sums (length >= rows)
 * @example
 * const out = new Float64Array(2);
 * rowTotals(Float32Array.of(1, 2, 9, 3, 4, 9), 2, 3, 2, out); // out => [3, 7]
 */
export function rowTotals(
  probs: ArrayLike<number>,
  rows: number,
  stride: number,
  width: number,
  out: Float64Array,
): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const a0 = r * stride;
    const a1 = a0 + stride;
    const a2 = a1 + stride;
    const a3 = a2 + stride;
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    for (let j = 0; j < width; j++) {
      t0 += probs[a0 + j]!;
      t1 += probs[a1 + j]!;
      t2 += probs[a2 + j]!;
      t3 += probs[a3 + j]!;
    }
    out[r] = t0;
    out[r + 1] = t1;
    out[r + 2] = t2;
    out[r + 3] = t3;
  }
  for (; r < rows; r++) {
    const at = r * stride;
    let t = 0;
    for (let j = 0; j < width; j++) t += probs[at + j]!;
    out[r] = t;
  }
}

/**
 * log P(gap = d) under bin logits (natural log); −∞ beyond the last edge.
 *
 * @example
 * binnedGapLogProbability([0, 0, 0, 0], 0, [0, 1, 2, 4, 8], 0) // => ln(1/4) (uniform bins, one day wide)
 */
export function binnedGapLogProbability(
  params: ArrayLike<number>,
  at: number,
  edges: readonly number[],
  days: number,
): number {
  const B = edges.length - 1;
  if (days < 0 || days >= edges[B]!) return Number.NEGATIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < B; j++) max = Math.max(max, params[at + j]!);
  let total = 0;
  for (let j = 0; j < B; j++) total += Math.exp(params[at + j]! - max);
  const j = gapBinOf(edges, days);
  return params[at + j]! - max - Math.log(total) - Math.log(edges[j + 1]! - edges[j]!);
}
