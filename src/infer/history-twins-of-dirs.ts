import type { Logger } from '../core/messages.js';
import type { Shard } from '../core/shard.js';
import { loadGenerationModel } from '../generate/load-generation-model.js';
import type { ForcedAttributeValue } from '../model/attribute-model.js';
import type { BackendName } from '../model/backend-names.js';
import { createEngineStepModel, type EngineName } from '../model/engine.js';
import { loadModel } from '../model/read-model.js';
import { loadScenario } from '../scenario/load-scenario.js';
import type { Scenario } from '../scenario/schema.js';
import { readTimeline } from '../timeline/read.js';
import { type LandmarkSpec, readLandmarkFile } from './history-prefixes.js';
import {
  generateHistoryTwins,
  type HistoryTwinsResult,
  type TwinIntervention,
} from './history-twins.js';

/** Options of {@link historyTwinsOfDirs}. */
export interface HistoryTwinsOfDirsOptions {
  readonly modelDir: string;
  /** The real timeline whose patients get twins. */
  readonly historyDir: string;
  /** A landmark day since index (all patients), or the path of a landmark JSON file. */
  readonly at: number | string;
  readonly futures: number;
  readonly seed: string | number;
  readonly out: string;
  /** A scenario file whose interventions make the counterfactual arm (days after the landmark). */
  readonly scenarioFile?: string;
  readonly horizonsDays?: readonly number[];
  readonly horizonDays?: number;
  readonly engine?: EngineName;
  readonly backend?: BackendName;
  readonly threads?: number;
  readonly batchSize?: number;
  readonly shard?: Shard;
  readonly overwrite?: boolean;
  readonly logger?: Logger;
}

/**
 * The intervention of a scenario's `interventions` for twins: each event's `day` counts days
 * after the landmark; `set_attribute` values replace the real ones in the intervened arm.
 *
 * @param scenario - a loaded scenario (only its interventions are used).
 * @returns the twins' intervention; undefined when the scenario has none.
 * @throws nothing (codes and attributes are checked by generateHistoryTwins).
 * @example
 * twinInterventionOf(loadScenario('scenarios/what-if-lev5fu.json'))
 * // => { events: [{ day: 0, code: 'TREATMENT:Lev+5FU', replaces: ['TREATMENT:'] }], attributes: { rx: 'Lev+5FU' } }
 */
export function twinInterventionOf(scenario: Scenario): TwinIntervention | undefined {
  if (scenario.interventions.length === 0) return undefined;
  const attributes: Record<string, ForcedAttributeValue> = {};
  for (const iv of scenario.interventions) Object.assign(attributes, iv.set_attribute ?? {});
  return {
    events: scenario.interventions
      .map((iv) => ({
        day: iv.day,
        code: iv.code,
        ...(iv.replaces ? { replaces: [iv.replaces] } : {}),
      }))
      .sort((a, b) => a.day - b.day),
    ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
  };
}

/**
 * `trajsim twins`: loads the model (on the chosen engine), the history timeline, the landmark
 * and the scenario's intervention, and runs {@link generateHistoryTwins}.
 *
 * @param options - model, history and output folders, landmark, futures, seed, scenario, engine.
 * @returns generateHistoryTwins' result.
 * @throws TrajsimError as loadModel, readTimeline, readLandmarkFile, loadScenario and
 *   generateHistoryTwins do (IO, INVALID_INPUT, SCENARIO, INVALID_ARGUMENT); BACKEND when no engine loads.
 * @example
 * await historyTwinsOfDirs({ modelDir: 'models/reference', historyDir: 'out/ref', at: 365, futures: 100, seed: 1, out: 'out/twins' });
 */
export async function historyTwinsOfDirs(
  options: HistoryTwinsOfDirsOptions,
): Promise<HistoryTwinsResult> {
  const landmark: LandmarkSpec =
    typeof options.at === 'number' ? options.at : readLandmarkFile(options.at);
  const intervention = options.scenarioFile
    ? twinInterventionOf(loadScenario(options.scenarioFile))
    : undefined;
  const real = await readTimeline(options.historyDir);
  const loaded = loadModel(options.modelDir);
  const { stepModel } = await createEngineStepModel(loaded, {
    ...(options.engine ? { engine: options.engine } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const model = loadGenerationModel(loaded, stepModel);
  try {
    return await generateHistoryTwins(model, real, {
      landmark,
      futures: options.futures,
      seed: options.seed,
      out: options.out,
      ...(intervention ? { intervention } : {}),
      ...(options.horizonsDays ? { horizonsDays: options.horizonsDays } : {}),
      ...(options.horizonDays !== undefined ? { horizonDays: options.horizonDays } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.shard ? { shard: options.shard } : {}),
      ...(options.overwrite ? { overwrite: true } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } finally {
    model.stepModel.dispose();
  }
}
