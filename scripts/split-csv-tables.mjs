#!/usr/bin/env node
// A seeded 80/20 patient split of a patients.csv + events.csv pair (used for the nafld value
// evidence in docs/validation.md and docs/model.md). A patient is held out when
// sha256(SALT + ":" + patient_id)[0] mod 5 == 0 (default salt "g10", the split those figures used).
//
//   node scripts/split-csv-tables.mjs data/nafld OUT_DIR [--salt g10]
//   → OUT_DIR/train/{patients,events}.csv and OUT_DIR/holdout/{patients,events}.csv
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [src, out] = process.argv.slice(2);
const saltAt = process.argv.indexOf('--salt');
const salt = saltAt > 0 ? process.argv[saltAt + 1] : 'g10';
if (!src || !out) {
  process.stderr.write('usage: node scripts/split-csv-tables.mjs SRC_DIR OUT_DIR [--salt S]\n');
  process.exit(2);
}
const held = (id) => createHash('sha256').update(`${salt}:${id}`).digest()[0] % 5 === 0;
for (const part of ['train', 'holdout']) mkdirSync(join(out, part), { recursive: true });
const counts = {};
for (const file of ['patients.csv', 'events.csv']) {
  const lines = readFileSync(join(src, file), 'utf8').trimEnd().split('\n');
  const parts = { train: [lines[0]], holdout: [lines[0]] };
  for (const l of lines.slice(1))
    parts[held(l.slice(0, l.indexOf(','))) ? 'holdout' : 'train'].push(l);
  for (const part of ['train', 'holdout']) {
    writeFileSync(join(out, part, file), `${parts[part].join('\n')}\n`);
    counts[`${part}/${file}`] = parts[part].length - 1;
  }
}
process.stdout.write(`${JSON.stringify(counts)}\n`);
