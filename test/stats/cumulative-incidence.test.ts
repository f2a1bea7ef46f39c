import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { cumulativeIncidence } from '../../src/stats/cumulative-incidence.js';
import { kaplanMeier } from '../../src/stats/kaplan-meier.js';
import { expectAllClose, loadFixture, type RNumber } from '../fixtures/r/golden.js';

interface CifCase {
  name: string;
  input: { time: number[]; cause: number[] };
  expected: { time: RNumber[]; causes: number; cif: RNumber[][]; stdErr: RNumber[][] };
}

const fixture = loadFixture<{ cases: CifCase[] }>('cumulative-incidence');

describe('cumulativeIncidence', () => {
  it.each(fixture.cases)('Aalen–Johansen CIF matches multi-state survfit on $name', (c) => {
    const r = cumulativeIncidence(c.input.time, c.input.cause);
    expect(r.causes).toBe(c.expected.causes);
    expectAllClose(r.time, c.expected.time, 'time');
    for (let k = 0; k < r.causes; k++) {
      expectAllClose(r.cif[k]!, c.expected.cif[k]!, `cif[${k}]`);
      expectAllClose(r.stdErr[k]!, c.expected.stdErr[k]!, `stdErr[${k}]`);
    }
  });

  it('with one cause the CIF is 1 - Kaplan–Meier and its error is Greenwood', () => {
    const time = [1, 2, 2, 3, 5, 8, 8, 9];
    const cause = [1, 0, 1, 1, 0, 1, 1, 0];
    const r = cumulativeIncidence(time, cause);
    const km = kaplanMeier(time, cause);
    expect(Array.from(r.time)).toEqual(Array.from(km.time));
    for (let j = 0; j < km.time.length; j++) {
      expect(r.cif[0]![j]).toBeCloseTo(1 - km.surv[j]!, 14);
      if (km.surv[j]! > 0) expect(r.stdErr[0]![j]).toBeCloseTo(km.stdErr[j]!, 14);
    }
  });

  it('hand-computed first step: F1 = 1/6, se = sqrt(30)/216', () => {
    // n = 6, one cause-1 event at t = 1: se^2 = (1·(5/6)^2 + 5·(1/6)^2) / 36 = 30/1296.
    const r = cumulativeIncidence([1, 2, 2, 3, 4, 5], [1, 2, 0, 1, 0, 2]);
    expect(r.cif[0]![0]).toBeCloseTo(1 / 6, 15);
    expect(r.stdErr[0]![0]).toBeCloseTo(Math.sqrt(30) / 36, 15);
  });

  it('all censored gives no event times', () => {
    const r = cumulativeIncidence([1, 2], [0, 0]);
    expect(r.causes).toBe(0);
    expect(r.time.length).toBe(0);
    expect(r.cif).toEqual([]);
  });

  it('does not mutate its inputs', () => {
    const time = new Float64Array([4, 1, 3, 2]);
    const cause = new Int32Array([1, 2, 0, 1]);
    const copies = [time.slice(), cause.slice()];
    cumulativeIncidence(time, cause);
    expect([time, cause]).toEqual(copies);
  });

  it.each([
    [[1, 2], [1], /cause has length 1, expected 2/],
    [[1, -1], [1, 1], /time\[1\] is -1/],
    [[1, Number.NaN], [1, 1], /time\[1\] is NaN/],
    [[1, 2], [1, -1], /cause\[1\] is -1/],
    [[1, 2], [1, 0.5], /cause\[1\] is 0.5/],
  ])('rejects bad input %j %j', (time, cause, message) => {
    expect(() => cumulativeIncidence(time, cause)).toThrowError(TrajsimError);
    expect(() => cumulativeIncidence(time, cause)).toThrowError(message);
  });
});
