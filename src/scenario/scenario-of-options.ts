import { basename } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import { DEFAULT_SEED } from '../core/rng.js';
import { loadScenario } from './load-scenario.js';
import { type Scenario, scenarioSchema } from './schema.js';

export interface ScenarioOptions {
  /** A scenario file; without it, a scenario is made of the other options. */
  readonly scenarioFile?: string;
  /** The output folder: a scenario made of options is named after it. */
  readonly out: string;
  /** Patients (overrides the file's). */
  readonly patients?: number;
  /** Seed (overrides the file's). */
  readonly seed?: string;
  /** Horizon in days (overrides the file's). */
  readonly horizonDays?: number;
}

/**
 * The scenario of a `trajsim generate` run: the file with patients, seed and horizon
 * overridden by the options, or, without a file, one made of the options (named after the
 * output folder, seed DEFAULT_SEED unless given).
 *
 * @param options - scenario file, out folder, patients, seed, horizon (days)
 * @returns the scenario
 * @throws TrajsimError INVALID_ARGUMENT without a file and without patients; as loadScenario
 *   for a bad file
 * @example
 * scenarioOfOptions({ out: 'out/syn', patients: 100 }) // => { name: 'syn', patients: 100, seed: DEFAULT_SEED, ... }
 */
export function scenarioOfOptions(options: ScenarioOptions): Scenario {
  const base: Scenario = options.scenarioFile
    ? loadScenario(options.scenarioFile)
    : scenarioSchema.parse({
        name: basename(options.out).replace(/[^A-Za-z0-9._-]/g, '_') || 'synthetic',
        patients: options.patients ?? 1,
        seed: options.seed ?? DEFAULT_SEED,
      });
  if (!options.scenarioFile && options.patients === undefined) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      'give --patients N (or a --scenario file that says how many)',
    );
  }
  return {
    ...base,
    ...(options.patients !== undefined ? { patients: options.patients } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.horizonDays !== undefined ? { horizon_days: options.horizonDays } : {}),
  };
}
