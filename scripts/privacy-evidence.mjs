#!/usr/bin/env node
// A privacy check that can fire: an over-trained GRU is caught, the default one passes.
//
//   npm run build && nice -n 10 node scripts/privacy-evidence.mjs [--work DIR] [--only colon|reference]
//        [--ref-patients 2000] [--tiny 100] [--overfit-epochs 300] [--synthetic 1000] [--seed 1]
//        [--models default,overfit] [--default-flags="--gap-bins 16"] [--overfit-flags=...]
//        [--data mgus2 --max-patients 3000]   (a bundled real dataset instead of colon + reference)
//
// For colon (data/colon) and the known-truth reference process (--ref-patients patients):
// the patients are split 50/50 (seeded) into a training part and a holdout part.
//   default: `trajsim train` with its defaults (10% validation split, early stopping) on the
//            training part (plus --default-flags, to compare a candidate default);
//   overfit: `trajsim train` on --tiny patients of the training part, --overfit-epochs epochs,
//            hidden 128, no validation split (--val-fraction 0: the "best" weights are the
//            last ones that lowered the training NLL) and no early stopping.
// Each model generates --synthetic patients; `trajsim validate --real HOLDOUT --synthetic SYN
// --train TRAIN --model MODEL` writes report.json/report.html with the Privacy section (TRAIN is
// what the model was trained on: the training part, or the tiny part). Prints one JSON document
// on stdout: per dataset and model, every privacy metric (value, 95% CI, verdict) and the gate;
// progress on stderr.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng, readTimeline } from 'trajsim';

import { importBundled, log, shuffled, trajsim, writeSubset } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    work: { type: 'string', default: '/tmp/trajsim-privacy-evidence' },
    only: { type: 'string' },
    'ref-patients': { type: 'string', default: '2000' },
    tiny: { type: 'string', default: '100' },
    'overfit-epochs': { type: 'string', default: '300' },
    synthetic: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    models: { type: 'string', default: 'default,overfit' },
    'default-flags': { type: 'string', default: '' },
    'overfit-flags': { type: 'string', default: '' },
    data: { type: 'string' },
    'max-patients': { type: 'string' },
  },
});
const work = resolve(args.work);
mkdirSync(work, { recursive: true });

async function dataset(name, fullDir) {
  log(`${name}: split`);
  const t = await readTimeline(fullDir);
  const rng = new Rng(args.seed).fork(name);
  const all = shuffled(t.patients.ids.length, rng);
  const order = args['max-patients'] ? all.slice(0, Number(args['max-patients'])) : all;
  const half = Math.floor(order.length / 2);
  const trainRows = order.slice(0, half).sort((a, b) => a - b);
  const holdoutRows = order.slice(half).sort((a, b) => a - b);
  const tinyRows = order.slice(0, Number(args.tiny)).sort((a, b) => a - b);
  const dir = join(work, name);
  await writeSubset(t, trainRows, join(dir, 'train'), `${name}-train`);
  await writeSubset(t, holdoutRows, join(dir, 'holdout'), `${name}-holdout`);
  await writeSubset(t, tinyRows, join(dir, 'tiny'), `${name}-tiny`);
  const rows = [];
  const defaultFlags = args['default-flags'].split(' ').filter((f) => f !== '');
  const overfitFlags = args['overfit-flags'].split(' ').filter((f) => f !== '');
  for (const variant of args.models.split(',')) {
    log(`${name}: ${variant} model`);
    const data = join(dir, variant === 'default' ? 'train' : 'tiny');
    const model = join(dir, `model-${variant}`);
    const syn = join(dir, `synthetic-${variant}`);
    const out = join(dir, `report-${variant}`);
    const e = args['overfit-epochs'];
    const trained = trajsim([
      'train',
      '--data',
      data,
      '--out',
      model,
      '--seed',
      args.seed,
      '--overwrite',
      ...(variant === 'overfit'
        ? [
            '--epochs',
            e,
            '--patience',
            e,
            '--hidden',
            '128',
            '--val-fraction',
            '0',
            ...overfitFlags,
          ]
        : defaultFlags),
    ]);
    rmSync(syn, { recursive: true, force: true });
    trajsim([
      'generate',
      '--model',
      model,
      '--patients',
      args.synthetic,
      '--seed',
      '7',
      '--out',
      syn,
    ]);
    const validated = trajsim([
      'validate',
      '--real',
      join(dir, 'holdout'),
      '--synthetic',
      syn,
      '--out',
      out,
      '--train',
      data,
      '--model',
      model,
      '--seed',
      args.seed,
      '--overwrite',
    ]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
    rows.push({
      dataset: name,
      model: variant,
      trainingPatients: report.privacy.train.patients,
      flags: variant === 'default' ? args['default-flags'] : `overfit ${args['overfit-flags']}`,
      epochs: manifest.metrics?.epochs,
      bestEpoch: manifest.metrics?.bestEpoch,
      validationNll: manifest.metrics?.validationNll,
      trainSeconds: Number(trained.seconds.toFixed(1)),
      validateSeconds: Number(validated.seconds.toFixed(1)),
      privacyPassed: report.privacy.passed,
      metricsPassed: `${report.metrics.filter((m) => m.pass === true).length}/${report.metrics.filter((m) => m.pass === true || m.pass === false).length}`,
      fidelityFailures: report.metrics.filter((m) => m.pass === false).map((m) => m.id),
      report: join(out, 'report.html'),
      metrics: Object.fromEntries(
        report.privacy.metrics.map((m) => [
          m.id,
          { value: m.value, ci: [m.lower, m.upper], pass: m.pass },
        ]),
      ),
    });
  }
  return rows;
}

const results = [];
if (args.data) {
  results.push(
    ...(await dataset(args.data, importBundled(args.data, join(work, `${args.data}-full`)))),
  );
} else if (args.only !== 'reference') {
  results.push(...(await dataset('colon', importBundled('colon', join(work, 'colon-full')))));
}
if (!args.data && args.only !== 'colon') {
  const dir = join(work, 'reference-full');
  rmSync(dir, { recursive: true, force: true });
  trajsim(['reference', '--patients', args['ref-patients'], '--seed', '7', '--out', dir]);
  results.push(...(await dataset('reference', dir)));
}
process.stdout.write(`${JSON.stringify({ settings: args, results }, null, 2)}\n`);
