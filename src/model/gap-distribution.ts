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

/** Numbers per code in the gap head's output for K mixture components. */
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
