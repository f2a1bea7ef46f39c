import { TrajsimError } from '../core/errors.js';
import { type Logger, SILENT_LOGGER, trainingSplitMismatch } from '../core/messages.js';
import { Rng } from '../core/rng.js';
import type { Timeline } from '../timeline/types.js';
import { type AttributeEncoding, encoderSchema } from './attribute-encoder.js';
import { fitAttributeModel } from './attribute-model.js';
import type { ModelManifest } from './manifest.js';
import { splitPatients } from './sequence-batches.js';
import {
  buildVocabulary,
  MIN_CODE_PATIENTS,
  type RareCodePolicy,
  type Vocabulary,
} from './vocabulary.js';

/** Facts about the training data that generation needs (stored in the manifest). */
export interface TrainingSummary {
  /** [first, last] index day of the patients. */
  readonly indexDayRange: [number, number];
  /** Largest last-event day. */
  readonly maxFollowUpDays: number;
  /** Most events of one patient. */
  readonly maxEvents: number;
}

/**
 * Summarises the given patient rows of a timeline.
 *
 * @example
 * summarizeTraining(colon, rows) // => { indexDayRange: [10957, 12052], maxFollowUpDays: 3329, maxEvents: 4 }
 */
export function summarizeTraining(timeline: Timeline, rows: Int32Array): TrainingSummary {
  let minIndex = Number.POSITIVE_INFINITY;
  let maxIndex = Number.NEGATIVE_INFINITY;
  let maxFollowUpDays = 0;
  let maxEvents = 0;
  for (const p of rows) {
    const idx = timeline.patients.indexDay[p]!;
    if (idx < minIndex) minIndex = idx;
    if (idx > maxIndex) maxIndex = idx;
    const start = timeline.offsets[p]!;
    const end = timeline.offsets[p + 1]!;
    maxEvents = Math.max(maxEvents, end - start);
    if (end > start) maxFollowUpDays = Math.max(maxFollowUpDays, timeline.events.day[end - 1]!);
  }
  if (!Number.isFinite(minIndex)) {
    minIndex = 0;
    maxIndex = 0;
  }
  return { indexDayRange: [minIndex, maxIndex], maxFollowUpDays, maxEvents };
}

/**
 * The data-derived sections of a model manifest, shared by every model kind: what it was
 * trained on, its vocabulary, its attribute schema and encoders, and the fitted attribute model
 * new patients' attributes are drawn from.
 *
 * @example
 * const sections = manifestDataSections(timeline, train, validation, vocabulary, options);
 * sections.vocabulary.codes // => the codes the model predicts
 */
export function manifestDataSections(
  timeline: Timeline,
  train: Int32Array,
  validation: Int32Array,
  vocabulary: Vocabulary,
  minPatients: number,
  encoders: readonly AttributeEncoding[],
): Pick<ModelManifest, 'training' | 'vocabulary' | 'attributes' | 'encoders' | 'attributeModel'> {
  const summary = summarizeTraining(timeline, train);
  return {
    training: {
      name: timeline.name,
      contentHash: '',
      patients: timeline.patients.ids.length,
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
      e.kind === 'categorical'
        ? { ...e, levels: [...e.levels] }
        : {
            name: e.name,
            kind: e.kind,
            mean: e.mean,
            std: e.std,
            ...(e.knots && e.scores ? { knots: [...e.knots], scores: [...e.scores] } : {}),
          },
    ),
    attributeModel: JSON.parse(
      JSON.stringify(fitAttributeModel(timeline.patients.attributes, train)),
    ),
  };
}

/** What every model kind starts training from: the seed stream, the vocabulary and the split. */
export interface TrainingSetup {
  readonly seed: string;
  readonly rng: Rng;
  readonly minPatients: number;
  readonly vocabulary: Vocabulary;
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

/**
 * The shared start of training (GRU and Markov alike): at least 2 patients, the seeded root
 * stream, the vocabulary (rare codes grouped or refused) and the seeded patient split from
 * `rng.fork('split')`, so both kinds train on the same patients for a given seed.
 * Throws INVALID_INPUT for fewer than 2 patients.
 *
 * @example
 * const { train, validation, vocabulary } = prepareTraining(colon, { seed: 1 }, 0.1, SILENT_LOGGER);
 * train.length + validation.length // => colon.patients.ids.length
 */
export function prepareTraining(
  timeline: Timeline,
  options: {
    readonly seed?: string | number;
    readonly minCodePatients?: number;
    readonly rareCodes?: RareCodePolicy;
  },
  validationFraction: number,
  logger: Logger,
): TrainingSetup {
  const nPatients = timeline.patients.ids.length;
  if (nPatients < 2) {
    throw new TrajsimError('INVALID_INPUT', `need at least 2 patients to train, got ${nPatients}`);
  }
  const seed = String(options.seed ?? 1);
  const rng = new Rng(seed);
  const minPatients = options.minCodePatients ?? MIN_CODE_PATIENTS;
  const vocabulary = buildVocabulary(timeline, {
    minPatients,
    logger,
    ...(options.rareCodes ? { rareCodes: options.rareCodes } : {}),
  });
  const { train, validation } = splitPatients(nPatients, validationFraction, rng.fork('split'));
  return { seed, rng, minPatients, vocabulary, train, validation };
}

/**
 * The patients a trained model fitted and those it held out for early stopping: the seeded
 * split `train` made of its training timeline (prepareTraining with the manifest's seed,
 * vocabulary threshold and validation fraction), checked against the sizes the manifest
 * recorded.
 *
 * @param manifest - the model's manifest (`loadModel(dir).manifest`).
 * @param timeline - the timeline the model was trained on.
 * @returns the sorted training (fitted) and validation patient rows.
 * @throws TrajsimError INVALID_INPUT when the split's sizes differ from the manifest's
 *   `training.trainPatients` / `validationPatients` (another timeline).
 * @example
 * const { train, validation } = trainingSplit(loadModel('models/default').manifest, colon);
 * [train.length, validation.length] // => [836, 93]
 */
export function trainingSplit(
  manifest: ModelManifest,
  timeline: Timeline,
): { train: Int32Array; validation: Int32Array } {
  const { train, validation } = prepareTraining(
    timeline,
    { seed: manifest.seed, minCodePatients: manifest.vocabulary.minPatients },
    Number(manifest.hyperparameters['validationFraction'] ?? 0.1),
    SILENT_LOGGER,
  );
  const recorded = manifest.training;
  if (
    train.length !== recorded.trainPatients ||
    validation.length !== recorded.validationPatients
  ) {
    throw new TrajsimError(
      'INVALID_INPUT',
      trainingSplitMismatch(
        timeline.name,
        [train.length, validation.length],
        [recorded.trainPatients, recorded.validationPatients],
      ),
      { field: 'training.trainPatients' },
    );
  }
  return { train, validation };
}
