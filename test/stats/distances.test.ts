import { describe, expect, it } from 'vitest';
import {
  integratedAbsDifferenceDaily,
  jensenShannon,
  ksFromCounts,
  supNormDaily,
  totalVariation,
  wasserstein1FromCounts,
} from '../../src/stats/distances.js';

describe('distances on count tables', () => {
  it('KS of shifted point masses is 1, of equal tables 0', () => {
    expect(ksFromCounts([0, 5], [0, 0, 3])).toBe(1);
    expect(ksFromCounts([2, 4, 6], [1, 2, 3])).toBe(0);
  });

  it('KS matches the hand-computed ECDF gap', () => {
    // a = {0,1,1,3}, b = {1,2}: F_a = .25,.75,.75,1 ; F_b = 0,.5,1,1 => max .25 at 0,1,2
    expect(ksFromCounts([1, 2, 0, 1], [0, 1, 1])).toBeCloseTo(0.25, 15);
  });

  it('W1 of point masses is the distance between them, in days', () => {
    expect(wasserstein1FromCounts([7], [0, 0, 0, 0, 2])).toBe(4);
    // a = {0, 2}, b = {1, 1}: |F_a - F_b| = .5 on [0,1) and .5 on [1,2) => 1
    expect(wasserstein1FromCounts([1, 0, 1], [0, 2])).toBe(1);
  });

  it('W1 equals the mean difference for a pure shift', () => {
    const a = [3, 1, 4, 1, 5];
    const b = [0, 0, 0, 3, 1, 4, 1, 5];
    expect(wasserstein1FromCounts(a, b)).toBeCloseTo(3, 12);
  });

  it('empty tables give NaN', () => {
    expect(ksFromCounts([], [1])).toBeNaN();
    expect(wasserstein1FromCounts([0, 0], [1])).toBeNaN();
  });

  it('TVD and Jensen–Shannon are 0 for proportional weights and 1 for disjoint ones', () => {
    const p = new Map([
      ['A', 2],
      ['B', 6],
    ]);
    const q = new Map([
      ['B', 3],
      ['A', 1],
    ]);
    expect(totalVariation(p, q)).toBeCloseTo(0, 15);
    expect(jensenShannon(p, q)).toBeCloseTo(0, 15);
    const r = new Map([['C', 1]]);
    expect(totalVariation(p, r)).toBe(1);
    expect(jensenShannon(p, r)).toBe(1);
  });

  it('Jensen–Shannon of (1/2, 1/2) vs (1, 0) is 0.3112781 bits', () => {
    // ½·KL((.5,.5)‖(.75,.25)) + ½·KL((1,0)‖(.75,.25)) = 0.311278124459... (hand-computed)
    const v = jensenShannon(
      new Map([
        ['A', 1],
        ['B', 1],
      ]),
      new Map([['A', 1]]),
    );
    expect(v).toBeCloseTo(0.311278124459133, 12);
  });

  it('sup-norm and integrated difference of daily step curves, carried flat', () => {
    expect(supNormDaily([1, 0.5, 0.5], [1, 1, 0.25], 2)).toBe(0.5);
    expect(supNormDaily([1, 0.5], [1, 1, 1, 0], 3)).toBe(0.5);
    expect(integratedAbsDifferenceDaily([1, 0.5], [1, 1], 3)).toBe(1);
  });
});
