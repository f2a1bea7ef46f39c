// Training throughput on a real timeline, measured in one run (npm run build first):
//   node scripts/train-throughput.mjs --data DIR [--batch-size 128] [--hidden 64] [--batches 30]
//       [--value-bins 32] [--gap-bins 128] [--backend wasm] > train-throughput.json
// Prints JSON: events/s of (a) building length-bucketed batches from the typed arrays alone,
// (b) the raw training step (forward + backward + Adam) on those prebuilt batches, and
// (c) both together, as the trainer runs them; the same batches (one epoch's first N in the
// trainer's seeded order) for every figure, so (c) vs (b) is the trainer's own overhead; and
// the raw step per CPU-second of this process (comparable on a machine shared with other jobs).
// The measurement is the library's probeTrainThroughput.
import { probeTrainThroughput, readTimeline, selectBackend } from 'trajsim';
import { options, printJson } from './lib.mjs';

const args = options({
  data: '',
  'batch-size': 128,
  hidden: 64,
  batches: 30,
  'value-bins': 32,
  'gap-bins': 128,
  backend: 'wasm',
});
if (!args.data) {
  process.stderr.write('usage: train-throughput.mjs --data DIR [--batch-size N] ...\n');
  process.exit(2);
}
await selectBackend(args.backend);
const result = probeTrainThroughput(await readTimeline(args.data), {
  batchSize: args['batch-size'],
  hidden: args.hidden,
  batches: args.batches,
  valueBins: args['value-bins'],
  gapBins: args['gap-bins'],
});
printJson({ data: args.data, ...result });
