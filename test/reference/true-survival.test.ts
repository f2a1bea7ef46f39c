import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import {
  computeTrueSurvival,
  REFERENCE_HORIZON_DAYS,
  referenceParametersHash,
} from '../../src/reference/compute-true-survival.js';
import { REFERENCE_CODES, REFERENCE_PARAMETERS } from '../../src/reference/reference-parameters.js';
import { ReferenceSimulator, simulateReference } from '../../src/reference/reference-process.js';
import { TRUE_SURVIVAL_TABLE, trueSurvival } from '../../src/reference/true-survival.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { kaplanMeierByDay, MemorySink, tempRoot } from './helpers.js';

const STAGES = REFERENCE_PARAMETERS.attributes.stage.levels;
const MIN_AT_RISK = 500;
const DEATH = REFERENCE_CODES.indexOf('DEATH');

/** Overall survival (terminal day, died) of the patients whose written stage is `stage`. */
function osByStage(t: Timeline, stage: number): { time: Int32Array; died: Uint8Array } {
  const stageAttr = t.patients.attributes.find((a) => a.name === 'stage');
  if (stageAttr?.kind !== 'categorical') throw new Error('no stage');
  const death = t.events.codes.indexOf('DEATH');
  const time: number[] = [];
  const died: number[] = [];
  for (let p = 0; p < t.patients.ids.length; p++) {
    if (stageAttr.codes[p] !== stage) continue;
    const last = t.offsets[p + 1]! - 1;
    time.push(t.events.day[last]!);
    died.push(t.events.code[last] === death ? 1 : 0);
  }
  return { time: Int32Array.from(time), died: Uint8Array.from(died) };
}

/** sup over days with at least MIN_AT_RISK patients at risk of |KM − truth|. */
function supDistance(
  time: ArrayLike<number>,
  died: ArrayLike<number>,
  truth: (d: number) => number,
): number {
  const km = kaplanMeierByDay(time, died, REFERENCE_HORIZON_DAYS);
  let sup = 0;
  for (let d = 0; d <= REFERENCE_HORIZON_DAYS && km.atRisk[d]! >= MIN_AT_RISK; d++) {
    sup = Math.max(sup, Math.abs(km.survival[d]! - truth(d)));
  }
  return sup;
}

describe('trueSurvival', () => {
  const tmp = tempRoot();
  let timeline: Timeline;

  beforeAll(async () => {
    await simulateReference(tmp.path('cohort'), { patients: 40_000, seed: 'true-survival' });
    timeline = await readTimeline(tmp.path('cohort'));
  });
  afterAll(() => tmp.cleanup());

  it('matches the Kaplan–Meier curve of simulated overall survival per stage within 2.5 points', () => {
    STAGES.forEach((stage, s) => {
      const { time, died } = osByStage(timeline, s);
      expect(time.length).toBeGreaterThan(5000);
      const sup = supDistance(time, died, (d) => trueSurvival(stage, d));
      expect(sup, `stage ${stage}`).toBeLessThan(0.025);
    });
  });

  it('separates the stages: five-year OS falls from I to IV', () => {
    const fiveYears = STAGES.map((s) => trueSurvival(s, 1826));
    for (let i = 1; i < fiveYears.length; i++)
      expect(fiveYears[i]!).toBeLessThan(fiveYears[i - 1]! - 0.1);
  });

  it('comes from the current parameters (the committed table is not stale)', () => {
    expect(TRUE_SURVIVAL_TABLE.parametersHash).toBe(referenceParametersHash());
    expect(TRUE_SURVIVAL_TABLE.horizonDays).toBe(REFERENCE_HORIZON_DAYS);
    const fresh = computeTrueSurvival({ stages: ['III'], horizonDays: 400 }).III!;
    for (let d = 0; d <= 400; d++)
      expect(Math.abs(fresh[d]! - trueSurvival('III', d))).toBeLessThan(1e-7);
  });

  it('with shuffleStage, every written stage has the marginal survival of the cohort', () => {
    const curves = computeTrueSurvival({ shuffleStage: true, horizonDays: 60 });
    const plain = computeTrueSurvival({ horizonDays: 60 });
    expect(curves.I).toEqual(curves.IV);
    expect(curves.I![60]!).toBeLessThan(plain.I![60]!);
    expect(curves.I![60]!).toBeGreaterThan(plain.IV![60]!);
  });

  it('is a step function of whole days, NaN past the horizon, and rejects bad arguments', () => {
    expect(trueSurvival('II', 100.7)).toBe(trueSurvival('II', 100));
    expect(trueSurvival('II', REFERENCE_HORIZON_DAYS)).toBeGreaterThan(0);
    expect(trueSurvival('II', REFERENCE_HORIZON_DAYS + 1)).toBeNaN();
    expect(() => trueSurvival('II', -1)).toThrow(TrajsimError);
    expect(() => trueSurvival('II', Number.NaN)).toThrow(/finite/);
    expect(() => trueSurvival('V' as 'IV', 10)).toThrow(/stage 'V'/);
  });

  it('computeTrueSurvival follows the deathHazardMultiplier and forceFirstLine perturbations', () => {
    const horizon = 1500;
    const baseline = computeTrueSurvival({ stages: ['III'], horizonDays: horizon }).III!;
    for (const perturbation of [
      { deathHazardMultiplier: 1.5 },
      { forceFirstLine: 'TREATMENT:SURGERY' },
    ]) {
      const truth = computeTrueSurvival({ ...perturbation, stages: ['III'], horizonDays: horizon })
        .III!;
      const sim = new ReferenceSimulator('perturbed-survival', perturbation);
      const sink = new MemorySink();
      for (let i = 0; i < 30_000; i++) sim.simulatePatient(i, sink);
      const ends = sink.finalOffsets();
      const time: number[] = [];
      const died: number[] = [];
      for (let p = 0; p < sink.ids.length; p++) {
        if (sink.attributes[p]![2] !== 2) continue; // stage III
        const last = ends[p + 1]! - 1;
        time.push(sink.day[last]!);
        died.push(sink.code[last] === DEATH ? 1 : 0);
      }
      const km = kaplanMeierByDay(time, died, horizon);
      let sup = 0;
      for (let d = 0; d <= horizon && km.atRisk[d]! >= MIN_AT_RISK; d++) {
        sup = Math.max(sup, Math.abs(km.survival[d]! - truth[d]!));
      }
      expect(sup, JSON.stringify(perturbation)).toBeLessThan(0.03);
      // And the perturbation moved the curve well beyond that tolerance somewhere.
      expect(Math.abs(baseline[horizon]! - truth[horizon]!)).toBeGreaterThan(0.04);
    }
  });
});
