#!/usr/bin/env node
// Why does the early-stopped GRU leak membership through its likelihood, and which
// regularisation closes the leak without losing fidelity? (issue 16; docs/privacy.md)
//
//   npm run build && nice -n 10 node scripts/privacy-regularisation.mjs [--work DIR]
//        [--variants default,wd1,...] [--synthetic 2000] [--seed 1] [--split-seeds 1]
//
// colon is split 50/50 exactly as scripts/privacy-evidence.mjs splits it (same seed, same
// stream), so the `default` row reproduces that script's colon default model. For each variant
// (`trajsim train` flags on the training half) the script
//   1. diagnoses the likelihood attack: every patient's teacher-forced NLL (nats per event) for
//      the members the model fitted, the members it held out for early stopping, and the holdout
//      half; the attack's AUC (fitted members vs holdout); the NLL gap per event code (which
//      events carry it), per trajectory length, and with the attributes permuted among the
//      patients (does the model recognise a patient by its attributes?);
//   2. generates --synthetic patients and runs `trajsim validate --real HOLDOUT --train TRAIN
//      --model MODEL`: every privacy metric (the gate) and fidelity (failed metrics, the largest
//      |z| of the per-term Cox check, jointly and one attribute at a time, the worst per-level KM
//      ratio to its noise floor, the overall-survival KM ratio).
// With --split-seeds 1,2,3 each variant is run on several splits (the AUCs' CI is ±0.05 on one).
// Prints one JSON document on stdout; progress on stderr.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  eventNll,
  loadModel,
  Rng,
  readTimeline,
  refitAttributeModel,
  SILENT_LOGGER,
  selectBackend,
  trainingSplit,
} from 'trajsim';

import { log, node4Inconsistency, shuffled, trajsim, writeSubset } from './lib.mjs';

const root = new URL('..', import.meta.url);

/** The variants: name → extra `trajsim train` flags. */
const VARIANTS = {
  default: [],
  patience3: ['--patience', '3'],
  hidden32: ['--hidden', '32'],
  hidden16: ['--hidden', '16'],
  wd1: ['--weight-decay', '1'],
  wd5: ['--weight-decay', '5'],
  wd20: ['--weight-decay', '20'],
  adrop02: ['--attribute-dropout', '0.2'],
  adrop05: ['--attribute-dropout', '0.5'],
  anoise05: ['--attribute-noise', '0.5'],
  anoise1: ['--attribute-noise', '1'],
  gapbins64: ['--gap-bins', '64'],
  gapbins32: ['--gap-bins', '32'],
  gapbins16: ['--gap-bins', '16'],
  gapbins0: ['--gap-bins', '0'],
  gapbins8: ['--gap-bins', '8'],
  gapbins16_wd1: ['--gap-bins', '16', '--weight-decay', '1'],
  gapbins32_wd1: ['--gap-bins', '32', '--weight-decay', '1'],
  gapbins64_wd1: ['--gap-bins', '64', '--weight-decay', '1'],
  wd1_raw: { from: 'wd1', smoothing: 'none' },
  gapbins16_wd5: ['--gap-bins', '16', '--weight-decay', '5'],
  gapbins16_anoise05: ['--gap-bins', '16', '--attribute-noise', '0.5'],
  gapbins16_hidden32: ['--gap-bins', '16', '--hidden', '32'],
  gapbins0_wd1: ['--gap-bins', '0', '--weight-decay', '1'],
  gapbins0_anoise05: ['--gap-bins', '0', '--attribute-noise', '0.5'],
  gapbins32_anoise05: ['--gap-bins', '32', '--attribute-noise', '0.5'],
  // the same GRU as `from`, its CART attribute model refitted with a larger minimum leaf
  default_leaf40: { from: 'default', minLeaf: 40 },
  gapbins32_leaf40: { from: 'gapbins32', minLeaf: 40 },
  // the same GRU, its CART numeric leaf draws observed values / smoothed (cart-smoothing.ts)
  default_raw: { from: 'default', smoothing: 'none' },
  default_smooth: { from: 'default', smoothing: 'density' },
  gapbins32_raw: { from: 'gapbins32', smoothing: 'none' },
  gapbins32_smooth: { from: 'gapbins32', smoothing: 'density' },
  gapbins16_raw: { from: 'gapbins16', smoothing: 'none' },
  gapbins16_smooth: { from: 'gapbins16', smoothing: 'density' },
  gapbins0_smooth: { from: 'gapbins0', smoothing: 'density' },
  adrop03_anoise05: ['--attribute-dropout', '0.3', '--attribute-noise', '0.5'],
  wd5_adrop03: ['--weight-decay', '5', '--attribute-dropout', '0.3'],
};

const { values: args } = parseArgs({
  options: {
    work: { type: 'string', default: '/tmp/trajsim-privacy-regularisation' },
    variants: { type: 'string', default: Object.keys(VARIANTS).join(',') },
    synthetic: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    'split-seeds': { type: 'string', default: '1' },
    'no-validate': { type: 'boolean', default: false },
    // keep a model folder a previous run trained (its manifest.json exists) instead of retraining
    reuse: { type: 'boolean', default: false },
  },
});
const work = resolve(args.work);
mkdirSync(work, { recursive: true });

/** Mann–Whitney AUC that `pos` scores higher than `neg` (ties ½). */
function auc(pos, neg) {
  if (pos.length === 0 || neg.length === 0) return null;
  let s = 0;
  for (const a of pos) for (const b of neg) s += a > b ? 1 : a === b ? 0.5 : 0;
  return +(s / (pos.length * neg.length)).toFixed(3);
}
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const r3 = (x) => +x.toFixed(3);

/**
 * Per patient: NLL per event (nats), and per event its NLL and code, teacher forced, with the
 * patients' own attributes or with `attributeRows` (a permutation) in their place.
 */
function perEventNll(model, timeline, rows) {
  const { nll, offsets } = eventNll(model, timeline, Int32Array.from(rows));
  return rows.map((p, i) => {
    const events = [];
    for (let k = offsets[i]; k < offsets[i + 1]; k++) {
      const e = timeline.offsets[p] + (k - offsets[i]);
      events.push({ code: timeline.events.codes[timeline.events.code[e]], nll: nll[k] });
    }
    return { p, events, nll: mean(events.map((e) => e.nll)) };
  });
}

/** The timeline with its patients' attributes permuted (seeded) among its rows. */
function permuteAttributes(t, rng) {
  const perm = shuffled(t.patients.ids.length, rng);
  return {
    ...t,
    patients: {
      ...t.patients,
      attributes: t.patients.attributes.map((a) =>
        a.kind === 'categorical'
          ? { ...a, codes: Int32Array.from(perm, (q) => a.codes[q]) }
          : { ...a, values: Float64Array.from(perm, (q) => a.values[q]) },
      ),
    },
  };
}

/** The likelihood attack and where its signal sits. */
async function diagnose(modelDir, trainT, holdT, seed) {
  await selectBackend('wasm', { logger: SILENT_LOGGER });
  const model = loadModel(modelDir);
  const { train: fitted, validation } = trainingSplit(model.manifest, trainT);
  const all = (t) => Array.from({ length: t.patients.ids.length }, (_, i) => i);
  const memRows = Array.from(fitted);
  const valRows = Array.from(validation);
  const m = perEventNll(model, trainT, all(trainT));
  const h = perEventNll(model, holdT, all(holdT));
  const mem = memRows.map((p) => m[p]);
  const val = valRows.map((p) => m[p]);
  const score = (xs) => xs.map((x) => -x.nll);
  const byLength = {};
  for (const L of new Set([...mem, ...h].map((x) => x.events.length))) {
    const a = mem.filter((x) => x.events.length === L);
    const b = h.filter((x) => x.events.length === L);
    if (a.length < 20 || b.length < 20) continue;
    byLength[L] = {
      members: a.length,
      holdout: b.length,
      gap: r3(mean(b.map((x) => x.nll)) - mean(a.map((x) => x.nll))),
      auc: auc(score(a), score(b)),
    };
  }
  const byCode = {};
  const codes = new Set(h.flatMap((x) => x.events.map((e) => e.code)));
  for (const c of codes) {
    const a = mem.flatMap((x) => x.events.filter((e) => e.code === c).map((e) => e.nll));
    const b = h.flatMap((x) => x.events.filter((e) => e.code === c).map((e) => e.nll));
    byCode[c] = {
      memberNll: r3(mean(a)),
      holdoutNll: r3(mean(b)),
      gap: r3(mean(b) - mean(a)),
      // share of the per-patient total NLL gap (sum over events ÷ patients)
      gapPerPatient: r3(
        b.reduce((s, x) => s + x, 0) / h.length - a.reduce((s, x) => s + x, 0) / mem.length,
      ),
    };
  }
  // With the attributes permuted among the members (and among the holdout patients): a model
  // that recognises a patient by its attributes loses its members' advantage.
  const rng = new Rng(seed).fork('permute');
  const mp = perEventNll(model, permuteAttributes(trainT, rng.fork('members')), all(trainT));
  const hp = perEventNll(model, permuteAttributes(holdT, rng.fork('holdout')), all(holdT));
  const memP = memRows.map((p) => mp[p]);
  return {
    fittedMembers: mem.length,
    validationMembers: val.length,
    holdout: h.length,
    nll: {
      fitted: r3(mean(mem.map((x) => x.nll))),
      validation: r3(mean(val.map((x) => x.nll))),
      holdout: r3(mean(h.map((x) => x.nll))),
    },
    aucFittedVsHoldout: auc(score(mem), score(h)),
    aucValidationVsHoldout: auc(score(val), score(h)),
    aucAttributesPermuted: auc(score(memP), score(hp)),
    nllGapAttributesPermuted: r3(mean(hp.map((x) => x.nll)) - mean(memP.map((x) => x.nll))),
    byLength,
    byCode,
  };
}

function summariseReport(report) {
  const byId = (id) => report.metrics.find((x) => x.id === id);
  const zs = (metric) => {
    const d = metric?.details ?? {};
    return Object.keys(d)
      .filter((k) => k.endsWith('.z') && !k.endsWith('.z2'))
      .map((k) => [k.slice(0, -2), r3(d[k])]);
  };
  const strata = report.metrics
    .filter((x) => x.id.startsWith('os_by.'))
    .map((x) => [x.id.slice(6, -4), r3(x.ratio)]);
  const joint = zs(byId('cox.term_z.max_abs'));
  const alone = zs(byId('cox.univariate_z.max_abs'));
  const privacy = Object.fromEntries(
    report.privacy.metrics.map((x) => [
      x.id,
      { value: r3(x.value), ci: [r3(x.lower), r3(x.upper)], pass: x.pass },
    ]),
  );
  return {
    privacyPassed: report.privacy.passed,
    fidelityPassed:
      report.passed === undefined ? null : report.metrics.every((x) => x.pass !== false),
    metricsPassed: `${report.metrics.filter((x) => x.pass === true).length}/${report.metrics.filter((x) => x.pass !== undefined && x.pass !== null).length}`,
    fidelityFailures: report.metrics.filter((x) => x.pass === false).map((x) => x.id),
    maxAbsCoxZJoint: r3(Math.max(...joint.map(([, z]) => Math.abs(z)))),
    maxAbsCoxZAlone: r3(Math.max(...alone.map(([, z]) => Math.abs(z)))),
    coxZJoint: Object.fromEntries(joint),
    worstLevelKmRatio: r3(Math.max(...strata.map(([, r]) => r))),
    levelKmRatios: Object.fromEntries(strata),
    osKmRatio: r3(byId('os.km.sup').ratio),
    privacy,
  };
}

async function split(full, splitSeed) {
  const t = await readTimeline(full);
  const order = shuffled(t.patients.ids.length, new Rng(splitSeed).fork('colon'));
  const half = Math.floor(order.length / 2);
  const dir = join(work, `split-${splitSeed}`);
  await writeSubset(
    t,
    order.slice(0, half).sort((a, b) => a - b),
    join(dir, 'train'),
    'colon-train',
  );
  await writeSubset(
    t,
    order.slice(half).sort((a, b) => a - b),
    join(dir, 'holdout'),
    'colon-holdout',
  );
  return dir;
}

/** Copies model `from` to `model` with its attribute model refitted (CART, `minLeaf`, `smoothing`). */
async function refitAttributes(dir, spec, model, train) {
  rmSync(model, { recursive: true, force: true });
  cpSync(join(dir, `model-${spec.from}`), model, { recursive: true });
  const { from: _, ...options } = spec;
  await refitAttributeModel(model, train, options);
  return { seconds: 0 };
}

/** One attribute vector as a string key (levels by name, numbers as written; missing: NA). */
function attributeKeys(t) {
  const a = t.patients.attributes;
  return Array.from({ length: t.patients.ids.length }, (_, p) =>
    a
      .map((x) =>
        x.kind === 'categorical'
          ? x.codes[p] < 0
            ? 'NA'
            : x.levels[x.codes[p]]
          : Number.isNaN(x.values[p])
            ? 'NA'
            : String(x.values[p]),
      )
      .join('|'),
  );
}

/**
 * Attribute vectors the synthetic patients share with real ones: the share identical to some
 * training patient's, to some holdout patient's, and (context) of holdout patients identical to
 * a training patient's; and the share of (nodes, node4) pairs that break node4 = nodes > 4.
 */
function attributeCopies(syn, train, holdout) {
  const trainSet = new Set(attributeKeys(train));
  const holdSet = new Set(attributeKeys(holdout));
  const s = attributeKeys(syn);
  const share = (xs, set) => r3(xs.filter((k) => set.has(k)).length / xs.length);
  const broken = (t) => {
    const r = node4Inconsistency(t);
    return r ? r3(r.rate) : null;
  };
  return {
    synIdenticalToTrain: share(s, trainSet),
    synIdenticalToHoldout: share(s, holdSet),
    holdoutIdenticalToTrain: share(attributeKeys(holdout), trainSet),
    node4BrokenSyn: broken(syn),
    node4BrokenReal: broken(train),
  };
}

async function runVariant(dir, name, splitSeed) {
  log(`split ${splitSeed}: ${name}`);
  const train = join(dir, 'train');
  const holdout = join(dir, 'holdout');
  const model = join(dir, `model-${name}`);
  const spec = VARIANTS[name];
  const reused = args.reuse && Array.isArray(spec) && existsSync(join(model, 'manifest.json'));
  const trained = reused
    ? { seconds: 0 }
    : Array.isArray(spec)
      ? trajsim([
          'train',
          '--data',
          train,
          '--out',
          model,
          '--seed',
          String(splitSeed),
          '--overwrite',
          ...spec,
        ])
      : await refitAttributes(dir, spec, model, train);
  const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
  const row = {
    variant: name,
    split: splitSeed,
    flags: Array.isArray(spec)
      ? spec.join(' ')
      : `${spec.from}, CART ${spec.minLeaf ? `min leaf ${spec.minLeaf}` : ''}${spec.smoothing ? `smoothing ${spec.smoothing}` : ''}`,
    epochs: manifest.metrics.epochs,
    bestEpoch: manifest.metrics.bestEpoch,
    validationNll: r3(manifest.metrics.validationNll),
    trainSeconds: r3(trained.seconds),
    likelihood: await diagnose(
      model,
      await readTimeline(train),
      await readTimeline(holdout),
      splitSeed,
    ),
  };
  if (args['no-validate']) return row;
  const syn = join(dir, `synthetic-${name}`);
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
  const copies = attributeCopies(
    await readTimeline(syn),
    await readTimeline(train),
    await readTimeline(holdout),
  );
  const out = join(dir, `report-${name}`);
  trajsim([
    'validate',
    '--real',
    holdout,
    '--synthetic',
    syn,
    '--out',
    out,
    '--overwrite',
    '--train',
    train,
    '--model',
    model,
    '--seed',
    String(splitSeed),
  ]);
  return {
    ...row,
    attributeCopies: copies,
    ...summariseReport(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))),
  };
}

const full = join(work, 'colon-full');
rmSync(full, { recursive: true, force: true });
trajsim([
  'import',
  '--patients',
  new URL('data/colon/patients.csv', root).pathname,
  '--events',
  new URL('data/colon/events.csv', root).pathname,
  '--categorical',
  'obstruct,perfor,adhere,node4',
  '--out',
  full,
]);
const results = [];
for (const s of args['split-seeds'].split(',')) {
  const dir = await split(full, s);
  for (const v of args.variants.split(',')) {
    results.push(await runVariant(dir, v, s));
    process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
  }
}
process.stdout.write(
  `${JSON.stringify({ generatedBy: 'scripts/privacy-regularisation.mjs', args, results }, null, 2)}\n`,
);
