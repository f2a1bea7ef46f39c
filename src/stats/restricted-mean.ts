/**
 * Restricted mean survival time (RMST) of a Kaplan–Meier curve, matching
 * `print(survfit, rmean = tau)` in R's `survival`.
 */

import { TrajsimError } from '../core/errors.js';
import type { KaplanMeierResult } from './kaplan-meier.js';

/**
 * The restricted mean survival time μ(τ) = ∫₀^τ S(t) dt of a Kaplan–Meier curve and its
 * standard error, as `print(survfit, rmean = tau)` / `summary(fit, rmean = tau)$table`:
 * Var μ(τ) = Σ_{tᵢ ≤ τ} Aᵢ² dᵢ / (nᵢ (nᵢ − dᵢ)), where Aᵢ = ∫_{tᵢ}^τ S(t) dt (the Greenwood
 * form of the Kaplan–Meier mean's variance; terms with nᵢ = dᵢ are 0, as survfit). Past the
 * last event time the curve is carried flat to τ. Integration starts at 0.
 *
 * R refuses τ below the smallest observed time; here any τ ≥ 0 is accepted (before the first
 * event μ(τ) = τ with standard error 0).
 *
 * @param km - a curve from `kaplanMeier`.
 * @param tauDays - the truncation time τ, in the curve's time units (days in trajsim), ≥ 0.
 * @returns `tau`, `value` = μ(τ) (same units) and `se` its standard error.
 * @throws TrajsimError INVALID_ARGUMENT when tauDays is negative, NaN or infinite.
 * @example
 * restrictedMean(kaplanMeier([1, 2, 3, 4], [1, 1, 1, 1]), 2)
 * // => { tau: 2, value: 1.75, se: 0.21650635094610965 }
 */
export function restrictedMean(
  km: KaplanMeierResult,
  tauDays: number,
): { tau: number; value: number; se: number } {
  if (!(tauDays >= 0 && tauDays < Number.POSITIVE_INFINITY)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `restrictedMean: tauDays is ${tauDays}; expected a finite number >= 0`,
    );
  }
  const { time, surv, nRisk, nEvent } = km;
  // Number of event times within [0, tau].
  let k = 0;
  while (k < time.length && time[k]! <= tauDays) k++;

  // Area under the step curve: rectangles [t_{i-1}, t_i) at S(t_{i-1}).
  let value = 0;
  let prevTime = 0;
  let prevSurv = 1;
  for (let i = 0; i < k; i++) {
    const t = time[i]!;
    value += (t - prevTime) * prevSurv;
    prevTime = t;
    prevSurv = surv[i]!;
  }
  value += (tauDays - prevTime) * prevSurv;

  // Variance: walk back from tau accumulating the area after each event time.
  let areaAfter = (tauDays - prevTime) * prevSurv;
  let variance = 0;
  for (let i = k - 1; i >= 0; i--) {
    const n = nRisk[i]!;
    const d = nEvent[i]!;
    if (n > d) variance += (areaAfter * areaAfter * d) / (n * (n - d));
    if (i > 0) {
      areaAfter += (time[i]! - time[i - 1]!) * surv[i - 1]!;
    }
  }
  return { tau: tauDays, value, se: Math.sqrt(variance) };
}
