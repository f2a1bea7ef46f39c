// Over 400 lines on purpose: trainGru and its named steps (hyperparameters, encoding, one epoch,
// evaluation, manifest) share the run's types; each function is short. Checkpoints and the
// weight average live in training-state.ts.
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { TrajsimError } from '../core/errors.js';
import {
  codeHeadRefitted,
  type Logger,
  MESSAGES,
  SILENT_LOGGER,
  trainingResumed,
} from '../core/messages.js';
import { VERSION } from '../core/version.js';
import type { Timeline } from '../timeline/types.js';
import {
  type AttributeEncoding,
  attributeRowsOf,
  encodeAttributeRows,
  encodedWidth,
  fitAttributeEncoders,
  type NumericEncoding,
} from './attribute-encoder.js';
import {
  AUTO_TRAINING,
  autoGapBins,
  autoWeightDecay,
  countPositiveGaps,
} from './data-driven-defaults.js';
import { gapBinEdges as makeGapBinEdges } from './gap-distribution.js';
import { GruNetwork } from './gru-network.js';
import type { GruShape } from './gru-shape.js';
import { MODEL_FORMAT_VERSION, type ModelManifest } from './manifest.js';
import { refitCodeHead, refittedManifest } from './refit-code-head.js';
import {
  activeRegularisation,
  applyWeightDecay,
  type GruRegularisation,
  type GruRegularisationOptions,
  perturbAttributes,
  resolveRegularisation,
} from './regularisation.js';
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
import {
  restoreCheckpoint,
  setLearningRate,
  type TrainingProgress,
  WeightAverage,
  writeCheckpoint,
} from './training-state.js';
import { manifestDataSections, prepareTraining, type TrainingSetup } from './training-summary.js';
import { fitValueModel, resolveValueModel, type ValueModelSpec } from './value-spec.js';
import { mapCodesToVocabulary, type RareCodePolicy } from './vocabulary.js';

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
  /**
   * Most quantile bins per valued code of the value head (value-spec.ts); 0 = ignore event
   * values (no value head). Codes are valued by evidence in the data (VALUE_DEFAULTS.minShare).
   */
  valueBins: 32,
  /** No attribute skip by default (see docs/attributes.md, "attribute skip"). */
  attributeSkip: false,
  /** Numeric attributes into the network: (x − mean) / sd (see attribute-encoder.ts). */
  numericEncoding: 'standard' as NumericEncoding,
  /**
   * Refit the code head's bias (and the skip's code kernel) after training, with the hidden
   * states fixed (refit-code-head.ts): the weight average leaves the terminal codes
   * under-predicted on the training data itself; the refit makes Σ P(code) = observed. Off by
   * default: generated cohorts of refitted models were further from the data (follow-up KS,
   * RMST; docs/attributes.md, "Refit of the code head").
   */
  refitCodeHead: false,
} as const;

export interface TrainGruOptions extends GruRegularisationOptions {
  readonly hidden?: number;
  readonly layers?: number;
  readonly mixtures?: number;
  /**
   * Day bins of the discretised gap head (gap-distribution.ts); 0 = the log-logistic mixture
   * head of `mixtures` components; absent = chosen from the training gaps ({@link autoGapBins}:
   * 16 on colon, 128 on the reference process).
   */
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
  /** Most value bins per valued code; 0 = no value head (see {@link GRU_DEFAULTS}.valueBins). */
  readonly valueBins?: number;
  /**
   * An attribute skip into the code and gap heads (see GruNetwork; default
   * {@link GRU_DEFAULTS}.attributeSkip). Recorded as the hyperparameter `attributeSkip: 1`.
   */
  readonly attributeSkip?: boolean;
  /** How numeric attributes enter the network (default {@link GRU_DEFAULTS}.numericEncoding). */
  readonly numericEncoding?: NumericEncoding;
  /**
   * Refit the code head after training (default {@link GRU_DEFAULTS}.refitCodeHead); recorded
   * as the hyperparameter `codeHeadRefit: 1` and metrics.codeHeadRefit.
   */
  readonly refitCodeHead?: boolean;
}

export interface TrainedModel {
  readonly manifest: ModelManifest;
  readonly weights: Float32Array;
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
  let value = 0;
  let events = 0;
  const sorted = Array.from(rows).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  for (let i = 0; i < sorted.length; i += batchSize) {
    const batch = makeSequenceBatch(
      data,
      Int32Array.from(sorted.slice(i, i + batchSize)),
      maxSteps,
    );
    const [l, c, g, v] = tf.tidy(() => {
      const r = net.batchLoss(batch);
      return [
        r.loss.dataSync()[0]!,
        r.codeNll.dataSync()[0]!,
        r.gapNll.dataSync()[0]!,
        r.valueNll.dataSync()[0]!,
      ];
    });
    total += l! * batch.events;
    code += c! * batch.events;
    gap += g! * batch.events;
    value += v! * batch.events;
    events += batch.events;
  }
  const n = Math.max(1, events);
  return { nll: total / n, codeNll: code / n, gapNll: gap / n, valueNll: value / n };
}

/** The hyperparameters of a run, defaults filled in (recorded in the manifest). */
type Hyperparameters = ReturnType<typeof resolveHyperparameters>;

/** The options' hyperparameters with defaults, checked; throws INVALID_ARGUMENT. */
function resolveHyperparameters(options: TrainGruOptions) {
  const hp = {
    hidden: options.hidden ?? GRU_DEFAULTS.hidden,
    layers: options.layers ?? GRU_DEFAULTS.layers,
    mixtures: options.mixtures ?? GRU_DEFAULTS.mixtures,
    /** Absent: replaced by the data-driven choice once the training rows are known. */
    gapBins: options.gapBins ?? AUTO_TRAINING.maxBins,
    gapHidden: options.gapHidden ?? GRU_DEFAULTS.gapHidden,
    epochs: options.epochs ?? GRU_DEFAULTS.epochs,
    batchSize: options.batchSize ?? GRU_DEFAULTS.batchSize,
    learningRate: options.learningRate ?? GRU_DEFAULTS.learningRate,
    patience: options.patience ?? GRU_DEFAULTS.patience,
    validationFraction: options.validationFraction ?? GRU_DEFAULTS.validationFraction,
    clipNorm: options.clipNorm ?? GRU_DEFAULTS.clipNorm,
    learningRateDecay: options.learningRateDecay ?? GRU_DEFAULTS.learningRateDecay,
    maxSteps: GRU_DEFAULTS.maxSteps,
    valueBins: options.valueBins ?? GRU_DEFAULTS.valueBins,
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
        k !== 'valueBins' &&
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
  return hp;
}

/**
 * Sets `hp.gapBins` when the options leave it out and returns the weight decay (the
 * option's, else the data-driven one), logging what was chosen and why.
 */
function chooseDataDrivenDefaults(
  timeline: Timeline,
  train: Int32Array,
  options: TrainGruOptions,
  hp: Hyperparameters,
  logger: Logger,
): { weightDecay: number } {
  const chosen: string[] = [];
  if (options.gapBins === undefined) {
    const gaps = countPositiveGaps(timeline, train);
    hp.gapBins = autoGapBins(gaps);
    chosen.push(`${hp.gapBins} gap bins (${gaps} positive training gaps)`);
  }
  const weightDecay = options.weightDecay ?? autoWeightDecay(train.length);
  if (options.weightDecay === undefined) {
    chosen.push(`weight decay ${weightDecay} (${train.length} training patients)`);
  }
  if (chosen.length > 0) logger.info(MESSAGES.INFO, `chosen from the data: ${chosen.join(', ')}`);
  return { weightDecay };
}

/** A timeline encoded for training: the split, the encoded data, the network's shape. */
interface EncodedTraining extends TrainingSetup {
  readonly encoders: AttributeEncoding[];
  readonly gapBinEdges: number[] | undefined;
  /** The value model fitted on the training rows (undefined: no valued codes, or valueBins 0). */
  readonly values: ValueModelSpec | undefined;
  readonly data: EncodedTimeline;
  readonly lengths: Int32Array;
  readonly shape: GruShape;
  readonly evalRows: Int32Array;
  readonly trainEvents: number;
  readonly eventsPerBatch: number;
  /** JSON of everything a checkpoint must match to be resumed. */
  readonly fingerprint: string;
  /** Regularisation (all 0 = off: see regularisation.ts). */
  readonly reg: GruRegularisation;
}

/**
 * Splits and encodes the timeline (vocabulary, attribute encoders, gap bins, sequence
 * lengths), sets `hp.averageDecay` from the epoch length, and fingerprints the run.
 */
function encodeTraining(
  timeline: Timeline,
  options: TrainGruOptions,
  hp: Hyperparameters,
  logger: Logger,
): EncodedTraining {
  const nPatients = timeline.patients.ids.length;
  const setup = prepareTraining(timeline, options, hp.validationFraction, logger);
  const { seed, vocabulary, train, validation } = setup;
  const V = vocabulary.codes.length;
  const numericEncoding = options.numericEncoding ?? GRU_DEFAULTS.numericEncoding;
  const encoders: AttributeEncoding[] = fitAttributeEncoders(
    timeline.patients.attributes,
    train,
    numericEncoding,
  );
  const A = encodedWidth(encoders);
  const allRows = Int32Array.from({ length: nPatients }, (_, i) => i);
  const encodedAttributes = new Float32Array(nPatients * A);
  encodeAttributeRows(
    encoders,
    attributeRowsOf(encoders, timeline.patients.attributes, allRows),
    encodedAttributes,
  );
  const auto = chooseDataDrivenDefaults(timeline, train, options, hp, logger);
  const gapBinEdges =
    hp.gapBins > 0 ? makeGapBinEdges(maxGapDays(timeline, train), hp.gapBins) : undefined;
  const codeMap = mapCodesToVocabulary(vocabulary, timeline.events.codes);
  const values =
    hp.valueBins > 0
      ? fitValueModel(timeline, train, codeMap, vocabulary.codes, hp.valueBins)
      : undefined;
  const resolved = values ? resolveValueModel(values, vocabulary.codes) : undefined;
  const data: EncodedTimeline = {
    ...(gapBinEdges ? { gapBinEdges } : {}),
    ...(resolved ? { values: resolved } : {}),
    timeline,
    codeMap,
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
    ...(resolved
      ? { valueHead: { width: resolved.spec.width, hidden: hp.gapHidden, mask: resolved.mask } }
      : {}),
    ...((options.attributeSkip ?? GRU_DEFAULTS.attributeSkip) ? { attributeSkip: true } : {}),
  };
  // The average spans about one epoch of batches (every length bucket once), 10 to 500.
  const stepsPerEpoch = Math.ceil(train.length / hp.batchSize);
  if (options.averageWeights ?? GRU_DEFAULTS.averageWeights) {
    hp.averageDecay = Math.fround(Math.min(0.998, Math.max(0.9, 1 - 1 / stepsPerEpoch)));
  }
  const evalRows = validation.length > 0 ? validation : train;
  let trainEvents = 0;
  for (const p of train) trainEvents += lengths[p]!;
  const eventsPerBatch = Math.max(1, (trainEvents / Math.max(1, train.length)) * hp.batchSize);
  const reg = resolveRegularisation({ ...options, weightDecay: auto.weightDecay });
  const fingerprint = JSON.stringify({
    seed,
    hp,
    ...activeRegularisation(reg),
    ...(numericEncoding === 'standard' ? {} : { numericEncoding }),
    shape,
    n: nPatients,
    events: timeline.events.day.length,
    codes: vocabulary.codes,
    values,
  });
  return {
    ...setup,
    encoders,
    gapBinEdges,
    values,
    data,
    lengths,
    shape,
    evalRows,
    trainEvents,
    eventsPerBatch,
    fingerprint,
    reg,
  };
}

/** The objects one training run updates. */
interface TrainingRun {
  readonly hp: Hyperparameters;
  readonly enc: EncodedTraining;
  readonly net: GruNetwork;
  readonly optimizer: tf.AdamOptimizer;
  readonly average: WeightAverage;
  readonly progress: TrainingProgress;
  readonly logger: Logger;
}

/**
 * One pass over the training batches of `epoch` (seeded order): gradient, clipping, Adam step,
 * weight average. Throws MODEL when the loss is not finite.
 */
async function trainEpoch(run: TrainingRun, epoch: number, t0: number) {
  const { hp, enc, net, optimizer, average, logger } = run;
  const vars = net.trainable;
  const batches = planBatches(
    enc.train,
    enc.lengths,
    hp.batchSize,
    enc.rng.fork('epoch').fork(epoch),
  );
  let lossSum = 0;
  let events = 0;
  let clippedBatches = 0;
  for (let b = 0; b < batches.length; b++) {
    // a macrotask turn per batch: a SIGINT/SIGTERM handler runs within one batch, not one epoch
    await new Promise<void>((resolve) => setImmediate(resolve));
    const batch = makeSequenceBatch(enc.data, batches[b]!, hp.maxSteps);
    if (enc.reg.attributeDropout > 0 || enc.reg.attributeNoise > 0) {
      perturbAttributes(
        batch.attributes,
        enc.encoders,
        enc.reg,
        enc.rng.fork('reg').fork(epoch).fork(b),
      );
    }
    // Sum over events ÷ a constant: every event weighs the same whatever its batch.
    const { value, grads } = tf.variableGrads(
      () => net.batchLoss(batch, enc.eventsPerBatch).loss,
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
    applyWeightDecay(vars, run.progress.learningRate, enc.reg.weightDecay);
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
    lossSum += loss * enc.eventsPerBatch;
    events += batch.events;
    const rate = events / ((performance.now() - t0) / 1000);
    logger.progress?.(
      `epoch ${epoch + 1}/${hp.epochs}`,
      b + 1,
      batches.length,
      `loss ${(lossSum / events).toFixed(4)} ${Math.round(rate)} events/s`,
    );
  }
  return { lossSum, events, clippedBatches };
}

/**
 * Evaluates the (averaged) weights after an epoch, keeps them when they are the best so far,
 * else counts a bad epoch and decays the learning rate every `decayPatience` bad epochs.
 */
function finishEpoch(run: TrainingRun, epoch: number, t0: number) {
  const { hp, enc, net, optimizer, average, progress } = run;
  // Evaluate (and keep) the averaged weights; training goes on from the last iterate.
  const last = net.exportWeights().data;
  const evaluated = hp.averageDecay > 0 ? average.values() : last;
  net.assignWeights(evaluated);
  const val = evaluate(
    net,
    enc.data,
    enc.evalRows,
    enc.lengths,
    Math.max(hp.batchSize, 256),
    hp.maxSteps,
  );
  net.assignWeights(last);
  const seconds = (performance.now() - t0) / 1000;
  progress.trainSeconds += seconds;
  if (val.nll < progress.bestNll - 1e-5) {
    progress.bestNll = val.nll;
    progress.bestCodeNll = val.codeNll;
    progress.bestGapNll = val.gapNll;
    progress.bestValueNll = val.valueNll;
    progress.bestEpoch = epoch;
    progress.badEpochs = 0;
    progress.bestWeights = evaluated;
  } else {
    progress.badEpochs++;
    const decayPatience = Math.max(1, Math.floor(hp.patience / 2));
    if (progress.badEpochs % decayPatience === 0 && hp.learningRateDecay < 1) {
      progress.learningRate *= hp.learningRateDecay;
      setLearningRate(optimizer, progress.learningRate);
    }
  }
  return { val, seconds };
}

/** The model manifest of a finished run. */
function gruManifest(
  run: TrainingRun,
  timeline: Timeline,
  options: TrainGruOptions,
  epochsThisCall: number,
): ModelManifest {
  const { hp, enc, net, progress } = run;
  const exported = net.exportWeights();
  return {
    format: 'trajsim-model',
    formatVersion: MODEL_FORMAT_VERSION,
    kind: 'gru',
    packageVersion: VERSION,
    commandLine: [...(options.commandLine ?? [])],
    seed: enc.seed,
    backend: options.backend ?? tf.getBackend(),
    ...manifestDataSections(
      timeline,
      enc.train,
      enc.validation,
      enc.vocabulary,
      enc.minPatients,
      enc.encoders,
    ),
    hyperparameters: {
      ...hp,
      ...activeRegularisation(enc.reg),
      gapLogOffset: enc.shape.gapLogOffset,
      // Old manifests have neither field: the mixture head (they load unchanged).
      gapHead: enc.gapBinEdges ? 'bins' : 'mixture',
      ...(enc.gapBinEdges ? { gapBinEdges: enc.gapBinEdges.join(',') } : {}),
      ...(enc.values ? { valueHidden: hp.gapHidden } : {}),
      // Absent in models without the skip (they load unchanged).
      ...(enc.shape.attributeSkip ? { attributeSkip: 1 } : {}),
    },
    metrics: {
      validationNll: progress.bestNll,
      validationCodeNll: progress.bestCodeNll,
      validationGapNll: progress.bestGapNll,
      epochs: Math.max(progress.startEpoch, 0) + epochsThisCall,
      bestEpoch: progress.bestEpoch + 1,
      trainSeconds: progress.trainSeconds,
      ...(enc.values ? { validationValueNll: progress.bestValueNll ?? null } : {}),
    },
    ...(enc.values
      ? {
          values: {
            ...enc.values,
            codes: enc.values.codes.map((c) => ({ ...c, edges: [...c.edges] })),
          },
        }
      : {}),
    weights: exported.specs.map((s) => ({ name: s.name, shape: [...s.shape], offset: s.offset })),
  };
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
  const hp = resolveHyperparameters(options);
  const enc = encodeTraining(timeline, options, hp, logger);
  const net = GruNetwork.create(
    enc.shape,
    enc.rng.fork('init'),
    enc.gapBinEdges ? gapBinLogFrequencies(timeline, enc.train, enc.gapBinEdges) : undefined,
  );
  const optimizer = tf.train.adam(hp.learningRate);
  const ckpt = options.checkpointDir;
  const progress: TrainingProgress = {
    startEpoch: 0,
    bestNll: Number.POSITIVE_INFINITY,
    bestCodeNll: Number.NaN,
    bestGapNll: Number.NaN,
    bestEpoch: -1,
    badEpochs: 0,
    trainSeconds: 0,
    learningRate: hp.learningRate,
    bestWeights: net.exportWeights().data,
  };
  // Polyak averaging: the batches are length-bucketed, so consecutive gradients differ
  // systematically (short timelines end in a terminal code far more often); the average over
  // about one epoch cancels that, the last iterate does not.
  const average = new WeightAverage(net.trainable, hp.averageDecay);
  const run: TrainingRun = { hp, enc, net, optimizer, average, progress, logger };

  try {
    if (options.resume) {
      await restoreCheckpoint(ckpt, enc.fingerprint, net, optimizer, average, progress);
      logger.info(
        MESSAGES.INFO,
        trainingResumed(progress.startEpoch, progress.bestNll, progress.bestEpoch + 1),
      );
    }
    logger.info(
      MESSAGES.INFO,
      `training GRU: ${enc.train.length} patients (${enc.trainEvents} events), ${enc.validation.length} validation, ${enc.vocabulary.codes.length} codes, ` +
        `${net.size} weights, hidden ${hp.hidden} x ${hp.layers}, batch ${hp.batchSize}`,
    );
    let epochsThisCall = 0;
    for (
      let epoch = progress.startEpoch;
      epoch < hp.epochs && progress.badEpochs < hp.patience;
      epoch++
    ) {
      const t0 = performance.now();
      const { lossSum, events, clippedBatches } = await trainEpoch(run, epoch, t0);
      const { val, seconds } = finishEpoch(run, epoch, t0);
      const eta = (hp.epochs - epoch - 1) * seconds;
      logger.info(
        MESSAGES.PROGRESS,
        `epoch ${epoch + 1}: train loss ${(lossSum / Math.max(1, events)).toFixed(4)}, validation NLL ${val.nll.toFixed(4)} ` +
          `(codes ${val.codeNll.toFixed(4)}, gaps ${val.gapNll.toFixed(4)}${enc.values ? `, values ${val.valueNll.toFixed(4)}` : ''}), ${Math.round(events / seconds)} events/s, ` +
          `best ${progress.bestNll.toFixed(4)} @${progress.bestEpoch + 1}, patience ${progress.badEpochs}/${hp.patience}, ` +
          `learning rate ${progress.learningRate.toPrecision(3)}` +
          `${clippedBatches > 0 ? `, ${clippedBatches} batches clipped` : ''}, ETA ≤ ${Math.round(eta)}s`,
      );
      if (ckpt) {
        await writeCheckpoint(ckpt, enc.fingerprint, epoch, net, optimizer, average, progress);
      }
      epochsThisCall++;
      if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) break;
    }
    const manifest = gruManifest(run, timeline, options, epochsThisCall);
    if (!(options.refitCodeHead ?? GRU_DEFAULTS.refitCodeHead)) {
      return { manifest, weights: progress.bestWeights };
    }
    const refit = refitCodeHead(
      enc.shape,
      manifest.weights ?? [],
      progress.bestWeights,
      enc.data,
      enc.train,
      enc.validation,
      hp.maxSteps,
    );
    const r = refit.report;
    logger.info(
      MESSAGES.INFO,
      codeHeadRefitted(r.parameters, r.iterations, r.trainCodeNllBefore, r.trainCodeNllAfter),
    );
    return { manifest: refittedManifest(manifest, r), weights: refit.weights };
  } finally {
    average.dispose();
    optimizer.dispose();
    net.dispose();
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
