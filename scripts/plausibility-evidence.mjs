#!/usr/bin/env node
// Plausibility rules: do the committed models break hard rules, and what does enforcing the
// rules while sampling do to fidelity?
//
//   npm run build && node scripts/plausibility-evidence.mjs [--patients 10000] [--work DIR] [--seed 7]
//
// For (a) colon (models/default, real = data/colon, the data it was trained on) and (b) the
// reference process (models/reference, real = a fresh reference sample of 20 000 patients,
// seed 'plausibility-real', independent of its training sample), generates --patients
// patients twice with the same seed: with the model's rules.json enforced (masked) and with
// it ignored (free). Reports per run: patients breaking each hard rule (rules mined from the
// real side), and the fidelity metrics of src/validate on overall survival, inter-event gaps
// and time to first events as ratio = matched ÷ noise floor (≈ 1 at the noise floor; 5
// random half-splits). Prints one JSON document on stdout; progress on stderr.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import {
  auditRules,
  defaultThresholds,
  importTimeline,
  loadGenerationModel,
  mineRules,
  readTimeline,
  selectBackend,
  simulateReference,
  validateTimelineDirs,
} from 'trajsim';
import { generatePlain, options } from './lib.mjs';

const args = options({ work: '/tmp/trajsim-plausibility', patients: 10000, seed: '7' });
const patients = args.patients;
const root = new URL('..', import.meta.url);
mkdirSync(args.work, { recursive: true });
await selectBackend('wasm');
const log = (s) => process.stderr.write(`${s}\n`);

const KEY =
  /^(os\.km\.sup|os\.km\.iad|os\.rmst\.abs_diff|gaps\.ks|gaps\.w1|gaps\.transition\.w1|time_to_first\..*\.cif_sup)$/;

async function evaluate(name, modelDir, realDir) {
  const real = await readTimeline(realDir);
  const rules = mineRules(real).rules.filter((r) => r.severity === 'hard');
  const model = loadGenerationModel(modelDir);
  const { rules: _r, ...free } = model;
  const out = {};
  try {
    for (const [mode, m] of [
      ['masked', model],
      ['free', free],
    ]) {
      const dir = join(args.work, `${name}-${mode}`);
      const t0 = performance.now();
      await generatePlain(m, modelDir, { patients, seed: args.seed, out: dir });
      const seconds = (performance.now() - t0) / 1000;
      log(`${name} ${mode}: ${patients} patients in ${seconds.toFixed(1)} s`);
      const synthetic = await readTimeline(dir);
      const audit = auditRules(synthetic, rules);
      const report = await validateTimelineDirs(realDir, [dir], {
        thresholds: defaultThresholds(),
        seed: '1',
      });
      out[mode] = {
        seconds: Math.round(seconds * 10) / 10,
        patientsBreakingAHardRule: new Set(audit.counts.flatMap((c) => c.examples)).size,
        violationsByRule: Object.fromEntries(
          audit.counts.filter((c) => c.violating > 0).map((c) => [c.id, c.violating]),
        ),
        failedMetrics: report.metrics.filter((x) => x.pass === false).map((x) => x.id),
        ratios: Object.fromEntries(
          report.metrics
            .filter((x) => KEY.test(x.id))
            .map((x) => [x.id, Math.round(x.ratio * 100) / 100]),
        ),
      };
    }
    // patients breaking a rule: count all of them, not only the listed examples
    for (const mode of ['masked', 'free']) {
      const dir = join(args.work, `${name}-${mode}`);
      const audit = auditRules(await readTimeline(dir), rules, {
        examples: Number.POSITIVE_INFINITY,
      });
      out[mode].patientsBreakingAHardRule = new Set(audit.counts.flatMap((c) => c.examples)).size;
    }
  } finally {
    model.stepModel.dispose();
  }
  return {
    model: modelDir,
    real: real.name,
    realPatients: real.patients.ids.length,
    hardRules: rules.length,
    ...out,
  };
}

const colonDir = join(args.work, 'colon');
await importTimeline({
  patients: new URL('data/colon/patients.csv', root).pathname,
  events: new URL('data/colon/events.csv', root).pathname,
  out: colonDir,
  name: 'colon',
  categorical: ['obstruct', 'perfor', 'adhere', 'node4'],
  overwrite: true,
});
const refDir = join(args.work, 'reference-real');
await simulateReference(refDir, { patients: 20_000, seed: 'plausibility-real', overwrite: true });
const result = {
  command: `node scripts/plausibility-evidence.mjs --patients ${patients} --seed ${args.seed}`,
  patients,
  colon: await evaluate('colon', 'models/default', colonDir),
  reference: await evaluate('reference', 'models/reference', refDir),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
