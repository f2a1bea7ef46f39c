import { createEngineStepModel, type EngineOptions } from '../model/engine.js';
import { createStepModel } from '../model/load-model.js';
import { type LoadedModel, loadModel } from '../model/read-model.js';
import { generationModelOf } from './generation-model.js';
import type { GenerationModel, StepModel } from './step-model.js';

/**
 * Turns a model folder (or an already loaded model) into what {@link generateCohort} needs.
 * Without `stepModel`, the GRU runs on tfjs and needs a selected backend (selectBackend);
 * pass the step model of createEngineStepModel to choose the engine. Dispose `stepModel`
 * when done. The folder's rules.json, when there is one, becomes `rules` (enforced while
 * sampling); a folder without it loads with no rules. Throws IO, MODEL, or INVALID_INPUT for
 * a malformed rules.json.
 *
 * @example
 * const model = loadGenerationModel('models/colon');
 * await runGeneration({ model, modelDir: 'models/colon', scenario, out: 'out/c' });
 * model.stepModel.dispose();
 */
export function loadGenerationModel(
  source: string | LoadedModel,
  stepModel?: StepModel,
): GenerationModel {
  const loaded = typeof source === 'string' ? loadModel(source) : source;
  return generationModelOf(loaded, stepModel ?? createStepModel(loaded));
}

/**
 * {@link loadGenerationModel} with the step model on a chosen engine (onnx or tfjs, threads,
 * device), as `trajsim generate --engine E --onnx-threads N` loads it: the public way to pick
 * the engine a generation runs on. Dispose `model.stepModel` when done.
 *
 * @param source - a model folder or an already loaded model.
 * @param options - engine, tfjs backend, ONNX threads and device, logger.
 * @returns the generation model and the one-line description of its engine.
 * @throws TrajsimError BACKEND when the asked engine, backend or device is unavailable;
 *   INVALID_ARGUMENT for cuda with tfjs; as loadGenerationModel.
 * @example
 * const { model, engine } = await loadEngineGenerationModel('models/default', { engine: 'onnx', threads: 1 });
 * engine // => 'onnx (onnxruntime-node 1.30.0, cpu)'
 */
export async function loadEngineGenerationModel(
  source: string | LoadedModel,
  options: EngineOptions = {},
): Promise<{ model: GenerationModel; engine: string }> {
  const loaded = typeof source === 'string' ? loadModel(source) : source;
  const { stepModel, engine } = await createEngineStepModel(loaded, options);
  return { model: loadGenerationModel(loaded, stepModel), engine };
}
