import { basename, dirname, join } from 'node:path';
import { checkOutputDir, type OutputOptions } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import { type Logger, MESSAGES, modelSaved, SILENT_LOGGER } from '../core/messages.js';
import { readTimeline, readTimelineManifest } from '../timeline/read.js';
import { selectBackend } from './backend.js';
import { type BackendName, DEFAULT_BACKEND } from './backend-names.js';
import { type ModelManifest, writeModelFolder } from './manifest.js';
import { fitMarkov } from './markov.js';
import { removeCheckpoint, type TrainGruOptions, trainGru } from './train-gru.js';

export interface TrainModelOptions
  extends Omit<TrainGruOptions, 'checkpointDir' | 'logger' | 'backend'> {
  /** Timeline directory to learn from. */
  readonly data: string;
  /** Model folder to write (atomically). */
  readonly out: string;
  readonly kind?: 'gru' | 'markov';
  readonly backend?: BackendName;
  /** Markov: conditioning attribute, or 'none'. */
  readonly condition?: string;
  readonly overwrite?: boolean;
  readonly logger?: Logger;
}

/**
 * Where the checkpoints of a model folder being trained live: a hidden sibling folder.
 *
 * @example
 * checkpointDirOf('models/colon') // => 'models/.colon.checkpoint'
 */
export function checkpointDirOf(out: string): string {
  return join(dirname(out), `.${basename(out)}.checkpoint`);
}

/**
 * Trains a model on a timeline directory and writes the model folder: `gru` (default; the
 * backend is selected first) or the `markov` baseline. The manifest records the training
 * data's contentHash from timeline.json. GRU checkpoints go to {@link checkpointDirOf}
 * every epoch (for `resume`) and are removed once the model is saved.
 *
 * @example
 * await trainModel({ data: 'out/colon', out: 'models/colon', epochs: 50, seed: 1 })
 * // => the manifest written to models/colon/manifest.json
 */
export async function trainModel(options: TrainModelOptions): Promise<ModelManifest> {
  const logger = options.logger ?? SILENT_LOGGER;
  // Check the output before training (a refusal after an hour of training helps nobody).
  const output: OutputOptions = {
    overwrite: options.overwrite ?? false,
    kind: 'model',
    inputs: [options.data],
    logger,
  };
  checkOutputDir(options.out, output);
  const timelineManifest = readTimelineManifest(options.data);
  const timeline = await readTimeline(options.data);
  const kind = options.kind ?? 'gru';
  if (kind !== 'gru' && kind !== 'markov') {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `unknown model kind '${kind}'; expected gru or markov`,
      { field: '--kind' },
    );
  }
  const contentHash = timelineManifest.contentHash;
  if (kind === 'markov') {
    const { manifest, markov } = fitMarkov(timeline, {
      ...(options.condition !== undefined ? { condition: options.condition } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.validationFraction !== undefined
        ? { validationFraction: options.validationFraction }
        : {}),
      ...(options.minCodePatients !== undefined
        ? { minCodePatients: options.minCodePatients }
        : {}),
      ...(options.rareCodes !== undefined ? { rareCodes: options.rareCodes } : {}),
      ...(options.commandLine ? { commandLine: options.commandLine } : {}),
      logger,
    });
    const final = { ...manifest, training: { ...manifest.training, contentHash } };
    writeModelFolder(options.out, final, { markov }, output);
    return final;
  }
  const backend = await selectBackend(options.backend ?? DEFAULT_BACKEND, { logger });
  const checkpointDir = checkpointDirOf(options.out);
  const { manifest, weights } = await trainGru(timeline, {
    ...options,
    checkpointDir,
    backend,
    logger,
  });
  const final = { ...manifest, training: { ...manifest.training, contentHash } };
  writeModelFolder(options.out, final, { weights }, output);
  if (options.stopAfterEpochs === undefined) removeCheckpoint(checkpointDir);
  logger.info(MESSAGES.INFO, modelSaved(options.out));
  return final;
}
