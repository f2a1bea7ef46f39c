import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { trueLandmarkRisk } from '../../src/reference/landmark-risk.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import {
  COX_PREDICTOR,
  evaluateLandmarkPredictions,
  heldOutSplit,
  type LandmarkEvaluation,
  TRUTH_PREDICTOR,
} from '../../src/validate/landmark-evaluation.js';
import { tempRoot } from '../reference/helpers.js';

describe('evaluateLandmarkPredictions on the reference process (landmark day 365)', () => {
  const tmp = tempRoot();
  let timeline: Timeline;
  let evaluation: LandmarkEvaluation;
  let split: { train: Int32Array; heldOut: Int32Array };
  beforeAll(async () => {
    await simulateReference(tmp.path('cohort'), { patients: 5000, seed: 'landmark-evaluation' });
    timeline = await readTimeline(tmp.path('cohort'));
    split = heldOutSplit(timeline.patients.ids.length, 0.4, new Rng('split').fork('held-out'));
    evaluation = evaluateLandmarkPredictions({
      train: timeline,
      heldOut: timeline,
      trainRows: split.train,
      heldOutRows: split.heldOut,
      landmarkDay: 365,
      reference: {},
    });
  }, 120_000);
  afterAll(() => tmp.cleanup());

  const scores = (name: string) => evaluation.predictors.find((p) => p.name === name)!;

  it('scores the true risk at least as well as the landmark Cox baseline', () => {
    const truth = scores(TRUTH_PREDICTOR);
    const cox = scores(COX_PREDICTOR);
    expect(evaluation.patients.scored).toBe(evaluation.patients.atRisk);
    expect(evaluation.patients.atRisk).toBeGreaterThan(1500);
    truth.horizons.forEach((h, k) => {
      expect(h.uno, `Uno C at ${h.days}`).toBeGreaterThanOrEqual(cox.horizons[k]!.uno - 0.01);
      expect(h.harrell).toBeGreaterThan(0.6);
      expect(h.truthSlope).toBeCloseTo(1, 12); // the truth against itself
    });
    expect(truth.integratedBrier).toBeLessThanOrEqual(cox.integratedBrier + 0.002);
  });

  it('the Cox baseline is roughly calibrated against the truth (slope of true on Cox risk near 1)', () => {
    const cox = scores(COX_PREDICTOR);
    const fiveYears = cox.horizons[2]!;
    expect(fiveYears.truthSlope!).toBeGreaterThan(0.75);
    expect(fiveYears.truthSlope!).toBeLessThan(1.25);
    expect(evaluation.cox.columns).toContain('count:PROGRESSION');
  });

  it('reads a miscalibrated predictor as such: half the true risk has a truth slope of 2', () => {
    // Feed the truth back, halved, under another name, and leave one patient out.
    const truth = evaluateTruthColumn(timeline, split.heldOut);
    const ids = truth.ids.slice(1);
    const half = evaluateLandmarkPredictions({
      train: timeline,
      heldOut: timeline,
      trainRows: split.train,
      heldOutRows: split.heldOut,
      landmarkDay: 365,
      reference: {},
      horizons: [730],
      predictions: [{ name: 'half', ids, risk: [truth.risk.slice(1).map((r) => r / 2)] }],
    });
    const h = half.predictors.find((p) => p.name === 'half')!.horizons[0]!;
    expect(h.truthSlope).toBeCloseTo(2, 10);
    expect(half.missing['half']).toBe(1);
    expect(half.patients.scored).toBe(evaluation.patients.scored - 1);
    // Halving keeps the order: the same concordance as the truth on the same patients.
    const t = half.predictors.find((p) => p.name === TRUTH_PREDICTOR)!.horizons[0]!;
    expect(h.uno).toBeCloseTo(t.uno, 12);
    expect(h.brier).toBeGreaterThan(t.brier);
  });
});

/** The true 2-year risks of the held-out rows at risk, by id. */
function evaluateTruthColumn(
  timeline: Timeline,
  rows: Int32Array,
): { ids: string[]; risk: number[] } {
  const { cohort, risk } = trueLandmarkRisk(timeline, 365, [730], { rows });
  return {
    ids: Array.from(cohort.rows, (p) => timeline.patients.ids[p]!),
    risk: Array.from(risk[0]!),
  };
}
