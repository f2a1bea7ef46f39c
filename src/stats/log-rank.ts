/**
 * The k-sample log-rank test, matching R's `survival::survdiff` with rho = 0.
 */

import { TrajsimError } from '../core/errors.js';
import { choleskyFactor, choleskySolve } from './cholesky.js';
import { labelCount, survivalOrder } from './kaplan-meier.js';
import { chiSquareUpperTail } from './normal.js';

/**
 * The log-rank (Mantel–Haenszel / Mantel–Cox) test of equal survival across groups, as
 * `survdiff(Surv(time, status) ~ group)`. At each distinct event time t with n at risk and d
 * events, group j (nⱼ at risk) expects Eⱼ += d·nⱼ/n, and the hypergeometric covariance is
 * Vⱼₗ += d (n − d)/(n − 1) · (nⱼ/n)(δⱼₗ − nₗ/n). Groups with Eⱼ = 0 are dropped, then
 * χ² = (O − E)ᵀ V⁻¹ (O − E) over all but the first remaining group, df = (remaining groups) − 1.
 *
 * With fewer than two groups that expect events the test is undefined: chisq 0, df 0, p NaN.
 *
 * @param time - follow-up times (e.g. days), finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param group - integer group ids 0..k−1 (k = max id + 1; an id with no rows has O = E = 0).
 * @returns chisq, df, p (upper tail of χ²(df)), and observed/expected events per group id.
 * @throws TrajsimError INVALID_ARGUMENT for length mismatches, bad times or statuses, a group
 *   id that is not an integer ≥ 0 (naming the index and value), or a singular variance matrix.
 * @example
 * logRankTest([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1]).chisq
 * // => 5.0516614... (p = 0.0246)
 */
export function logRankTest(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  group: ArrayLike<number>,
): { chisq: number; df: number; p: number; observed: Float64Array; expected: Float64Array } {
  const order = survivalOrder('logRankTest', time, status);
  const n = time.length;
  const k = labelCount('logRankTest', 'group', group, n, 'an integer group id >= 0');

  const atRisk = new Float64Array(k);
  for (let i = 0; i < n; i++) atRisk[group[i]!]! += 1;
  const observed = new Float64Array(k);
  const expected = new Float64Array(k);
  const variance = new Float64Array(k * k);
  const deaths = new Float64Array(k);
  const leaving = new Float64Array(k);
  let total = n;

  for (let i = 0; i < n; ) {
    const t = time[order[i]!]!;
    deaths.fill(0);
    leaving.fill(0);
    let d = 0;
    let count = 0;
    for (; i < n && time[order[i]!] === t; i++) {
      const row = order[i]!;
      const g = group[row]!;
      const s = status[row]!;
      deaths[g]! += s;
      leaving[g]! += 1;
      d += s;
      count++;
    }
    if (d > 0) {
      const factor = total > 1 ? (d * (total - d)) / (total - 1) : 0;
      for (let j = 0; j < k; j++) {
        const pj = atRisk[j]! / total;
        observed[j]! += deaths[j]!;
        expected[j]! += d * pj;
        if (factor === 0 || pj === 0) continue;
        for (let l = 0; l < k; l++) {
          const pl = atRisk[l]! / total;
          variance[j * k + l]! += factor * pj * ((j === l ? 1 : 0) - pl);
        }
      }
    }
    for (let j = 0; j < k; j++) atRisk[j]! -= leaving[j]!;
    total -= count;
  }

  // Groups that expect events; the first of them is the reference.
  const keep: number[] = [];
  for (let j = 0; j < k; j++) if (expected[j]! > 0) keep.push(j);
  if (keep.length < 2) return { chisq: 0, df: 0, p: Number.NaN, observed, expected };
  const m = keep.length - 1;
  const a = new Float64Array(m * m);
  const b = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    const jr = keep[r + 1]!;
    b[r] = observed[jr]! - expected[jr]!;
    for (let c = 0; c < m; c++) a[r * m + c] = variance[jr * k + keep[c + 1]!]!;
  }
  const x = choleskySolve(
    choleskyFactor(a, m, {
      singular: () =>
        new TrajsimError(
          'INVALID_ARGUMENT',
          'logRankTest: the variance matrix of the group statistics is singular',
        ),
    }),
    b,
    m,
  );
  let chisq = 0;
  for (let r = 0; r < m; r++) chisq += x[r]! * b[r]!;
  return { chisq, df: m, p: chiSquareUpperTail(chisq, m), observed, expected };
}
