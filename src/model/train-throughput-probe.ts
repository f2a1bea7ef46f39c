/**
 * Training throughput on a real timeline, measured in one run: building length-bucketed
 * batches, the raw training step on prebuilt batches, and both together as the trainer runs
 * them (scripts/train-throughput.mjs prints it; docs/model.md quotes it).
 */

import * as tf from '@tensorflow/tfjs';
import { SILENT_LOGGER } from '../core/messages.js';
import type { Timeline } from '../timeline/types.js';
import {
  attributeRowsOf,
  encodeAttributeRows,
  encodedWidth,
  fitAttributeEncoders,
} from './attribute-encoder.js';
import { gapBinEdges } from './gap-distribution.js';
import { GruNetwork, type SequenceBatch } from './gru-network.js';
import type { GruShape } from './gru-shape.js';
import {
  type EncodedTimeline,
  makeSequenceBatch,
  maxGapDays,
  planBatches,
  sequenceLength,
} from './sequence-batches.js';
import { prepareTraining } from './training-summary.js';
import { fitValueModel, resolveValueModel } from './value-spec.js';
import { mapCodesToVocabulary } from './vocabulary.js';

/** Options of {@link probeTrainThroughput}. */
export interface TrainProbeOptions {
  /** Patients per batch (default 128). */
  readonly batchSize?: number;
  /** GRU hidden units (default 64). */
  readonly hidden?: number;
  /** Batches timed: one epoch's first N in the trainer's seeded order (default 30). */
  readonly batches?: number;
  /** Value bins of the value head (default 32; 0 = no value head). */
  readonly valueBins?: number;
  /** Day bins of the gap head (default 128). */
  readonly gapBins?: number;
}

/** What {@link probeTrainThroughput} measured (events per second of wall or CPU time). */
export interface TrainProbeResult {
  readonly batchSize: number;
  readonly hidden: number;
  readonly gapBins: number;
  readonly valueBins: number;
  readonly batches: number;
  readonly events: number;
  readonly paddedSteps: number;
  readonly valuedCodes: readonly string[];
  readonly buildEventsPerSecond: number;
  readonly rawStepEventsPerSecond: number;
  /** CPU time of this process (user + system): less sensitive to other jobs on the machine. */
  readonly rawStepEventsPerCpuSecond: number;
  readonly trainerLoopEventsPerSecond: number;
}

interface ProbeSetup {
  readonly encoded: EncodedTimeline;
  readonly plan: Int32Array[];
  readonly net: GruNetwork;
  readonly valuedCodes: readonly string[];
}

/** Encodes the timeline as `train` does (seed 1, 10 % validation) and plans the batches. */
function probeSetup(timeline: Timeline, o: Required<TrainProbeOptions>): ProbeSetup {
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
    o.valueBins > 0
      ? fitValueModel(timeline, train, codeMap, vocabulary.codes, o.valueBins)
      : undefined;
  const resolved = values ? resolveValueModel(values, vocabulary.codes) : undefined;
  const edges = gapBinEdges(maxGapDays(timeline, train), o.gapBins);
  const V = vocabulary.codes.length;
  const encoded: EncodedTimeline = {
    timeline,
    codeMap,
    vocabularySize: V,
    attributes,
    attributeWidth: A,
    gapBinEdges: edges,
    ...(resolved ? { values: resolved } : {}),
  };
  const lengths = Int32Array.from({ length: n }, (_, p) => sequenceLength(timeline, p));
  const rng = setup.rng.fork('epoch').fork(0);
  const plan = planBatches(train, lengths, o.batchSize, rng).slice(0, o.batches);
  const shape: GruShape = {
    vocabularySize: V,
    attributeWidth: A,
    hidden: o.hidden,
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
  return { encoded, plan, net, valuedCodes: values ? values.codes.map((c) => c.code) : [] };
}

/**
 * Measures training throughput on `timeline` with the active tfjs backend (select one
 * first): events/s of (a) building the batches from the typed arrays alone, (b) the raw
 * training step (forward + backward + Adam) on those prebuilt batches, and (c) both together
 * as the trainer runs them. The same batches (one epoch's first `batches` in the trainer's
 * seeded order) serve every figure, so (c) vs (b) is the trainer's own overhead.
 *
 * @param timeline - a real timeline (readTimeline).
 * @param options - batch size, hidden units, batches timed, value and gap bins.
 * @returns events, padded steps and the three rates (plus the raw step per CPU-second).
 * @throws what training throws for a timeline it cannot encode.
 * @example
 * await selectBackend('wasm');
 * probeTrainThroughput(await readTimeline('out/nafld'), { batches: 10 })
 * // => { events: 9000, rawStepEventsPerSecond: 20000, trainerLoopEventsPerSecond: 18000, ... }
 */
export function probeTrainThroughput(
  timeline: Timeline,
  options: TrainProbeOptions = {},
): TrainProbeResult {
  const o: Required<TrainProbeOptions> = {
    batchSize: options.batchSize ?? 128,
    hidden: options.hidden ?? 64,
    batches: options.batches ?? 30,
    valueBins: options.valueBins ?? 32,
    gapBins: options.gapBins ?? 128,
  };
  const { encoded, plan, net, valuedCodes } = probeSetup(timeline, o);
  const optimizer = tf.train.adam(0.003);
  const vars = net.trainable;
  const stepOn = (batch: SequenceBatch) => {
    const { value, grads } = tf.variableGrads(() => net.batchLoss(batch, 1000).loss, vars);
    optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
    value.dataSync();
    value.dispose();
    tf.dispose(grads);
  };
  try {
    let t0 = performance.now();
    const batches = plan.map((rows) => makeSequenceBatch(encoded, rows));
    const buildSeconds = (performance.now() - t0) / 1000;
    const events = batches.reduce((s, b) => s + b.events, 0);
    stepOn(batches[0]!); // warm-up (kernel compilation)
    t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const b of batches) stepOn(b);
    const stepSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    t0 = performance.now();
    for (const rows of plan) stepOn(makeSequenceBatch(encoded, rows));
    const bothSeconds = (performance.now() - t0) / 1000;
    return {
      ...o,
      batches: plan.length,
      events,
      paddedSteps: batches.reduce((s, b) => s + b.rows * b.steps, 0),
      valuedCodes,
      buildEventsPerSecond: Math.round(events / buildSeconds),
      rawStepEventsPerSecond: Math.round(events / stepSeconds),
      rawStepEventsPerCpuSecond: Math.round(events / ((cpu.user + cpu.system) / 1e6)),
      trainerLoopEventsPerSecond: Math.round(events / bothSeconds),
    };
  } finally {
    net.dispose();
    optimizer.dispose();
  }
}
