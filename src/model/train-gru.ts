import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TrajsimError } from '../core/errors.js';
import { type Logger, MESSAGES, SILENT_LOGGER } from '../core/messages.js';
import { Rng } from '../core/rng.js';
import { VERSION } from '../core/version.js';
import type { Timeline } from '../timeline/types.js';
import {
  type AttributeEncoding,
  attributeRowsOf,
  encodeAttributeRows,
  encodedWidth,
  encoderSchema,
  fitAttributeEncoders,
} from './attribute-encoder.js';
import { fitAttributeModel } from './attribute-model.js';
import { GruNetwork, type GruShape } from './gru-network.js';
import { MODEL_FORMAT_VERSION, type ModelManifest } from './manifest.js';
import {
  type EncodedTimeline,
  MAX_TRAIN_STEPS,
  makeSequenceBatch,
  meanLogPositiveGap,
  planBatches,
  sequenceLength,
  splitPatients,
} from './sequence-batches.js';
import { summarizeTraining } from './training-summary.js';
import {
  buildVocabulary,
  MIN_CODE_PATIENTS,
  mapCodesToVocabulary,
  type RareCodePolicy,
} from './vocabulary.js';

/** Defaults of {@link trainGru}. */
export const GRU_DEFAULTS = {
  hidden: 64,
  layers: 1,
  mixtures: 4,
  gapHidden: 32,
  epochs: 200,
  batchSize: 64,
  learningRate: 0.003,
  patience: 8,
  validationFraction: 0.1,
  clipNorm: 1,
  maxSteps: MAX_TRAIN_STEPS,
} as const;

export interface TrainGruOptions {
  readonly hidden?: number;
  readonly layers?: number;
  readonly mixtures?: number;
  readonly gapHidden?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** Epochs without a better validation NLL before stopping. */
  readonly patience?: number;
  readonly validationFraction?: number;
  readonly seed?: string | number;
  readonly minCodePatients?: number;
  readonly rareCodes?: RareCodePolicy;
  /** Where the last and best checkpoints live (written every epoch); none when absent. */
  readonly checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir`. */
  readonly resume?: boolean;
  /** Stop after this many epochs of this call (for tests of resume); default no limit. */
  readonly stopAfterEpochs?: number;
  readonly backend?: string;
  readonly commandLine?: readonly string[];
  readonly logger?: Logger;
}

export interface TrainedModel {
  readonly manifest: ModelManifest;
  readonly weights: Float32Array;
}

interface CheckpointState {
  readonly fingerprint: string;
  readonly epoch: number;
  readonly bestNll: number;
  readonly bestCodeNll: number;
  readonly bestGapNll: number;
  readonly bestEpoch: number;
  readonly badEpochs: number;
  readonly trainSeconds: number;
  readonly optimizer: { readonly shapes: number[][] };
}

const CHECKPOINT = {
  STATE: 'state.json',
  LAST: 'last.bin',
  BEST: 'best.bin',
  OPTIMIZER: 'optimizer.bin',
} as const;

function writeAtomically(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function readFloats(path: string): Float32Array {
  const b = readFileSync(path);
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

/** Mean validation NLL (nats per event) of `rows`, in batches. */
function evaluate(
  net: GruNetwork,
  data: EncodedTimeline,
  rows: Int32Array,
  lengths: Int32Array,
  batchSize: number,
  maxSteps: number,
) {
  let total = 0;
  let code = 0;
  let gap = 0;
  let events = 0;
  const sorted = Array.from(rows).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  for (let i = 0; i < sorted.length; i += batchSize) {
    const batch = makeSequenceBatch(
      data,
      Int32Array.from(sorted.slice(i, i + batchSize)),
      maxSteps,
    );
    const [l, c, g] = tf.tidy(() => {
      const r = net.batchLoss(batch);
      return [r.loss.dataSync()[0]!, r.codeNll.dataSync()[0]!, r.gapNll.dataSync()[0]!];
    });
    total += l! * batch.events;
    code += c! * batch.events;
    gap += g! * batch.events;
    events += batch.events;
  }
  const n = Math.max(1, events);
  return { nll: total / n, codeNll: code / n, gapNll: gap / n };
}

/**
 * Trains the GRU trajectory model on a timeline: seeded patient split, length-bucketed
 * batches in a seeded order, Adam with global-norm gradient clipping, early stopping on the
 * validation NLL (patience), the best weights kept. Deterministic for a given seed and
 * backend. Progress (epoch, batch, loss, validation NLL, events/s, ETA) goes to the logger.
 * The backend must already be selected (see selectBackend).
 *
 * Throws INVALID_INPUT for data it cannot learn from (no patients, rare codes refused),
 * MODEL for a checkpoint that does not match the run being resumed.
 *
 * @example
 * const { manifest, weights } = await trainGru(timeline, { hidden: 64, seed: 1 });
 * manifest.metrics.validationNll // => e.g. 2.31 (nats per event)
 */
export async function trainGru(
  timeline: Timeline,
  options: TrainGruOptions = {},
): Promise<TrainedModel> {
  const logger = options.logger ?? SILENT_LOGGER;
  const hp = {
    hidden: options.hidden ?? GRU_DEFAULTS.hidden,
    layers: options.layers ?? GRU_DEFAULTS.layers,
    mixtures: options.mixtures ?? GRU_DEFAULTS.mixtures,
    gapHidden: options.gapHidden ?? GRU_DEFAULTS.gapHidden,
    epochs: options.epochs ?? GRU_DEFAULTS.epochs,
    batchSize: options.batchSize ?? GRU_DEFAULTS.batchSize,
    learningRate: options.learningRate ?? GRU_DEFAULTS.learningRate,
    patience: options.patience ?? GRU_DEFAULTS.patience,
    validationFraction: options.validationFraction ?? GRU_DEFAULTS.validationFraction,
    clipNorm: GRU_DEFAULTS.clipNorm,
    maxSteps: GRU_DEFAULTS.maxSteps,
  };
  for (const [k, v] of Object.entries(hp)) {
    if (
      !(Number.isFinite(v) && v >= 0) ||
      (k !== 'validationFraction' && k !== 'epochs' && v <= 0)
    ) {
      throw new TrajsimError('INVALID_ARGUMENT', `${k} must be a positive number, got ${v}`, {
        field: k,
      });
    }
  }
  if (hp.validationFraction >= 1) {
    throw new TrajsimError('INVALID_ARGUMENT', 'validation fraction must be in [0, 1)', {
      field: 'validationFraction',
    });
  }
  const nPatients = timeline.patients.ids.length;
  if (nPatients < 2)
    throw new TrajsimError('INVALID_INPUT', `need at least 2 patients to train, got ${nPatients}`);
  const seed = String(options.seed ?? 1);
  const rng = new Rng(seed);
  const minPatients = options.minCodePatients ?? MIN_CODE_PATIENTS;
  const vocabulary = buildVocabulary(timeline, {
    minPatients,
    logger,
    ...(options.rareCodes ? { rareCodes: options.rareCodes } : {}),
  });
  const V = vocabulary.codes.length;
  const { train, validation } = splitPatients(nPatients, hp.validationFraction, rng.fork('split'));
  const encoders: AttributeEncoding[] = fitAttributeEncoders(timeline.patients.attributes, train);
  const A = encodedWidth(encoders);
  const allRows = Int32Array.from({ length: nPatients }, (_, i) => i);
  const encodedAttributes = new Float32Array(nPatients * A);
  encodeAttributeRows(
    encoders,
    attributeRowsOf(encoders, timeline.patients.attributes, allRows),
    encodedAttributes,
  );
  const data: EncodedTimeline = {
    timeline,
    codeMap: mapCodesToVocabulary(vocabulary, timeline.events.codes),
    vocabularySize: V,
    attributes: encodedAttributes,
    attributeWidth: A,
  };
  const lengths = Int32Array.from({ length: nPatients }, (_, p) =>
    sequenceLength(timeline, p, hp.maxSteps),
  );
  const shape: GruShape = {
    vocabularySize: V,
    attributeWidth: A,
    hidden: hp.hidden,
    layers: hp.layers,
    mixtures: hp.mixtures,
    gapHidden: hp.gapHidden,
    gapLogOffset: Math.fround(meanLogPositiveGap(timeline, train)),
  };
  const evalRows = validation.length > 0 ? validation : train;
  let trainEvents = 0;
  for (const p of train) trainEvents += lengths[p]!;
  const eventsPerBatch = Math.max(1, (trainEvents / Math.max(1, train.length)) * hp.batchSize);

  const fingerprint = JSON.stringify({
    seed,
    hp,
    shape,
    n: nPatients,
    events: timeline.events.day.length,
    codes: vocabulary.codes,
  });
  const net = GruNetwork.create(shape, rng.fork('init'));
  const optimizer = tf.train.adam(hp.learningRate);
  const vars = net.trainable;
  const ckpt = options.checkpointDir;
  let startEpoch = 0;
  let bestNll = Number.POSITIVE_INFINITY;
  let bestCodeNll = Number.NaN;
  let bestGapNll = Number.NaN;
  let bestEpoch = -1;
  let badEpochs = 0;
  let trainSeconds = 0;
  let bestWeights = net.exportWeights().data;

  try {
    if (options.resume) {
      if (!ckpt || !existsSync(join(ckpt, CHECKPOINT.STATE))) {
        throw new TrajsimError(
          'MODEL',
          `nothing to resume: no checkpoint in ${ckpt ?? '(no checkpoint folder)'}`,
        );
      }
      const state = JSON.parse(
        readFileSync(join(ckpt, CHECKPOINT.STATE), 'utf8'),
      ) as CheckpointState;
      if (state.fingerprint !== fingerprint) {
        throw new TrajsimError(
          'MODEL',
          `the checkpoint in ${ckpt} was written by a run with other data, seed or hyperparameters; rerun without --resume`,
        );
      }
      net.assignWeights(readFloats(join(ckpt, CHECKPOINT.LAST)));
      bestWeights = readFloats(join(ckpt, CHECKPOINT.BEST));
      const opt = readFloats(join(ckpt, CHECKPOINT.OPTIMIZER));
      let o = 0;
      const named: Parameters<typeof optimizer.setWeights>[0] = state.optimizer.shapes.map(
        (shp, i) => {
          const size = shp.reduce((a, b) => a * b, 1);
          const values = opt.subarray(o, o + size);
          o += size;
          return i === 0
            ? { name: 'iter', tensor: tf.scalar(values[0]!, 'int32') }
            : { name: `m${i}`, tensor: tf.tensor(values, shp, 'float32') };
        },
      );
      await optimizer.setWeights(named);
      for (const n of named) n.tensor.dispose();
      startEpoch = state.epoch + 1;
      bestNll = state.bestNll;
      bestCodeNll = state.bestCodeNll;
      bestGapNll = state.bestGapNll;
      bestEpoch = state.bestEpoch;
      badEpochs = state.badEpochs;
      trainSeconds = state.trainSeconds;
      logger.info(
        MESSAGES.INFO,
        `resuming after epoch ${state.epoch + 1} (best validation NLL ${bestNll.toFixed(4)} at epoch ${bestEpoch + 1})`,
      );
    }
    logger.info(
      MESSAGES.INFO,
      `training GRU: ${train.length} patients (${trainEvents} events), ${validation.length} validation, ${V} codes, ` +
        `${net.size} weights, hidden ${hp.hidden} x ${hp.layers}, batch ${hp.batchSize}`,
    );
    let epochsThisCall = 0;
    for (let epoch = startEpoch; epoch < hp.epochs && badEpochs < hp.patience; epoch++) {
      const t0 = performance.now();
      const batches = planBatches(train, lengths, hp.batchSize, rng.fork('epoch').fork(epoch));
      let lossSum = 0;
      let events = 0;
      for (let b = 0; b < batches.length; b++) {
        const batch = makeSequenceBatch(data, batches[b]!, hp.maxSteps);
        // Sum over events ÷ a constant: every event weighs the same whatever its batch.
        const { value, grads } = tf.variableGrads(
          () => net.batchLoss(batch, eventsPerBatch).loss,
          vars,
        );
        const clipped = tf.tidy(() => {
          const list = vars.map((v) => grads[v.name]!);
          const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))).dataSync()[0]!;
          const scale = norm > hp.clipNorm ? hp.clipNorm / norm : 1;
          return vars.map((v) => ({ name: v.name, tensor: tf.mul(grads[v.name]!, scale) }));
        });
        optimizer.applyGradients(clipped);
        const loss = value.dataSync()[0]!;
        value.dispose();
        tf.dispose(grads);
        tf.dispose(clipped.map((c) => c.tensor));
        if (!Number.isFinite(loss)) {
          throw new TrajsimError(
            'MODEL',
            `training diverged (loss ${loss}) at epoch ${epoch + 1}, batch ${b + 1}; try a smaller --learning-rate`,
          );
        }
        lossSum += loss * eventsPerBatch;
        events += batch.events;
        const rate = events / ((performance.now() - t0) / 1000);
        logger.progress?.(
          `epoch ${epoch + 1}/${hp.epochs}`,
          b + 1,
          batches.length,
          `loss ${(lossSum / events).toFixed(4)} ${Math.round(rate)} events/s`,
        );
      }
      const val = evaluate(net, data, evalRows, lengths, Math.max(hp.batchSize, 256), hp.maxSteps);
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      if (val.nll < bestNll - 1e-5) {
        bestNll = val.nll;
        bestCodeNll = val.codeNll;
        bestGapNll = val.gapNll;
        bestEpoch = epoch;
        badEpochs = 0;
        bestWeights = net.exportWeights().data;
      } else badEpochs++;
      const eta = (hp.epochs - epoch - 1) * seconds;
      logger.info(
        MESSAGES.PROGRESS,
        `epoch ${epoch + 1}: train loss ${(lossSum / Math.max(1, events)).toFixed(4)}, validation NLL ${val.nll.toFixed(4)} ` +
          `(codes ${val.codeNll.toFixed(4)}, gaps ${val.gapNll.toFixed(4)}), ${Math.round(events / seconds)} events/s, ` +
          `best ${bestNll.toFixed(4)} @${bestEpoch + 1}, patience ${badEpochs}/${hp.patience}, ETA ≤ ${Math.round(eta)}s`,
      );
      if (ckpt) {
        mkdirSync(ckpt, { recursive: true });
        const optWeights = await optimizer.getWeights();
        const shapes = optWeights.map((w) => w.tensor.shape as number[]);
        let size = 0;
        for (const w of optWeights) size += w.tensor.size;
        const optData = new Float32Array(size);
        let o = 0;
        for (const w of optWeights) {
          optData.set(w.tensor.dataSync(), o);
          o += w.tensor.size;
        }
        optWeights[0]!.tensor.dispose(); // the iteration scalar is a fresh tensor
        writeAtomically(join(ckpt, CHECKPOINT.LAST), floatBytes(net.exportWeights().data));
        writeAtomically(join(ckpt, CHECKPOINT.BEST), floatBytes(bestWeights));
        writeAtomically(join(ckpt, CHECKPOINT.OPTIMIZER), floatBytes(optData));
        const state: CheckpointState = {
          fingerprint,
          epoch,
          bestNll,
          bestCodeNll,
          bestGapNll,
          bestEpoch,
          badEpochs,
          trainSeconds,
          optimizer: { shapes },
        };
        writeAtomically(join(ckpt, CHECKPOINT.STATE), `${JSON.stringify(state)}\n`);
      }
      epochsThisCall++;
      if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
    }
    const exported = net.exportWeights();
    const summary = summarizeTraining(timeline, train);
    const manifest: ModelManifest = {
      format: 'trajsim-model',
      formatVersion: MODEL_FORMAT_VERSION,
      kind: 'gru',
      packageVersion: VERSION,
      commandLine: [...(options.commandLine ?? [])],
      seed,
      backend: options.backend ?? tf.getBackend(),
      training: {
        name: timeline.name,
        contentHash: '',
        patients: nPatients,
        events: timeline.events.day.length,
        trainPatients: train.length,
        validationPatients: validation.length,
        indexDayRange: summary.indexDayRange,
        maxFollowUpDays: summary.maxFollowUpDays,
        maxEvents: summary.maxEvents,
      },
      vocabulary: { codes: [...vocabulary.codes], grouped: [...vocabulary.grouped], minPatients },
      attributes: encoderSchema(encoders).map((s) =>
        s.kind === 'categorical' ? { ...s, levels: [...s.levels] } : s,
      ),
      encoders: encoders.map((e) =>
        e.kind === 'categorical' ? { ...e, levels: [...e.levels] } : e,
      ),
      attributeModel: JSON.parse(
        JSON.stringify(fitAttributeModel(timeline.patients.attributes, train)),
      ),
      hyperparameters: { ...hp, gapLogOffset: shape.gapLogOffset },
      metrics: {
        validationNll: bestNll,
        validationCodeNll: bestCodeNll,
        validationGapNll: bestGapNll,
        epochs: Math.max(startEpoch, 0) + epochsThisCall,
        bestEpoch: bestEpoch + 1,
        trainSeconds,
      },
      weights: exported.specs.map((s) => ({ name: s.name, shape: [...s.shape], offset: s.offset })),
    };
    return { manifest, weights: bestWeights };
  } finally {
    optimizer.dispose();
    net.dispose();
  }
}

/** Removes a checkpoint folder (after a model was saved). */
export function removeCheckpoint(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
