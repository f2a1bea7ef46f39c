import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trueLandmarkRisk } from '../../src/reference/landmark-risk.js';
import { REFERENCE_CODES, REFERENCE_PARAMETERS } from '../../src/reference/reference-parameters.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { kaplanMeier } from '../../src/stats/kaplan-meier.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { tempRoot } from './helpers.js';

const A = REFERENCE_PARAMETERS.attributes;

/** A one-patient reference timeline with these attributes and (day, code) events. */
function onePatient(
  attrs: { age: number; male: number; stage: number; ecog: number; biomarker: number },
  events: readonly [number, string][],
): Timeline {
  const codes: string[] = [...REFERENCE_CODES];
  return {
    name: 'one',
    patients: {
      ids: ['P1'],
      indexDay: Int32Array.of(0),
      attributes: [
        { name: 'age', kind: 'numeric', values: Float64Array.of(attrs.age) },
        {
          name: 'sex',
          kind: 'categorical',
          levels: A.sex.levels,
          codes: Int32Array.of(attrs.male),
        },
        {
          name: 'stage',
          kind: 'categorical',
          levels: A.stage.levels,
          codes: Int32Array.of(attrs.stage),
        },
        {
          name: 'ecog',
          kind: 'categorical',
          levels: A.ecog.levels,
          codes: Int32Array.of(attrs.ecog),
        },
        {
          name: 'biomarker',
          kind: 'categorical',
          levels: A.biomarker.levels,
          codes: Int32Array.of(attrs.biomarker),
        },
      ],
    },
    events: {
      patient: new Int32Array(events.length),
      day: Int32Array.from(events, ([d]) => d),
      code: Int32Array.from(events, ([, c]) => codes.indexOf(c)),
      value: new Float64Array(events.length).fill(Number.NaN),
      codes,
    },
    offsets: Int32Array.of(0, events.length),
  };
}

describe('trueLandmarkRisk on known small cases', () => {
  it('in supportive care (4 disease events) is 1 − exp(−λh), λ from the documented hazards', () => {
    const t = onePatient({ age: 75, male: 1, stage: 2, ecog: 1, biomarker: 0 }, [
      [0, 'DIAGNOSIS'],
      [8, 'TREATMENT:CHEMO'],
      [60, 'PROGRESSION'],
      [90, 'TREATMENT:LINE2'],
      [140, 'PROGRESSION'],
      [170, 'TREATMENT:LINE3'],
      [220, 'PROGRESSION'],
      [250, 'TREATMENT:LINE4'],
      [300, 'PROGRESSION'],
      [2000, 'END_OF_FOLLOWUP'],
    ]);
    // Per day: 0.03/365.25 · 1.4^((75−65)/10) · 1.25 (male) · 2.5 (stage III) · 1.6 (ECOG 1) · 1.6^4.
    const lambda = (0.03 / 365.25) * 1.4 * 1.25 * 2.5 * 1.6 * 1.6 ** 4;
    const { cohort, risk } = trueLandmarkRisk(t, 365, [365, 730, 1825]);
    expect(Array.from(cohort.rows)).toEqual([0]);
    [365, 730, 1825].forEach((h, k) => {
      expect(risk[k]![0]!).toBeCloseTo(1 - Math.exp(-lambda * h), 10);
    });
  });

  it('responding after surgery with no disease event: the death hazard is the surgery one until a recurrence', () => {
    // Stage I, 65, female, ECOG 0, neg: death 0.03/y × 0.6 while disease-free after surgery
    // (recurrence 0.12 × 0.5 /y moves to line 2, death 0.03/y there). Two-state closed form.
    const t = onePatient({ age: 65, male: 0, stage: 0, ecog: 0, biomarker: 0 }, [
      [0, 'DIAGNOSIS'],
      [20, 'TREATMENT:SURGERY'],
      [3000, 'END_OF_FOLLOWUP'],
    ]);
    const d1 = (0.03 * 0.6) / 365.25;
    const r = (0.12 * 0.5) / 365.25;
    const d2 = 0.03 / 365.25; // after a recurrence: ×1.6 per disease event, no first-line factor
    const d2k = d2 * 1.6;
    const h = 1825;
    // P(death by h) = ∫ d1 e^{−(d1+r)s} ds + ∫ r e^{−(d1+r)s} (1 − e^{−d2k (h−s)}) ds
    const a = d1 + r;
    const direct = (d1 / a) * (1 - Math.exp(-a * h));
    const via =
      (r / a) * (1 - Math.exp(-a * h)) -
      (r * Math.exp(-d2k * h) * (Math.exp((d2k - a) * h) - 1)) / (d2k - a);
    const { risk } = trueLandmarkRisk(t, 365, [h]);
    // Line 2 and later states all carry ≥ 1.6 × the base hazard; the next disease events raise it
    // further, so the two-state value is a lower bound within a point.
    expect(risk[0]![0]!).toBeGreaterThanOrEqual(direct + via - 1e-12);
    expect(risk[0]![0]!).toBeLessThan(direct + via + 0.01);
  });

  it('a patient who died on the landmark day is not at risk', () => {
    const t = onePatient({ age: 65, male: 0, stage: 0, ecog: 0, biomarker: 0 }, [
      [0, 'DIAGNOSIS'],
      [365, 'DEATH'],
    ]);
    expect(trueLandmarkRisk(t, 365, [365]).cohort.rows.length).toBe(0);
  });

  it('rejects a history the process cannot produce', () => {
    const t = onePatient({ age: 65, male: 0, stage: 0, ecog: 0, biomarker: 0 }, [
      [0, 'DIAGNOSIS'],
      [10, 'TREATMENT:IMMUNO'], // never given in stage I
      [900, 'END_OF_FOLLOWUP'],
    ]);
    expect(() => trueLandmarkRisk(t, 365, [365])).toThrow(/cannot come from the reference process/);
  });
});

describe('trueLandmarkRisk is calibrated on simulated reference patients (landmark day 365)', () => {
  const tmp = tempRoot();
  let timeline: Timeline;
  beforeAll(async () => {
    await simulateReference(tmp.path('cohort'), { patients: 6000, seed: 'landmark-risk' });
    timeline = await readTimeline(tmp.path('cohort'));
  });
  afterAll(() => tmp.cleanup());

  it('the Kaplan–Meier risk of each quintile of true 2-year risk matches its mean true risk', () => {
    const h = 730;
    const { cohort, risk } = trueLandmarkRisk(timeline, 365, [h]);
    const r = risk[0]!;
    const order = Array.from(cohort.rows, (_, i) => i).sort((a, b) => r[a]! - r[b]!);
    const n = order.length;
    for (let g = 0; g < 5; g++) {
      const rows = order.slice(Math.floor((g * n) / 5), Math.floor(((g + 1) * n) / 5));
      const km = kaplanMeier(
        rows.map((i) => cohort.time[i]!),
        rows.map((i) => cohort.status[i]!),
      );
      let k = -1;
      for (let j = 0; j < km.time.length && km.time[j]! <= h; j++) k = j;
      const observed = k < 0 ? 0 : 1 - km.surv[k]!;
      const se = k < 0 ? 0 : km.stdErr[k]!;
      const predicted = rows.reduce((s, i) => s + r[i]!, 0) / rows.length;
      expect(Math.abs(observed - predicted), `quintile ${g}`).toBeLessThan(3.5 * se + 0.005);
    }
    // The spread is real: the top quintile's risk is several times the bottom one's.
    const low = r[order[Math.floor(n * 0.1)]!]!;
    const high = r[order[Math.floor(n * 0.9)]!]!;
    expect(high / low).toBeGreaterThan(4);
  });
});
