/**
 * Cumulative incidence of competing risks by the Aalen–Johansen estimator, matching R's
 * multi-state `survfit(Surv(time, factor(cause)) ~ 1)`.
 */

import { checkTimes, labelCount, sortedByTime } from './kaplan-meier.js';

const CAUSE_EXPECTED = '0 (censored) or an integer cause >= 1';

/**
 * The Aalen–Johansen cumulative incidence function of each cause (Aalen & Johansen 1978):
 * at each distinct event time tₗ with nₗ at risk, dₗ events in all and d_cₗ of cause c,
 * λₗ = dₗ/nₗ, F_c(tₗ) = F_c(tₗ₋₁) + S(tₗ₋₁)·d_cₗ/nₗ and S(tₗ) = S(tₗ₋₁)(1 − λₗ), where S is the
 * all-cause Kaplan–Meier curve — R's `survfit(Surv(time, factor(cause)) ~ 1)` `pstate`
 * (the cmprsk-style CIF).
 *
 * Standard errors are survfit's infinitesimal-jackknife ones, Var F_c(t) = Σᵢ Uᵢ(t)², where
 * Uᵢ is observation i's influence. With no weights or clustering this sums in closed form over
 * event times (the cross terms are martingale increments and vanish):
 * Var F_c(t) = Σ_{tₗ ≤ t} nₗ⁻² [d_cₗ(A(1−λ_cₗ) − B(1−λₗ))² + (dₗ−d_cₗ)(Aλ_cₗ + B(1−λₗ))² +
 * (nₗ−dₗ)(Aλ_cₗ − Bλₗ)²], with A = S(tₗ₋₁), λ_cₗ = d_cₗ/nₗ, B = (F_c(t) − F_c(tₗ))/(1 − λₗ)
 * (B = 0 when λₗ = 1). Because it is quadratic in F_c(t), three running sums give every time
 * in one pass.
 *
 * @param time - follow-up times (e.g. days), finite and ≥ 0.
 * @param cause - 0 censored, 1..k the cause of the event (k = the largest cause seen).
 * @returns `time`: distinct times with at least one event of any cause, ascending; `causes`:
 *   k; `cif[c - 1][j]` and `stdErr[c - 1][j]`: F_c and its standard error at `time[j]`.
 * @throws TrajsimError INVALID_ARGUMENT for a length mismatch, a negative, NaN or infinite
 *   time, or a cause that is not an integer ≥ 0 (naming the index and value).
 * @example
 * const r = cumulativeIncidence([1, 2, 2, 3, 4, 5], [1, 2, 0, 1, 0, 2]);
 * r.time // => Float64Array [1, 2, 3, 5]
 * r.cif[0] // => Float64Array [1/6, 1/6, 7/18, 7/18]
 */
export function cumulativeIncidence(
  time: ArrayLike<number>,
  cause: ArrayLike<number>,
): { time: Float64Array; causes: number; cif: Float64Array[]; stdErr: Float64Array[] } {
  const n = time.length;
  const labels = labelCount('cumulativeIncidence', 'cause', cause, n, CAUSE_EXPECTED);
  checkTimes('cumulativeIncidence', time);
  const k = Math.max(0, labels - 1);
  const order = sortedByTime(time);

  // Distinct event times.
  let m = 0;
  for (let i = 0; i < n; ) {
    const t = time[order[i]!]!;
    let any = false;
    for (; i < n && time[order[i]!] === t; i++) {
      if (cause[order[i]!]! > 0) any = true;
    }
    if (any) m++;
  }

  const times = new Float64Array(m);
  const cif: Float64Array[] = [];
  const stdErr: Float64Array[] = [];
  for (let c = 0; c < k; c++) {
    cif.push(new Float64Array(m));
    stdErr.push(new Float64Array(m));
  }
  const dc = new Float64Array(k); // events of each cause at the current time
  const f = new Float64Array(k); // F_c
  // Var F_c(t) = c0 + c1 F_c(t) + c2 F_c(t)^2, accumulated over event times.
  const c0 = new Float64Array(k);
  const c1 = new Float64Array(k);
  const c2 = new Float64Array(k);
  let s = 1;
  let atRisk = n;
  let j = 0;
  for (let i = 0; i < n; ) {
    const t = time[order[i]!]!;
    dc.fill(0);
    let d = 0;
    let count = 0;
    for (; i < n && time[order[i]!] === t; i++) {
      const c = cause[order[i]!]!;
      if (c > 0) {
        dc[c - 1]! += 1;
        d++;
      }
      count++;
    }
    if (d > 0) {
      const nl = atRisk;
      const lambda = d / nl;
      const r = lambda < 1 ? 1 / (1 - lambda) : 0;
      const a = s; // S(t_{l-1})
      const inv2 = 1 / (nl * nl);
      for (let c = 0; c < k; c++) {
        const dcl = dc[c]!;
        const lc = dcl / nl;
        const fl = f[c]! + a * lc;
        f[c] = fl;
        // Each group's term is (alpha + beta * B)^2 with B = r (u - fl), u = F_c(t):
        // (alpha - beta r fl) + (beta r) u.
        addSquare(c, dcl * inv2, a * (1 - lc), -(1 - lambda) * r, fl);
        addSquare(c, (d - dcl) * inv2, a * lc, (1 - lambda) * r, fl);
        addSquare(c, (nl - d) * inv2, a * lc, -lambda * r, fl);
      }
      s *= 1 - lambda;
      times[j] = t;
      for (let c = 0; c < k; c++) {
        const u = f[c]!;
        const v = c0[c]! + c1[c]! * u + c2[c]! * u * u;
        cif[c]![j] = u;
        stdErr[c]![j] = Math.sqrt(Math.max(v, 0));
      }
      j++;
    }
    atRisk -= count;
  }
  return { time: times, causes: k, cif, stdErr };

  function addSquare(c: number, weight: number, alpha: number, betaR: number, fl: number): void {
    if (weight === 0) return;
    const p = alpha - betaR * fl;
    c0[c]! += weight * p * p;
    c1[c]! += weight * 2 * p * betaR;
    c2[c]! += weight * betaR * betaR;
  }
}
