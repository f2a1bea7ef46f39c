/**
 * The combined (prediction-powered / GMM) estimator of a scalar target from a small real
 * sample, synthetic twins of its patients and a large synthetic cohort (docs/inference.md).
 */

import { TrajsimError } from '../../core/errors.js';
import { normalQuantile } from '../normal.js';
import type { InfluenceEstimate } from './survival-influence.js';

/** One row of an inference table. */
export interface InferenceRow {
  readonly method: 'real' | 'synthetic' | 'combined';
  readonly estimate: number;
  readonly se: number;
  readonly lower: number;
  readonly upper: number;
}

/** Inputs of {@link combineEstimates}. */
export interface CombineInput {
  /** The target on the real sample; influence per real patient. */
  readonly real: InfluenceEstimate;
  /**
   * The target on the twins of the real patients, influence summed per real patient (aligned
   * with `real.influence`): the paired synthetic predictions. Absent: combined = real only.
   */
  readonly paired?: InfluenceEstimate;
  /** The target on the large synthetic cohort; influence per synthetic patient. */
  readonly synthetic: InfluenceEstimate;
  /** Confidence level; default 0.95. */
  readonly confLevel?: number;
}

/** Result of {@link combineEstimates}. */
export interface CombinedInference {
  /** real only, synthetic only (naive), combined, in that order. */
  readonly rows: readonly [InferenceRow, InferenceRow, InferenceRow];
  /** λ ∈ [0, 1], the weight of the synthetic data in the combined estimate (0: real only). */
  readonly syntheticWeight: number;
  /** Var(combined) / Var(real): below 1 when the synthetic data help. */
  readonly varianceRatio: number;
  /** Correlation of the real and paired-twin estimates over real patients (NaN without twins). */
  readonly pairedCorrelation: number;
  /** z of naive synthetic − real: |z| > z₀.₉₇₅ means disagreement beyond noise. */
  readonly disagreementZ: number;
  /** z of twins − synthetic cohort (same generator, different attribute sources). */
  readonly twinsVsCohortZ: number;
  /** True when |disagreementZ| exceeds the two-sided critical value. */
  readonly syntheticDisagrees: boolean;
  /** True when the twins and the cohort disagree beyond noise, so λ was shrunk. */
  readonly cohortMismatch: boolean;
}

function sumSquares(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) ** 2;
  return s;
}

/**
 * Combines a real estimate θ̂_r with the synthetic estimates by the power-tuned
 * prediction-powered estimator θ̂(λ) = θ̂_r − λ (θ̂_p − θ̂_s), θ̂_p on the twins of the real
 * patients, θ̂_s on the large cohort. With influence functions (Σ over real patients):
 * v_r = Σ φ_r², v_p = Σ φ_p², c = Σ φ_r φ_p, v_s = Σ φ_s² (independent cohort),
 * Var θ̂(λ) = v_r − 2λc + λ²(v_p + v_s), minimised at λ* = c / (v_p + v_s) — the optimal
 * GMM weighting of the three moment conditions. A twins-vs-cohort gap beyond noise,
 * b̂² = max(0, (θ̂_p − θ̂_s)² − v_p − v_s), enters λ = c / (v_p + v_s + b̂²) and the variance
 * (+ λ² b̂²), so a mismatched cohort pushes the estimate back to real only. λ is clipped to
 * [0, 1]; λ = 0 is real only. Without twins the combined row is the real row.
 *
 * @param input - real, paired (optional) and synthetic estimates with influence functions.
 * @returns the three rows (Wald intervals θ̂ ± z·se), λ and the diagnostics.
 * @throws TrajsimError INVALID_ARGUMENT when the paired influence is not aligned with the
 *   real one, or confLevel is outside (0, 1).
 * @example
 * combineEstimates({ real, paired, synthetic }).rows[2] // => { method: 'combined', ... }
 */
export function combineEstimates(input: CombineInput): CombinedInference {
  const conf = input.confLevel ?? 0.95;
  if (!(conf > 0 && conf < 1)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `combineEstimates: confLevel is ${conf}; expected (0, 1)`,
    );
  }
  const z = normalQuantile(1 - (1 - conf) / 2);
  const { real, paired, synthetic } = input;
  const vr = sumSquares(real.influence);
  const vs = sumSquares(synthetic.influence);
  const row = (
    method: InferenceRow['method'],
    estimate: number,
    variance: number,
  ): InferenceRow => {
    const se = Math.sqrt(variance);
    return { method, estimate, se, lower: estimate - z * se, upper: estimate + z * se };
  };
  const disagreementZ = (synthetic.estimate - real.estimate) / Math.sqrt(vr + vs);
  let lambda = 0;
  let vc = vr;
  let estimate = real.estimate;
  let correlation = Number.NaN;
  let twinsZ = Number.NaN;
  let mismatch = false;
  if (paired) {
    if (paired.influence.length !== real.influence.length) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `combineEstimates: paired influence has ${paired.influence.length} entries, expected ${real.influence.length} (one per real patient)`,
      );
    }
    const vp = sumSquares(paired.influence);
    let c = 0;
    for (let i = 0; i < real.influence.length; i++) {
      c += (real.influence[i] as number) * (paired.influence[i] as number);
    }
    correlation = c / Math.sqrt(vr * vp);
    const gap = paired.estimate - synthetic.estimate;
    twinsZ = gap / Math.sqrt(vp + vs);
    const bias2 = Math.max(0, gap * gap - vp - vs);
    mismatch = Math.abs(twinsZ) > z;
    const denominator = vp + vs + bias2;
    if (Number.isFinite(gap) && Number.isFinite(c) && denominator > 0) {
      lambda = Math.min(1, Math.max(0, c / denominator));
      estimate = real.estimate - lambda * gap;
      vc = vr - 2 * lambda * c + lambda * lambda * denominator;
    }
  }
  return {
    rows: [
      row('real', real.estimate, vr),
      row('synthetic', synthetic.estimate, vs),
      row('combined', estimate, vc),
    ],
    syntheticWeight: lambda,
    varianceRatio: vc / vr,
    pairedCorrelation: correlation,
    disagreementZ,
    twinsVsCohortZ: twinsZ,
    syntheticDisagrees: Math.abs(disagreementZ) > z,
    cohortMismatch: mismatch,
  };
}

/**
 * Sums a twins timeline's influence per real patient: twin row g belongs to real patient
 * ⌊g / perPatient⌋ (the order `generateTwins` writes).
 *
 * @param twins - the target on the twins timeline (n · perPatient rows).
 * @param perPatient - twins per real patient, ≥ 1.
 * @returns the same estimate with n influence values.
 * @throws TrajsimError INVALID_ARGUMENT when the length is not a multiple of perPatient.
 * @example
 * clusterInfluence({ estimate: 1, influence: new Float64Array([1, 2, 3, 4]) }, 2).influence
 * // => Float64Array [3, 7]
 */
export function clusterInfluence(twins: InfluenceEstimate, perPatient: number): InfluenceEstimate {
  const m = twins.influence.length;
  if (!(Number.isInteger(perPatient) && perPatient >= 1) || m % perPatient !== 0) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `clusterInfluence: ${m} twins are not a multiple of ${perPatient} per patient`,
    );
  }
  const out = new Float64Array(m / perPatient);
  for (let g = 0; g < m; g++) {
    const p = Math.floor(g / perPatient);
    out[p] = (out[p] as number) + (twins.influence[g] as number);
  }
  return { estimate: twins.estimate, influence: out };
}
