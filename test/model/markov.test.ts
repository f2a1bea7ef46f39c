import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { fitMarkov, MarkovStepModel, markovProbabilities } from '../../src/model/markov.js';
import type { Timeline } from '../../src/timeline/types.js';

const CODES = ['DIAGNOSIS', 'A', 'B', 'DEATH', 'END_OF_FOLLOWUP'];
// True transitions from A and B, per stage (rows: next code A, B, DEATH, END_OF_FOLLOWUP)
const TRUE: Record<string, number[][]> = {
  low: [
    [0.5, 0.2, 0.1, 0.2],
    [0.3, 0.3, 0.1, 0.3],
  ],
  high: [
    [0.1, 0.5, 0.3, 0.1],
    [0.1, 0.2, 0.6, 0.1],
  ],
};

/** Patients walking a known Markov chain: DIAGNOSIS (day 0) → A → (A|B)* → terminal; gaps 7 or 30 days. */
function chainTimeline(n: number): Timeline {
  const rng = new Rng('chain');
  const stage = new Int32Array(n);
  const day: number[] = [];
  const code: number[] = [];
  const patient: number[] = [];
  const offsets = new Int32Array(n + 1);
  for (let p = 0; p < n; p++) {
    stage[p] = p % 2;
    const table = TRUE[p % 2 === 0 ? 'low' : 'high']!;
    let d = 0;
    const push = (c: number) => {
      patient.push(p);
      day.push(d);
      code.push(c);
    };
    push(0);
    let state = 1;
    d += 7;
    push(state);
    for (;;) {
      const next = 1 + rng.categorical(table[state - 1]!);
      d += state === 1 ? 7 : 30;
      push(next);
      if (next >= 3) break;
      state = next;
    }
    offsets[p + 1] = day.length;
  }
  return {
    name: 'chain',
    patients: {
      ids: Array.from({ length: n }, (_, i) => `C${i}`),
      indexDay: new Int32Array(n),
      attributes: [{ name: 'stage', kind: 'categorical', levels: ['low', 'high'], codes: stage }],
    },
    events: {
      patient: Int32Array.from(patient),
      day: Int32Array.from(day),
      code: Int32Array.from(code),
      value: new Float64Array(day.length).fill(Number.NaN),
      codes: CODES,
    },
    offsets,
  };
}

describe('Markov baseline', () => {
  const timeline = chainTimeline(6000);
  const { manifest, markov } = fitMarkov(timeline, { seed: 1, validationFraction: 0.1 });

  it('reproduces a known transition matrix per stage (to sampling error)', () => {
    expect(markov.condition?.name).toBe('stage');
    const V = CODES.length;
    const p = markovProbabilities(markov, V);
    for (const [cell, level] of [
      [0, 'low'],
      [1, 'high'],
    ] as const) {
      for (let from = 1; from <= 2; from++) {
        for (let to = 1; to <= 4; to++) {
          const got = p[(cell * (V + 1) + from) * V + to]!;
          expect(Math.abs(got - TRUE[level]![from - 1]![to - 1]!)).toBeLessThan(0.03);
        }
      }
      // DIAGNOSIS always goes to A; the beginning of sequence always to DIAGNOSIS
      expect(p[(cell * (V + 1) + 0) * V + 1]!).toBeGreaterThan(0.99);
      expect(p[(cell * (V + 1) + V) * V + 0]!).toBeGreaterThan(0.99);
    }
    expect(manifest.metrics.validationCodeNll).toBeGreaterThan(0);
  });

  it('samples the empirical gap of each transition', () => {
    const model = new MarkovStepModel(manifest, markov);
    model.start({ rows: 2, values: Float64Array.of(0, 1) });
    model.step(Int32Array.of(1, 2), new Int32Array(2), new Int32Array(2));
    const rng = new Rng(1);
    expect(model.sampleGapDays(0, 2, rng)).toBe(7);
    expect(model.sampleGapDays(1, 3, rng)).toBe(30);
  });

  it('refuses a condition that is not a categorical attribute', () => {
    expect(() => fitMarkov(timeline, { condition: 'age' })).toThrow(/not a categorical attribute/);
  });
});
