#!/usr/bin/env node
// Are patient attributes and their effects preserved? (issue 17, docs/attributes.md)
//
//   npm run build && nice -n 10 node scripts/attribute-effects.mjs [--only colon,mgus2,cgd,nafld,reference]
//        [--work DIR] [--epochs 200] [--nafld-epochs 10] [--synthetic-factor 5] [--seed 1]
//        [--attribute-skip] [--refit-code-head] [--numeric-encoding normal-score]
//
// For each bundled dataset (data/<name>) the patients are
// split 80/20 (seeded); a GRU is trained on the 80 % with the default hyperparameters; it
// generates --synthetic-factor × |held-out| patients twice: with the attribute model train
// stores (sequential CART) and with the legacy one-parent model fitted to the same training
// rows (the GRU is the same; only where the attributes come from differs). Each cohort is
// validated against the held-out 20 % with the default thresholds, and so are the training
// patients themselves (`trainingRows`: the noise of the split alone). Reported per cohort: the
// node4/nodes inconsistency rate (colon), every Cox term's z = Δlog-HR / SE(held-out) and the
// two-sample z2 (joint model and one attribute at a time), every subgroup KM sup-norm ratio to
// its noise floor, the association and unseen-pair metrics, and the failed metrics.
// The reference process: models/reference (trained on 20 000 patients, seed 1) generates
// 5 000 patients, validated against an independent 5 000-patient cohort of the process
// (seed 2); the Cox terms are also compared with a 40 000-patient cohort (seed 3), whose
// estimates (SE ~ 1/3 of the held-out's) stand for the process's true baseline-covariate
// Cox coefficients. Prints one JSON document on stdout; progress on stderr.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  compareAttributeCox,
  defaultThresholds,
  importTimeline,
  loadGenerationModel,
  Rng,
  readTimeline,
  refitAttributeModel,
  selectBackend,
  simulateReference,
  trainModel,
  validateTimelineDirs,
} from 'trajsim';
import { BUNDLED_CATEGORICAL, generatePlain, node4Inconsistency, writeSubset } from './lib.mjs';

const root = new URL('..', import.meta.url);

const { values: args } = parseArgs({
  options: {
    work: { type: 'string', default: '/tmp/trajsim-attribute-effects' },
    only: { type: 'string', default: 'colon,mgus2,cgd,reference' },
    epochs: { type: 'string', default: '200' },
    'nafld-epochs': { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    'synthetic-factor': { type: 'string', default: '5' },
    // models/reference with its pre-CART manifest (git show <commit>:models/reference/manifest.json)
    'reference-legacy': { type: 'string' },
    // GRU with an attribute skip into the heads (trajsim train --attribute-skip)
    'attribute-skip': { type: 'boolean', default: false },
    // refit the code head after training (trajsim train --refit-code-head; refit-code-head.ts)
    'refit-code-head': { type: 'boolean', default: false },
    // numeric attributes into the GRU (trajsim train --numeric-encoding; attribute-encoder.ts)
    'numeric-encoding': { type: 'string' },
  },
});
const work = resolve(args.work);
mkdirSync(work, { recursive: true });
const log = (m) => process.stderr.write(`${m}\n`);
const logger = { warn: (_c, m) => log(`warning: ${m}`), info: () => {} };
const DATASETS = Object.fromEntries(
  Object.entries(BUNDLED_CATEGORICAL).map(([name, categorical]) => [
    name,
    { dir: `data/${name}`, categorical },
  ]),
);

function zTable(metric) {
  const d = metric?.details ?? {};
  const terms = Object.keys(d)
    .filter((k) => k.endsWith('.z2'))
    .map((k) => k.slice(0, -3));
  return Object.fromEntries(
    terms.map((t) => [
      t,
      {
        hrReal: +Math.exp(d[`${t}.ref_coef`]).toFixed(3),
        hrSynthetic: +Math.exp(d[`${t}.other_coef`]).toFixed(3),
        z: +d[`${t}.z`].toFixed(2),
        z2: +d[`${t}.z2`].toFixed(2),
      },
    ]),
  );
}

function summarise(report, synth) {
  const byId = (id) => report.metrics.find((m) => m.id === id);
  const strata = report.metrics
    .filter((m) => m.id.startsWith('os_by.'))
    .map((m) => [m.id.slice(6, -4), +m.ratio.toFixed(2)]);
  const zs = (t) => Object.values(t).map((x) => Math.abs(x.z));
  const joint = zTable(byId('cox.term_z.max_abs'));
  const alone = zTable(byId('cox.univariate_z.max_abs'));
  return {
    passed: report.passed,
    failed: report.metrics.filter((m) => m.pass === false).map((m) => m.id),
    node4: node4Inconsistency(synth),
    maxAbsZJoint: Math.max(...zs(joint)),
    maxAbsZAlone: Math.max(...zs(alone)),
    worstStratumRatio: Math.max(...strata.map(([, r]) => r)),
    associationRatio: +byId('attributes.association.max_abs_diff').ratio.toFixed(2),
    associationMaxDiff: +byId('attributes.association.max_abs_diff').value.toFixed(3),
    unseenPairs: +byId('attributes.unseen_pairs').value.toFixed(4),
    unseenPairsRatio: +byId('attributes.unseen_pairs').ratio.toFixed(2),
    osKmSupRatio: +byId('os.km.sup').ratio.toFixed(2),
    coxJoint: joint,
    coxAlone: alone,
    strataRatios: Object.fromEntries(strata),
  };
}

async function generateAndAssess(modelDir, heldOutDir, n, name) {
  await selectBackend('wasm');
  const model = loadGenerationModel(modelDir);
  const out = join(work, `${name}-synthetic`);
  await generatePlain(model, modelDir, { patients: n, seed: 99, out });
  model.stepModel.dispose();
  return assess(heldOutDir, out, await readTimeline(out));
}

async function assess(heldOutDir, syntheticDir, synth) {
  const report = await validateTimelineDirs(heldOutDir, [syntheticDir], {
    thresholds: defaultThresholds(),
    seed: '0',
  });
  return summarise(report, synth);
}

async function evaluate(name, full, epochs) {
  const t = await readTimeline(full);
  const n = t.patients.ids.length;
  const order = new Rng(args.seed)
    .fork('attribute-effects-split')
    .shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const nTest = Math.round(n * 0.2);
  const test = order.slice(0, nTest).sort();
  const train = order.slice(nTest).sort();
  const trainDir = join(work, `${name}-train`);
  const testDir = join(work, `${name}-heldout`);
  await writeSubset(t, train, trainDir, `${name}-train`);
  await writeSubset(t, test, testDir, `${name}-heldout`);
  const heldOut = await readTimeline(testDir);
  const modelDir = join(work, `${name}-gru`);
  const started = performance.now();
  const manifest = await trainModel({
    data: trainDir,
    out: modelDir,
    kind: 'gru',
    seed: args.seed,
    epochs,
    overwrite: true,
    logger,
    ...(args['attribute-skip'] ? { attributeSkip: true } : {}),
    ...(args['refit-code-head'] ? { refitCodeHead: true } : {}),
    ...(args['numeric-encoding'] ? { numericEncoding: args['numeric-encoding'] } : {}),
  });
  const trainSeconds = (performance.now() - started) / 1000;
  // The same GRU with the legacy one-parent attribute model fitted on the same training rows.
  const legacyDir = join(work, `${name}-gru-legacy`);
  rmSync(legacyDir, { recursive: true, force: true });
  cpSync(modelDir, legacyDir, { recursive: true });
  await refitAttributeModel(legacyDir, trainDir, { kind: 'parent' });
  const size = nTest * Number(args['synthetic-factor']);
  const result = {
    dataset: name,
    trainPatients: train.length,
    heldOutPatients: nTest,
    synthetic: size,
    trainSeconds: +trainSeconds.toFixed(1),
    epochs: manifest.metrics.epochs,
    bestEpoch: manifest.metrics.bestEpoch,
    heldOutNode4: node4Inconsistency(heldOut),
    cart: await generateAndAssess(modelDir, testDir, size, `${name}-cart`),
    // the training patients themselves as the "synthetic" cohort: what a perfect generator
    // of this training sample would score (the noise of the split, nothing of the model)
    trainingRows: await assess(testDir, trainDir, await readTimeline(trainDir)),
    legacy: await generateAndAssess(legacyDir, testDir, size, `${name}-legacy`),
  };
  log(`${name}: trained in ${trainSeconds.toFixed(0)} s; cart passed ${result.cart.passed}`);
  return result;
}

async function evaluateReference() {
  const heldDir = join(work, 'reference-heldout');
  const truthDir = join(work, 'reference-40k');
  await simulateReference(heldDir, { patients: 5000, seed: 2, overwrite: true });
  await simulateReference(truthDir, { patients: 40000, seed: 3, overwrite: true });
  const result = { dataset: 'reference', heldOutPatients: 5000, synthetic: 5000 };
  const truth = await readTimeline(truthDir);
  for (const [kind, dir] of [
    ['cart', 'models/reference'],
    ['legacy', args['reference-legacy'] ?? join(work, 'reference-legacy')],
  ]) {
    if (kind === 'legacy' && !readFileSafe(join(dir, 'manifest.json'))) continue;
    const s = await generateAndAssess(
      new URL(dir, root).pathname,
      heldDir,
      5000,
      `reference-${kind}`,
    );
    const synth = await readTimeline(join(work, `reference-${kind}-synthetic`));
    s.coxVsTruth = Object.fromEntries(
      compareAttributeCox(truth, synth).map((t) => [
        t.term,
        {
          hrTruth: +Math.exp(t.refCoef).toFixed(3),
          hrSynthetic: +Math.exp(t.otherCoef).toFixed(3),
          // z on the held-out's SE (5 000 patients): SE scales as 1/sqrt(n)
          zHeldOutSe: +((t.otherCoef - t.refCoef) / (t.refSe * Math.sqrt(40000 / 5000))).toFixed(2),
        },
      ]),
    );
    result[kind] = s;
  }
  return result;
}

function readFileSafe(p) {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

const out = { generatedBy: 'scripts/attribute-effects.mjs', args, datasets: [] };
for (const name of args.only.split(',')) {
  if (name === 'reference') {
    out.datasets.push(await evaluateReference());
    writeFileSync(join(work, 'partial.json'), JSON.stringify(out, null, 2));
    continue;
  }
  const d = DATASETS[name];
  const dir = join(work, name);
  await importTimeline({
    patients: new URL(join(d.dir, 'patients.csv'), root).pathname,
    events: new URL(join(d.dir, 'events.csv'), root).pathname,
    out: dir,
    categorical: d.categorical,
    overwrite: true,
  });
  out.datasets.push(
    await evaluate(name, dir, Number(name === 'nafld' ? args['nafld-epochs'] : args.epochs)),
  );
  writeFileSync(join(work, 'partial.json'), JSON.stringify(out, null, 2));
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
