import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { endpointTimes } from '../../src/stats/endpoints.js';
import type { Timeline } from '../../src/timeline/types.js';

const CODES = ['DIAGNOSIS', 'RECURRENCE', 'PCM', 'DEATH', 'END_OF_FOLLOWUP'] as const;
const C = { DIAGNOSIS: 0, RECURRENCE: 1, PCM: 2, DEATH: 3, END_OF_FOLLOWUP: 4 } as const;

/** Builds a timeline from per-patient [day, code] lists. */
function timeline(patients: readonly (readonly [number, number])[][]): Timeline {
  const offsets = new Int32Array(patients.length + 1);
  const rows = patients.flatMap((events, p) => events.map(([day, code]) => ({ p, day, code })));
  patients.forEach((events, p) => {
    offsets[p + 1] = (offsets[p] as number) + events.length;
  });
  return {
    name: 'hand-made',
    patients: {
      ids: patients.map((_, p) => `P${p + 1}`),
      indexDay: new Int32Array(patients.length),
      attributes: [],
    },
    events: {
      patient: Int32Array.from(rows, (r) => r.p),
      day: Int32Array.from(rows, (r) => r.day),
      code: Int32Array.from(rows, (r) => r.code),
      value: new Float64Array(rows.length).fill(Number.NaN),
      codes: CODES,
    },
    offsets,
  };
}

// P1: recurrence at 120 and again at 300, dies at 400.
// P2: alive at 900, no recurrence.
// P3: recurrence and death on the same day 50.
// P4: censored on day 0.
const TL = timeline([
  [
    [0, C.DIAGNOSIS],
    [120, C.RECURRENCE],
    [300, C.RECURRENCE],
    [400, C.DEATH],
  ],
  [
    [0, C.DIAGNOSIS],
    [900, C.END_OF_FOLLOWUP],
  ],
  [
    [0, C.DIAGNOSIS],
    [50, C.RECURRENCE],
    [50, C.DEATH],
  ],
  [
    [0, C.DIAGNOSIS],
    [0, C.END_OF_FOLLOWUP],
  ],
]);

describe('endpointTimes', () => {
  it('overall survival is the terminal day, status 1 for DEATH', () => {
    const r = endpointTimes(TL, 'DEATH');
    expect(r.time).toEqual(new Float64Array([400, 900, 50, 0]));
    expect(r.status).toEqual(new Uint8Array([1, 0, 1, 0]));
  });

  it('time to first occurrence uses the first day, else the terminal day censored', () => {
    const r = endpointTimes(TL, 'RECURRENCE');
    expect(r.time).toEqual(new Float64Array([120, 900, 50, 0]));
    expect(r.status).toEqual(new Uint8Array([1, 0, 1, 0]));
  });

  it('a known code that never occurs censors everyone at the terminal day', () => {
    const r = endpointTimes(TL, 'PCM');
    expect(r.time).toEqual(new Float64Array([400, 900, 50, 0]));
    expect(r.status).toEqual(new Uint8Array([0, 0, 0, 0]));
  });

  it('DEATH is accepted even when the dictionary has no DEATH code', () => {
    const tl: Timeline = {
      ...TL,
      events: { ...TL.events, codes: ['DIAGNOSIS', 'X', 'Y', 'Z', 'END_OF_FOLLOWUP'] },
    };
    const withoutDeath = timeline([
      [
        [0, C.DIAGNOSIS],
        [10, C.END_OF_FOLLOWUP],
      ],
    ]);
    const r = endpointTimes(
      { ...withoutDeath, events: { ...withoutDeath.events, codes: tl.events.codes } },
      'DEATH',
    );
    expect(r.time).toEqual(new Float64Array([10]));
    expect(r.status).toEqual(new Uint8Array([0]));
  });

  it('rejects a code not in the dictionary and lists the known codes', () => {
    expect(() => endpointTimes(TL, 'PROGRESSION')).toThrowError(TrajsimError);
    expect(() => endpointTimes(TL, 'PROGRESSION')).toThrowError(
      /unknown endpoint code "PROGRESSION".*known codes: DIAGNOSIS, RECURRENCE, PCM, DEATH, END_OF_FOLLOWUP/,
    );
  });

  it('rejects a patient whose timeline does not end with a terminal event', () => {
    const bad = timeline([
      [
        [0, C.DIAGNOSIS],
        [5, C.RECURRENCE],
      ],
    ]);
    expect(() => endpointTimes(bad, 'DEATH')).toThrowError(
      /patient row 0 \(P1\) ends with RECURRENCE/,
    );
    const empty = timeline([[]]);
    expect(() => endpointTimes(empty, 'DEATH')).toThrowError(/ends with no event/);
  });

  it('does not mutate the timeline', () => {
    const before = JSON.stringify({ d: Array.from(TL.events.day), c: Array.from(TL.events.code) });
    endpointTimes(TL, 'RECURRENCE');
    expect(JSON.stringify({ d: Array.from(TL.events.day), c: Array.from(TL.events.code) })).toBe(
      before,
    );
  });
});
