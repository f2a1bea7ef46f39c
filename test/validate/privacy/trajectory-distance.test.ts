import { describe, expect, it } from 'vitest';
import type { Timeline } from '../../../src/timeline/types.js';
import {
  eventEditDistance,
  trajectoryDistance,
} from '../../../src/validate/privacy/trajectory-distance.js';
import { encodeTrajectories } from '../../../src/validate/privacy/trajectory-space.js';

const CODES = ['DIAGNOSIS', 'SURGERY', 'RECURRENCE', 'DEATH', 'END_OF_FOLLOWUP'];

/** A timeline from hand-written patients: [[code, day], ...], sex, age. */
function timeline(
  patients: readonly { events: readonly [string, number][]; sex: string; age: number }[],
): Timeline {
  const offsets = new Int32Array(patients.length + 1);
  const code: number[] = [];
  const day: number[] = [];
  const patient: number[] = [];
  patients.forEach((p, i) => {
    for (const [c, d] of p.events) {
      code.push(CODES.indexOf(c));
      day.push(d);
      patient.push(i);
    }
    offsets[i + 1] = code.length;
  });
  return {
    name: 'hand',
    patients: {
      ids: patients.map((_, i) => `p${i}`),
      indexDay: new Int32Array(patients.length),
      attributes: [
        {
          name: 'sex',
          kind: 'categorical',
          levels: ['female', 'male'],
          codes: Int32Array.from(patients, (p) => (p.sex === 'male' ? 1 : 0)),
        },
        { name: 'age', kind: 'numeric', values: Float64Array.from(patients, (p) => p.age) },
      ],
    },
    events: {
      patient: Int32Array.from(patient),
      day: Int32Array.from(day),
      code: Int32Array.from(code),
      value: new Float64Array(code.length).fill(Number.NaN),
      codes: CODES,
    },
    offsets,
  };
}

const base: [string, number][] = [
  ['DIAGNOSIS', 0],
  ['SURGERY', 20],
  ['RECURRENCE', 300],
  ['DEATH', 500],
];
const shift = (days: number): [string, number][] =>
  base.map(([c, d], i) => [c, i === 2 ? d + days : d] as [string, number]);

describe('trajectory distance on hand-made trajectories', () => {
  // age range in the first timeline: 40..80 → scale 40 years.
  const t = timeline([
    { events: base, sex: 'male', age: 60 }, // 0
    { events: base, sex: 'male', age: 60 }, // 1: identical
    { events: shift(15), sex: 'male', age: 60 }, // 2: recurrence 15 d later
    { events: shift(45), sex: 'male', age: 60 }, // 3: 45 d later (beyond τ)
    { events: base, sex: 'female', age: 80 }, // 4: other attributes
    { events: [...base.slice(0, 2), ...base.slice(3)], sex: 'male', age: 40 }, // 5: no recurrence, age 40
  ]);
  const space = encodeTrajectories([t]);
  const set = space.sets[0]!;
  const d = (p: number, q: number) => trajectoryDistance(space, set, p, set, q);

  it('is 0 between identical trajectories and attributes (identity)', () => {
    expect(d(0, 0)).toBe(0);
    expect(d(0, 1)).toBe(0);
  });

  it('is symmetric', () => {
    for (let p = 0; p < set.size; p++)
      for (let q = 0; q < set.size; q++) expect(d(p, q)).toBe(d(q, p));
  });

  it('charges a same-code shift of d days d / τ, and at most 1 (tolerance τ = 30)', () => {
    expect(d(0, 2)).toBeCloseTo(15 / 30, 12);
    expect(d(0, 3)).toBe(1);
    // τ = 90: the 45-day shift costs a half.
    expect(trajectoryDistance(space, set, 0, set, 3, { timeScaleDays: 90 })).toBeCloseTo(0.5, 12);
  });

  it('charges one deletion per missing event, plus the Gower attribute part', () => {
    // 5 lacks RECURRENCE (1 edit); age 40 vs 60 over a range of 40 = 0.5 of one of the two
    // attributes: λ = 2 → 2 × 0.5 / 2 = 0.5.
    expect(d(0, 5)).toBeCloseTo(1.5, 12);
    // 4: sex differs (1) and age 80 vs 60 is 20/40 = 0.5: λ × (1 + 0.5) / 2 = 1.5.
    expect(d(0, 4)).toBeCloseTo((2 * 1.5) / 2, 12);
  });

  it('satisfies the triangle inequality on every triple', () => {
    for (let a = 0; a < set.size; a++)
      for (let b = 0; b < set.size; b++)
        for (let c = 0; c < set.size; c++)
          expect(d(a, c)).toBeLessThanOrEqual(d(a, b) + d(b, c) + 1e-12);
  });

  it('edit distance: a substitution of codes costs 1, an insertion 1', () => {
    const s = new Float64Array(64);
    expect(
      eventEditDistance(
        Int32Array.of(0, 1),
        Int32Array.of(0, 5),
        Int32Array.of(0, 2),
        Int32Array.of(0, 5),
        30,
        s,
      ),
    ).toBe(1);
    expect(
      eventEditDistance(
        Int32Array.of(0),
        Int32Array.of(0),
        Int32Array.of(0, 2),
        Int32Array.of(0, 5),
        30,
        s,
      ),
    ).toBe(1);
    expect(
      eventEditDistance(
        new Int32Array(0),
        new Int32Array(0),
        Int32Array.of(0, 2),
        Int32Array.of(0, 5),
        30,
        s,
      ),
    ).toBe(2);
  });
});
