import { describe, expect, it } from 'vitest';
import { makeSequenceBatch } from '../../src/model/sequence-batches.js';
import { resolveValueModel, type ValueModelSpec } from '../../src/model/value-spec.js';
import type { Timeline } from '../../src/timeline/types.js';

// One patient: DIAGNOSIS d0, LAB:x = 2 at d10, LAB:x without a value at d20, LAB:x = 8 at d30,
// END_OF_FOLLOWUP d40. LAB:x: identity, mean 5, sd 3, bins [0, 4) and [4, 10], 25 % missing.
const timeline: Timeline = {
  name: 'one',
  patients: { ids: ['P1'], indexDay: Int32Array.of(18_000), attributes: [] },
  events: {
    patient: new Int32Array(5),
    day: Int32Array.of(0, 10, 20, 30, 40),
    code: Int32Array.of(0, 1, 1, 1, 2),
    value: Float64Array.of(Number.NaN, 2, Number.NaN, 8, Number.NaN),
    codes: ['DIAGNOSIS', 'LAB:x', 'END_OF_FOLLOWUP'],
  },
  offsets: Int32Array.of(0, 5),
};
const spec: ValueModelSpec = {
  minShare: 0.5,
  width: 3,
  codes: [
    {
      code: 'LAB:x',
      transform: 'identity',
      mean: 5,
      std: 3,
      integer: false,
      missingShare: 0.25,
      edges: [0, 4, 10],
    },
  ],
};

describe('sequence batches with values (typed arrays, no per-event objects)', () => {
  it('feeds the previous event value into the input and builds bin, width and previous-value targets', () => {
    const batch = makeSequenceBatch(
      {
        timeline,
        codeMap: Int32Array.of(0, 1, 2),
        vocabularySize: 3,
        attributes: new Float32Array(0),
        attributeWidth: 0,
        values: resolveValueModel(spec, timeline.events.codes),
      },
      Int32Array.of(0),
    );
    const I = 3 + 5; // V + BOS one-hot, gap, day, value, has-value
    expect(batch.inputs.length).toBe(5 * I);
    const valueInputs = [0, 1, 2, 3, 4].map((t) => [
      batch.inputs[t * I + 6],
      batch.inputs[t * I + 7],
    ]);
    // z(2) = (2 − 5) / 3 = −1 enters the step after it; z(8) = 1 the step after the 8
    expect(valueInputs).toEqual([
      [0, 0],
      [0, 0],
      [-1, 1],
      [0, 0],
      [1, 1],
    ]);
    expect(Array.from(batch.valueMask!)).toEqual([0, 1, 1, 1, 0]);
    // bins: 2 → [0, 4) = bin 0; missing → the last output (2); 8 → [4, 10] = bin 1
    expect(Array.from(batch.valueBin!)).toEqual([0, 0, 2, 1, 0]);
    const w = Array.from(batch.valueLogWidth!);
    expect(w[1]).toBeCloseTo(Math.log(4 / 3), 6);
    expect(w[2]).toBe(0);
    expect(w[3]).toBeCloseTo(Math.log(6 / 3), 6);
    // previous value of the same code: none, then −1 (had one), still −1 after the missing one
    expect(Array.from(batch.valuePrev!)).toEqual([0, 0, 0, 0, -1, 1, -1, 1, 0, 0]);
  });

  it('does not score a missing value of a code that never missed in training (its slot is masked)', () => {
    const never = { ...spec, codes: [{ ...spec.codes[0]!, missingShare: 0 }] };
    const batch = makeSequenceBatch(
      {
        timeline,
        codeMap: Int32Array.of(0, 1, 2),
        vocabularySize: 3,
        attributes: new Float32Array(0),
        attributeWidth: 0,
        values: resolveValueModel(never, timeline.events.codes),
      },
      Int32Array.of(0),
    );
    expect(Array.from(batch.valueMask!)).toEqual([0, 1, 0, 1, 0]);
  });
});
