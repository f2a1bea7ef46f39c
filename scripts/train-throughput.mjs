// Training throughput on a real timeline, measured in one run (npm run build first):
//   node scripts/train-throughput.mjs --data DIR [--batch-size 128] [--hidden 64] [--batches 30]
//       [--value-bins 32] [--gap-bins 128] > train-throughput.json
// Prints JSON: events/s of (a) building length-bucketed batches from the typed arrays alone,
// (b) the raw training step (forward + backward + Adam) on those prebuilt batches, and
// (c) both together, as the trainer runs them; the same batches (one epoch's first N in the
// trainer's seeded order) for every figure, so (c) vs (b) is the trainer's own overhead; and
// the raw step per CPU-second of this process (comparable on a machine shared with other jobs).
import * as tf from '@tensorflow/tfjs';
import { SILENT_LOGGER } from '../dist/core/messages.js';
import {
  attributeRowsOf,
  encodeAttributeRows,
  encodedWidth,
  fitAttributeEncoders,
} from '../dist/model/attribute-encoder.js';
import { selectBackend } from '../dist/model/backend.js';
import { gapBinEdges } from '../dist/model/gap-distribution.js';
import { GruNetwork } from '../dist/model/gru-network.js';
import {
  makeSequenceBatch,
  maxGapDays,
  planBatches,
  sequenceLength,
} from '../dist/model/sequence-batches.js';
import { prepareTraining } from '../dist/model/training-summary.js';
import { fitValueModel, resolveValueModel } from '../dist/model/value-spec.js';
import { mapCodesToVocabulary } from '../dist/model/vocabulary.js';
import { readTimeline } from '../dist/timeline/read.js';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const data = opt('data');
if (!data) throw new Error('--data DIR is required');
const batchSize = Number(opt('batch-size', 128));
const hidden = Number(opt('hidden', 64));
const nBatches = Number(opt('batches', 30));
const valueBins = Number(opt('value-bins', 32));
const gapBins = Number(opt('gap-bins', 128));

await selectBackend(opt('backend', 'wasm'));
const timeline = await readTimeline(data);
const setup = prepareTraining(timeline, { seed: 1 }, 0.1, SILENT_LOGGER);
const { vocabulary, train } = setup;
const n = timeline.patients.ids.length;
const encoders = fitAttributeEncoders(timeline.patients.attributes, train);
const A = encodedWidth(encoders);
const all = Int32Array.from({ length: n }, (_, i) => i);
const attributes = new Float32Array(n * A);
encodeAttributeRows(
  encoders,
  attributeRowsOf(encoders, timeline.patients.attributes, all),
  attributes,
);
const codeMap = mapCodesToVocabulary(vocabulary, timeline.events.codes);
const values =
  valueBins > 0 ? fitValueModel(timeline, train, codeMap, vocabulary.codes, valueBins) : undefined;
const resolved = values ? resolveValueModel(values, vocabulary.codes) : undefined;
const edges = gapBinEdges(maxGapDays(timeline, train), gapBins);
const encoded = {
  timeline,
  codeMap,
  vocabularySize: vocabulary.codes.length,
  attributes,
  attributeWidth: A,
  gapBinEdges: edges,
  ...(resolved ? { values: resolved } : {}),
};
const lengths = Int32Array.from({ length: n }, (_, p) => sequenceLength(timeline, p));
const plan = planBatches(train, lengths, batchSize, setup.rng.fork('epoch').fork(0)).slice(
  0,
  nBatches,
);
const shape = {
  vocabularySize: vocabulary.codes.length,
  attributeWidth: A,
  hidden,
  layers: 1,
  mixtures: 4,
  gapHidden: 32,
  gapLogOffset: 4,
  gapBinEdges: edges,
  ...(resolved
    ? { valueHead: { width: resolved.spec.width, hidden: 32, mask: resolved.mask } }
    : {}),
};
const net = GruNetwork.create(shape, setup.rng.fork('init'));
const optimizer = tf.train.adam(0.003);
const vars = net.trainable;
const stepOn = (batch) => {
  const { value, grads } = tf.variableGrads(() => net.batchLoss(batch, 1000).loss, vars);
  optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
  value.dataSync();
  value.dispose();
  tf.dispose(grads);
};

let t0 = performance.now();
const batches = plan.map((rows) => makeSequenceBatch(encoded, rows));
const buildSeconds = (performance.now() - t0) / 1000;
const events = batches.reduce((s, b) => s + b.events, 0);
stepOn(batches[0]); // warm-up (kernel compilation)
t0 = performance.now();
const cpu0 = process.cpuUsage();
for (const b of batches) stepOn(b);
const stepSeconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const stepCpuSeconds = (cpu.user + cpu.system) / 1e6;
t0 = performance.now();
for (const rows of plan) stepOn(makeSequenceBatch(encoded, rows));
const bothSeconds = (performance.now() - t0) / 1000;
net.dispose();
optimizer.dispose();
console.log(
  JSON.stringify(
    {
      data,
      batchSize,
      hidden,
      gapBins,
      valueBins,
      batches: plan.length,
      events,
      paddedSteps: batches.reduce((s, b) => s + b.rows * b.steps, 0),
      valuedCodes: values ? values.codes.map((c) => c.code) : [],
      buildEventsPerSecond: Math.round(events / buildSeconds),
      rawStepEventsPerSecond: Math.round(events / stepSeconds),
      // CPU time of this process (user + system): less sensitive to other jobs on the machine
      rawStepEventsPerCpuSecond: Math.round(events / stepCpuSeconds),
      trainerLoopEventsPerSecond: Math.round(events / bothSeconds),
    },
    null,
    2,
  ),
);
