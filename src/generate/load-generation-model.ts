import { createStepModel, type LoadedModel, loadModel } from '../model/load-model.js';
import { readModelRules } from '../rules/rules-file.js';
import type { GenerationModel } from './step-model.js';

/**
 * Turns a model folder (or an already loaded model) into what {@link generateCohort} needs.
 * The GRU needs a selected backend (selectBackend). Dispose `stepModel` when done. The
 * folder's rules.json, when there is one, becomes `rules` (enforced while sampling); a folder
 * without it loads with no rules. Throws IO, MODEL, or INVALID_INPUT for a malformed rules.json.
 *
 * @example
 * const model = loadGenerationModel('models/colon');
 * await generateCohort(model, { patients: 100, seed: 1, out: 'out/c' });
 * model.stepModel.dispose();
 */
export function loadGenerationModel(source: string | LoadedModel): GenerationModel {
  const loaded = typeof source === 'string' ? loadModel(source) : source;
  const m = loaded.manifest;
  const rules = readModelRules(loaded.dir);
  return {
    ...(rules ? { rules } : {}),
    kind: m.kind,
    stepModel: createStepModel(loaded),
    attributes: m.attributes,
    attributeModel: m.attributeModel,
    indexDayRange: m.training.indexDayRange,
    maxFollowUpDays: m.training.maxFollowUpDays,
    maxEvents: m.training.maxEvents,
    description: `${m.kind} model trained on ${m.training.name} (${m.training.contentHash.slice(0, 12) || 'no hash'})`,
  };
}
