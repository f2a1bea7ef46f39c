/**
 * Builds the true-survival table committed as src/reference/true-survival.json (read by
 * trueSurvival); scripts/make-true-survival.mjs writes it after a parameter change.
 */

import {
  computeTrueSurvival,
  REFERENCE_HORIZON_DAYS,
  referenceParametersHash,
} from './compute-true-survival.js';
import { REFERENCE_PARAMETERS, type ReferenceStage } from './reference-parameters.js';
import type { TrueSurvivalTable } from './true-survival.js';

/** Values of the table are rounded to this many decimals (1e-7). */
const DECIMALS = 1e7;

/** Options of {@link makeTrueSurvivalTable} (the committed table uses the defaults). */
export interface MakeTrueSurvivalTableOptions {
  /** Last day (default REFERENCE_HORIZON_DAYS, 3286). */
  readonly horizonDays?: number;
  /** Stages (default all four). */
  readonly stages?: readonly ReferenceStage[];
}

/**
 * The true overall survival table of the unperturbed reference process by stage, computed
 * exactly by computeTrueSurvival and rounded to 1e-7, with the parameters' version and hash
 * (what trueSurvival checks the table against). Takes about 10 s for the full table.
 *
 * @param options - horizon (days) and stages, for a partial table.
 * @returns the table, with `description`, `method` and `generatedBy` lines.
 * @throws TrajsimError INVALID_ARGUMENT for a negative or non-integer horizon.
 * @example
 * makeTrueSurvivalTable({ stages: ['IV'], horizonDays: 365 }).survival.IV[365] // => 0.7364 (to 1e-4)
 */
export function makeTrueSurvivalTable(
  options: MakeTrueSurvivalTableOptions = {},
): TrueSurvivalTable & { description: string; method: string; generatedBy: string } {
  const horizonDays = options.horizonDays ?? REFERENCE_HORIZON_DAYS;
  const curves = computeTrueSurvival({
    horizonDays,
    ...(options.stages ? { stages: options.stages } : {}),
  });
  const survival: Partial<Record<ReferenceStage, number[]>> = {};
  for (const stage of REFERENCE_PARAMETERS.attributes.stage.levels) {
    const curve = curves[stage];
    if (curve) survival[stage] = Array.from(curve, (v) => Math.round(v * DECIMALS) / DECIMALS);
  }
  return {
    description:
      'True overall survival of the trajsim reference process by stage: survival[stage][d] = P(recorded death day > d), d = 0..horizonDays.',
    method:
      'computeTrueSurvival(): exact chain transition matrices, averaged over the covariate distribution given stage; rounded to 1e-7.',
    generatedBy: 'scripts/make-true-survival.mjs',
    parametersVersion: REFERENCE_PARAMETERS.version,
    parametersHash: referenceParametersHash(),
    horizonDays,
    survival: survival as Record<ReferenceStage, number[]>,
  };
}
