#!/usr/bin/env node
// Null calibration of the attribute gates (docs/attributes.md): independent same-process pairs
// of reference cohorts (real --real patients, synthetic --factor × as many), validated with the
// default thresholds; prints, per pair, the values and ratios of the attribute metrics and of
// the per-level KM sup-norms, and whether any of them failed.
//
//   npm run build && node scripts/calibrate-attribute-gates.mjs [--pairs 10] [--real 1500] [--factor 2]
import { join } from 'node:path';

import { defaultThresholds, simulateReference, validateTimelineDirs } from 'trajsim';
import { options } from './lib.mjs';

const args = options({
  pairs: 10,
  real: 1500,
  factor: 2,
  work: '/tmp/trajsim-attribute-calibration',
});
const IDS = /^(attributes\.|cox\.term_z|cox\.univariate_z|os_by\.)/;
const rows = [];
for (let k = 0; k < Number(args.pairs); k++) {
  const real = join(args.work, `real-${k}`);
  const syn = join(args.work, `syn-${k}`);
  const n = Number(args.real);
  await simulateReference(real, { patients: n, seed: `null-real-${k}`, overwrite: true });
  await simulateReference(syn, {
    patients: n * Number(args.factor),
    seed: `null-syn-${k}`,
    overwrite: true,
  });
  const report = await validateTimelineDirs(real, [syn], {
    thresholds: defaultThresholds(),
    seed: String(k),
  });
  const m = report.metrics.filter((x) => IDS.test(x.id));
  const worst = (re) => Math.max(...m.filter((x) => re.test(x.id)).map((x) => x.ratio));
  rows.push({
    pair: k,
    failed: m.filter((x) => x.pass === false).map((x) => x.id),
    allFailed: report.metrics.filter((x) => x.pass === false).map((x) => x.id),
    associationRatio: m.find((x) => x.id === 'attributes.association.max_abs_diff').ratio,
    unseenRatio: m.find((x) => x.id === 'attributes.unseen_pairs').ratio,
    jointZ2: m.find((x) => x.id === 'cox.term_z.max_abs').value,
    aloneZ2: m.find((x) => x.id === 'cox.univariate_z.max_abs').value,
    worstLevelKmRatio: worst(/^os_by\./),
  });
  process.stderr.write(`pair ${k}: ${JSON.stringify(rows[rows.length - 1])}\n`);
}
process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
