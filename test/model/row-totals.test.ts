import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import {
  rowTotals,
  sampleBinnedGapDaysFromProbabilities,
  sampleBinnedGapDaysGivenTotal,
} from '../../src/model/gap-distribution.js';

describe('row totals of a batch (the gap sampler total pass, four rows at a time)', () => {
  it('small known sums, rows not a multiple of four, a width below the stride', () => {
    const out = new Float64Array(5);
    // rows of stride 3, first 2 numbers summed: 1+2, 3+4, 5+6, 7+8, 0.5+0.25
    rowTotals(Float32Array.of(1, 2, 9, 3, 4, 9, 5, 6, 9, 7, 8, 9, 0.5, 0.25, 9), 5, 3, 2, out);
    expect([...out]).toEqual([3, 7, 11, 15, 0.75]);
  });

  it('bit for bit the in-order sum of each row (float rounding included) for 1..9 rows', () => {
    const rng = new Rng('totals');
    const B = 106;
    for (let rows = 1; rows <= 9; rows++) {
      const probs = Float32Array.from({ length: rows * B }, () => rng.uniform() ** 3 / 17);
      const out = new Float64Array(rows);
      rowTotals(probs, rows, B, B, out);
      for (let r = 0; r < rows; r++) {
        let t = 0;
        for (let j = 0; j < B; j++) t += probs[r * B + j]!;
        expect(Object.is(out[r], t)).toBe(true);
      }
    }
  });

  it('the given-total sampler draws what the sampler summing its own row draws', () => {
    const edges = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55];
    const B = edges.length - 1;
    const rows = 7;
    const gen = new Rng('rows');
    const probs = Float32Array.from({ length: rows * B }, () => gen.uniform() ** 2);
    const totals = new Float64Array(rows);
    rowTotals(probs, rows, B, B, totals);
    for (let r = 0; r < rows; r++) {
      const a = new Rng(`draw-${r}`);
      const b = new Rng(`draw-${r}`);
      for (let d = 0; d < 200; d++) {
        expect(sampleBinnedGapDaysGivenTotal(probs, r * B, edges, totals[r]!, a)).toBe(
          sampleBinnedGapDaysFromProbabilities(probs, r * B, edges, b),
        );
      }
    }
  });
});
