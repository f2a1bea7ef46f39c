#!/usr/bin/env node
// Does the GRU's death hazard respond to each attribute level as strongly as the data do?
// Teacher-forced calibration of the code head (src/model/code-calibration.ts) per level of
// each categorical attribute: expected DEATH events (Σ P(DEATH | real history, attributes))
// vs observed ones among the patients of that level. A model that attenuates an attribute's
// effect over-predicts death in the low-risk levels (ratio > 1) and under-predicts it in the
// high-risk ones (ratio < 1); sampling plays no part here.
//
//   npm run build && node scripts/attribute-calibration.mjs --model models/reference --data DIR
import { parseArgs } from 'node:util';

import { codeCalibration, loadModel, readTimeline, selectBackend, selectPatients } from 'trajsim';

const { values: args } = parseArgs({
  options: { model: { type: 'string' }, data: { type: 'string' } },
});
if (!args.model || !args.data) {
  process.stderr.write('usage: attribute-calibration.mjs --model DIR --data TIMELINE_DIR\n');
  process.exit(2);
}
await selectBackend('wasm');
const loaded = loadModel(args.model);
const t = await readTimeline(args.data);

const out = {};
for (const a of t.patients.attributes) {
  if (a.kind !== 'categorical') continue;
  a.levels.forEach((level, l) => {
    const rows = [];
    for (let p = 0; p < a.codes.length; p++) if (a.codes[p] === l) rows.push(p);
    if (rows.length < 50) return;
    const c = codeCalibration(loaded.manifest, loaded.weights, selectPatients(t, rows));
    const d = c.codes.indexOf('DEATH');
    out[`${a.name}=${level}`] = {
      patients: rows.length,
      observedDeaths: c.observed[d],
      expectedDeaths: +c.expected[d].toFixed(1),
      ratio: +(c.expected[d] / c.observed[d]).toFixed(3),
    };
  });
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
