import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { coxPh } from '../../../src/stats/cox-ph.js';
import { coxInfluence } from '../../../src/stats/inference/cox-influence.js';
import {
  medianInfluence,
  rmstInfluence,
  survivalInfluence,
} from '../../../src/stats/inference/survival-influence.js';
import { kaplanMeier, survivalAt } from '../../../src/stats/kaplan-meier.js';
import { restrictedMean } from '../../../src/stats/restricted-mean.js';

const sumSq = (a: Float64Array) => a.reduce((s, x) => s + x * x, 0);
const sum = (a: Float64Array) => a.reduce((s, x) => s + x, 0);

/** Exponential event times (rate λ·e^{βx}) with independent exponential censoring, seeded. */
function exponentialSample(n: number, beta: number, seed: string) {
  const rng = new Rng(seed);
  const x = new Float64Array(n);
  const time = new Float64Array(n);
  const status = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.uniform() < 0.5 ? 1 : 0;
    const t = rng.exponential(0.001 * Math.exp(beta * x[i]!));
    const c = rng.exponential(0.0005);
    time[i] = Math.floor(Math.min(t, c));
    status[i] = t <= c ? 1 : 0;
  }
  return { x, time, status };
}

describe('influence functions of Kaplan–Meier functionals', () => {
  const { time, status } = exponentialSample(1500, 0, 'km-influence');

  it('S(t): influences sum to 0 and their squares to Greenwood’s variance (within 1%)', () => {
    const t = 700;
    const r = survivalInfluence(time, status, t);
    const km = kaplanMeier(time, status);
    expect(r.estimate).toBe(survivalAt(km, t));
    expect(Math.abs(sum(r.influence))).toBeLessThan(1e-12);
    const idx = km.time.findLastIndex((u) => u <= t);
    const greenwood = km.stdErr[idx]! ** 2;
    expect(sumSq(r.influence) / greenwood).toBeGreaterThan(0.99);
    expect(sumSq(r.influence) / greenwood).toBeLessThan(1.01);
  });

  it('RMST: the estimate is restrictedMean’s and the variance its Greenwood-form variance (within 1%)', () => {
    const r = rmstInfluence(time, status, 1000);
    const rm = restrictedMean(kaplanMeier(time, status), 1000);
    expect(r.estimate).toBeCloseTo(rm.value, 9);
    expect(Math.abs(sum(r.influence))).toBeLessThan(1e-9);
    expect(sumSq(r.influence) / rm.se ** 2).toBeGreaterThan(0.99);
    expect(sumSq(r.influence) / rm.se ** 2).toBeLessThan(1.01);
  });

  it('median: for exponential times the SE is near the delta-method value √Var(Ŝ(m)) / f(m)', () => {
    // Truth: S(t) = exp(−0.001 t), m = ln 2 / 0.001 ≈ 693, f(m) = 0.001 · 0.5.
    const r = medianInfluence(time, status);
    expect(Math.abs(r.estimate - Math.LN2 / 0.001)).toBeLessThan(80);
    const s = survivalInfluence(time, status, r.estimate);
    const expected = Math.sqrt(sumSq(s.influence)) / 0.0005;
    const se = Math.sqrt(sumSq(r.influence));
    expect(se / expected).toBeGreaterThan(0.7);
    expect(se / expected).toBeLessThan(1.4);
  });

  it('on a hand-computed curve the variances equal Greenwood’s and restrictedMean’s exactly', () => {
    // S(2) = 0.5; Greenwood 0.5² (1/(4·3) + 1/(3·2)) = 0.0625; RMST(2) se² = 0.2165² = 0.046875.
    expect(sumSq(survivalInfluence([1, 2, 3, 4], [1, 1, 1, 1], 2).influence)).toBeCloseTo(
      0.0625,
      12,
    );
    expect(sumSq(rmstInfluence([1, 2, 3, 4], [1, 1, 1, 1], 2).influence)).toBeCloseTo(0.046875, 12);
  });

  it('an unreached median is NaN with zero influence', () => {
    const r = medianInfluence([1, 2, 3, 4], [1, 0, 0, 0]);
    expect(r.estimate).toBeNaN();
    expect(sumSq(r.influence)).toBe(0);
  });
});

describe('coxInfluence (dfbeta)', () => {
  it('under a correct model the robust SE is close to the model SE and influences sum to 0', () => {
    const { x, time, status } = exponentialSample(3000, 0.5, 'cox-influence');
    // Continuous-like times (days, few ties): Efron ≈ Breslow, so the score at β̂ is ≈ 0.
    const design = { names: ['x'], columns: [x] };
    const r = coxInfluence(time, status, design, 'x');
    const fit = coxPh(time, status, design);
    expect(r.estimate).toBe(fit.terms[0]!.coef);
    expect(Math.abs(r.estimate - 0.5)).toBeLessThan(4 * fit.terms[0]!.se);
    const robust = Math.sqrt(sumSq(r.influence));
    expect(robust / fit.terms[0]!.se).toBeGreaterThan(0.9);
    expect(robust / fit.terms[0]!.se).toBeLessThan(1.1);
    expect(Math.abs(sum(r.influence))).toBeLessThan(0.01 * fit.terms[0]!.se);
  });

  it('a constant column gives NaN instead of throwing', () => {
    const r = coxInfluence(
      [1, 2, 3],
      [1, 1, 0],
      { names: ['x'], columns: [new Float64Array(3)] },
      'x',
    );
    expect(r.estimate).toBeNaN();
  });
});
