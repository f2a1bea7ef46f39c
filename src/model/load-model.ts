import { GruStepModel } from './gru-step-model.js';
import { MarkovStepModel } from './markov.js';
import type { LoadedModel } from './read-model.js';

/**
 * The step-by-step sampler of a loaded model (GRU: needs a selected tfjs backend). The
 * caller disposes it.
 *
 * @example
 * const step = createStepModel(loadModel('models/default'));
 * step.codes // => the model's vocabulary
 * step.dispose();
 */
export function createStepModel(model: LoadedModel): GruStepModel | MarkovStepModel {
  if (model.manifest.kind === 'gru') return new GruStepModel(model.manifest, model.weights!);
  return new MarkovStepModel(model.manifest, model.markov!);
}
