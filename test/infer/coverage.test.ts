import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateCohort } from '../../src/generate/generate-cohort.js';
import { loadGenerationModel } from '../../src/generate/load-generation-model.js';
import { generateTwins } from '../../src/infer/generate-twins.js';
import { trainModel } from '../../src/model/train-model.js';
import { REFERENCE_PARAMETERS } from '../../src/reference/reference-parameters.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { trueSurvival } from '../../src/reference/true-survival.js';
import { clusterInfluence, combineEstimates } from '../../src/stats/inference/combine-estimates.js';
import { estimateTarget, type InferenceQuery } from '../../src/stats/inference/inference-target.js';
import { normalUpperTail } from '../../src/stats/normal.js';
import { readTimeline } from '../../src/timeline/read.js';
import { selectPatients } from '../../src/timeline/select-patients.js';
import type { Timeline } from '../../src/timeline/types.js';
import { useTempDir } from '../helpers/tmp.js';

/**
 * The fast version of scripts/inference-coverage.mjs: few replicates, Markov generators (a
 * reasonable one and one trained on data with a 1.5× death hazard), wide tolerances.
 */
const dir = useTempDir('infer-coverage');
const R = 40;
const n = 150;
const K = 2;
const query: InferenceQuery = { target: { kind: 'survival', days: 730 }, endpoint: 'DEATH' };

/** True 2-year OS of the reference process: Σ P(stage) S_stage(730), P(stage) from the parameters. */
function trueOverallSurvival(days: number): number {
  const { age, stage, referenceAgeYears } = REFERENCE_PARAMETERS.attributes;
  const cdf = (x: number) => 1 - normalUpperTail((x - age.meanYears) / age.sdYears);
  const total = cdf(age.maxYears + 1) - cdf(age.minYears);
  let s = 0;
  for (let a = age.minYears; a <= age.maxYears; a++) {
    const pa = (cdf(a + 1) - cdf(a)) / total;
    const w = stage.baseWeights.map(
      (b, k) => b * Math.exp((stage.logWeightPer10Years[k]! * (a - referenceAgeYears)) / 10),
    );
    const sum = w.reduce((x, y) => x + y, 0);
    stage.levels.forEach((level, k) => {
      s += ((pa * w[k]!) / sum) * trueSurvival(level as 'I', days);
    });
  }
  return s;
}

interface Run {
  cohort: Timeline;
  twins: Timeline;
}
let pool: Timeline;
const runs: Record<'good' | 'biased', Run> = {} as Record<'good' | 'biased', Run>;

beforeAll(async () => {
  await simulateReference(join(dir, 'pool'), { patients: R * n, seed: 'coverage-test-real' });
  pool = await readTimeline(join(dir, 'pool'));
  for (const [name, multiplier] of [
    ['good', 1],
    ['biased', 1.5],
  ] as const) {
    await simulateReference(join(dir, `train-${name}`), {
      patients: 4000,
      seed: 'coverage-test-train',
      ...(multiplier !== 1 ? { perturbations: { deathHazardMultiplier: multiplier } } : {}),
    });
    await trainModel({
      data: join(dir, `train-${name}`),
      out: join(dir, `model-${name}`),
      kind: 'markov',
      seed: 1,
    });
    const model = loadGenerationModel(join(dir, `model-${name}`));
    await generateCohort(model, {
      patients: 4000,
      seed: 'cohort',
      out: join(dir, `cohort-${name}`),
    });
    await generateTwins(model, pool, {
      perPatient: K,
      seed: 'twins',
      out: join(dir, `twins-${name}`),
    });
    model.stepModel.dispose();
    runs[name] = {
      cohort: await readTimeline(join(dir, `cohort-${name}`)),
      twins: await readTimeline(join(dir, `twins-${name}`)),
    };
  }
}, 120_000);

function coverage(run: Run) {
  const truth = trueOverallSurvival(730);
  const cohort = estimateTarget(run.cohort, query);
  const tally = { real: 0, synthetic: 0, combined: 0, realWidth: 0, combinedWidth: 0, disagree: 0 };
  for (let r = 0; r < R; r++) {
    const real = selectPatients(
      pool,
      Int32Array.from({ length: n }, (_, i) => r * n + i),
    );
    const twins = selectPatients(
      run.twins,
      Int32Array.from({ length: n * K }, (_, i) => r * n * K + i),
    );
    const c = combineEstimates({
      real: estimateTarget(real, query),
      paired: clusterInfluence(estimateTarget(twins, query), K),
      synthetic: cohort,
    });
    const [re, sy, co] = c.rows;
    tally.real += re.lower <= truth && truth <= re.upper ? 1 : 0;
    tally.synthetic += sy.lower <= truth && truth <= sy.upper ? 1 : 0;
    tally.combined += co.lower <= truth && truth <= co.upper ? 1 : 0;
    tally.realWidth += re.upper - re.lower;
    tally.combinedWidth += co.upper - co.lower;
    tally.disagree += c.syntheticDisagrees ? 1 : 0;
  }
  return tally;
}

describe('generateTwins', () => {
  it('twin g carries every attribute of real patient ⌊g / K⌋ (missing stays missing)', () => {
    const twins = runs.good.twins;
    expect(twins.patients.ids.length).toBe(R * n * K);
    for (const attr of pool.patients.attributes) {
      const t = twins.patients.attributes.find((a) => a.name === attr.name)!;
      for (let g = 0; g < R * n * K; g += 97) {
        const p = Math.floor(g / K);
        if (attr.kind === 'numeric' && t.kind === 'numeric') {
          expect(t.values[g]).toBe(attr.values[p]);
        } else if (attr.kind === 'categorical' && t.kind === 'categorical') {
          expect(t.levels[t.codes[g]!]).toBe(attr.levels[attr.codes[p]!]);
        }
      }
    }
  });
});

describe('combined CIs keep their coverage on the reference process (fast version of scripts/inference-coverage.mjs)', () => {
  it('a reasonable generator: combined covers the true 2-year OS about as often as real only, and is narrower', () => {
    const t = coverage(runs.good);
    expect(t.combined / R).toBeGreaterThanOrEqual(0.85);
    expect(t.real / R).toBeGreaterThanOrEqual(0.85);
    expect(t.combinedWidth).toBeLessThan(t.realWidth);
  });

  it('a biased generator (1.5× death hazard): the naive CI misses the truth, combined still covers', () => {
    const t = coverage(runs.biased);
    expect(t.synthetic).toBe(0);
    expect(t.combined / R).toBeGreaterThanOrEqual(0.85);
  });
});
