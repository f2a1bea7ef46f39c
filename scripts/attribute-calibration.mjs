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

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const { readTimeline } = await import(dist('timeline/read.js'));
const { loadModel } = await import(dist('model/load-model.js'));
const { codeCalibration } = await import(dist('model/code-calibration.js'));
const { selectBackend } = await import(dist('model/backend.js'));

const { values: args } = parseArgs({
  options: { model: { type: 'string' }, data: { type: 'string' } },
});
await selectBackend('wasm');
const loaded = loadModel(args.model);
const t = await readTimeline(args.data);

/** The timeline restricted to the given patient rows (same columns, events re-offset). */
function subset(rows) {
  const offsets = new Int32Array(rows.length + 1);
  const take = [];
  rows.forEach((p, i) => {
    for (let e = t.offsets[p]; e < t.offsets[p + 1]; e++) take.push(e);
    offsets[i + 1] = take.length;
  });
  const pick = (a) => a.constructor.from(take, (e) => a[e]);
  return {
    ...t,
    patients: {
      ids: rows.map((p) => t.patients.ids[p]),
      indexDay: Int32Array.from(rows, (p) => t.patients.indexDay[p]),
      attributes: t.patients.attributes.map((a) =>
        a.kind === 'numeric'
          ? { ...a, values: Float64Array.from(rows, (p) => a.values[p]) }
          : { ...a, codes: Int32Array.from(rows, (p) => a.codes[p]) },
      ),
    },
    events: {
      ...t.events,
      day: pick(t.events.day),
      code: pick(t.events.code),
      value: pick(t.events.value),
    },
    offsets,
  };
}

const out = {};
for (const a of t.patients.attributes) {
  if (a.kind !== 'categorical') continue;
  a.levels.forEach((level, l) => {
    const rows = [];
    for (let p = 0; p < a.codes.length; p++) if (a.codes[p] === l) rows.push(p);
    if (rows.length < 50) return;
    const c = codeCalibration(loaded.manifest, loaded.weights, subset(rows));
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
