// The generation model of a loaded model folder and a ready step model, without tfjs: the
// generation workers import this (load-generation-model.ts adds the tfjs default step model).
import type { LoadedModel } from '../model/read-model.js';
import { readModelRules } from '../rules/rules-file.js';
import type { GenerationModel, StepModel } from './step-model.js';

/**
 * What {@link generateCohort} needs from a loaded model folder and the step model that samples
 * it (e.g. from createEngineStepModel). The folder's rules.json, when there is one, becomes
 * `rules`. Throws INVALID_INPUT for a malformed rules.json.
 *
 * @param loaded - the model folder, read by loadModel
 * @param stepModel - the step model of `loaded` (the caller disposes it)
 * @example
 * const loaded = loadModel('models/default');
 * const { stepModel } = await createEngineStepModel(loaded, { engine: 'onnx', threads: 1 });
 * generationModelOf(loaded, stepModel).maxEvents // => the training's events cap
 */
export function generationModelOf(loaded: LoadedModel, stepModel: StepModel): GenerationModel {
  const m = loaded.manifest;
  const rules = readModelRules(loaded.dir);
  return {
    ...(rules ? { rules } : {}),
    kind: m.kind,
    stepModel,
    attributes: m.attributes,
    attributeModel: m.attributeModel,
    indexDayRange: m.training.indexDayRange,
    maxFollowUpDays: m.training.maxFollowUpDays,
    maxEvents: m.training.maxEvents,
    description: `${m.kind} model trained on ${m.training.name} (${m.training.contentHash.slice(0, 12) || 'no hash'})`,
  };
}
