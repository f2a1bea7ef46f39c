import { describe, expect, it } from 'vitest';
import { cumulativeIncidence } from '../../src/stats/cumulative-incidence.js';
import {
  dailyCumulativeIncidence,
  dailyEcdf,
  dailySurvival,
} from '../../src/stats/daily-curves.js';
import { kaplanMeier } from '../../src/stats/kaplan-meier.js';
import type { Timeline } from '../../src/timeline/types.js';
import { mergeSummaries } from '../../src/validate/merge-summaries.js';
import { summarizeTimeline } from '../../src/validate/summarize-timeline.js';
import { KEY_SEPARATOR, START_CODE, type TimelineSummary } from '../../src/validate/summary.js';

type Row = { stage: number; age: number; events: [number, string][] };

/** A columnar timeline from readable rows (test helper). */
function makeTimeline(rows: Row[], codes: string[]): Timeline {
  const patient: number[] = [];
  const day: number[] = [];
  const code: number[] = [];
  const offsets = [0];
  rows.forEach((r, p) => {
    for (const [d, c] of r.events) {
      patient.push(p);
      day.push(d);
      code.push(codes.indexOf(c));
    }
    offsets.push(patient.length);
  });
  return {
    name: 't',
    patients: {
      ids: rows.map((_, i) => `P${i}`),
      indexDay: new Int32Array(rows.length),
      attributes: [
        {
          name: 'stage',
          kind: 'categorical',
          levels: ['I', 'II'],
          codes: Int32Array.from(rows, (r) => r.stage),
        },
        { name: 'age', kind: 'numeric', values: Float64Array.from(rows, (r) => r.age) },
      ],
    },
    events: {
      patient: Int32Array.from(patient),
      day: Int32Array.from(day),
      code: Int32Array.from(code),
      value: new Float64Array(patient.length).fill(Number.NaN),
      codes,
    },
    offsets: Int32Array.from(offsets),
  };
}

const CODES = ['DIAGNOSIS', 'RECURRENCE', 'VISIT', 'DEATH', 'END_OF_FOLLOWUP'];
const ROWS: Row[] = [
  {
    stage: 0,
    age: 50,
    events: [
      [0, 'DIAGNOSIS'],
      [30, 'VISIT'],
      [100, 'RECURRENCE'],
      [120, 'DEATH'],
    ],
  },
  {
    stage: 1,
    age: 60,
    events: [
      [0, 'DIAGNOSIS'],
      [30, 'VISIT'],
      [60, 'VISIT'],
      [200, 'END_OF_FOLLOWUP'],
    ],
  },
  {
    stage: 1,
    age: 70,
    events: [
      [0, 'DIAGNOSIS'],
      [50, 'DEATH'],
    ],
  },
  {
    stage: -1,
    age: Number.NaN,
    events: [
      [0, 'DIAGNOSIS'],
      [10, 'RECURRENCE'],
      [10, 'VISIT'],
      [90, 'END_OF_FOLLOWUP'],
    ],
  },
];

describe('summarizeTimeline', () => {
  const s = summarizeTimeline(makeTimeline(ROWS, CODES));

  it('counts events per patient, prevalence and transitions by name', () => {
    expect(s.patients).toBe(4);
    expect(s.events).toBe(14);
    expect(Array.from(s.eventsPerPatient)).toEqual([0, 0, 1, 0, 3]);
    expect(s.codeEvents.get('VISIT')).toBe(4);
    expect(s.codePatients.get('VISIT')).toBe(3);
    expect(s.transitions.get(`${START_CODE}${KEY_SEPARATOR}DIAGNOSIS`)).toBe(4);
    expect(s.transitions.get(`VISIT${KEY_SEPARATOR}VISIT`)).toBe(1);
    expect(s.trigrams.get(['DIAGNOSIS', 'VISIT', 'VISIT'].join(KEY_SEPARATOR))).toBe(1);
    expect(s.trigrams.get(['DIAGNOSIS', 'VISIT', 'RECURRENCE'].join(KEY_SEPARATOR))).toBe(1);
  });

  it('tabulates gaps overall and per transition, in days', () => {
    // gaps: 30,70,20 | 30,30,140 | 50 | 10,0,80
    const g = s.gaps;
    expect(g[30]).toBe(3);
    expect(g[0]).toBe(1);
    expect(g.length).toBe(141);
    expect(Array.from(s.gapsByTransition.get(`DIAGNOSIS${KEY_SEPARATOR}VISIT`)!).indexOf(2)).toBe(
      30,
    );
  });

  it('builds the overall-survival and first-occurrence risk tables', () => {
    expect(s.os.events[120]).toBe(1);
    expect(s.os.events[50]).toBe(1);
    expect(s.os.censored[200]).toBe(1);
    expect(s.os.censored[90]).toBe(1);
    const rec = s.firstOccurrence.get('RECURRENCE')!;
    expect(rec.event[100]).toBe(1);
    expect(rec.event[10]).toBe(1);
    expect(rec.competing[50]).toBe(1);
    expect(rec.censored[200]).toBe(1);
    expect(s.firstOccurrence.has('DEATH')).toBe(false);
    const stageII = s.osByLevel.get('stage')!.get('II')!;
    expect(stageII.events[50]).toBe(1);
    expect(stageII.censored[200]).toBe(1);
  });

  it('finds no violations in a well-formed timeline and counts each kind in a broken one', () => {
    expect(s.violations).toEqual({
      eventsAfterTerminal: 0,
      negativeDays: 0,
      daysBackwards: 0,
      missingTerminal: 0,
      multipleTerminal: 0,
    });
    const broken = summarizeTimeline(
      makeTimeline(
        [
          {
            stage: 0,
            age: 1,
            events: [
              [0, 'DIAGNOSIS'],
              [5, 'DEATH'],
              [6, 'VISIT'],
              [7, 'DEATH'],
            ],
          },
          {
            stage: 0,
            age: 1,
            events: [
              [-2, 'DIAGNOSIS'],
              [9, 'VISIT'],
              [3, 'VISIT'],
            ],
          },
          { stage: 0, age: 1, events: [] },
        ],
        CODES,
      ),
    );
    expect(broken.violations).toEqual({
      eventsAfterTerminal: 2,
      negativeDays: 1,
      daysBackwards: 1,
      missingTerminal: 2,
      multipleTerminal: 1,
    });
  });
});

function comparable(s: TimelineSummary) {
  const entries = (m: ReadonlyMap<string, unknown>) =>
    [...m]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([k, v]) => [k, v instanceof Float64Array ? trim(v) : v]);
  return {
    patients: s.patients,
    events: s.events,
    epp: trim(s.eventsPerPatient),
    codeEvents: entries(s.codeEvents),
    codePatients: entries(s.codePatients),
    transitions: entries(s.transitions),
    trigrams: entries(s.trigrams),
    gaps: trim(s.gaps),
    gapsBy: entries(s.gapsByTransition),
    followUp: trim(s.followUp),
    os: [trim(s.os.events), trim(s.os.censored)],
    first: [...s.firstOccurrence]
      .sort()
      .map(([k, v]) => [k, trim(v.event), trim(v.competing), trim(v.censored)]),
    levels: [...s.osByLevel].map(([a, m]) => [
      a,
      [...m].sort().map(([l, v]) => [l, trim(v.events), trim(v.censored)]),
    ]),
    violations: s.violations,
  };
}

function trim(a: Float64Array): number[] {
  let n = a.length;
  while (n > 0 && a[n - 1] === 0) n--;
  return Array.from(a.subarray(0, n));
}

describe('mergeSummaries', () => {
  it('the merge of two disjoint parts equals the summary of the whole (exact)', () => {
    const t = makeTimeline(ROWS, CODES);
    const whole = summarizeTimeline(t);
    const merged = mergeSummaries([
      summarizeTimeline(t, { patients: [3, 0] }),
      summarizeTimeline(t, { patients: [1, 2] }),
    ]);
    expect(comparable(merged)).toEqual(comparable(whole));
    expect(Array.from(merged.perPatient.osDay).sort()).toEqual(
      Array.from(whole.perPatient.osDay).sort(),
    );
  });

  it('matches codes and levels by name across different dictionaries', () => {
    const a = makeTimeline(ROWS.slice(0, 2), CODES);
    const reordered = [...CODES].reverse();
    const b = makeTimeline(ROWS.slice(2), reordered);
    const merged = mergeSummaries([summarizeTimeline(a), summarizeTimeline(b)]);
    const whole = summarizeTimeline(makeTimeline(ROWS, CODES));
    expect(comparable(merged)).toEqual(comparable(whole));
  });
});

describe('daily curves agree with the statistics module', () => {
  // 200 pseudo-random subjects with ties (deterministic LCG, no Math.random).
  let x = 12345;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  const n = 200;
  const time = new Float64Array(n);
  const cause = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    time[i] = Math.floor(next() * 60);
    cause[i] = Math.floor(next() * 3); // 0 censored, 1 event, 2 competing
  }
  const counts = (k: number) => {
    const t = new Float64Array(61);
    for (let i = 0; i < n; i++) if (cause[i] === k) t[time[i]!]!++;
    return t;
  };

  it('dailySurvival equals kaplanMeier at every event time (1e-12)', () => {
    const status = Uint8Array.from(cause, (c) => (c === 0 ? 0 : 1));
    const km = kaplanMeier(time, status);
    const daily = dailySurvival(addArr(counts(1), counts(2)), counts(0), 60);
    km.time.forEach((t, j) => {
      expect(daily[t]).toBeCloseTo(km.surv[j]!, 12);
    });
  });

  it('dailyCumulativeIncidence equals cumulativeIncidence cause 1 (1e-12)', () => {
    const cif = cumulativeIncidence(time, cause);
    const daily = dailyCumulativeIncidence(counts(1), counts(2), counts(0), 60);
    cif.time.forEach((t, j) => {
      expect(daily[t]).toBeCloseTo(cif.cif[0]![j]!, 12);
    });
  });

  it('dailyEcdf is the step ECDF', () => {
    expect(Array.from(dailyEcdf([1, 0, 3], 3))).toEqual([0.25, 0.25, 1, 1]);
  });
});

function addArr(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]!);
}
