import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { logRankTest } from '../../src/stats/log-rank.js';
import { expectAllClose, expectClose, loadFixture, type RNumber } from '../fixtures/r/golden.js';

interface LrCase {
  name: string;
  input: { time: number[]; status: number[]; group: number[] };
  expected: { chisq: RNumber; df: number; p: RNumber; observed: RNumber[]; expected: RNumber[] };
}

const fixture = loadFixture<{ cases: LrCase[] }>('log-rank');

describe('logRankTest', () => {
  it.each(fixture.cases)('log-rank matches survival::survdiff on $name', (c) => {
    const r = logRankTest(c.input.time, c.input.status, c.input.group);
    expectClose(r.chisq, c.expected.chisq, 'chisq');
    expect(r.df).toBe(c.expected.df);
    expectClose(r.p, c.expected.p, 'p');
    expectAllClose(r.observed, c.expected.observed, 'observed');
    expectAllClose(r.expected, c.expected.expected, 'expected');
  });

  it('a single group that expects events leaves the test undefined', () => {
    const r = logRankTest([1, 2, 3], [1, 1, 0], [0, 0, 0]);
    expect(r.chisq).toBe(0);
    expect(r.df).toBe(0);
    expect(r.p).toBeNaN();
    expect(Array.from(r.observed)).toEqual([2]);
  });

  it('a group id with no rows has zero observed and expected events', () => {
    const r = logRankTest([1, 2, 3, 4], [1, 1, 1, 1], [0, 2, 0, 2]);
    expect(r.observed[1]).toBe(0);
    expect(r.expected[1]).toBe(0);
    expect(r.df).toBe(1);
  });

  it('does not mutate its inputs', () => {
    const time = new Float64Array([4, 1, 3, 2]);
    const status = new Uint8Array([1, 1, 0, 1]);
    const group = new Int32Array([1, 0, 1, 0]);
    const copies = [time.slice(), status.slice(), group.slice()];
    logRankTest(time, status, group);
    expect([time, status, group]).toEqual(copies);
  });

  it.each([
    [[1, 2], [1, 1], [0], /group has length 1, expected 2/],
    [[1, 2], [1, 1], [0, -1], /group\[1\] is -1/],
    [[1, 2], [1, 1], [0, 1.5], /group\[1\] is 1.5/],
    [[1, -2], [1, 1], [0, 1], /time\[1\] is -2/],
    [[1, 2], [1, 3], [0, 1], /status\[1\] is 3/],
  ])('rejects bad input %j %j %j', (time, status, group, message) => {
    expect(() => logRankTest(time, status, group)).toThrowError(TrajsimError);
    expect(() => logRankTest(time, status, group)).toThrowError(message);
  });
});
