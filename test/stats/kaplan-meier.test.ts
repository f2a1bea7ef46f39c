import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { kaplanMeier, survivalAt } from '../../src/stats/kaplan-meier.js';
import { expectAllClose, expectClose, loadFixture, type RNumber } from '../fixtures/r/golden.js';

interface KmCase {
  name: string;
  input: { time: number[]; status: number[]; confLevel: number };
  expected: {
    time: RNumber[];
    nRisk: RNumber[];
    nEvent: RNumber[];
    nCensor: RNumber[];
    surv: RNumber[];
    stdErr: RNumber[];
    lower: RNumber[];
    upper: RNumber[];
    median: RNumber;
    medianLower: RNumber;
    medianUpper: RNumber;
    quantileMedian: RNumber;
    n: number;
    events: number;
    probes: { t: number[]; surv: RNumber[] };
  };
}

const fixture = loadFixture<{ cases: KmCase[] }>('kaplan-meier');

describe('kaplanMeier', () => {
  it('fixture was produced by R survival', () => {
    expect(fixture.meta.survivalVersion).toMatch(/^\d+\.\d+/);
    expect(fixture.cases.length).toBeGreaterThanOrEqual(15);
  });

  it.each(fixture.cases)('KM matches survival::survfit on $name', (c) => {
    const km = kaplanMeier(c.input.time, c.input.status, { confLevel: c.input.confLevel });
    const e = c.expected;
    expectAllClose(km.time, e.time, 'time');
    expectAllClose(km.nRisk, e.nRisk, 'nRisk');
    expectAllClose(km.nEvent, e.nEvent, 'nEvent');
    expectAllClose(km.nCensor, e.nCensor, 'nCensor');
    expectAllClose(km.surv, e.surv, 'surv');
    expectAllClose(km.stdErr, e.stdErr, 'stdErr');
    expectAllClose(km.lower, e.lower, 'lower');
    expectAllClose(km.upper, e.upper, 'upper');
    expectClose(km.median, e.median, 'median');
    expectClose(km.medianLower, e.medianLower, 'medianLower');
    expectClose(km.medianUpper, e.medianUpper, 'medianUpper');
    expect(km.n).toBe(e.n);
    expect(km.events).toBe(e.events);
  });

  it.each(fixture.cases)('survivalAt matches summary(survfit, times) on $name', (c) => {
    const km = kaplanMeier(c.input.time, c.input.status);
    const probes = c.expected.probes;
    const got = probes.t.map((t) => survivalAt(km, t));
    expectAllClose(got, probes.surv, 'survivalAt');
  });

  it('median follows print(survfit), not quantile(), when the curve ends flat at 0.5', () => {
    const c = fixture.cases.find((x) => x.name === 'curve ends at 0.5 then censored');
    expect(c).toBeDefined();
    const km = kaplanMeier(c!.input.time, c!.input.status);
    expect(km.median).toBe(2);
    expect(c!.expected.quantileMedian).toBe(5.5);
  });

  it('median is the midpoint of a flat at exactly 0.5', () => {
    expect(kaplanMeier([1, 2, 3, 4], [1, 1, 1, 1]).median).toBe(2.5);
  });

  it('an undefined median is NaN', () => {
    // S drops to 2/3 only; its lower limit crosses 0.5, the upper never does.
    const km = kaplanMeier([1, 2, 3, 4], [0, 1, 0, 0]);
    expect(km.median).toBeNaN();
    expect(km.medianLower).toBe(2);
    expect(km.medianUpper).toBeNaN();
  });

  it('all-censored data give an empty curve that stays at 1', () => {
    const km = kaplanMeier([3, 1, 2], [0, 0, 0]);
    expect(km.time.length).toBe(0);
    expect(km.events).toBe(0);
    expect(km.n).toBe(3);
    expect(survivalAt(km, 100)).toBe(1);
  });

  it('empty input gives an empty curve', () => {
    const km = kaplanMeier([], []);
    expect(km.n).toBe(0);
    expect(km.time.length).toBe(0);
    expect(km.median).toBeNaN();
  });

  it('does not mutate its inputs', () => {
    const time = new Float64Array([5, 1, 3, 3, 2]);
    const status = new Uint8Array([1, 0, 1, 1, 0]);
    const timeCopy = time.slice();
    const statusCopy = status.slice();
    kaplanMeier(time, status);
    expect(time).toEqual(timeCopy);
    expect(status).toEqual(statusCopy);
  });

  it.each([
    [[1, 2], [1], /status has length 1, expected 2/],
    [[1, -2], [1, 1], /time\[1\] is -2/],
    [[1, Number.NaN], [1, 1], /time\[1\] is NaN/],
    [[1, Number.POSITIVE_INFINITY], [1, 1], /time\[1\] is Infinity/],
    [[1, 2], [1, 2], /status\[1\] is 2; expected 0 or 1/],
    [[1, 2], [0.5, 1], /status\[0\] is 0.5/],
  ])('rejects bad input %j / %j', (time, status, message) => {
    expect(() => kaplanMeier(time, status)).toThrowError(message);
    try {
      kaplanMeier(time, status);
    } catch (error) {
      expect(error).toBeInstanceOf(TrajsimError);
      expect((error as TrajsimError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('rejects a confLevel outside (0, 1)', () => {
    expect(() => kaplanMeier([1], [1], { confLevel: 1 })).toThrowError(/confLevel/);
    expect(() => kaplanMeier([1], [1], { confLevel: Number.NaN })).toThrowError(/confLevel/);
  });

  it('survivalAt rejects NaN', () => {
    expect(() => survivalAt(kaplanMeier([1], [1]), Number.NaN)).toThrowError(TrajsimError);
  });
});
