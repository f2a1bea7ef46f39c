import { describe, expect, it } from 'vitest';
import {
  proportionDifference,
  rocAuc,
  tprAtFpr,
  wilsonInterval,
} from '../../src/stats/membership-auc.js';

describe('membership-inference statistics', () => {
  it('AUC is the share of (member, non-member) pairs ranked right, ties one half', () => {
    // pairs: members {3, 1, 2}, non-members {0, 2}: (3>0)(3>2)(1>0)(1<2)(2>0)(2=2) → 4.5 / 6
    expect(rocAuc(Float64Array.of(3, 1, 2), Float64Array.of(0, 2)).value).toBeCloseTo(0.75, 12);
    expect(rocAuc(Float64Array.of(5, 6), Float64Array.of(1, 2)).value).toBe(1);
    expect(rocAuc(Float64Array.of(1, 2), Float64Array.of(5, 6)).value).toBe(0);
  });

  it('AUC interval: Hanley–McNeil standard error (AUC 0.75, 3 × 2 → SE by hand)', () => {
    // q1 = .75/1.25 = .6, q2 = 2·.5625/1.75 = .642857; var = (.1875 + 2(.6−.5625) + 1(.642857−.5625))/6
    const se = Math.sqrt((0.1875 + 2 * 0.0375 + 0.0803571428571) / 6);
    const r = rocAuc(Float64Array.of(3, 1, 2), Float64Array.of(0, 2));
    expect(r.upper).toBeCloseTo(Math.min(1, 0.75 + 1.959963984540054 * se), 9);
    expect(r.lower).toBeCloseTo(0.75 - 1.959963984540054 * se, 9);
  });

  it('Wilson interval of 5/10 is 0.2366–0.7634 (Newcombe 1998, table I style check)', () => {
    const w = wilsonInterval(5, 10);
    expect(w.lower).toBeCloseTo(0.2366, 4);
    expect(w.upper).toBeCloseTo(0.7634, 4);
    expect(Number.isNaN(wilsonInterval(0, 0).value)).toBe(true);
  });

  it('TPR at 1% FPR counts members strictly above the largest allowed non-member score', () => {
    // 100 non-members 0..99: 1 may exceed the threshold → threshold 98; members 99, 150, 5.
    const neg = Float64Array.from({ length: 100 }, (_, i) => i);
    expect(tprAtFpr(Float64Array.of(99, 150, 5), neg, 0.01).value).toBeCloseTo(2 / 3, 12);
  });

  it("difference of proportions: Newcombe's method 10 on 56/70 − 48/80 gives 0.0524 to 0.3339", () => {
    const d = proportionDifference(56, 70, 48, 80);
    expect(d.value).toBeCloseTo(0.2, 12);
    expect(d.lower).toBeCloseTo(0.0524, 4);
    expect(d.upper).toBeCloseTo(0.3339, 4);
    // 0 of 1000 vs 0 of 1000: the interval keeps its width.
    const z = proportionDifference(0, 1000, 0, 1000);
    expect(z.lower).toBeLessThan(0);
    expect(z.upper).toBeGreaterThan(0.003);
  });
});
