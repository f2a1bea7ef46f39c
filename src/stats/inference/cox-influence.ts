/**
 * The influence function (dfbeta) of one Cox coefficient: the sandwich / robust variance of
 * `coxph(..., robust = TRUE)` without clustering, written as per-row contributions.
 */

import { TrajsimError } from '../../core/errors.js';
import { coxPh } from '../cox-ph.js';
import { sortedByTime } from '../kaplan-meier.js';
import type { InfluenceEstimate } from './survival-influence.js';

/**
 * Fits a Cox model (Efron ties, `coxPh`) and returns the coefficient of column `term` with
 * its influence function φᵢ = (I⁻¹ Uᵢ)ₖ, where Uᵢ is row i's score residual at β̂ (Breslow
 * form; Lin & Wei 1989): Uᵢ = δᵢ (xᵢ − x̄(Tᵢ)) − rᵢ Σ_{tⱼ ≤ Tᵢ} (xᵢ − x̄(tⱼ)) dⱼ / S⁰(tⱼ),
 * rᵢ = exp(β̂ᵀxᵢ), x̄ = S¹/S⁰ over the risk set, and I = Σⱼ dⱼ (S²/S⁰ − x̄x̄ᵀ) the
 * information. Σ φᵢ² is the robust (sandwich) variance of β̂ₖ.
 *
 * @param time - follow-up times (days), finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param design - covariate columns (e.g. from `coxDesign`, rows subset to its `rows`).
 * @param term - the name of the column whose coefficient (log hazard ratio) is wanted.
 * @returns β̂ₖ and φ per row (NaN estimate and zero influence when the fit fails: no events
 *   or a singular information matrix).
 * @throws TrajsimError INVALID_ARGUMENT when `term` is not a column name.
 * @example
 * const x = new Float64Array([1, 0, 1, 0, 1, 0]);
 * coxInfluence([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 1], { names: ['x'], columns: [x] }, 'x').estimate
 * // => the coefficient coxPh reports for x
 */
export function coxInfluence(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  design: { readonly names: readonly string[]; readonly columns: readonly Float64Array[] },
  term: string,
): InfluenceEstimate {
  const k = design.names.indexOf(term);
  if (k < 0) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `coxInfluence: no column ${term}; columns are ${design.names.join(', ')}`,
    );
  }
  const n = time.length;
  const p = design.columns.length;
  let beta: number[];
  try {
    const fit = coxPh(time, status, design);
    beta = fit.terms.map((t) => t.coef);
  } catch (error) {
    // A singular information matrix (a constant column in a small sample) leaves β undefined.
    if (error instanceof TrajsimError && error.message.includes('singular')) {
      return { estimate: Number.NaN, influence: new Float64Array(n) };
    }
    throw error;
  }
  const { x, risk } = centredRisks(design.columns, beta, n);
  const order = sortedByTime(time);
  // Distinct times descending: risk-set sums S0, S1, S2 of {j: T_j ≥ t}.
  const groups = tiedGroups(time, order);
  const G = groups.length;
  const s0 = new Float64Array(G);
  const s1 = new Float64Array(G * p);
  const info = new Float64Array(p * p);
  const deaths = new Float64Array(G);
  let a0 = 0;
  const a1 = new Float64Array(p);
  const a2 = new Float64Array(p * p);
  for (let g = G - 1; g >= 0; g--) {
    const { from, to } = groups[g]!;
    for (let r = from; r < to; ) {
      const i = order[r++] as number;
      const w = risk[i] as number;
      a0 += w;
      for (let c = 0; c < p; c++) {
        const xc = x[i * p + c] as number;
        a1[c] = (a1[c] as number) + w * xc;
        for (let e = 0; e < p; e++)
          a2[c * p + e] = (a2[c * p + e] as number) + w * xc * (x[i * p + e] as number);
      }
      deaths[g] = (deaths[g] as number) + (status[i] as number);
    }
    s0[g] = a0;
    for (let c = 0; c < p; c++) s1[g * p + c] = a1[c] as number;
    const d = deaths[g] as number;
    if (d > 0) {
      for (let c = 0; c < p; c++) {
        const mc = (a1[c] as number) / a0;
        for (let e = 0; e < p; e++) {
          const me = (a1[e] as number) / a0;
          info[c * p + e] =
            (info[c * p + e] as number) + d * ((a2[c * p + e] as number) / a0 - mc * me);
        }
      }
    }
  }
  const v = solveUnit(info, p, k);
  if (!v) return { estimate: Number.NaN, influence: new Float64Array(n) };
  // Forward: cumulative hazard pieces A(t) = Σ d/S0, B(t) = Σ x̄ d/S0 over event times ≤ t.
  const out = new Float64Array(n);
  let cumA = 0;
  const cumB = new Float64Array(p);
  const xbar = new Float64Array(p);
  for (let g = 0; g < G; g++) {
    const { from, to } = groups[g]!;
    const d = deaths[g] as number;
    const S0 = s0[g] as number;
    for (let c = 0; c < p; c++) xbar[c] = (s1[g * p + c] as number) / S0;
    if (d > 0) {
      cumA += d / S0;
      for (let c = 0; c < p; c++) cumB[c] = (cumB[c] as number) + ((xbar[c] as number) * d) / S0;
    }
    for (let r = from; r < to; r++) {
      const i = order[r] as number;
      const w = risk[i] as number;
      const delta = status[i] as number;
      let phi = 0;
      for (let c = 0; c < p; c++) {
        const xc = x[i * p + c] as number;
        const u = delta * (xc - (xbar[c] as number)) - w * (xc * cumA - (cumB[c] as number));
        phi += (v[c] as number) * u;
      }
      out[i] = phi;
    }
  }
  // Small-sample factor of the sandwich (HC1 on the events, the Cox model's sample size):
  // Var × d / (d − p), so that Wald intervals keep their coverage with few events per term.
  let events = 0;
  for (let i = 0; i < n; i++) events += status[i] as number;
  const factor = events > p ? Math.sqrt(events / (events - p)) : Number.NaN;
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) * factor;
  return { estimate: beta[k] as number, influence: out };
}

/** Centred covariates (row-major n×p) and relative risks exp(β·x) of every subject. */
function centredRisks(
  columns: readonly Float64Array[],
  beta: readonly number[],
  n: number,
): { x: Float64Array; risk: Float64Array } {
  const p = columns.length;
  const x = new Float64Array(n * p);
  for (let c = 0; c < p; c++) {
    const col = columns[c] as Float64Array;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += col[i] as number;
    mean /= n;
    for (let i = 0; i < n; i++) x[i * p + c] = (col[i] as number) - mean;
  }
  const risk = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let eta = 0;
    for (let c = 0; c < p; c++) eta += (beta[c] as number) * (x[i * p + c] as number);
    risk[i] = Math.exp(eta);
  }
  return { x, risk };
}

/** The runs [from, to) of equal times in `order` (subjects sorted by time). */
function tiedGroups(
  time: ArrayLike<number>,
  order: ArrayLike<number>,
): { from: number; to: number }[] {
  const n = order.length;
  const groups: { from: number; to: number }[] = [];
  for (let i = 0; i < n; ) {
    const t = time[order[i] as number] as number;
    let j = i;
    while (j < n && time[order[j] as number] === t) j++;
    groups.push({ from: i, to: j });
    i = j;
  }
  return groups;
}

/** Solves M v = e_k for a symmetric p×p matrix by Gauss–Jordan with partial pivoting. */
function solveUnit(m: Float64Array, p: number, k: number): Float64Array | undefined {
  const a = Float64Array.from(m);
  const b = new Float64Array(p);
  b[k] = 1;
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) {
      if (Math.abs(a[r * p + c] as number) > Math.abs(a[piv * p + c] as number)) piv = r;
    }
    const pv = a[piv * p + c] as number;
    if (!(Math.abs(pv) > 1e-12)) return undefined;
    if (piv !== c) {
      for (let e = 0; e < p; e++) {
        const t = a[c * p + e] as number;
        a[c * p + e] = a[piv * p + e] as number;
        a[piv * p + e] = t;
      }
      const t = b[c] as number;
      b[c] = b[piv] as number;
      b[piv] = t;
    }
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = (a[r * p + c] as number) / pv;
      if (f === 0) continue;
      for (let e = 0; e < p; e++)
        a[r * p + e] = (a[r * p + e] as number) - f * (a[c * p + e] as number);
      b[r] = (b[r] as number) - f * (b[c] as number);
    }
  }
  for (let c = 0; c < p; c++) b[c] = (b[c] as number) / (a[c * p + c] as number);
  return b;
}
