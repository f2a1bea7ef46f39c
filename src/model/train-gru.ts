// Over 400 lines, with trainGru over 120: its split (hyperparameter checks, encoding, Adam-state
// checkpoints, the epoch loop, manifest assembly) is still to do; it must keep the bytes of
// trained models, which the model tests check.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import { type Logger, MESSAGES, SILENT_LOGGER, trainingResumed } from '../core/messages.js';
import { VERSION } from '../core/version.js';
import type { Timeline } from '../timeline/types.js';
import {
  type AttributeEncoding,
  attributeRowsOf,
  encodeAttributeRows,
  encodedWidth,
  fitAttributeEncoders,
} from './attribute-encoder.js';
import { gapBinEdges as makeGapBinEdges } from './gap-distribution.js';
import { GruNetwork, type GruShape } from './gru-network.js';
import { MODEL_FORMAT_VERSION, type ModelManifest } from './manifest.js';
import {
  type EncodedTimeline,
  gapBinLogFrequencies,
  MAX_TRAIN_STEPS,
  makeSequenceBatch,
  maxGapDays,
  meanLogPositiveGap,
  planBatches,
  sequenceLength,
} from './sequence-batches.js';
import { manifestDataSections, prepareTraining } from './training-summary.js';
import { mapCodesToVocabulary, type RareCodePolicy } from './vocabulary.js';

/** Defaults of {@link trainGru}. */
export const GRU_DEFAULTS = {
  hidden: 64,
  layers: 1,
  mixtures: 4,
  /**
   * Day bins of the discretised gap head (see gap-distribution.ts); 0 = the log-logistic
   * mixture head of `mixtures` components.
   */
  gapBins: 128,
  gapHidden: 32,
  epochs: 200,
  batchSize: 64,
  learningRate: 0.003,
  patience: 8,
  validationFraction: 0.1,
  /**
   * Global-norm gradient clipping, a guard against exploding gradients only. It must stay
   * inactive in normal training: clipping rescales each batch by its own norm, and with
   * length-bucketed batches the norm grows with the batch's events (0.2 for a batch of
   * 3-event timelines, 13 for 40-event ones on the reference process). The former threshold
   * of 1 kept short timelines (early deaths) at full weight and cut long ones by up to 13×:
   * the code head predicted DEATH 1.3–2× too often and generated survival was far too short.
   */
  clipNorm: 100,
  /** Keep an exponential moving average of the weights (evaluated and saved). */
  averageWeights: true,
  /** Multiply the learning rate by this after every `decayPatience` epochs without progress. */
  learningRateDecay: 0.5,
  maxSteps: MAX_TRAIN_STEPS,
} as const;

export interface TrainGruOptions {
  readonly hidden?: number;
  readonly layers?: number;
  readonly mixtures?: number;
  /** Day bins of the gap head; 0 = log-logistic mixture (see {@link GRU_DEFAULTS}.gapBins). */
  readonly gapBins?: number;
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
  /** Global-norm clipping threshold (see {@link GRU_DEFAULTS}.clipNorm). */
  readonly clipNorm?: number;
  /** Evaluate and save the moving average of the weights (default true). */
  readonly averageWeights?: boolean;
  /** Learning-rate factor on a plateau (1 = constant learning rate). */
  readonly learningRateDecay?: number;
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
  readonly learningRate: number;
  readonly optimizer: { readonly shapes: number[][] };
}

const CHECKPOINT = {
  STATE: 'state.json',
  LAST: 'last.bin',
  BEST: 'best.bin',
  OPTIMIZER: 'optimizer.bin',
  AVERAGE: 'average.bin',
} as const;

/** Adam reads its learning rate at every step; tfjs keeps the field protected. */
function setLearningRate(optimizer: tf.AdamOptimizer, learningRate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
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
 * batches in a seeded order, Adam (global-norm clipping only as a guard against exploding
 * gradients), a moving average of the weights over about one epoch (what is evaluated and
 * saved), the learning rate halved after every patience/2 epochs without progress, early
 * stopping on the validation NLL (patience), the best averaged weights kept. Deterministic for a given seed and
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
    gapBins: options.gapBins ?? GRU_DEFAULTS.gapBins,
    gapHidden: options.gapHidden ?? GRU_DEFAULTS.gapHidden,
    epochs: options.epochs ?? GRU_DEFAULTS.epochs,
    batchSize: options.batchSize ?? GRU_DEFAULTS.batchSize,
    learningRate: options.learningRate ?? GRU_DEFAULTS.learningRate,
    patience: options.patience ?? GRU_DEFAULTS.patience,
    validationFraction: options.validationFraction ?? GRU_DEFAULTS.validationFraction,
    clipNorm: options.clipNorm ?? GRU_DEFAULTS.clipNorm,
    learningRateDecay: options.learningRateDecay ?? GRU_DEFAULTS.learningRateDecay,
    maxSteps: GRU_DEFAULTS.maxSteps,
    /** Decay of the weights' moving average per batch (0: no averaging); set below. */
    averageDecay: 0,
  };
  for (const [k, v] of Object.entries(hp)) {
    if (
      !(Number.isFinite(v) && v >= 0) ||
      (k !== 'validationFraction' &&
        k !== 'epochs' &&
        k !== 'averageDecay' &&
        k !== 'gapBins' &&
        v <= 0)
    ) {
      throw new TrajsimError('INVALID_ARGUMENT', `${k} must be a positive number, got ${v}`, {
        field: k,
      });
    }
  }
  if (hp.gapBins !== 0 && !(Number.isInteger(hp.gapBins) && hp.gapBins >= 2)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `gapBins must be 0 (mixture) or an integer >= 2, got ${hp.gapBins}`,
      {
        field: 'gapBins',
      },
    );
  }
  if (hp.learningRateDecay > 1) {
    throw new TrajsimError('INVALID_ARGUMENT', 'learning-rate decay must be in (0, 1]', {
      field: 'learningRateDecay',
    });
  }
  if (hp.validationFraction >= 1) {
    throw new TrajsimError('INVALID_ARGUMENT', 'validation fraction must be in [0, 1)', {
      field: 'validationFraction',
    });
  }
  const nPatients = timeline.patients.ids.length;
  const { seed, rng, minPatients, vocabulary, train, validation } = prepareTraining(
    timeline,
    options,
    hp.validationFraction,
    logger,
  );
  const V = vocabulary.codes.length;
  const encoders: AttributeEncoding[] = fitAttributeEncoders(timeline.patients.attributes, train);
  const A = encodedWidth(encoders);
  const allRows = Int32Array.from({ length: nPatients }, (_, i) => i);
  const encodedAttributes = new Float32Array(nPatients * A);
  encodeAttributeRows(
    encoders,
    attributeRowsOf(encoders, timeline.patients.attributes, allRows),
    encodedAttributes,
  );
  const gapBinEdges =
    hp.gapBins > 0 ? makeGapBinEdges(maxGapDays(timeline, train), hp.gapBins) : undefined;
  const data: EncodedTimeline = {
    ...(gapBinEdges ? { gapBinEdges } : {}),
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
    ...(gapBinEdges ? { gapBinEdges } : {}),
  };
  // The average spans about one epoch of batches (every length bucket once), 10 to 500.
  const stepsPerEpoch = Math.ceil(train.length / hp.batchSize);
  if (options.averageWeights ?? GRU_DEFAULTS.averageWeights) {
    hp.averageDecay = Math.fround(Math.min(0.998, Math.max(0.9, 1 - 1 / stepsPerEpoch)));
  }
  const decayPatience = Math.max(1, Math.floor(hp.patience / 2));
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
  const net = GruNetwork.create(
    shape,
    rng.fork('init'),
    gapBinEdges ? gapBinLogFrequencies(timeline, train, gapBinEdges) : undefined,
  );
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
  let learningRate = hp.learningRate;
  let bestWeights = net.exportWeights().data;
  // Polyak averaging: the batches are length-bucketed, so consecutive gradients differ
  // systematically (short timelines end in a terminal code far more often); the average over
  // about one epoch cancels that, the last iterate does not.
  const average = new WeightAverage(vars, hp.averageDecay);

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
      average.assign(readFloats(join(ckpt, CHECKPOINT.AVERAGE)));
      learningRate = state.learningRate;
      setLearningRate(optimizer, learningRate);
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
      logger.info(MESSAGES.INFO, trainingResumed(state.epoch + 1, bestNll, bestEpoch + 1));
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
      let clippedBatches = 0;
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
          if (norm > hp.clipNorm) clippedBatches++;
          const scale = norm > hp.clipNorm ? hp.clipNorm / norm : 1;
          return vars.map((v) => ({ name: v.name, tensor: tf.mul(grads[v.name]!, scale) }));
        });
        optimizer.applyGradients(clipped);
        average.update();
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
      // Evaluate (and keep) the averaged weights; training goes on from the last iterate.
      const last = net.exportWeights().data;
      const evaluated = hp.averageDecay > 0 ? average.values() : last;
      net.assignWeights(evaluated);
      const val = evaluate(net, data, evalRows, lengths, Math.max(hp.batchSize, 256), hp.maxSteps);
      net.assignWeights(last);
      const seconds = (performance.now() - t0) / 1000;
      trainSeconds += seconds;
      if (val.nll < bestNll - 1e-5) {
        bestNll = val.nll;
        bestCodeNll = val.codeNll;
        bestGapNll = val.gapNll;
        bestEpoch = epoch;
        badEpochs = 0;
        bestWeights = evaluated;
      } else {
        badEpochs++;
        if (badEpochs % decayPatience === 0 && hp.learningRateDecay < 1) {
          learningRate *= hp.learningRateDecay;
          setLearningRate(optimizer, learningRate);
        }
      }
      const eta = (hp.epochs - epoch - 1) * seconds;
      logger.info(
        MESSAGES.PROGRESS,
        `epoch ${epoch + 1}: train loss ${(lossSum / Math.max(1, events)).toFixed(4)}, validation NLL ${val.nll.toFixed(4)} ` +
          `(codes ${val.codeNll.toFixed(4)}, gaps ${val.gapNll.toFixed(4)}), ${Math.round(events / seconds)} events/s, ` +
          `best ${bestNll.toFixed(4)} @${bestEpoch + 1}, patience ${badEpochs}/${hp.patience}, ` +
          `learning rate ${learningRate.toPrecision(3)}` +
          `${clippedBatches > 0 ? `, ${clippedBatches} batches clipped` : ''}, ETA ≤ ${Math.round(eta)}s`,
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
        writeFileAtomic(join(ckpt, CHECKPOINT.LAST), floatBytes(net.exportWeights().data));
        writeFileAtomic(join(ckpt, CHECKPOINT.BEST), floatBytes(bestWeights));
        writeFileAtomic(join(ckpt, CHECKPOINT.OPTIMIZER), floatBytes(optData));
        writeFileAtomic(join(ckpt, CHECKPOINT.AVERAGE), floatBytes(average.values()));
        const state: CheckpointState = {
          fingerprint,
          epoch,
          bestNll,
          bestCodeNll,
          bestGapNll,
          bestEpoch,
          badEpochs,
          trainSeconds,
          learningRate,
          optimizer: { shapes },
        };
        writeFileAtomic(join(ckpt, CHECKPOINT.STATE), `${JSON.stringify(state)}\n`);
      }
      epochsThisCall++;
      if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
    }
    const exported = net.exportWeights();
    const manifest: ModelManifest = {
      format: 'trajsim-model',
      formatVersion: MODEL_FORMAT_VERSION,
      kind: 'gru',
      packageVersion: VERSION,
      commandLine: [...(options.commandLine ?? [])],
      seed,
      backend: options.backend ?? tf.getBackend(),
      ...manifestDataSections(timeline, train, validation, vocabulary, minPatients, encoders),
      hyperparameters: {
        ...hp,
        gapLogOffset: shape.gapLogOffset,
        // Old manifests have neither field: the mixture head (they load unchanged).
        gapHead: gapBinEdges ? 'bins' : 'mixture',
        ...(gapBinEdges ? { gapBinEdges: gapBinEdges.join(',') } : {}),
      },
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
    average.dispose();
    optimizer.dispose();
    net.dispose();
  }
}

/**
 * An exponential moving average of variables, kept on the backend:
 * a ← decay · a + (1 − decay) · w after every optimizer step, starting from the initial
 * weights. Decay 0 keeps nothing (values() is then never read).
 */
class WeightAverage {
  private readonly sources: readonly tf.Variable[];
  private readonly averages: tf.Variable[];
  private readonly decay: number;

  constructor(sources: readonly tf.Variable[], decay: number) {
    this.sources = sources;
    this.decay = decay;
    this.averages = [];
    if (decay <= 0) return;
    for (const v of sources) {
      const copy = v.clone();
      this.averages.push(tf.variable(copy, false));
      copy.dispose();
    }
  }

  update(): void {
    if (this.averages.length === 0) return;
    tf.tidy(() => {
      this.averages.forEach((a, i) => {
        a.assign(tf.add(tf.mul(a, this.decay), tf.mul(this.sources[i]!, 1 - this.decay)));
      });
    });
  }

  /** The averages, concatenated in variable order (the layout of weights.bin). */
  values(): Float32Array {
    let size = 0;
    for (const a of this.averages) size += a.size;
    const out = new Float32Array(size);
    let o = 0;
    for (const a of this.averages) {
      out.set(a.dataSync() as Float32Array, o);
      o += a.size;
    }
    return out;
  }

  assign(data: Float32Array): void {
    let o = 0;
    for (const a of this.averages) {
      const t = tf.tensor(data.subarray(o, o + a.size), a.shape, 'float32');
      a.assign(t);
      t.dispose();
      o += a.size;
    }
  }

  dispose(): void {
    tf.dispose(this.averages);
  }
}

/**
 * Removes a checkpoint folder (after a model was saved).
 *
 * @example
 * removeCheckpoint(checkpointDirOf('models/colon')) // removes models/.colon.checkpoint
 */
export function removeCheckpoint(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
