import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { brierScore, integratedBrierScore } from '../../src/stats/brier-score.js';
import { calibrationCurve, calibrationSlope } from '../../src/stats/calibration-curve.js';
import { concordanceIndex } from '../../src/stats/concordance-index.js';
import { expectClose, loadFixture, type RNumber } from '../fixtures/r/golden.js';

interface EvalCase {
  name: string;
  input: {
    time: number[];
    status: number[];
    risk: number[];
    horizons: number[];
    survival: number[][];
  };
  expected: {
    concordance: {
      weighting: 'harrell' | 'uno';
      tau: RNumber;
      concordance: RNumber;
      concordant: RNumber;
      discordant: RNumber;
      tiedRisk: RNumber;
    }[];
    brier: RNumber[];
    calibration: {
      t: number;
      groups: { n: number; events: number; predicted: RNumber; observed: RNumber }[];
      slope: RNumber;
      intercept: RNumber;
    }[];
  };
}

const fixture = loadFixture<{ cases: EvalCase[] }>('twins-evaluation');

describe('concordanceIndex matches survival::concordance (reverse = TRUE)', () => {
  for (const c of fixture.cases) {
    it(`Harrell (timewt "n") and Uno (timewt "n/G2"), with and without ymax: ${c.name}`, () => {
      for (const e of c.expected.concordance) {
        const tau = e.tau === 'Inf' ? Number.POSITIVE_INFINITY : (e.tau as number);
        const r = concordanceIndex(c.input.time, c.input.status, c.input.risk, {
          weighting: e.weighting,
          tau,
        });
        const label = `${c.name} ${e.weighting} tau=${tau}`;
        expectClose(r.concordance, e.concordance, `${label} C`);
        expectClose(r.concordant, e.concordant, `${label} concordant`);
        expectClose(r.discordant, e.discordant, `${label} discordant`);
        expectClose(r.tiedRisk, e.tiedRisk, `${label} tied.x`);
      }
    });
  }

  it('is 1 for a risk ordered exactly against time and 0 for the reverse', () => {
    expect(concordanceIndex([1, 2, 3, 4], [1, 1, 0, 1], [4, 3, 2, 1]).concordance).toBe(1);
    expect(concordanceIndex([1, 2, 3, 4], [1, 1, 0, 1], [1, 2, 3, 4]).concordance).toBe(0);
  });

  it('rejects a non-finite risk naming its index', () => {
    expect(() => concordanceIndex([1, 2], [1, 0], [0, Number.NaN])).toThrow(/risk\[1\] is NaN/);
    expect(() => concordanceIndex([1, 2], [1, 0], [0])).toThrow(TrajsimError);
  });
});

describe('brierScore matches the IPCW formula computed in R with survfit on the censoring', () => {
  for (const c of fixture.cases) {
    it(`at each horizon: ${c.name}`, () => {
      c.input.horizons.forEach((h, k) => {
        const bs = brierScore(c.input.time, c.input.status, c.input.survival[k]!, h);
        expectClose(bs, c.expected.brier[k]!, `${c.name} BS(${h})`);
      });
      const ibs = integratedBrierScore(
        c.input.time,
        c.input.status,
        c.input.horizons,
        c.input.survival,
      );
      c.input.horizons.forEach((h, k) => {
        expectClose(ibs.scores[k]!, c.expected.brier[k]!, `${c.name} IBS grid BS(${h})`);
      });
    });
  }

  it('integrates by the trapezoidal rule over the grid', () => {
    // BS(0) = 0 (every prediction 1, nobody dead), BS(1.5) = 1/12 by hand: the mean is 1/24.
    const r = integratedBrierScore(
      [1, 2, 3],
      [1, 0, 1],
      [0, 1.5],
      [
        [1, 1, 1],
        [0, 0.5, 1],
      ],
    );
    expect(r.scores[1]).toBeCloseTo(1 / 12, 15);
    expect(r.integrated).toBeCloseTo(1 / 24, 15);
  });

  it('rejects a prediction outside [0, 1] naming its index', () => {
    expect(() => brierScore([1, 2], [1, 0], [0.5, 1.5], 1)).toThrow(/survival\[1\] is 1.5/);
  });
});

describe('calibrationCurve matches survfit by decile of predicted risk', () => {
  for (const c of fixture.cases) {
    it(`groups, observed KM risk and slope (lm weighted by group size): ${c.name}`, () => {
      c.input.horizons.forEach((h, k) => {
        const risk = c.input.survival[k]!.map((s) => 1 - s);
        const r = calibrationCurve(c.input.time, c.input.status, risk, h);
        const e = c.expected.calibration[k]!;
        expect(r.groups.map((g) => g.n)).toEqual(e.groups.map((g) => g.n));
        expect(r.groups.map((g) => g.events)).toEqual(e.groups.map((g) => g.events));
        r.groups.forEach((g, i) => {
          expectClose(g.predicted, e.groups[i]!.predicted, `${c.name} t=${h} group ${i} predicted`);
          expectClose(g.observed, e.groups[i]!.observed, `${c.name} t=${h} group ${i} observed`);
        });
        expectClose(r.slope, e.slope, `${c.name} t=${h} slope`);
        expectClose(r.intercept, e.intercept, `${c.name} t=${h} intercept`);
      });
    });
  }

  it('calibrationSlope is the least-squares slope of observed on predicted', () => {
    expect(calibrationSlope([0.1, 0.2, 0.3], [0.1, 0.3, 0.5]).slope).toBeCloseTo(2, 12);
    expect(calibrationSlope([0.2, 0.2], [0.1, 0.3]).slope).toBeNaN();
  });
});
