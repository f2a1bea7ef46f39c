/**
 * Synthetic twins of real patients: for each real patient, `perPatient` trajectories drawn
 * from a model conditional on that patient's attributes (the paired predictions of
 * prediction-powered inference).
 */

import { TrajsimError } from '../core/errors.js';
import type { Logger } from '../core/messages.js';
import { type GenerateCohortSummary, generateCohort } from '../generate/generate-cohort.js';
import type { GenerationModel } from '../generate/step-model.js';
import type { ForcedAttributeValue } from '../model/attribute-model.js';
import type { Timeline } from '../timeline/types.js';

/** The file written beside a twins timeline: which real patients the twins belong to. */
export const TWINS_FILE = 'twins.json';

/** Contents of {@link TWINS_FILE}. */
export interface TwinsRecord {
  readonly format: 'trajsim-twins';
  /** Name of the real timeline. */
  readonly twinsOf: string;
  /** Real patient ids, in row order: twin row g belongs to realIds[⌊g / perPatient⌋]. */
  readonly realIds: readonly string[];
  readonly perPatient: number;
  readonly seed: string | number;
}

/** Options of {@link generateTwins}. */
export interface GenerateTwinsOptions {
  /** Twins per real patient (≥ 1). */
  readonly perPatient: number;
  readonly seed: string | number;
  /** Output timeline directory. */
  readonly out: string;
  readonly batchSize?: number;
  readonly overwrite?: boolean;
  readonly logger?: Logger;
}

/**
 * Generates `perPatient` twins of every real patient: twin g (0-based) is drawn with all of
 * real patient ⌊g / perPatient⌋'s attributes fixed (missing values stay missing) and its
 * trajectory sampled by the model, through the one generation path (`generateCohort`, so
 * the bytes depend only on the model, the real attributes, `perPatient` and the seed).
 * Writes `twins.json` beside the timeline.
 *
 * @param model - a loaded generation model (its attributes are matched to the real ones by name).
 * @param real - the real timeline.
 * @param options - perPatient, seed, out, batchSize, overwrite, logger.
 * @returns the generation summary.
 * @throws TrajsimError INVALID_ARGUMENT for perPatient < 1 or a model attribute the real
 *   timeline lacks; INFEASIBLE for a real level the model never saw; IO if `out` exists.
 * @example
 * await generateTwins(model, await readTimeline('out/real-150'), { perPatient: 10, seed: 1, out: 'out/twins' })
 * // => { generated: 1500, ... }
 */
export async function generateTwins(
  model: GenerationModel,
  real: Timeline,
  options: GenerateTwinsOptions,
): Promise<GenerateCohortSummary> {
  const k = options.perPatient;
  if (!(Number.isSafeInteger(k) && k >= 1)) {
    throw new TrajsimError('INVALID_ARGUMENT', `perPatient is ${k}; expected an integer >= 1`, {
      field: 'perPatient',
    });
  }
  const forcedOfRow = realAttributes(model, real);
  const n = real.patients.ids.length;
  const record: TwinsRecord = {
    format: 'trajsim-twins',
    twinsOf: real.name,
    realIds: real.patients.ids,
    perPatient: k,
    seed: options.seed,
  };
  return generateCohort(model, {
    patients: n * k,
    seed: options.seed,
    out: options.out,
    name: `twins-of-${real.name}`,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.overwrite ? { overwrite: true } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    hooks: {
      forcedAttributes: (g) => forcedOfRow(Math.floor(g / k)),
    },
    extraFiles: () => ({ [TWINS_FILE]: `${JSON.stringify(record, null, 2)}\n` }),
  });
}

/**
 * The model's attributes of each real patient, as forced attribute values (by name; a
 * missing value stays missing): twins get their real patient's attributes, not drawn ones.
 *
 * @param model - the generation model (its attributes are matched to the real ones by name).
 * @param real - the real timeline.
 * @returns a function of the real row giving its forced values.
 * @throws TrajsimError INVALID_ARGUMENT for a model attribute the real timeline lacks (or of another kind).
 * @example
 * realAttributes(model, real)(0) // => { sex: 'female', age: 61 }
 */
export function realAttributes(
  model: GenerationModel,
  real: Timeline,
): (row: number) => Record<string, ForcedAttributeValue> {
  const getters = model.attributes.map((spec) => {
    const attr = real.patients.attributes.find((a) => a.name === spec.name);
    if (!attr || attr.kind !== spec.kind) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `${real.name}: the model's ${spec.kind} attribute '${spec.name}' is not a ${spec.kind} attribute of the real timeline (it has ${real.patients.attributes.map((a) => a.name).join(', ')})`,
        { field: spec.name },
      );
    }
    return (row: number): ForcedAttributeValue => {
      if (attr.kind === 'numeric') {
        const v = attr.values[row] as number;
        return Number.isNaN(v) ? null : v;
      }
      const c = attr.codes[row] as number;
      return c < 0 ? null : (attr.levels[c] as string);
    };
  });
  return (row) => {
    const forced: Record<string, ForcedAttributeValue> = {};
    model.attributes.forEach((spec, j) => {
      forced[spec.name] = (getters[j] as (r: number) => ForcedAttributeValue)(row);
    });
    return forced;
  };
}
