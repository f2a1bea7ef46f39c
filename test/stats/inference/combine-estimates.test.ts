import { describe, expect, it } from 'vitest';
import {
  clusterInfluence,
  combineEstimates,
} from '../../../src/stats/inference/combine-estimates.js';

const est = (estimate: number, influence: number[]) => ({
  estimate,
  influence: Float64Array.from(influence),
});

describe('combineEstimates (power-tuned prediction-powered estimator)', () => {
  // Hand-computed: v_r = 0.04, v_p = 0.02, c = 0.02, v_s = 0.0001.
  const real = est(0.5, [0.1, -0.1, 0.1, -0.1]);
  const paired = est(0.6, [0.1, -0.1, 0, 0]);
  const synthetic = est(0.62, [0.01]);

  it('uses λ = c / (v_p + v_s) and Var = v_r − 2λc + λ²(v_p + v_s)', () => {
    const r = combineEstimates({ real, paired, synthetic });
    // gap 0.6 − 0.62 = −0.02; b̂² = max(0, 0.0004 − 0.0201) = 0.
    const lambda = 0.02 / 0.0201;
    expect(r.syntheticWeight).toBeCloseTo(lambda, 12);
    expect(r.rows[2].estimate).toBeCloseTo(0.5 + lambda * 0.02, 12);
    const variance = 0.04 - 2 * lambda * 0.02 + lambda * lambda * 0.0201;
    expect(r.rows[2].se).toBeCloseTo(Math.sqrt(variance), 12);
    expect(r.rows[2].upper - r.rows[2].estimate).toBeCloseTo(
      1.959963984540054 * Math.sqrt(variance),
      9,
    );
    expect(r.varianceRatio).toBeCloseTo(variance / 0.04, 12);
    expect(r.pairedCorrelation).toBeCloseTo(0.02 / Math.sqrt(0.04 * 0.02), 12);
    expect(r.rows.map((x) => x.method)).toEqual(['real', 'synthetic', 'combined']);
    expect(r.rows[0]).toMatchObject({ estimate: 0.5, se: 0.2 });
    expect(r.rows[1].se).toBeCloseTo(0.01, 12);
  });

  it('perfect twins and an exact cohort give the cohort’s estimate (λ = 1)', () => {
    const r = combineEstimates({
      real,
      paired: est(0.7, [0.1, -0.1, 0.1, -0.1]),
      synthetic: est(0.7, [0]),
    });
    expect(r.syntheticWeight).toBe(1);
    expect(r.rows[2].estimate).toBeCloseTo(0.5, 12);
    expect(r.rows[2].se).toBeCloseTo(0, 12);
  });

  it('without twins the combined row is the real row (λ = 0)', () => {
    const r = combineEstimates({ real, synthetic });
    expect(r.syntheticWeight).toBe(0);
    expect(r.rows[2]).toEqual({ ...r.rows[0], method: 'combined' });
  });

  it('uncorrelated twins get no weight; a disagreeing cohort is flagged', () => {
    const r = combineEstimates({
      real,
      paired: est(0.6, [0.1, 0.1, -0.1, -0.1]),
      synthetic: est(0.9, [0.01]),
    });
    expect(r.syntheticWeight).toBe(0);
    expect(r.syntheticDisagrees).toBe(true); // (0.9 − 0.5) / √0.0401 ≈ 2.0
  });

  it('twins that disagree with the cohort beyond noise shrink λ toward real only', () => {
    const ok = combineEstimates({ real, paired, synthetic });
    const off = combineEstimates({ real, paired, synthetic: est(1.2, [0.01]) });
    expect(off.cohortMismatch).toBe(true);
    expect(off.syntheticWeight).toBeLessThan(0.1 * ok.syntheticWeight);
  });

  it('clusterInfluence sums twins per real patient', () => {
    expect(Array.from(clusterInfluence(est(1, [1, 2, 3, 4, 5, 6]), 3).influence)).toEqual([6, 15]);
    expect(() => clusterInfluence(est(1, [1, 2, 3]), 2)).toThrow(/multiple/);
  });
});
