#!/usr/bin/env node
// Refits only the attribute model (attributeModel) of an existing model folder, on exactly the
// training patients `train` used (same seeded split), and rewrites its manifest.json. The GRU
// never reads the attribute model (it trains on the real attributes), so this gives the manifest
// a full retrain would write, minus hours of training: retraining models/default with the CART
// attribute model reproduced its weights.bin byte for byte. Refuses data whose content hash
// differs from the one the model was trained on.
//
//   npm run build && node scripts/refit-attribute-model.mjs --model models/reference \
//       --data out/reference-20k-seed1
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { readTimeline, readTimelineManifest } = await import(dist('timeline/read.js'));
const { readModelManifest } = await import(dist('model/manifest.js'));
const { prepareTraining } = await import(dist('model/training-summary.js'));
const { fitAttributeModel } = await import(dist('model/attribute-model.js'));
const { SILENT_LOGGER } = await import(dist('core/messages.js'));

const { values: args } = parseArgs({
  options: { model: { type: 'string' }, data: { type: 'string' } },
});
if (!args.model || !args.data) {
  process.stderr.write('usage: refit-attribute-model.mjs --model DIR --data TIMELINE_DIR\n');
  process.exit(2);
}
const manifest = readModelManifest(args.model);
const hash = readTimelineManifest(args.data).contentHash;
if (hash !== manifest.training.contentHash) {
  process.stderr.write(
    `${args.data}: content hash ${hash} differs from the model's training data ${manifest.training.contentHash}\n`,
  );
  process.exit(2);
}
const timeline = await readTimeline(args.data);
const { train } = prepareTraining(
  timeline,
  { seed: manifest.seed, minCodePatients: manifest.vocabulary.minPatients },
  Number(manifest.hyperparameters.validationFraction ?? 0.1),
  SILENT_LOGGER,
);
if (train.length !== manifest.training.trainPatients) {
  process.stderr.write(`split differs: ${train.length} vs ${manifest.training.trainPatients}\n`);
  process.exit(2);
}
const path = join(args.model, 'manifest.json');
const raw = JSON.parse(readFileSync(path, 'utf8'));
raw.attributeModel = JSON.parse(
  JSON.stringify(fitAttributeModel(timeline.patients.attributes, train)),
);
writeFileSync(`${path}.tmp`, `${JSON.stringify(raw, null, 2)}\n`);
renameSync(`${path}.tmp`, path);
readModelManifest(args.model); // validates what was written
process.stderr.write(`${path}: attribute model refitted on ${train.length} training patients\n`);
