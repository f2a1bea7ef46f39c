import { type Logger, SILENT_LOGGER } from '../../core/messages.js';
import { type BackendName, selectBackend } from '../../model/backend.js';
import { loadModel } from '../../model/read-model.js';
import { trajectoryNll } from '../../model/trajectory-nll.js';
import { readTimeline } from '../../timeline/read.js';
import { assessPrivacy, type PrivacyOptions } from './assess-privacy.js';
import type { PrivacyReport } from './privacy-report.js';

/** Options of {@link assessPrivacyDirs}. */
export interface PrivacyDirsOptions extends Omit<PrivacyOptions, 'nll' | 'logger'> {
  /** A GRU model folder: adds the likelihood attack (the model's own NLL of each patient). */
  readonly model?: string;
  /** tfjs backend of the likelihood attack (default wasm). */
  readonly backend?: BackendName;
  readonly logger?: Logger;
}

/**
 * Reads the training, holdout and synthetic timeline directories (synthetic: shards, in
 * order) and measures privacy with {@link assessPrivacy}; with `model`, the likelihood
 * attack scores members and non-members by the model's NLL.
 *
 * @throws TrajsimError IO / INVALID_INPUT for unreadable directories, MODEL for a model
 *   that is not a GRU or does not know a code of the data, BACKEND when tfjs fails to start.
 * @example
 * const r = await assessPrivacyDirs('out/train', 'out/holdout', ['out/syn'],
 *   { thresholds: defaultPrivacyThresholds(), model: 'models/colon' });
 * r.passed // => true or false
 */
export async function assessPrivacyDirs(
  trainDir: string,
  holdoutDir: string,
  syntheticDirs: readonly string[],
  options: PrivacyDirsOptions,
): Promise<PrivacyReport> {
  const logger = options.logger ?? SILENT_LOGGER;
  const train = await readTimeline(trainDir);
  const holdout = await readTimeline(holdoutDir);
  const synthetic = [];
  for (const dir of syntheticDirs) synthetic.push(await readTimeline(dir));
  let nll: PrivacyOptions['nll'];
  if (options.model) {
    const model = loadModel(options.model);
    await selectBackend(options.backend ?? 'wasm', { logger });
    nll = (timeline, rows) => trajectoryNll(model, timeline, rows);
  }
  const { model: _m, backend: _b, ...rest } = options;
  return assessPrivacy(train, holdout, synthetic, {
    ...rest,
    logger,
    ...(nll ? { nll } : {}),
  });
}
