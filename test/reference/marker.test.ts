import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REFERENCE_CODES,
  REFERENCE_MARKER,
  REFERENCE_PARAMETERS,
} from '../../src/reference/reference-parameters.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { runTrajsim } from '../helpers/cli.js';
import { coxFit, tempRoot } from './helpers.js';

const PATIENTS = 20_000;
/**
 * Patients in the Cox fit (the first of the cohort): 6000 keeps the test at a few seconds;
 * `MARKER_COX_PATIENTS=20000 npx vitest run test/reference/marker.test.ts` runs the full check
 * (measured: HR 1.486, 95% CI 1.442–1.532, 9,516 deaths; truth 1.5).
 */
const COX_PATIENTS = Math.min(PATIENTS, Number(process.env['MARKER_COX_PATIENTS'] ?? 6000));
const HR = REFERENCE_PARAMETERS.death.hazardRatios;
const M = REFERENCE_MARKER;
const FIRST_LINE_CODES = [
  'TREATMENT:SURGERY',
  'TREATMENT:CHEMO',
  'TREATMENT:TARGETED',
  'TREATMENT:IMMUNO',
];

/** sha256 of the default process's files (400 patients, seed 'pin-bytes'), taken at commit 48fdc85 before the marker existed. */
const PINNED: Record<string, string> = {
  'events.arrow': '5783613f2a87d1e1a537ba9efdcc39b359cc7b94077d45624ac12549221e7c7e',
  'patients.arrow': '2dbf3ad69ad7f03ca7744f511d0c664a03614f67522ca70eb691009ae16db5cc',
  'timeline.json': '2b97e284022738165d8b9edb4233b0105b7b4a19a4e80ef2cbec400a8fc01748',
};

const sha = (dir: string, file: string) =>
  createHash('sha256')
    .update(readFileSync(join(dir, file)))
    .digest('hex');

function categorical(t: Timeline, name: string): Int32Array {
  const a = t.patients.attributes.find((x) => x.name === name);
  if (a?.kind !== 'categorical') throw new Error(`${name} is not categorical`);
  return a.codes;
}

describe('reference process with the tumour marker (--marker)', () => {
  const tmp = tempRoot();
  let timeline: Timeline;
  let cea: number;

  beforeAll(async () => {
    await simulateReference(tmp.path('marker'), {
      patients: PATIENTS,
      seed: 'marker',
      marker: true,
    });
    timeline = await readTimeline(tmp.path('marker'));
    cea = timeline.events.codes.indexOf(M.code);
  }, 60_000);
  afterAll(() => tmp.cleanup());

  it('leaves the default process byte for byte (marker off or absent)', async () => {
    await simulateReference(tmp.path('default'), { patients: 400, seed: 'pin-bytes' });
    await simulateReference(tmp.path('off'), { patients: 400, seed: 'pin-bytes', marker: false });
    for (const [file, hash] of Object.entries(PINNED)) {
      expect(sha(tmp.path('default'), file), file).toBe(hash);
      expect(sha(tmp.path('off'), file), file).toBe(hash);
    }
  });

  it('keeps attributes and index dates of the default run, and is deterministic', async () => {
    await simulateReference(tmp.path('m1'), { patients: 400, seed: 'pin-bytes', marker: true });
    await simulateReference(tmp.path('m2'), { patients: 400, seed: 'pin-bytes', marker: true });
    for (const file of Object.keys(PINNED)) {
      expect(sha(tmp.path('m1'), file)).toBe(sha(tmp.path('m2'), file));
    }
    expect(sha(tmp.path('m1'), 'patients.arrow')).toBe(PINNED['patients.arrow']);
    const m = await readTimeline(tmp.path('m1'));
    expect(m.events.codes).toEqual([...REFERENCE_CODES, 'LAB:CEA']);
  });

  it('is what `trajsim reference --marker` writes', async () => {
    const out = tmp.path('cli');
    const r = runTrajsim([
      'reference',
      '--patients',
      '400',
      '--seed',
      'pin-bytes',
      '--marker',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(sha(out, 'events.arrow')).toBe(sha(tmp.path('m1'), 'events.arrow'));
    const manifest = JSON.parse(readFileSync(join(out, 'timeline.json'), 'utf8'));
    expect(manifest.source).toBe('trajsim reference process v1 seed=pin-bytes marker');
    expect(manifest.codes.at(-1)).toBe('LAB:CEA');
  });

  it('measures at diagnosis always and at ~85% of visits; day-0 log values follow the documented normal', () => {
    const { events, offsets } = timeline;
    const visit = events.codes.indexOf('VISIT');
    let visits = 0;
    let measured = 0;
    let bad = 0;
    const day0: number[] = [];
    for (let p = 0; p < PATIENTS; p++) {
      let first = true;
      for (let e = offsets[p]!; e < offsets[p + 1]!; e++) {
        if (events.code[e] === cea) {
          if (!(events.value[e]! > 0)) bad++;
          if (first) {
            if (events.day[e] !== 0) bad++;
            day0.push(Math.log(events.value[e]!));
            first = false;
          } else {
            if (events.code[e - 1] !== visit) bad++;
            measured++;
          }
        } else if (events.code[e] === visit) visits++;
      }
    }
    expect(bad).toBe(0);
    expect(day0).toHaveLength(PATIENTS);
    const share = measured / visits;
    const p = 1 - M.missedVisitProbability;
    expect(Math.abs(share - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / visits));
    // At diagnosis every patient waits for a first line: log m ~ N(logMean + WAIT level, patientSd² + measurementSd²).
    const n = day0.length;
    const mean = day0.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(day0.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
    const trueSd = Math.hypot(M.patientSd, M.measurementSd);
    expect(Math.abs(mean - (M.logMean + M.stateLevel.WAIT))).toBeLessThan(
      (4 * trueSd) / Math.sqrt(n),
    );
    expect(Math.abs(sd / trueSd - 1)).toBeLessThan(4 / Math.sqrt(2 * n));
  });

  it('rises in the months before a first-line progression and is lowest while responding', () => {
    // Within patient: the last measurement in the 120 days before a PROGRESSION on line 1
    // minus the first measurement after the first-line start (both on the line, so the
    // patient level cancels); and measurements while responding vs on the line.
    const { events, offsets } = timeline;
    const codes = events.codes;
    const progression = codes.indexOf('PROGRESSION');
    const response = codes.indexOf('RESPONSE');
    const rises: number[] = [];
    const onLine: number[] = [];
    const responding: number[] = [];
    for (let p = 0; p < PATIENTS; p++) {
      let first = Number.NaN;
      let last = Number.NaN;
      let lastDay = -1;
      let firstDay = -1;
      let state: 'wait' | 'on' | 'resp' = 'wait';
      for (let e = offsets[p]!; e < offsets[p + 1]!; e++) {
        const c = events.code[e]!;
        const day = events.day[e]!;
        if (c === cea && day > 0) {
          const v = Math.log(events.value[e]!);
          if (state === 'on') {
            if (Number.isNaN(first)) {
              first = v;
              firstDay = day;
            }
            last = v;
            lastDay = day;
            onLine.push(v);
          } else if (state === 'resp') responding.push(v);
        } else if (state === 'wait' && FIRST_LINE_CODES.includes(codes[c]!)) {
          state = codes[c] === 'TREATMENT:SURGERY' ? 'resp' : 'on';
        } else if (c === response) state = 'resp';
        else if (c === progression || codes[c] === 'RECURRENCE') {
          if (c === progression && day - lastDay <= 120 && lastDay > firstDay)
            rises.push(last - first);
          break;
        }
      }
    }
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    const sd = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / a.length);
    expect(rises.length).toBeGreaterThan(500);
    expect(mean(rises)).toBeGreaterThan(4 * (sd(rises) / Math.sqrt(rises.length)));
    expect(mean(responding)).toBeLessThan(mean(onLine));
  });

  it('a Cox model of death on the most recent log marker (time-dependent) recovers the documented HR', () => {
    // Overall survival from diagnosis; covariates: baseline ones, first line active, prior
    // disease events k = 1..4 and log(most recent marker) − logMean. A change recorded on day
    // c takes effect at c − 0.5 (events of one day are in process order).
    const { events, offsets } = timeline;
    const codes = events.codes;
    const ageAttr = timeline.patients.attributes.find((a) => a.name === 'age')!;
    const age = ageAttr.kind === 'numeric' ? ageAttr.values : new Float64Array();
    const [sex, stage, ecog, bm] = ['sex', 'stage', 'ecog', 'biomarker'].map((n) =>
      categorical(timeline, n),
    );
    const start: number[] = [];
    const stop: number[] = [];
    const status: number[] = [];
    const x: number[] = [];
    for (let p = 0; p < COX_PATIENTS; p++) {
      let t0 = -1;
      let k = 0;
      let active: string | undefined;
      let seenFirstLine = false;
      let logM = 0;
      const close = (t1: number, died: number) => {
        if (t1 <= t0) return;
        x.push(
          (age[p]! - REFERENCE_PARAMETERS.attributes.referenceAgeYears) / 10,
          sex![p] === 1 ? 1 : 0,
          stage![p] === 1 ? 1 : 0,
          stage![p] === 2 ? 1 : 0,
          stage![p] === 3 ? 1 : 0,
          ecog![p] === 1 ? 1 : 0,
          ecog![p] === 2 ? 1 : 0,
          bm![p] === 1 ? 1 : 0,
          active === 'TREATMENT:SURGERY' ? 1 : 0,
          active === 'TREATMENT:CHEMO' ? 1 : 0,
          active === 'TREATMENT:TARGETED' ? 1 : 0,
          active === 'TREATMENT:IMMUNO' ? 1 : 0,
          k === 1 ? 1 : 0,
          k === 2 ? 1 : 0,
          k === 3 ? 1 : 0,
          k === 4 ? 1 : 0,
          logM,
        );
        start.push(t0);
        stop.push(t1);
        status.push(died);
        t0 = t1;
      };
      for (let e = offsets[p]!; e < offsets[p + 1]!; e++) {
        const code = codes[events.code[e]!]!;
        const day = events.day[e]!;
        if (events.code[e] === cea) {
          close(day - 0.5, 0);
          logM = Math.log(events.value[e]!) - M.logMean;
        } else if (!seenFirstLine && FIRST_LINE_CODES.includes(code)) {
          seenFirstLine = true;
          close(day - 0.5, 0);
          active = code;
        } else if (code === 'PROGRESSION' || code === 'RECURRENCE') {
          close(day - 0.5, 0);
          k++;
          active = undefined;
        } else if (code === 'DEATH' || code === 'END_OF_FOLLOWUP') {
          close(day, code === 'DEATH' ? 1 : 0);
        }
      }
    }
    const fit = coxFit(start, stop, status, Float64Array.from(x), 17);
    const j = 16;
    const truth = M.logHazardRatioPerLogUnit.death;
    const z = (fit.beta[j]! - truth) / fit.se[j]!;
    expect(
      Math.abs(z),
      `HR per log unit ${Math.exp(fit.beta[j]!).toFixed(3)} vs ${Math.exp(truth)}`,
    ).toBeLessThan(4);
    // and the history effect is still there (×1.6 per prior disease event)
    const zk = (fit.beta[12]! - Math.log(HR.perPriorDiseaseEvent)) / fit.se[12]!;
    expect(Math.abs(zk)).toBeLessThan(4);
  });
});
