#!/usr/bin/env node
// Where is a GRU's code head miscalibrated? (issue 17, docs/attributes.md) Teacher-forced
// expected ÷ observed events per code — overall, by step index band, by day band (day of the
// previous event) and, for the terminal codes, per level of each categorical attribute.
// Sampling plays no part (see src/model/code-calibration.ts for the martingale argument).
//
//   npm run build && node scripts/calibration-breakdown.mjs --model models/reference --data DIR
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadModel, readTimeline, selectBackend } from 'trajsim';
import { encodeTimelineForGru, recordedMaxSteps } from '../dist/model/encode-timeline.js';
import { GruNetwork } from '../dist/model/gru-network.js';
import { gruShapeOf } from '../dist/model/gru-shape.js';
import { makeSequenceBatch } from '../dist/model/sequence-batches.js';

const { values: args } = parseArgs({
  options: { model: { type: 'string' }, data: { type: 'string' } },
});
if (!args.model || !args.data) {
  process.stderr.write('usage: calibration-breakdown.mjs --model DIR --data TIMELINE_DIR\n');
  process.exit(2);
}
await selectBackend('wasm');
const { manifest, weights } = loadModel(args.model);
const t = await readTimeline(args.data);
const shape = gruShapeOf(manifest);
const V = shape.vocabularySize;
const codes = manifest.vocabulary.codes;
const maxSteps = recordedMaxSteps(manifest);
const data = encodeTimelineForGru(manifest, shape, t);
const net = GruNetwork.fromWeights(shape, manifest.weights ?? [], weights);
const n = t.patients.ids.length;

const STEP_BANDS = [0, 1, 3, 6, 10, 20, 1e9];
const DAY_BANDS = [0, 1, 180, 365, 730, 1460, 1e9];
const band = (edges, x) => edges.findIndex((e, i) => x >= e && x < edges[i + 1]);
const cell = () => ({ o: new Float64Array(V), e: new Float64Array(V) });
const overall = cell();
const bySteps = STEP_BANDS.slice(0, -1).map(cell);
const byDays = DAY_BANDS.slice(0, -1).map(cell);
const cats = t.patients.attributes.filter((a) => a.kind === 'categorical');
const byLevel = cats.map((a) => a.levels.map(cell));

const B = 256;
for (let i = 0; i < n; i += B) {
  const rows = Int32Array.from({ length: Math.min(B, n - i) }, (_, k) => i + k);
  const batch = makeSequenceBatch(data, rows, maxSteps);
  const probs = tf.tidy(() => net.teacherForcedCodeProbabilities(batch).dataSync());
  for (let r = 0; r < batch.rows; r++) {
    const p = rows[r];
    const first = t.offsets[p];
    for (let s = 0; s < batch.steps; s++) {
      const k = r * batch.steps + s;
      if (batch.mask[k] === 0) continue;
      const prevDay = s === 0 ? 0 : t.events.day[first + s - 1];
      const targets = [overall, bySteps[band(STEP_BANDS, s)], byDays[band(DAY_BANDS, prevDay)]];
      for (let ai = 0; ai < cats.length; ai++) targets.push(byLevel[ai][cats[ai].codes[p]]);
      for (const c of targets) {
        for (let v = 0; v < V; v++) {
          c.e[v] += probs[k * V + v];
          c.o[v] += batch.targetCodes[k * V + v];
        }
      }
    }
  }
}
net.dispose();

const ratio = (c, v) => ({
  observed: c.o[v],
  expected: +c.e[v].toFixed(1),
  ratio: +(c.e[v] / c.o[v]).toFixed(3),
  z: +((c.e[v] - c.o[v]) / Math.sqrt(Math.max(1, c.e[v]))).toFixed(2),
});
const perCode = (c) => Object.fromEntries(codes.map((name, v) => [name, ratio(c, v)]));
const terminal = ['DEATH', 'END_OF_FOLLOWUP'].map((x) => codes.indexOf(x)).filter((v) => v >= 0);
const terminalOnly = (c) => Object.fromEntries(terminal.map((v) => [codes[v], ratio(c, v)]));
const out = {
  model: args.model,
  data: args.data,
  patients: n,
  overall: perCode(overall),
  byStep: Object.fromEntries(
    bySteps.map((c, b) => [`steps ${STEP_BANDS[b]}-${STEP_BANDS[b + 1] - 1}`, perCode(c)]),
  ),
  byDay: Object.fromEntries(
    byDays.map((c, b) => [`prev day ${DAY_BANDS[b]}-${DAY_BANDS[b + 1] - 1}`, terminalOnly(c)]),
  ),
  byLevel: Object.fromEntries(
    cats.flatMap((a, ai) =>
      a.levels.map((l, li) => [`${a.name}=${l}`, terminalOnly(byLevel[ai][li])]),
    ),
  ),
};
process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
