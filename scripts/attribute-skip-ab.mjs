#!/usr/bin/env node
// A/B of GRU variants on the known-truth reference process (issue 17, docs/attributes.md,
// "Attribute skip"): for each model folder, generates --patients synthetic patients (same
// seed for every model) and compares its Cox log hazard ratios with those of a large truth
// cohort (z2 = Δcoef / √(SE_truth² + SE_synthetic²), standard normal when the model is right;
// "shrink" = Σ synthetic coef · truth coef / Σ truth coef², the least-squares factor by which
// the synthetic log-HRs are the truth's, 1 = no attenuation). Also the teacher-forced
// calibration of DEATH per attribute level on the truth cohort (expected ÷ observed; no
// sampling) and the model's validation NLL.
//
//   npm run build && node scripts/attribute-skip-ab.mjs --truth DIR --models A,B [--patients 10000]
//   (truth: `trajsim reference --patients 40000 --seed 3 --out DIR`)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  compareAttributeCox,
  loadGenerationModel,
  loadModel,
  readTimeline,
  selectBackend,
} from 'trajsim';
import { generatePlain, log } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    truth: { type: 'string' },
    models: { type: 'string' },
    patients: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '99' },
    work: { type: 'string', default: '/tmp/trajsim-attribute-skip-ab' },
  },
});
if (!args.truth || !args.models) {
  process.stderr.write('usage: attribute-skip-ab.mjs --truth DIR --models A,B [--patients N]\n');
  process.exit(2);
}
const breakdown = new URL('calibration-breakdown.mjs', import.meta.url).pathname;
await selectBackend('wasm');
const truth = await readTimeline(args.truth);

/**
 * Expected ÷ observed DEATH (and END_OF_FOLLOWUP) overall and per categorical level, teacher
 * forced on the truth cohort, in one pass (scripts/calibration-breakdown.mjs).
 */
function deathCalibration(modelDir) {
  const r = spawnSync(process.execPath, [breakdown, '--model', modelDir, '--data', args.truth], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`calibration-breakdown failed: ${r.stderr}`);
  const b = JSON.parse(r.stdout);
  const out = {
    all: b.overall.DEATH.ratio,
    allEndOfFollowUp: b.overall.END_OF_FOLLOWUP.ratio,
  };
  for (const [level, c] of Object.entries(b.byLevel)) out[level] = c.DEATH.ratio;
  return { manifest: loadModel(modelDir).manifest, calibration: out };
}

const results = [];
for (const modelDir of args.models.split(',')) {
  const { manifest, calibration } = deathCalibration(modelDir);
  const model = loadGenerationModel(modelDir);
  const out = join(args.work, modelDir.replace(/[^A-Za-z0-9]+/g, '_'));
  const g = await generatePlain(model, modelDir, {
    patients: Number(args.patients),
    seed: args.seed,
    out,
  });
  model.stepModel.dispose();
  const synth = await readTimeline(out);
  const cox = compareAttributeCox(truth, synth);
  let num = 0;
  let den = 0;
  for (const t of cox) {
    num += t.otherCoef * t.refCoef;
    den += t.refCoef * t.refCoef;
  }
  results.push({
    model: modelDir,
    attributeSkip: manifest.hyperparameters.attributeSkip ?? 0,
    validationNll: +manifest.metrics.validationNll.toFixed(4),
    validationCodeNll: +manifest.metrics.validationCodeNll.toFixed(4),
    bestEpoch: manifest.metrics.bestEpoch,
    generateSeconds: +g.seconds.toFixed(1),
    shrink: +(num / den).toFixed(3),
    cox: Object.fromEntries(
      cox.map((t) => [
        t.term,
        {
          hrTruth: +Math.exp(t.refCoef).toFixed(3),
          hrSynthetic: +Math.exp(t.otherCoef).toFixed(3),
          z2: +t.z2.toFixed(2),
        },
      ]),
    ),
    deathCalibration: calibration,
  });
  log(`${modelDir}: shrink ${results.at(-1).shrink}`);
}
process.stdout.write(`${JSON.stringify({ args, results }, null, 1)}\n`);
