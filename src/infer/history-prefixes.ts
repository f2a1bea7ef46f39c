/**
 * The observed histories of real patients up to a landmark: what history-conditioned twins
 * step through before sampling, and who cannot have twins (dead or censored before it).
 */

import { z } from 'zod';
import { TrajsimError } from '../core/errors.js';
import { readJsonFile } from '../core/json-file.js';
import type { HistoryPrefix } from '../generate/generation-types.js';
import { OTHER_CODE } from '../model/vocabulary.js';
import { TERMINAL_CODES, type Timeline } from '../timeline/types.js';

/** Landmarks: one day for everyone, or per patient (with an optional default). */
export type LandmarkSpec =
  | number
  | { readonly defaultDay?: number; readonly days: Readonly<Record<string, number>> };

/** Why a real patient has no twins. */
export interface ExcludedPatients {
  /** Died on or before their landmark (ids in row order). */
  readonly dead: readonly string[];
  /** Follow-up ended before their landmark. */
  readonly censored: readonly string[];
  /** A landmark file without a day for them and without a default. */
  readonly noLandmark: readonly string[];
}

/** The real patients with a history at their landmark, and those without. */
export interface HistoryPrefixes {
  /** Real timeline row of each eligible patient, ascending. */
  readonly rows: Int32Array;
  readonly ids: readonly string[];
  /** Landmark day (days since index) of each eligible patient. */
  readonly landmarkDays: Int32Array;
  /** Events in the history of each eligible patient. */
  readonly lengths: Int32Array;
  /** The history of eligible patient j (its index day, events on or before its landmark). */
  prefix(j: number): HistoryPrefix;
  /** Events of the longest history. */
  readonly longest: number;
  readonly excluded: ExcludedPatients;
}

const landmarkFileSchema = z
  .object({
    default: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('landmark day of unlisted patients'),
    patients: z
      .record(z.string(), z.number().int().nonnegative())
      .describe('patient id -> landmark day since index'),
  })
  .strict();

/**
 * Reads a landmark file: `{"default": 365, "patients": {"P1": 400, ...}}` (days since index;
 * `default` optional).
 *
 * @param path - the JSON file.
 * @returns the per-patient landmark spec.
 * @throws TrajsimError IO for a missing file, INVALID_INPUT naming the JSON path of a bad field.
 * @example
 * readLandmarkFile('landmarks.json') // => { defaultDay: 365, days: { P1: 400 } }
 */
export function readLandmarkFile(path: string): LandmarkSpec {
  const json = readJsonFile(path, landmarkFileSchema);
  return {
    ...(json.default !== undefined ? { defaultDay: json.default } : {}),
    days: json.patients,
  };
}

/** The model code index of each real code (unknown codes to OTHER, or an error). */
function codeMap(real: Timeline, modelCodes: readonly string[]): Int32Array {
  const index = new Map(modelCodes.map((c, i) => [c, i]));
  const other = index.get(OTHER_CODE);
  return Int32Array.from(real.events.codes, (code) => {
    const i = index.get(code) ?? other;
    if (i === undefined) {
      throw new TrajsimError(
        'INVALID_INPUT',
        `${real.name}: code '${code}' is not in the model's vocabulary and the vocabulary has no ${OTHER_CODE} code`,
        { field: 'code' },
      );
    }
    return i;
  });
}

/**
 * Splits a real timeline at each patient's landmark: a patient is eligible when they did not
 * die on or before the landmark and their follow-up did not end before it (an
 * END_OF_FOLLOWUP on the landmark day itself is observed to the landmark: eligible); their
 * history is every non-terminal event on or before the landmark, in timeline order.
 *
 * @param real - the real timeline.
 * @param modelCodes - the model's codes (real codes are mapped by name; unknown ones to OTHER).
 * @param landmark - a day since index for everyone, or per-patient days.
 * @returns the eligible patients, their histories and the excluded ids.
 * @throws TrajsimError INVALID_ARGUMENT for a negative or non-integer landmark; INVALID_INPUT
 *   for a real code the model cannot represent.
 * @example
 * const h = historyPrefixes(real, model.stepModel.codes, 365);
 * h.ids.length + h.excluded.dead.length + h.excluded.censored.length // => real patients
 */
export function historyPrefixes(
  real: Timeline,
  modelCodes: readonly string[],
  landmark: LandmarkSpec,
): HistoryPrefixes {
  const map = codeMap(real, modelCodes);
  const { events, offsets, patients } = real;
  const death = real.events.codes.indexOf(TERMINAL_CODES.DEATH);
  const censor = real.events.codes.indexOf(TERMINAL_CODES.END_OF_FOLLOWUP);
  const dead: string[] = [];
  const censored: string[] = [];
  const noLandmark: string[] = [];
  const rows: number[] = [];
  const days: number[] = [];
  const ends: number[] = [];
  let longest = 0;
  patients.ids.forEach((id, p) => {
    const day =
      typeof landmark === 'number' ? landmark : (landmark.days[id] ?? landmark.defaultDay);
    if (day === undefined) {
      noLandmark.push(id);
      return;
    }
    if (!(Number.isSafeInteger(day) && day >= 0)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `landmark of ${id} is ${day}; expected a day >= 0`,
        {
          field: 'at',
        },
      );
    }
    let end = offsets[p]!;
    for (let e = offsets[p]!; e < offsets[p + 1]!; e++) {
      const c = events.code[e]!;
      const d = events.day[e]!;
      if (c === death && d <= day) {
        dead.push(id);
        return;
      }
      if (c === censor && d < day) {
        censored.push(id);
        return;
      }
      if (d <= day && c !== death && c !== censor) end = e + 1;
    }
    rows.push(p);
    days.push(day);
    ends.push(end);
    longest = Math.max(longest, end - offsets[p]!);
  });
  return {
    rows: Int32Array.from(rows),
    ids: rows.map((p) => patients.ids[p]!),
    landmarkDays: Int32Array.from(days),
    longest,
    lengths: Int32Array.from(ends, (end, j) => end - offsets[rows[j]!]!),
    excluded: { dead, censored, noLandmark },
    prefix(j: number): HistoryPrefix {
      const p = rows[j]!;
      const from = offsets[p]!;
      const to = ends[j]!;
      return {
        indexDay: patients.indexDay[p]!,
        days: events.day.subarray(from, to),
        codes: Int32Array.from(events.code.subarray(from, to), (c) => map[c]!),
        values: events.value.subarray(from, to),
        afterDay: days[j]!,
      };
    },
  };
}
