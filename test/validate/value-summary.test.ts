import { beforeAll, describe, expect, it } from 'vitest';
import { coxPh } from '../../src/stats/cox-ph.js';
import { selectPatients } from '../../src/timeline/select-patients.js';
import type { Timeline } from '../../src/timeline/types.js';
import { mergeSummaries } from '../../src/validate/merge-summaries.js';
import { summarizeTimeline } from '../../src/validate/summarize-timeline.js';
import { expectClose, loadFixture, type RNumber } from '../fixtures/r/golden.js';
import { nafldSubset } from '../helpers/nafld.js';
import { useTempDir } from '../helpers/tmp.js';

interface RFit {
  terms: { term: string; coef: RNumber; se: RNumber; z: RNumber; p: RNumber }[];
  loglik: RNumber[];
  n: number;
  events: number;
}

interface Fixture {
  tiny: RFit & {
    patients: { id: number[]; futime: number[]; status: number[] };
    labs: { id: number[]; day: number[]; value: number[] };
    rows: { id: number[]; tstart: number[]; tstop: number[]; death: number[]; v: number[] };
  };
  nafld: {
    subset: string;
    cases: (RFit & { code: string; patientsWithRows: number; exposureDays: number })[];
  };
}

const fixture = loadFixture<Fixture>('cox-counting');

/** The tiny R case as a timeline: DIAGNOSIS on day 0, the labs by day, the terminal event. */
function tinyTimeline(): Timeline {
  const { patients, labs } = fixture.tiny;
  const codes = ['DIAGNOSIS', 'LAB:x', 'DEATH', 'END_OF_FOLLOWUP'];
  const patient: number[] = [];
  const day: number[] = [];
  const code: number[] = [];
  const value: number[] = [];
  const offsets = [0];
  patients.id.forEach((id, p) => {
    const push = (d: number, c: number, v: number) => {
      patient.push(p);
      day.push(d);
      code.push(c);
      value.push(v);
    };
    push(0, 0, Number.NaN);
    labs.id.forEach((lid, i) => {
      if (lid === id) push(labs.day[i]!, 1, labs.value[i]!);
    });
    push(patients.futime[p]!, patients.status[p] === 1 ? 2 : 3, Number.NaN);
    offsets.push(patient.length);
  });
  return {
    name: 'tiny',
    patients: {
      ids: patients.id.map(String),
      indexDay: new Int32Array(patients.id.length),
      attributes: [],
    },
    events: {
      patient: Int32Array.from(patient),
      day: Int32Array.from(day),
      code: Int32Array.from(code),
      value: Float64Array.from(value),
      codes,
    },
    offsets: Int32Array.from(offsets),
  };
}

describe('value summary: the most recent value as a time-dependent covariate, as tmerge builds it', () => {
  it('gives the rows of R tmerge(..., v = tdc(day, value)) on the tiny case, and its coxph fit', () => {
    const v = summarizeTimeline(tinyTimeline()).values.get('LAB:x')!;
    const r = fixture.tiny.rows;
    expect(Array.from(v.intervals.start)).toEqual(r.tstart);
    expect(Array.from(v.intervals.stop)).toEqual(r.tstop);
    expect(Array.from(v.intervals.event)).toEqual(r.death);
    expect(Array.from(v.intervals.value)).toEqual(r.v);
    const fit = coxPh(
      v.intervals.stop,
      v.intervals.event,
      { names: ['v'], columns: [v.intervals.value] },
      { entry: v.intervals.start },
    );
    expectClose(fit.terms[0]!.coef, fixture.tiny.terms[0]!.coef, 'coef');
    expectClose(fit.terms[0]!.se, fixture.tiny.terms[0]!.se, 'se');
    expectClose(fit.loglik[1], fixture.tiny.loglik[1]!, 'loglik');
  });

  it('keeps consecutive pairs (same-day repeats included) and counts missing values', () => {
    const v = summarizeTimeline(tinyTimeline()).values.get('LAB:x')!;
    expect(v.events).toBe(16);
    expect(v.missing).toBe(0);
    // 16 values in 7 patients with labs: 16 − 7 consecutive pairs.
    expect(v.lagPrev.length).toBe(9);
    expect(Array.from(v.lagDays)).toEqual([30, 40, 70, 0, 55, 30, 40, 60, 30]);
  });
});

describe('value → death Cox on nafld matches R (first 2,000 patients)', () => {
  const dir = useTempDir('nafld-values');
  let nafld: Timeline;
  beforeAll(async () => {
    nafld = await nafldSubset(dir, 2000);
  });

  it('the subset is the first 2,000 rows of patients.csv', () => {
    expect(nafld.patients.ids[0]).toBe('1');
    expect(nafld.patients.ids.length).toBe(2000);
  });

  for (const c of fixture.nafld.cases) {
    it(`${c.code}: coef, se, loglik to 1e-6; rows, events, exposure exact`, () => {
      const v = summarizeTimeline(nafld).values.get(c.code)!;
      const { start, stop, event, value } = v.intervals;
      const fit = coxPh(stop, event, { names: ['v'], columns: [value] }, { entry: start });
      expect(fit.n).toBe(c.n);
      expect(fit.events).toBe(c.events);
      let exposure = 0;
      for (let i = 0; i < stop.length; i++) exposure += stop[i]! - start[i]!;
      expect(exposure).toBe(c.exposureDays);
      expectClose(fit.terms[0]!.coef, c.terms[0]!.coef, 'coef');
      expectClose(fit.terms[0]!.se, c.terms[0]!.se, 'se');
      expectClose(fit.loglik[0], c.loglik[0]!, 'loglik null');
      expectClose(fit.loglik[1], c.loglik[1]!, 'loglik');
    });
  }

  it('the summaries of two shards merge into the summary of the whole, column for column', () => {
    const n = nafld.patients.ids.length;
    const first = selectPatients(
      nafld,
      Int32Array.from({ length: 700 }, (_, i) => i),
    );
    const rest = selectPatients(
      nafld,
      Int32Array.from({ length: n - 700 }, (_, i) => 700 + i),
    );
    const merged = mergeSummaries([summarizeTimeline(first), summarizeTimeline(rest)]).values;
    const whole = summarizeTimeline(nafld).values;
    expect([...merged.keys()].sort()).toEqual([...whole.keys()].sort());
    for (const [code, w] of whole) {
      const m = merged.get(code)!;
      expect(m.events).toBe(w.events);
      expect(m.missing).toBe(w.missing);
      const same = (a: ArrayBufferView, b: ArrayBufferView) =>
        Buffer.compare(
          Buffer.from(a.buffer, a.byteOffset, a.byteLength),
          Buffer.from(b.buffer, b.byteOffset, b.byteLength),
        ) === 0;
      expect(same(m.values, w.values), `${code} values`).toBe(true);
      expect(same(m.daysToEnd, w.daysToEnd), `${code} daysToEnd`).toBe(true);
      expect(same(m.lagPrev, w.lagPrev), `${code} lagPrev`).toBe(true);
      expect(same(m.lagDays, w.lagDays), `${code} lagDays`).toBe(true);
      expect(same(m.intervals.start, w.intervals.start), `${code} start`).toBe(true);
      expect(same(m.intervals.stop, w.intervals.stop), `${code} stop`).toBe(true);
      expect(same(m.intervals.event, w.intervals.event), `${code} event`).toBe(true);
      expect(same(m.intervals.value, w.intervals.value), `${code} value`).toBe(true);
    }
  });
});
