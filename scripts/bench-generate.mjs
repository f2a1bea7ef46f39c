#!/usr/bin/env node
// Generation and training throughput of the GRU on the wasm backend. Prints JSON.
//
//   npm run build && node scripts/bench-generate.mjs [--work DIR] [--hidden 128]
//        [--batches 256,1024,4096] [--patients 8192] [--rss-patients 1000000] [--skip-colon]
//
// 1. trains a hidden-128 GRU for 2 epochs on 3000 reference patients (training events/s);
// 2. for each batch size: end-to-end `runGeneration` (sampling + Arrow output) patients/s and
//    events/s, side by side with the raw network step alone (GRU step + heads on random
//    inputs, one download per step, no sampling) at the same batch, in the same process;
// 3. time to train colon to early stop (default hyperparameters);
// 4. peak RSS of `trajsim generate` for --rss-patients patients (a child process; maxRSS).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  importTimeline,
  loadGenerationModel,
  probeStepThroughput,
  selectBackend,
  simulateReference,
  trainModel,
} from 'trajsim';
import { generatePlain } from './lib.mjs';

const root = new URL('..', import.meta.url);

const { values: args } = parseArgs({
  options: {
    work: { type: 'string', default: '/tmp/trajsim-bench' },
    hidden: { type: 'string', default: '128' },
    batches: { type: 'string', default: '256,1024,4096' },
    patients: { type: 'string', default: '8192' },
    'rss-patients': { type: 'string', default: '1000000' },
    'skip-colon': { type: 'boolean', default: false },
  },
});
const work = resolve(args.work);
mkdirSync(work, { recursive: true });
const log = (m) => process.stderr.write(`${m}\n`);
const hidden = Number(args.hidden);
const result = {
  generatedBy: 'scripts/bench-generate.mjs',
  backend: 'wasm',
  hidden,
  cpus: (await import('node:os')).cpus().length,
};

await selectBackend('wasm');
const refDir = join(work, 'reference-3000');
rmSync(refDir, { recursive: true, force: true });
await simulateReference(refDir, { patients: 3000, seed: 3 });
const modelDir = join(work, `gru-h${hidden}`);
let t0 = performance.now();
const manifest = await trainModel({
  data: refDir,
  out: modelDir,
  hidden,
  epochs: 2,
  batchSize: 64,
  overwrite: true,
  seed: 1,
});
const trainSeconds = (performance.now() - t0) / 1000;
const trainEvents = Math.round(
  (manifest.training.events * manifest.training.trainPatients) / manifest.training.patients,
);
result.training = {
  patients: manifest.training.trainPatients,
  epochs: 2,
  seconds: trainSeconds,
  eventsPerSecond: (2 * trainEvents) / trainSeconds,
  note: 'includes validation passes and checkpoint writes',
};
log(`training: ${Math.round(result.training.eventsPerSecond)} events/s`);

result.generation = [];
for (const batch of args.batches.split(',').map(Number)) {
  const model = loadGenerationModel(modelDir);
  const out = join(work, `gen-${batch}`);
  const n = Math.max(Number(args.patients), batch);
  const g = await generatePlain(model, modelDir, { patients: n, seed: 1, out, batchSize: batch });
  model.stepModel.dispose();
  rmSync(out, { recursive: true, force: true });
  const raw = probeStepThroughput({
    hidden,
    batch,
    vocabularySize: manifest.vocabulary.codes.length,
    attributeWidth: 16,
    steps: batch >= 4096 ? 8 : 20,
  });
  const row = {
    batch,
    patients: n,
    patientsPerSecond: n / g.seconds,
    eventsPerSecond: g.eventsPerSecond,
    rawStepEventsPerSecond: raw.eventsPerSecond,
    endToEndShareOfRawStep: g.eventsPerSecond / raw.eventsPerSecond,
  };
  result.generation.push(row);
  log(JSON.stringify(row));
}

if (!args['skip-colon']) {
  const colonDir = join(work, 'colon');
  await importTimeline({
    patients: fileURLToPath(new URL('data/colon/patients.csv', root)),
    events: fileURLToPath(new URL('data/colon/events.csv', root)),
    out: colonDir,
    overwrite: true,
  });
  t0 = performance.now();
  const m = await trainModel({
    data: colonDir,
    out: join(work, 'colon-gru'),
    overwrite: true,
    seed: 1,
  });
  result.colonTrainToEarlyStop = {
    seconds: (performance.now() - t0) / 1000,
    epochs: m.metrics.epochs,
    bestEpoch: m.metrics.bestEpoch,
    validationNll: m.metrics.validationNll,
    goalSeconds: 300,
  };
  log(JSON.stringify(result.colonTrainToEarlyStop));
}

const rssPatients = Number(args['rss-patients']);
if (rssPatients > 0) {
  const out = join(work, 'gen-rss');
  rmSync(out, { recursive: true, force: true });
  const cli = fileURLToPath(new URL('dist/cli/main.js', root));
  // GNU time's %M: peak resident set of the generate process, in KiB.
  t0 = performance.now();
  const timed = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M',
      process.execPath,
      cli,
      'generate',
      '--quiet',
      '--model',
      modelDir,
      '--patients',
      String(rssPatients),
      '--out',
      out,
      '--batch-size',
      '1024',
    ],
    { encoding: 'utf8' },
  );
  const seconds = (performance.now() - t0) / 1000;
  let peakKiB = Number.NaN;
  if (timed.status === 0) {
    const lines = timed.stderr.trim().split('\n');
    peakKiB = Number(lines[lines.length - 1]);
  }
  result.generate1M = {
    patients: rssPatients,
    seconds,
    peakRssMiB: peakKiB / 1024,
    goalMiB: 1024,
    note: Number.isNaN(peakKiB)
      ? `/usr/bin/time unavailable or failed: ${timed.error?.message ?? timed.stderr}`
      : 'peak RSS (GNU time %M)',
    cli: timed.stdout.trim(),
  };
  rmSync(out, { recursive: true, force: true });
  log(JSON.stringify(result.generate1M));
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
