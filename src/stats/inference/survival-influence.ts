/**
 * Influence functions of Kaplan–Meier functionals: survival at a time, restricted mean and
 * median. An estimator θ̂ is asymptotically linear, θ̂ − θ ≈ Σᵢ φᵢ; Σᵢ φᵢ² is its sandwich
 * variance and Σᵢ φᵢ ψᵢ its covariance with another estimator on the same patients.
 */

import { TrajsimError } from '../../core/errors.js';
import { kaplanMeier, survivalAt, survivalOrder } from '../kaplan-meier.js';
import { normalQuantile } from '../normal.js';
import { restrictedMean } from '../restricted-mean.js';

/** An estimate with one influence value per observation (θ̂ − θ ≈ Σ φᵢ). */
export interface InfluenceEstimate {
  /** The point estimate (NaN when undefined, e.g. a median the curve never reaches). */
  readonly estimate: number;
  /** φᵢ per input row, already divided by n: Var θ̂ ≈ Σ φᵢ² (0 for rows that do not count). */
  readonly influence: Float64Array;
}

/** A KM functional: survival at τ, or the area under the curve up to τ. */
type Functional = 'survival' | 'rmst';

/**
 * The shared pass: for each row i, the martingale integral Σ_{tⱼ ≤ τ} w(tⱼ) dMᵢ(tⱼ) / (nⱼ − dⱼ)
 * with w = 1 (survival) or w(u) = ∫ᵤ^τ S (RMST), where dMᵢ(tⱼ) = dNᵢ(tⱼ) − Yᵢ(tⱼ) dⱼ/nⱼ.
 * The product-limit form (nⱼ − dⱼ, not nⱼ) makes Σᵢ of the squared increments Greenwood's
 * dⱼ / (nⱼ (nⱼ − dⱼ)).
 */
function martingaleIntegrals(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  tauDays: number,
  functional: Functional,
  areaAfter: (t: number) => number,
): Float64Array {
  const n = time.length;
  const order = survivalOrder('survivalInfluence', time, status);
  const out = new Float64Array(n);
  let atRisk = n;
  let cumulative = 0; // Σ_{t_j ≤ u, t_j ≤ τ} w_j d_j / n_j²
  for (let i = 0; i < n; ) {
    const t = time[order[i] as number] as number;
    let d = 0;
    let j = i;
    for (; j < n && time[order[j] as number] === t; j++) d += status[order[j] as number] as number;
    const w = functional === 'survival' ? 1 : areaAfter(t);
    // Denominator n − d (not n): Σ over the risk set of the squared increments is then
    // d / (n (n − d)), Greenwood's term. n = d (everyone at risk dies) ends the curve at 0.
    const survivors = atRisk - d;
    const scale = d > 0 && t <= tauDays && survivors > 0 ? w / survivors : 0;
    if (scale > 0) cumulative += (scale * d) / atRisk;
    for (let k = i; k < j; k++) {
      const row = order[k] as number;
      const jump = (status[row] as number) === 1 ? scale : 0;
      out[row] = jump - cumulative;
    }
    atRisk -= j - i;
    i = j;
  }
  return out;
}

/**
 * Kaplan–Meier survival S(τ) and its influence function
 * φᵢ = −S(τ) Σ_{tⱼ ≤ τ} dMᵢ(tⱼ)/(nⱼ − dⱼ) (the functional delta method for the product-limit
 * estimator; Σ φᵢ² is Greenwood's variance S(τ)² Σ dⱼ/(nⱼ(nⱼ − dⱼ)) up to cross-time terms).
 *
 * @param time - follow-up times (days), finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param tauDays - the time τ (days) at which survival is read.
 * @returns S(τ) from `kaplanMeier` and φ per row.
 * @throws TrajsimError INVALID_ARGUMENT for bad times/statuses or a negative τ.
 * @example
 * const r = survivalInfluence([1, 2, 3, 4], [1, 1, 1, 1], 2);
 * r.estimate // => 0.5
 * r.influence.reduce((a, b) => a + b * b, 0) // => 0.0625 (Greenwood: 0.5² · (1/12 + 1/6))
 */
export function survivalInfluence(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  tauDays: number,
): InfluenceEstimate {
  checkTau('survivalInfluence', tauDays);
  const km = kaplanMeier(time, status);
  const s = survivalAt(km, tauDays);
  const m = martingaleIntegrals(time, status, tauDays, 'survival', () => 1);
  for (let i = 0; i < m.length; i++) m[i] = -s * (m[i] as number);
  return { estimate: s, influence: m };
}

/**
 * Restricted mean survival time μ(τ) = ∫₀^τ S(t) dt and its influence function
 * φᵢ = −Σ_{tⱼ ≤ τ} Aⱼ dMᵢ(tⱼ)/(nⱼ − dⱼ), Aⱼ = ∫_{tⱼ}^τ S(t) dt (so Σ φᵢ² ≈
 * Σ Aⱼ² dⱼ/(nⱼ(nⱼ − dⱼ)), the variance `restrictedMean` reports).
 *
 * @param time - follow-up times (days), finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param tauDays - the truncation time τ (days).
 * @returns μ(τ) in days (as `restrictedMean`) and φ per row.
 * @throws TrajsimError INVALID_ARGUMENT for bad times/statuses or a negative τ.
 * @example
 * rmstInfluence([1, 2, 3, 4], [1, 1, 1, 1], 2).estimate // => 1.75
 */
export function rmstInfluence(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  tauDays: number,
): InfluenceEstimate {
  checkTau('rmstInfluence', tauDays);
  const km = kaplanMeier(time, status);
  const total = restrictedMean(km, tauDays).value;
  // A(u) = μ(τ) − μ(u) for u ≤ τ.
  const areaAfter = (u: number): number => (u >= tauDays ? 0 : total - restrictedMean(km, u).value);
  const cache = new Map<number, number>();
  const cached = (u: number): number => {
    let v = cache.get(u);
    if (v === undefined) {
      v = areaAfter(u);
      cache.set(u, v);
    }
    return v;
  };
  const m = martingaleIntegrals(time, status, tauDays, 'rmst', cached);
  for (let i = 0; i < m.length; i++) m[i] = -(m[i] as number);
  return { estimate: total, influence: m };
}

/**
 * Kaplan–Meier median survival m and its influence function φᵢ = φᵢ[S(m)] / f̂(m): the
 * median moves by (Ŝ(m) − ½)/f(m). The density f(m) comes from the curve's quantile spread
 * (Siddiqui's sparsity estimate with the Hall–Sheather bandwidth h = n^(−1/3) z^(2/3)
 * (1.5 φ(0)²)^(1/3)): f̂ = 2h / (Q(½ + h) − Q(½ − h)), Q(p) the first time S ≤ 1 − p;
 * where the curve stops above ½ − h, the spread ends at the last event time.
 *
 * @param time - follow-up times (days), finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @returns the median (days; NaN when the curve never reaches ½, with zero influence) and φ.
 * @throws TrajsimError INVALID_ARGUMENT for bad times/statuses.
 * @example
 * medianInfluence([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1]).estimate // => 3
 */
export function medianInfluence(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
): InfluenceEstimate {
  const km = kaplanMeier(time, status);
  const median = km.median;
  const n = time.length;
  if (!Number.isFinite(median)) return { estimate: Number.NaN, influence: new Float64Array(n) };
  const z = normalQuantile(0.975);
  const phi0 = 1 / Math.sqrt(2 * Math.PI);
  const h = Math.min(0.45, n ** (-1 / 3) * z ** (2 / 3) * (1.5 * phi0 * phi0) ** (1 / 3));
  const quantile = (p: number): { t: number; p: number } => {
    for (let j = 0; j < km.time.length; j++) {
      if ((km.surv[j] as number) <= 1 - p) return { t: km.time[j] as number, p };
    }
    const last = km.time.length - 1;
    return { t: km.time[last] as number, p: 1 - (km.surv[last] as number) };
  };
  // Q(½ − h): the first time S ≤ ½ + h; Q(½ + h) or the last event time.
  const lo = quantile(0.5 - h);
  const hi = quantile(0.5 + h);
  const spread = hi.t - lo.t;
  const density = spread > 0 ? (hi.p - (0.5 - h)) / spread : Number.NaN;
  const s = survivalInfluence(time, status, median);
  const out = new Float64Array(n);
  if (!(density > 0)) return { estimate: median, influence: out.fill(Number.NaN) };
  for (let i = 0; i < n; i++) out[i] = (s.influence[i] as number) / density;
  return { estimate: median, influence: out };
}

function checkTau(fn: string, tauDays: number): void {
  if (!(tauDays >= 0 && tauDays < Number.POSITIVE_INFINITY)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `${fn}: tauDays is ${tauDays}; expected a finite number >= 0`,
    );
  }
}
