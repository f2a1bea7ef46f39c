import type { Logger } from '../core/messages.js';
import type { GenerateCohortSummary } from '../generate/generate-cohort.js';
import { loadGenerationModel } from '../generate/load-generation-model.js';
import { selectBackend } from '../model/backend.js';
import type { BackendName } from '../model/backend-names.js';
import { loadModel } from '../model/read-model.js';
import { readTimeline } from '../timeline/read.js';
import { generateTwins } from './generate-twins.js';

export interface TwinsOfDirsOptions {
  /** The model folder (GRU or Markov). */
  readonly modelDir: string;
  /** The real timeline directory whose patients get twins. */
  readonly realDir: string;
  /** Twins per real patient (>= 1). */
  readonly perPatient: number;
  readonly seed: string | number;
  /** The twins' timeline directory. */
  readonly out: string;
  /** tfjs backend of a GRU model (default wasm). */
  readonly backend?: BackendName;
  readonly batchSize?: number;
  readonly overwrite?: boolean;
  readonly logger?: Logger;
}

/**
 * `trajsim generate --twins-of`: loads the model (a GRU on tfjs) and the real timeline and
 * writes `perPatient` twins of every real patient (generateTwins).
 *
 * @param options - model and real folders, twins per patient, seed, out, backend, batch size
 * @returns the generation summary and the number of real patients
 * @throws TrajsimError as loadModel, readTimeline and generateTwins do (IO, INVALID_ARGUMENT,
 *   INFEASIBLE); BACKEND when the tfjs backend cannot load
 * @example
 * const { summary, realPatients } = await generateTwinsOfDirs({ modelDir: 'models/default', realDir: 'out/real', perPatient: 10, seed: 1, out: 'out/twins' });
 */
export async function generateTwinsOfDirs(
  options: TwinsOfDirsOptions,
): Promise<{ summary: GenerateCohortSummary; realPatients: number }> {
  const loaded = loadModel(options.modelDir);
  if (loaded.manifest.kind === 'gru') {
    await selectBackend(options.backend ?? 'wasm', {
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  const model = loadGenerationModel(loaded);
  try {
    const real = await readTimeline(options.realDir);
    const summary = await generateTwins(model, real, {
      perPatient: options.perPatient,
      seed: options.seed,
      out: options.out,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.overwrite !== undefined ? { overwrite: options.overwrite } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return { summary, realPatients: real.patients.ids.length };
  } finally {
    model.stepModel.dispose();
  }
}
