import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireIsoDay } from '../../src/core/days.js';
import { TrajsimError } from '../../src/core/errors.js';
import {
  REFERENCE_CODES,
  REFERENCE_PARAMETERS,
  type ReferencePerturbations,
} from '../../src/reference/reference-parameters.js';
import { ReferenceSimulator, simulateReference } from '../../src/reference/reference-process.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { MemorySink, tempRoot } from './helpers.js';

const CUTOFF = requireIsoDay(REFERENCE_PARAMETERS.calendar.dataCutoff, 'cutoff');
const WINDOW_START = requireIsoDay(REFERENCE_PARAMETERS.calendar.indexWindowStart, 'start');
const WINDOW_END = requireIsoDay(REFERENCE_PARAMETERS.calendar.indexWindowEnd, 'end');
const code = (name: string) => (REFERENCE_CODES as readonly string[]).indexOf(name);

/** Same-day order: DIAGNOSIS < TREATMENT < VISIT < clinical < terminal. */
function rank(name: string): number {
  if (name === 'DIAGNOSIS') return 0;
  if (name.startsWith('TREATMENT:')) return 1;
  if (name === 'VISIT') return 2;
  if (name === 'DEATH' || name === 'END_OF_FOLLOWUP') return 4;
  return 3;
}

function simulateInMemory(
  patients: number,
  seed: string,
  perturbations: ReferencePerturbations = {},
) {
  const sim = new ReferenceSimulator(seed, perturbations);
  const sink = new MemorySink();
  for (let i = 0; i < patients; i++) sim.simulatePatient(i, sink);
  return { sink, ends: sink.finalOffsets(), totals: sim.totals };
}

describe('reference timelines', () => {
  const tmp = tempRoot();
  let timeline: Timeline;
  let summary: Awaited<ReturnType<typeof simulateReference>>;
  const progress: number[] = [];

  beforeAll(async () => {
    summary = await simulateReference(tmp.path('cohort'), {
      patients: 10_000,
      seed: 'invariants',
      chunkPatients: 2500,
      onProgress: (done) => progress.push(done),
    });
    timeline = await readTimeline(tmp.path('cohort'));
  });
  afterAll(() => tmp.cleanup());

  it('hold every invariant: DIAGNOSIS first at day 0, days ordered, one terminal last, fixed same-day order', () => {
    const { events, offsets, patients } = timeline;
    expect(events.codes).toEqual(REFERENCE_CODES);
    const violations: string[] = [];
    const fail = (p: number, what: string) => violations.push(`${patients.ids[p]}: ${what}`);
    for (let p = 0; p < patients.ids.length; p++) {
      const first = offsets[p]!;
      const last = offsets[p + 1]! - 1;
      if (events.codes[events.code[first]!] !== 'DIAGNOSIS' || events.day[first] !== 0) {
        fail(p, 'does not start with DIAGNOSIS on day 0');
      }
      let terminals = 0;
      for (let e = first; e <= last; e++) {
        const name = events.codes[events.code[e]!]!;
        if (name === 'DEATH' || name === 'END_OF_FOLLOWUP') terminals++;
        if (!(Number.isInteger(events.day[e]) && events.day[e]! >= 0)) fail(p, 'bad day');
        if (!Number.isNaN(events.value[e])) fail(p, 'event has a value');
        if (e > first) {
          const prevDay = events.day[e - 1]!;
          if (events.day[e]! < prevDay) fail(p, 'days go backwards');
          if (events.day[e] === prevDay && rank(name) < rank(events.codes[events.code[e - 1]!]!)) {
            fail(p, `same-day order: ${name} after ${events.codes[events.code[e - 1]!]}`);
          }
        }
      }
      const lastName = events.codes[events.code[last]!];
      if (terminals !== 1 || (lastName !== 'DEATH' && lastName !== 'END_OF_FOLLOWUP')) {
        fail(p, 'not exactly one terminal event, last');
      }
      // Follow-up never passes the data cutoff; index dates lie in the documented window.
      const indexDay = patients.indexDay[p]!;
      if (indexDay < WINDOW_START || indexDay > WINDOW_END) fail(p, 'index date outside window');
      if (indexDay + events.day[last]! > CUTOFF) fail(p, 'follow-up past the data cutoff');
    }
    expect(violations).toEqual([]);
  });

  it('have treatment lines in order and the documented attributes', () => {
    const { events, offsets, patients } = timeline;
    const firstLines = [
      'TREATMENT:SURGERY',
      'TREATMENT:CHEMO',
      'TREATMENT:TARGETED',
      'TREATMENT:IMMUNO',
    ];
    const violations: string[] = [];
    for (let p = 0; p < patients.ids.length; p++) {
      let line = 0;
      for (let e = offsets[p]!; e < offsets[p + 1]!; e++) {
        const name = events.codes[events.code[e]!]!;
        if (!name.startsWith('TREATMENT:')) continue;
        line++;
        if (line === 1) {
          if (!firstLines.includes(name)) violations.push(`${patients.ids[p]}: first line ${name}`);
          continue;
        }
        // Line L >= 2 follows L - 1 disease events. Same-day order puts TREATMENT before
        // PROGRESSION / RECURRENCE, so events on the treatment day may count either way.
        let before = 0;
        let sameDay = 0;
        for (let f = offsets[p]!; f < offsets[p + 1]! && events.day[f]! <= events.day[e]!; f++) {
          const other = events.codes[events.code[f]!];
          if (other !== 'PROGRESSION' && other !== 'RECURRENCE') continue;
          if (events.day[f]! < events.day[e]!) before++;
          else sameDay++;
        }
        if (name !== `TREATMENT:LINE${line}` || before > line - 1 || before + sameDay < line - 1) {
          violations.push(
            `${patients.ids[p]}: ${name} as line ${line} after ${before} (+${sameDay}) disease events`,
          );
        }
      }
    }
    expect(violations).toEqual([]);
    const names = patients.attributes.map((a) => `${a.name}:${a.kind}`);
    expect(names).toEqual([
      'age:numeric',
      'sex:categorical',
      'stage:categorical',
      'ecog:categorical',
      'biomarker:categorical',
    ]);
    const age = patients.attributes[0]!;
    if (age.kind !== 'numeric') throw new Error('age');
    let mean = 0;
    for (const a of age.values) {
      expect(Number.isInteger(a) && a >= 25 && a <= 95).toBe(true);
      mean += a / age.values.length;
    }
    expect(mean).toBeGreaterThan(63.5);
    expect(mean).toBeLessThan(66.5);
  });

  it('have 10–30 events per patient on average and counts that match the manifest', () => {
    const perPatient = summary.events / summary.patients;
    expect(perPatient).toBeGreaterThan(10);
    expect(perPatient).toBeLessThan(30);
    expect(summary.manifest.counts).toEqual({
      patients: 10_000,
      events: summary.events,
      deaths: summary.deaths,
      censored: summary.censored,
    });
    expect(summary.deaths + summary.censored).toBe(10_000);
    expect(summary.deaths / summary.patients).toBeGreaterThan(0.2);
    expect(summary.manifest.source).toContain('seed=invariants');
    expect(progress).toEqual([2500, 5000, 7500, 10_000]);
  });

  it('refuses bad options with a located INVALID_ARGUMENT error and leaves nothing behind', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ patients: 0 }, /patients is 0/],
      [{ patients: 10, firstPatient: -1 }, /firstPatient/],
      [{ patients: 10, deathHazardMultiplier: -1 }, /deathHazardMultiplier/],
      [{ patients: 10, gapMultiplier: 0 }, /gapMultiplier/],
      [{ patients: 10, removeTransition: 'DEATH' }, /removeTransition is 'DEATH'/],
      [
        { patients: 10, forceFirstLine: 'RADIATION' },
        /forceFirstLine is 'RADIATION'.*TREATMENT:SURGERY/,
      ],
    ];
    for (const [options, message] of bad) {
      const run = simulateReference(tmp.path('bad'), { seed: 1, ...options } as never);
      await expect(run).rejects.toThrow(message);
      await expect(run).rejects.toBeInstanceOf(TrajsimError);
    }
    await expect(readTimeline(tmp.path('bad'))).rejects.toThrow();
  });
});

describe('reference perturbations', () => {
  const N = 20_000;
  const base = simulateInMemory(N, 'perturb');

  it('shuffleStage keeps every trajectory and the stage marginal but breaks stage → outcome', () => {
    const shuffled = simulateInMemory(N, 'perturb', { shuffleStage: true });
    expect(shuffled.sink.day).toEqual(base.sink.day);
    expect(shuffled.sink.code).toEqual(base.sink.code);
    const deathRateByStage = (run: typeof base) => {
      const deaths = [0, 0, 0, 0];
      const count = [0, 0, 0, 0];
      for (let p = 0; p < N; p++) {
        const s = run.sink.attributes[p]![2]!;
        count[s]!++;
        if (run.sink.code[run.ends[p + 1]! - 1] === code('DEATH')) deaths[s]!++;
      }
      return { share: count.map((c) => c / N), deathRate: deaths.map((d, s) => d / count[s]!) };
    };
    const b = deathRateByStage(base);
    const s = deathRateByStage(shuffled);
    for (let i = 0; i < 4; i++) expect(Math.abs(s.share[i]! - b.share[i]!)).toBeLessThan(0.015);
    expect(b.deathRate[3]! - b.deathRate[0]!).toBeGreaterThan(0.3);
    expect(Math.abs(s.deathRate[3]! - s.deathRate[0]!)).toBeLessThan(0.04);
  });

  it('removeTransition RECURRENCE writes no recurrence; attributes never change', () => {
    const removed = simulateInMemory(N, 'perturb', { removeTransition: 'RECURRENCE' });
    expect(base.sink.code.filter((c) => c === code('RECURRENCE')).length).toBeGreaterThan(1000);
    expect(removed.sink.code.filter((c) => c === code('RECURRENCE')).length).toBe(0);
    expect(removed.sink.attributes).toEqual(base.sink.attributes);
    expect(removed.sink.indexDay).toEqual(base.sink.indexDay);
  });

  it('forceFirstLine gives every treated patient that first line', () => {
    const forced = simulateInMemory(5000, 'perturb', { forceFirstLine: 'TARGETED' });
    const firstLines = new Set<number>();
    for (let p = 0; p < 5000; p++) {
      for (let e = forced.ends[p]!; e < forced.ends[p + 1]!; e++) {
        const name = REFERENCE_CODES[forced.sink.code[e]!]!;
        if (name.startsWith('TREATMENT:')) {
          firstLines.add(forced.sink.code[e]!);
          break;
        }
      }
    }
    expect([...firstLines]).toEqual([code('TREATMENT:TARGETED')]);
  });

  it('deathHazardMultiplier 1.5 raises deaths; gapMultiplier 1.3 stretches visit gaps by 1.3', () => {
    const deadlier = simulateInMemory(N, 'perturb', { deathHazardMultiplier: 1.5 });
    expect(deadlier.totals.deaths).toBeGreaterThan(base.totals.deaths * 1.15);
    const meanVisitGap = (run: typeof base) => {
      let sum = 0;
      let n = 0;
      for (let p = 0; p < N; p++) {
        let previous = -1;
        for (let e = run.ends[p]!; e < run.ends[p + 1]!; e++) {
          if (run.sink.code[e] !== code('VISIT')) continue;
          if (previous >= 0) {
            sum += run.sink.day[e]! - previous;
            n++;
          }
          previous = run.sink.day[e]!;
        }
      }
      return sum / n;
    };
    const interval = REFERENCE_PARAMETERS.visits.intervalDays;
    expect(Math.abs(meanVisitGap(base) - interval)).toBeLessThan(0.5);
    const stretched = simulateInMemory(N, 'perturb', { gapMultiplier: 1.3 });
    expect(Math.abs(meanVisitGap(stretched) - 1.3 * interval)).toBeLessThan(0.5);
  });
});
