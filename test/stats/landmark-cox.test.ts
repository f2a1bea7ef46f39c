import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concordanceIndex } from '../../src/stats/concordance-index.js';
import { coxBaseline, coxPredictRisk } from '../../src/stats/cox-baseline.js';
import { coxPh } from '../../src/stats/cox-ph.js';
import { landmarkCohort } from '../../src/stats/landmark-cohort.js';
import { fitLandmarkCox, predictLandmarkRisk } from '../../src/stats/landmark-cox.js';
import type { Timeline } from '../../src/timeline/types.js';
import { expectAllClose, expectClose, loadFixture, type RNumber } from '../fixtures/r/golden.js';
import { importBundled } from '../rules/helpers.js';

interface CoxCase {
  name: string;
  input: { time: number[]; status: number[]; columns: number[][]; horizons: number[] };
  expected: { coef: RNumber[]; risk: RNumber[][] };
}

const fixture = loadFixture<{ coxCases: CoxCase[] }>('twins-evaluation');

describe('coxBaseline (Breslow) matches basehaz(coxph(ties = "breslow"), centered = TRUE)', () => {
  for (const c of fixture.coxCases) {
    it(`predicted risk 1 − exp(−H0(t) exp(lp)) at each horizon: ${c.name}`, () => {
      const columns = c.input.columns.map((col) => Float64Array.from(col));
      const names = columns.map((_, j) => `x${j}`);
      const fit = coxPh(c.input.time, c.input.status, { names, columns }, { ties: 'breslow' });
      const coef = fit.terms.map((t) => t.coef);
      expectAllClose(coef, c.expected.coef, `${c.name} coef`);
      const baseline = coxBaseline(c.input.time, c.input.status, columns, coef);
      c.input.horizons.forEach((h, k) => {
        expectAllClose(
          coxPredictRisk(baseline, columns, h),
          c.expected.risk[k]!,
          `${c.name} risk(${h})`,
        );
      });
    });
  }

  it('is the Nelson–Aalen estimate when every coefficient is 0', () => {
    const b = coxBaseline([1, 2, 3], [1, 1, 0], [Float64Array.of(5, 1, 2)], [0]);
    expect(Array.from(b.cumHazard)).toEqual([1 / 3, 1 / 3 + 1 / 2]);
    expectClose(coxPredictRisk(b, [Float64Array.of(9)], 1.5)[0]!, 1 - Math.exp(-1 / 3), 'risk');
  });
});

describe('landmarkCohort', () => {
  const timeline: Timeline = {
    name: 'tiny',
    patients: { ids: ['a', 'b', 'c'], indexDay: Int32Array.of(0, 0, 0), attributes: [] },
    events: {
      patient: Int32Array.of(0, 0, 1, 1, 2, 2),
      day: Int32Array.of(0, 400, 0, 365, 0, 900),
      code: Int32Array.of(0, 1, 0, 1, 0, 2),
      value: new Float64Array(6).fill(Number.NaN),
      codes: ['DIAGNOSIS', 'DEATH', 'END_OF_FOLLOWUP'],
    },
    offsets: Int32Array.of(0, 2, 4, 6),
  };

  it('keeps patients whose terminal day is after the landmark, timed from it', () => {
    const c = landmarkCohort(timeline, 365);
    expect(Array.from(c.rows)).toEqual([0, 2]); // b dies on the landmark day: not at risk
    expect(Array.from(c.time)).toEqual([35, 535]);
    expect(Array.from(c.status)).toEqual([1, 0]);
  });

  it('rejects a negative landmark', () => {
    expect(() => landmarkCohort(timeline, -1)).toThrow(/landmarkDay is -1/);
  });
});

describe('fitLandmarkCox on colon (landmark day 365, every 5th patient held out)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trajsim-landmark-cox-'));
  let colon: Timeline;
  beforeAll(async () => {
    colon = await importBundled('colon', dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('learns that a recurrence before the landmark raises the hazard of death, and discriminates on held-out patients', () => {
    const n = colon.patients.ids.length;
    const all = Array.from({ length: n }, (_, i) => i);
    const train = all.filter((i) => i % 5 !== 0);
    const test = all.filter((i) => i % 5 === 0);
    const model = fitLandmarkCox(colon, train, { landmarkDay: 365 });
    const names = model.features.map((f) => f.name);
    expect(names).toContain('count:RECURRENCE');
    expect(names).not.toContain('count:DIAGNOSIS'); // constant: dropped
    expect(model.dropped).toContain('count:DIAGNOSIS');
    const recurrence = model.fit.terms.find((t) => t.term === 'count:RECURRENCE')!;
    expect(recurrence.coef).toBeGreaterThan(0);
    expect(recurrence.z).toBeGreaterThan(3);

    const { cohort, risk } = predictLandmarkRisk(model, colon, test, [365, 730, 1825]);
    expect(cohort.rows.length).toBeGreaterThan(150);
    for (const r of risk) for (const v of r) expect(v >= 0 && v <= 1).toBe(true);
    // Risks grow with the horizon for every patient.
    for (let i = 0; i < cohort.rows.length; i++) {
      expect(risk[0]![i]!).toBeLessThanOrEqual(risk[1]![i]!);
      expect(risk[1]![i]!).toBeLessThanOrEqual(risk[2]![i]!);
    }
    const c = concordanceIndex(cohort.time, cohort.status, risk[2]!, { tau: 1825 });
    expect(c.concordance).toBeGreaterThan(0.6);
  });
  it('predicts the same risks for a held-out timeline with another code and level order', () => {
    const n = colon.patients.ids.length;
    const all = Array.from({ length: n }, (_, i) => i);
    const model = fitLandmarkCox(
      colon,
      all.filter((i) => i % 5 !== 0),
      { landmarkDay: 365 },
    );
    const test = all.filter((i) => i % 5 === 0);
    const expected = predictLandmarkRisk(model, colon, test, [730]).risk[0]!;
    const actual = predictLandmarkRisk(model, reencoded(colon), test, [730]).risk[0]!;
    expect(Array.from(actual)).toEqual(Array.from(expected));
  });
});

/** The same timeline with its code dictionary and every categorical level list reversed. */
function reencoded(t: Timeline): Timeline {
  const k = t.events.codes.length;
  return {
    ...t,
    patients: {
      ...t.patients,
      attributes: t.patients.attributes.map((a) =>
        a.kind === 'categorical'
          ? {
              ...a,
              levels: [...a.levels].reverse(),
              codes: a.codes.map((c) => (c < 0 ? c : a.levels.length - 1 - c)),
            }
          : a,
      ),
    },
    events: {
      ...t.events,
      codes: [...t.events.codes].reverse(),
      code: t.events.code.map((c) => k - 1 - c),
    },
  };
}
