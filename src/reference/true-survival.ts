import { TrajsimError } from '../core/errors.js';
import { REFERENCE_PARAMETERS, type ReferenceStage } from './reference-parameters.js';
import table from './true-survival.json' with { type: 'json' };

const STAGES: readonly string[] = REFERENCE_PARAMETERS.attributes.stage.levels;

/** The committed table behind {@link trueSurvival} (made by scripts/make-true-survival.mjs). */
export interface TrueSurvivalTable {
  readonly parametersVersion: number;
  /** sha256 of the JSON of REFERENCE_PARAMETERS when the table was made. */
  readonly parametersHash: string;
  readonly horizonDays: number;
  /** survival[stage][d] = P(recorded death day > d), d = 0..horizonDays. */
  readonly survival: Readonly<Record<ReferenceStage, readonly number[]>>;
}

/** The committed true-survival table of the unperturbed reference process. */
export const TRUE_SURVIVAL_TABLE: TrueSurvivalTable = table;

/**
 * The true overall survival of the unperturbed reference process for patients of `stage`:
 * the probability that the written death day is later than `days` — exactly what a
 * Kaplan–Meier curve of a reference timeline estimates at `days` (censoring is independent).
 * Computed exactly from the model by `computeTrueSurvival` and read from the committed table
 * (values rounded to 1e-7). Non-integer `days` are floored (the curve is a step function of
 * whole days). Returns NaN beyond the table's horizon (3286 days: no patient is followed
 * longer). Throws INVALID_ARGUMENT for an unknown stage or negative / non-finite days.
 *
 * @example
 * trueSurvival('IV', 0) // => 0.9992705 (deaths on day 0)
 * trueSurvival('I', 1826) // => 0.8383 (five years)
 */
export function trueSurvival(stage: ReferenceStage, days: number): number {
  if (!STAGES.includes(stage)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `stage '${stage}' is not one of ${STAGES.join(', ')}`,
      {
        field: 'stage',
      },
    );
  }
  if (!(Number.isFinite(days) && days >= 0)) {
    throw new TrajsimError('INVALID_ARGUMENT', `days is ${days}; expected a finite number >= 0`, {
      field: 'days',
    });
  }
  const d = Math.floor(days);
  if (d > TRUE_SURVIVAL_TABLE.horizonDays) return Number.NaN;
  return TRUE_SURVIVAL_TABLE.survival[stage][d]!;
}
