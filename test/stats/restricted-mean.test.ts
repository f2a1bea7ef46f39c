import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { kaplanMeier } from '../../src/stats/kaplan-meier.js';
import { restrictedMean } from '../../src/stats/restricted-mean.js';
import { expectClose, loadFixture, type RNumber } from '../fixtures/r/golden.js';

interface RmeanCase {
  name: string;
  input: { time: number[]; status: number[] };
  expected: { restrictedMean: { tau: number; value: RNumber; se: RNumber }[] };
}

const fixture = loadFixture<{ cases: RmeanCase[] }>('kaplan-meier');
const rows = fixture.cases.flatMap((c) =>
  c.expected.restrictedMean.map((r) => ({ name: c.name, input: c.input, ...r })),
);

describe('restrictedMean', () => {
  it('covers taus inside, at and beyond the last time', () => {
    expect(rows.length).toBeGreaterThanOrEqual(25);
  });

  it.each(rows)('RMST matches print(survfit, rmean = $tau) on $name', (r) => {
    const km = kaplanMeier(r.input.time, r.input.status);
    const got = restrictedMean(km, r.tau);
    expect(got.tau).toBe(r.tau);
    expectClose(got.value, r.value, 'rmean');
    expectClose(got.se, r.se, 'se(rmean)');
  });

  it('before the first event the mean is tau with standard error 0', () => {
    const km = kaplanMeier([5, 6], [1, 1]);
    expect(restrictedMean(km, 3)).toEqual({ tau: 3, value: 3, se: 0 });
    expect(restrictedMean(km, 0)).toEqual({ tau: 0, value: 0, se: 0 });
  });

  it('integrates a hand-computed curve', () => {
    // S = 1 on [0, 2), 0.5 on [2, 4): area to 4 = 2 + 1 = 3.
    // se^2 = (area after t=2)^2 * d/(n(n-d)) = 1^2 * 1/(2*1) = 0.5.
    const km = kaplanMeier([2, 4], [1, 0]);
    const r = restrictedMean(km, 4);
    expect(r.value).toBe(3);
    expect(r.se).toBeCloseTo(Math.sqrt(0.5), 15);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects tau %s', (tau) => {
    const km = kaplanMeier([1], [1]);
    expect(() => restrictedMean(km, tau)).toThrowError(TrajsimError);
    expect(() => restrictedMean(km, tau)).toThrowError(/tauDays is/);
  });
});
