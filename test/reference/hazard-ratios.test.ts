import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_PARAMETERS } from '../../src/reference/reference-parameters.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { coxFit, tempRoot } from './helpers.js';

const PATIENTS = 40_000;
const HR = REFERENCE_PARAMETERS.death.hazardRatios;
const FIRST_LINE_CODES = [
  'TREATMENT:SURGERY',
  'TREATMENT:CHEMO',
  'TREATMENT:TARGETED',
  'TREATMENT:IMMUNO',
];

/** Covariate names and true log hazard ratios shared by both fits (reference levels omitted). */
const BASE_TERMS: readonly [string, number][] = [
  ['age per 10 years', Math.log(HR.agePer10Years)],
  ['male', Math.log(HR.male)],
  ['stage II', Math.log(HR.stage.II)],
  ['stage III', Math.log(HR.stage.III)],
  ['stage IV', Math.log(HR.stage.IV)],
  ['ecog 1', Math.log(HR.ecog['1'])],
  ['ecog 2', Math.log(HR.ecog['2'])],
  ['biomarker pos', Math.log(HR.biomarkerPositive)],
  ['first line SURGERY', Math.log(HR.firstLine.SURGERY.neg)],
  ['first line TARGETED (all biomarker+)', Math.log(HR.firstLine.TARGETED.pos)],
  ['first line IMMUNO', Math.log(HR.firstLine.IMMUNO.neg)],
];

interface Columns {
  age: Float64Array;
  sex: Int32Array;
  stage: Int32Array;
  ecog: Int32Array;
  biomarker: Int32Array;
}

function columns(t: Timeline): Columns {
  const get = (name: string) => {
    const a = t.patients.attributes.find((x) => x.name === name);
    if (!a) throw new Error(`no attribute ${name}`);
    return a;
  };
  const cat = (name: string): Int32Array => {
    const a = get(name);
    if (a.kind !== 'categorical') throw new Error(`${name} is not categorical`);
    return a.codes;
  };
  const age = get('age');
  if (age.kind !== 'numeric') throw new Error('age is not numeric');
  return {
    age: age.values,
    sex: cat('sex'),
    stage: cat('stage'),
    ecog: cat('ecog'),
    biomarker: cat('biomarker'),
  };
}

/** Writes the 8 baseline covariates and 3 first-line indicators of one row. */
function baseRow(c: Columns, p: number, firstLine: string | undefined, out: number[]): void {
  out.push(
    (c.age[p]! - REFERENCE_PARAMETERS.attributes.referenceAgeYears) / 10,
    c.sex[p] === 1 ? 1 : 0,
    c.stage[p] === 1 ? 1 : 0,
    c.stage[p] === 2 ? 1 : 0,
    c.stage[p] === 3 ? 1 : 0,
    c.ecog[p] === 1 ? 1 : 0,
    c.ecog[p] === 2 ? 1 : 0,
    c.biomarker[p] === 1 ? 1 : 0,
    firstLine === 'TREATMENT:SURGERY' ? 1 : 0,
    firstLine === 'TREATMENT:TARGETED' ? 1 : 0,
    firstLine === 'TREATMENT:IMMUNO' ? 1 : 0,
  );
}

/** |estimate − truth| within 4 standard errors (two-sided p ≈ 6e-5 per coefficient). */
function expectRecovered(
  fit: { beta: Float64Array; se: Float64Array },
  terms: readonly [string, number][],
) {
  const rows = terms.map(([name, truth], j) => ({
    name,
    trueHR: Math.exp(truth),
    estimatedHR: Math.exp(fit.beta[j]!),
    z: (fit.beta[j]! - truth) / fit.se[j]!,
  }));
  for (const r of rows) {
    expect(
      Math.abs(r.z),
      `${r.name}: HR ${r.estimatedHR.toFixed(3)} vs true ${r.trueHR}`,
    ).toBeLessThan(4);
  }
  return rows;
}

describe('reference process: documented death hazard ratios are recovered by a Cox model', () => {
  const tmp = tempRoot();
  let timeline: Timeline;

  beforeAll(async () => {
    await simulateReference(tmp.path('cohort'), { patients: PATIENTS, seed: 'hazard-ratios' });
    timeline = await readTimeline(tmp.path('cohort'));
  });
  afterAll(() => tmp.cleanup());

  it('recovers every HR of death before any disease event, timed from first-line start', () => {
    const { events, offsets } = timeline;
    const c = columns(timeline);
    const stop: number[] = [];
    const status: number[] = [];
    const x: number[] = [];
    for (let p = 0; p < timeline.patients.ids.length; p++) {
      let startDay = -1;
      let firstLine: string | undefined;
      for (let e = offsets[p]!; e < offsets[p + 1]!; e++) {
        const code = events.codes[events.code[e]!]!;
        if (firstLine === undefined) {
          if (FIRST_LINE_CODES.includes(code)) {
            firstLine = code;
            startDay = events.day[e]!;
          }
          continue;
        }
        if (
          code === 'PROGRESSION' ||
          code === 'RECURRENCE' ||
          code === 'DEATH' ||
          code === 'END_OF_FOLLOWUP'
        ) {
          stop.push(events.day[e]! - startDay);
          status.push(code === 'DEATH' ? 1 : 0);
          baseRow(c, p, firstLine, x);
          break;
        }
      }
    }
    const deaths = status.reduce((a, b) => a + b, 0);
    expect(deaths).toBeGreaterThan(3000);
    const fit = coxFit(
      new Float64Array(stop.length).fill(-1),
      stop,
      status,
      Float64Array.from(x),
      BASE_TERMS.length,
    );
    expectRecovered(fit, BASE_TERMS);
  });

  it('recovers the history effect: death hazard ×1.6 per prior progression or recurrence', () => {
    // Counting-process Cox on overall survival (days since diagnosis) with time-varying
    // covariates: first line active (started, no disease event yet) and the number k of prior
    // disease events. A change recorded on day c takes effect at c − 0.5.
    const { events, offsets } = timeline;
    const c = columns(timeline);
    const start: number[] = [];
    const stop: number[] = [];
    const status: number[] = [];
    const x: number[] = [];
    const row: number[] = [];
    for (let p = 0; p < timeline.patients.ids.length; p++) {
      let t0 = -1;
      let k = 0;
      let active: string | undefined;
      let seenFirstLine = false;
      const close = (t1: number, died: number) => {
        if (t1 <= t0) return;
        row.length = 0;
        baseRow(c, p, active, row);
        row.push(k === 1 ? 1 : 0, k === 2 ? 1 : 0, k === 3 ? 1 : 0, k === 4 ? 1 : 0);
        x.push(...row);
        start.push(t0);
        stop.push(t1);
        status.push(died);
        t0 = t1;
      };
      for (let e = offsets[p]!; e < offsets[p + 1]!; e++) {
        const code = events.codes[events.code[e]!]!;
        const day = events.day[e]!;
        if (!seenFirstLine && FIRST_LINE_CODES.includes(code)) {
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
    const per = Math.log(HR.perPriorDiseaseEvent);
    const terms: [string, number][] = [
      ...BASE_TERMS,
      ['1 prior disease event', per],
      ['2 prior disease events', 2 * per],
      ['3 prior disease events', 3 * per],
      ['4 prior disease events', 4 * per],
    ];
    const fit = coxFit(start, stop, status, Float64Array.from(x), terms.length);
    const rows = expectRecovered(fit, terms);
    // History matters: after 2 progressions the hazard is 1.6² = 2.56× that with none, far
    // from what a chain that forgets the count would give (the same hazard for both).
    const twoVsNone = rows[BASE_TERMS.length + 1]!;
    expect(twoVsNone.estimatedHR).toBeGreaterThan(2.1);
    expect(twoVsNone.estimatedHR).toBeLessThan(3.1);
    expect(fit.beta[BASE_TERMS.length + 1]! - 2 * fit.se[BASE_TERMS.length + 1]!).toBeGreaterThan(
      fit.beta[BASE_TERMS.length]!,
    );
  });
});
