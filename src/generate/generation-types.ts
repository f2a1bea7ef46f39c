/**
 * The contract of generation: what the hooks of a scenario or twins run see (a generated
 * patient, forced events, an observed history), where the sampler writes (a PatientWriter),
 * the sampler's options and counts, and each candidate's random stream.
 */
import { TrajsimError } from '../core/errors.js';
import { type Logger, SILENT_LOGGER } from '../core/messages.js';
import type { Rng } from '../core/rng.js';
import type { ForcedAttributeValue } from '../model/attribute-model.js';
import type { GenerationModel } from './step-model.js';

/** A forced event (an intervention): `code` at `day` (days since index). */
export interface ForcedEvent {
  readonly day: number;
  readonly code: string;
  /**
   * Code prefixes the forced event stands in for: once it has happened, a sampled event with
   * such a code on or before its day is dropped (e.g. `TREATMENT:` so the model does not add
   * its own first-line treatment next to the forced one).
   */
  readonly replaces?: readonly string[];
  /** The event's value (an intervention can set a lab or marker value); absent or NaN: none. */
  readonly value?: number;
}

/** A generated patient, as the hooks see it (views valid during the call). */
export interface GeneratedPatient {
  readonly globalIndex: number;
  /** 0 for the first candidate of this patient, then 1, 2, ... after rejections. */
  readonly attempt: number;
  readonly indexDay: number;
  /** Attribute values in schema order (level index or -1; number or NaN). */
  readonly attributes: Float64Array;
  readonly days: Int32Array;
  /** Indices into the model's codes. */
  readonly codes: Int32Array;
  /** Event values parallel to `codes` (NaN: the event has no value). */
  readonly values: Float64Array;
}

/**
 * An observed history a candidate steps through before sampling (digital twins): its events
 * are fed to the model by teacher forcing (the same `step` calls, with the real codes, gaps
 * and days) and recorded as they are; sampling starts after the last one.
 */
export interface HistoryPrefix {
  /** The candidate's index day (days since 1970-01-01), instead of a drawn one. */
  readonly indexDay: number;
  /** Event days (days since index, non-decreasing), codes (model code indices, no terminal code), values (NaN: none). */
  readonly days: Int32Array;
  readonly codes: Int32Array;
  readonly values: Float64Array;
  /**
   * The landmark: the first sampled event falls strictly after this day. Its code and gap are
   * drawn jointly conditional on "no event in (last observed day, afterDay]": the pair is drawn
   * again (code from the same step probabilities, then its gap) until the day passes the
   * landmark, up to {@link MAX_LANDMARK_DRAWS} pairs; after that the last code drawn is kept
   * on day `afterDay + 1`.
   */
  readonly afterDay: number;
}

/**
 * (code, gap) pair draws for the first event after a history prefix before the fallback (the
 * last code drawn, on the day after the landmark).
 */
export const MAX_LANDMARK_DRAWS = 64;

/** Hooks for a scenario engine; every hook is called with the patient's global index. */
export interface GenerationHooks {
  /**
   * (a) fixed attribute values (by name); the others are drawn conditionally on them where
   * the attribute model allows. `rng` is the candidate's own sub-stream for these draws.
   */
  readonly forcedAttributes?: (
    globalIndex: number,
    rng: Rng,
  ) => Readonly<Record<string, ForcedAttributeValue>> | undefined;
  /**
   * (b) forced events, sorted by day. A forced event is inserted before the first sampled
   * event on or after its day, but never before the patient's first event (unless that event
   * is one it replaces); the sampled event it pre-empts is dropped and the trajectory
   * continues from the forced event. A patient whose sampled trajectory ends before the day
   * never gets it.
   */
  readonly forcedEvents?: (globalIndex: number) => readonly ForcedEvent[] | undefined;
  /**
   * (c) keep this candidate? A rejected candidate is replaced by the patient's next attempt,
   * drawn from its own stream, until one is accepted: the cohort always has exactly the
   * requested patients, each an independent draw from the conditional distribution.
   */
  readonly accept?: (patient: GeneratedPatient) => boolean;
  /** Called for every patient written, in output order (for tallies). */
  readonly written?: (patient: GeneratedPatient) => void;
  /** (d) an observed history to step through before sampling ({@link HistoryPrefix}). */
  readonly history?: (globalIndex: number) => HistoryPrefix | undefined;
  /** The written patient's id (default {@link syntheticPatientId}). */
  readonly patientId?: (globalIndex: number) => string;
}

/** What every generation entry point resolves into {@link SampleRangeOptions}. */
export interface SampleSettings {
  readonly patients: number;
  readonly seed: string | number;
  /** Patients sampled together (default 1024). Does not change the output bytes. */
  readonly batchSize?: number;
  /** Follow-up horizon in days (default: the longest training follow-up). */
  readonly horizonDays?: number;
  /** Most events per patient; the last is END_OF_FOLLOWUP (default 2 × the training maximum, at least 16). */
  readonly maxEvents?: number;
  /** Most candidates per patient before the run is refused as infeasible (default 10 000). */
  readonly maxAttempts?: number;
  /** [first, last] index day (days since 1970-01-01) to draw index dates from (default: the training range). */
  readonly indexDayRange?: readonly [number, number];
  readonly hooks?: GenerationHooks;
  readonly logger?: Logger;
}

const DEFAULT_MAX_ATTEMPTS = 10_000;

/**
 * Patient ids from global indices: S0000001 for index 0.
 *
 * @example
 * syntheticPatientId(0) // => 'S0000001'
 * syntheticPatientId(41) // => 'S0000042'
 */
export function syntheticPatientId(globalIndex: number): string {
  return `S${String(globalIndex + 1).padStart(7, '0')}`;
}

/**
 * The random stream of candidate `attempt` of patient `globalIndex`: attempt 0 is
 * `root.fork(g)`, later attempts `root.fork(g).fork('attempt-a')`. Independent of batching.
 *
 * @example
 * candidateRng(new Rng('1'), 5, 0).seed // => '1/5'
 * candidateRng(new Rng('1'), 5, 2).seed // => '1/5/attempt-2'
 */
export function candidateRng(root: Rng, globalIndex: number, attempt: number): Rng {
  const rng = root.fork(globalIndex);
  return attempt === 0 ? rng : rng.fork(`attempt-${attempt}`);
}

/** Where {@link sampleRange} writes patients: a {@link TimelineWriter}, or a sink for pilots. */
export interface PatientWriter {
  addPatient(id: string, indexDay: number, attributeValues: ArrayLike<number>): void;
  addEvent(day: number, code: number, value: number): void;
  commit(): Promise<void>;
}

/** A writer that keeps nothing (pilot runs that only count). */
export const DISCARD_WRITER: PatientWriter = {
  addPatient() {},
  addEvent() {},
  async commit() {},
};

/** Per-run constants of {@link sampleRange}. */
export interface SampleRangeOptions {
  readonly seed: string | number;
  readonly batchSize: number;
  readonly horizonDays: number;
  readonly maxEvents: number;
  readonly maxAttempts: number;
  readonly indexDayRange: readonly [number, number];
  readonly hooks: GenerationHooks;
  readonly logger: Logger;
  /** Progress: patients written so far in the whole run, and the run's total. */
  readonly progressOffset?: number;
  readonly progressTotal?: number;
}

/** Counts of one {@link sampleRange} call. */
export interface SampleRangeCounts {
  written: number;
  candidates: number;
  events: number;
  capped: number;
}

/**
 * Resolves and checks the options shared by every generation entry point.
 *
 * @example
 * resolveSampleOptions(model, { patients: 1000, seed: 7 }).horizonDays // => the model's longest follow-up unless given
 */
export function resolveSampleOptions(
  model: GenerationModel,
  options: SampleSettings,
): SampleRangeOptions {
  const batchSize = options.batchSize ?? 1024;
  const horizon = options.horizonDays ?? model.maxFollowUpDays;
  const maxEvents = options.maxEvents ?? Math.max(16, 2 * model.maxEvents);
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (const [field, value, min] of [
    ['patients', options.patients, 0],
    ['batchSize', batchSize, 1],
    ['horizonDays', horizon, 0],
    ['maxEvents', maxEvents, 2],
    ['maxAttempts', maxAttempts, 1],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= min)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `${field} is ${value}; expected an integer >= ${min}`,
        { field },
      );
    }
  }
  const range = options.indexDayRange ?? model.indexDayRange;
  if (!(Number.isInteger(range[0]) && Number.isInteger(range[1]) && range[0] <= range[1])) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `index day range [${range[0]}, ${range[1]}] is not a window of days`,
    );
  }
  return {
    seed: options.seed,
    batchSize,
    horizonDays: horizon,
    maxEvents,
    maxAttempts,
    indexDayRange: range,
    hooks: options.hooks ?? {},
    logger: options.logger ?? SILENT_LOGGER,
  };
}
