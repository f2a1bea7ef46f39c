import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGenerationModel } from '../../src/generate/load-generation-model.js';
import type { GenerationModel } from '../../src/generate/step-model.js';
import { selectBackend } from '../../src/model/backend.js';
import { loadModel } from '../../src/model/read-model.js';
import { computeTrueSurvival } from '../../src/reference/compute-true-survival.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { trueSurvival } from '../../src/reference/true-survival.js';
import { runGeneration } from '../../src/scenario/run-generation.js';
import { scenarioSchema } from '../../src/scenario/schema.js';
import { endpointTimes } from '../../src/stats/endpoints.js';
import { kaplanMeier, survivalAt } from '../../src/stats/kaplan-meier.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { useTempDir } from '../helpers/tmp.js';

/**
 * Conditioning fidelity on the known-truth reference process: a GRU trained on 20 000
 * reference patients (models/reference, scripts/train-reference-model.sh) is asked for
 * cohorts by scenario, and their survival is compared with the TRUE curves of the process.
 */
const root = useTempDir('conditioning');
const MODEL_DIR = process.env['TRAJSIM_REFERENCE_MODEL'] ?? 'models/reference';
const N = 2000;
const HORIZON = 1826; // five years
let model: GenerationModel;

beforeAll(async () => {
  const loaded = loadModel(MODEL_DIR);
  if (loaded.manifest.kind === 'gru') await selectBackend('wasm');
  model = loadGenerationModel(loaded);
});
afterAll(() => model?.stepModel.dispose());

async function generate(name: string, scenario: Record<string, unknown>): Promise<Timeline> {
  const out = join(root, name);
  await runGeneration({
    model,
    modelDir: MODEL_DIR,
    scenario: scenarioSchema.parse({ name, patients: N, seed: 11, ...scenario }),
    out,
  });
  return readTimeline(out);
}

/** sup over whole days 0..HORIZON of |KM(t) − S(t)|. */
function supToCurve(t: Timeline, curve: (day: number) => number, rows?: Int32Array): number {
  const os = endpointTimes(t, 'DEATH');
  const time = rows ? Float64Array.from(rows, (r) => os.time[r]!) : os.time;
  const status = rows ? Uint8Array.from(rows, (r) => os.status[r]!) : os.status;
  const km = kaplanMeier(time, status);
  let sup = 0;
  for (let d = 0; d <= HORIZON; d++) sup = Math.max(sup, Math.abs(survivalAt(km, d) - curve(d)));
  return sup;
}

function stageRows(t: Timeline, level: string): Int32Array {
  const stage = t.patients.attributes.find((a) => a.name === 'stage') as {
    levels: readonly string[];
    codes: Int32Array;
  };
  const code = stage.levels.indexOf(level);
  const rows: number[] = [];
  stage.codes.forEach((c, p) => {
    if (c === code) rows.push(p);
  });
  return Int32Array.from(rows);
}

describe('conditioning fidelity on the reference process (truth known)', () => {
  it('a stage IV scenario follows the true stage IV survival within its noise floor, far from stage I', async () => {
    const synthetic = await generate('stage-iv', { attributes: { stage: 'IV' } });
    const truthIV = (d: number) => trueSurvival('IV', d);
    const syntheticSup = supToCurve(synthetic, truthIV);
    // Noise floor: the same distance for real stage IV samples of the same size (3 draws).
    const floors: number[] = [];
    for (const seed of [101, 102, 103]) {
      const dir = join(root, `real-${seed}`);
      await simulateReference(dir, { patients: 11_000, seed });
      const real = await readTimeline(dir);
      const rows = stageRows(real, 'IV').subarray(0, N);
      expect(rows.length).toBe(N);
      floors.push(supToCurve(real, truthIV, rows));
    }
    const floor = floors.reduce((a, b) => a + b, 0) / floors.length;
    const farFromI = supToCurve(synthetic, (d) => trueSurvival('I', d));
    console.info(
      `stage IV: sup|KM_syn − S_IV| = ${syntheticSup.toFixed(4)}, real noise floor ${floor.toFixed(4)} (ratio ${(syntheticSup / floor).toFixed(2)}); sup|KM_syn − S_I| = ${farFromI.toFixed(3)}`,
    );
    expect(syntheticSup / floor).toBeLessThanOrEqual(3);
    expect(farFromI).toBeGreaterThan(0.4);
  });

  it('a first-line what-if moves survival in the direction and roughly by the size of the true effect', async () => {
    // Stage II patients: surgery (true first-line HR 0.6) vs chemotherapy (HR 1) at first line.
    const whatIf = (code: string) => ({
      attributes: { stage: 'II' },
      interventions: [{ code, day: 14, replaces: 'TREATMENT:' }],
    });
    const surgery = await generate('surgery', whatIf('TREATMENT:SURGERY'));
    const chemo = await generate('chemo', whatIf('TREATMENT:CHEMO'));
    const at = 3 * 365;
    const s = (t: Timeline) => {
      const os = endpointTimes(t, 'DEATH');
      return survivalAt(kaplanMeier(os.time, os.status), at);
    };
    const syntheticEffect = s(surgery) - s(chemo);
    const trueEffect =
      computeTrueSurvival({ stages: ['II'], horizonDays: at, forceFirstLine: 'SURGERY' }).II![at]! -
      computeTrueSurvival({ stages: ['II'], horizonDays: at, forceFirstLine: 'CHEMO' }).II![at]!;
    console.info(
      `what-if at 3 years, stage II: synthetic ΔS = ${syntheticEffect.toFixed(4)}, true ΔS = ${trueEffect.toFixed(4)}`,
    );
    expect(trueEffect).toBeGreaterThan(0);
    expect(syntheticEffect).toBeGreaterThan(0);
    // Roughly the size: within a factor of two (the SE of a difference of two KMs at n=2000 is ~0.014).
    expect(syntheticEffect).toBeGreaterThan(trueEffect / 2);
    expect(syntheticEffect).toBeLessThan(trueEffect * 2);
  });

  it('requested attribute marginals are achieved within sampling error', async () => {
    const t = await generate('weights', {
      attributes: { stage: { weights: { I: 1, IV: 3 } }, biomarker: 'pos' },
    });
    const iv = stageRows(t, 'IV').length / N;
    // binomial SE sqrt(.75 · .25 / 2000) ≈ 0.0097: allow 4 SE
    expect(Math.abs(iv - 0.75)).toBeLessThan(0.039);
    expect(stageRows(t, 'I').length + stageRows(t, 'IV').length).toBe(N);
    const bio = t.patients.attributes.find((a) => a.name === 'biomarker') as {
      levels: readonly string[];
      codes: Int32Array;
    };
    expect(bio.codes.every((c) => c === bio.levels.indexOf('pos'))).toBe(true);
  });
});
