import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { chiSquareUpperTail, normalQuantile, normalUpperTail } from '../../src/stats/normal.js';
import { expectClose, loadFixture, type RNumber } from '../fixtures/r/golden.js';

const fixture = loadFixture<{
  qnorm: { p: number[]; value: RNumber[] };
  pnormUpper: { z: number[]; value: RNumber[] };
  pchisqUpper: { x: number[]; df: number[]; value: RNumber[] };
}>('normal');

describe('normal and chi-square', () => {
  it('normalQuantile matches R qnorm from 1e-300 to 1 - 1e-10', () => {
    fixture.qnorm.p.forEach((p, i) => {
      expectClose(normalQuantile(p), fixture.qnorm.value[i]!, `qnorm(${p})`);
    });
  });

  it('normalUpperTail matches R pnorm(lower.tail = FALSE), tiny tails included', () => {
    fixture.pnormUpper.z.forEach((z, i) => {
      expectClose(normalUpperTail(z), fixture.pnormUpper.value[i]!, `pnorm(${z}, upper)`);
    });
  });

  it('chiSquareUpperTail matches R pchisq(lower.tail = FALSE)', () => {
    fixture.pchisqUpper.x.forEach((x, i) => {
      const df = fixture.pchisqUpper.df[i]!;
      expectClose(
        chiSquareUpperTail(x, df),
        fixture.pchisqUpper.value[i]!,
        `pchisq(${x}, ${df}, upper)`,
      );
    });
  });

  it('handles the ends of the ranges', () => {
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalUpperTail(Number.NaN)).toBeNaN();
    expect(chiSquareUpperTail(0, 3)).toBe(1);
    expect(chiSquareUpperTail(Number.NaN, 3)).toBeNaN();
  });

  it('rejects bad arguments', () => {
    expect(() => normalQuantile(1.5)).toThrowError(TrajsimError);
    expect(() => normalQuantile(Number.NaN)).toThrowError(/p must be in \[0, 1\], found NaN/);
    expect(() => chiSquareUpperTail(1, 0)).toThrowError(/df must be/);
  });
});
