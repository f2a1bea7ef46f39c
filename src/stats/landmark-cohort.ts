/**
 * The landmark data set of a timeline: the patients alive and followed at a landmark day, with
 * their time from the landmark to death or censoring.
 */

import { TrajsimError } from '../core/errors.js';
import { isTerminalCode, TERMINAL_CODES, type Timeline } from '../timeline/types.js';

/** The landmark data set: patients whose terminal day is after the landmark. */
export interface LandmarkCohort {
  /** Patient rows of the timeline, ascending. */
  readonly rows: Int32Array;
  /** Days from the landmark to the terminal event (> 0). */
  readonly time: Float64Array;
  /** 1 when the terminal event is DEATH. */
  readonly status: Uint8Array;
}

/**
 * The patients at risk at a landmark day — terminal event (DEATH or END_OF_FOLLOWUP) on a day
 * after `landmarkDay`; one dead or censored on or before it is not at risk, since its
 * history up to and including the landmark day shows it — with time = terminal day −
 * landmarkDay and status = died. Death within h days of the landmark means time ≤ h.
 *
 * @param timeline - a timeline (each patient ends with one terminal event).
 * @param landmarkDay - the landmark, in days since each patient's index date (integer ≥ 0).
 * @param rows - the patient rows to consider (default: all), e.g. a held-out split.
 * @returns the rows at risk, their times (days) and statuses.
 * @throws TrajsimError INVALID_ARGUMENT for a bad landmark, a row out of range, or a patient
 *   whose last event is not terminal (naming the row and id).
 * @example
 * // patient 0 dies on day 400, patient 1 is censored on day 200
 * landmarkCohort(timeline, 365) // => { rows: [0], time: [35], status: [1] }
 */
export function landmarkCohort(
  timeline: Timeline,
  landmarkDay: number,
  rows?: ArrayLike<number>,
): LandmarkCohort {
  if (!(Number.isSafeInteger(landmarkDay) && landmarkDay >= 0)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `landmarkDay is ${landmarkDay}; expected an integer >= 0`,
      { field: 'landmarkDay' },
    );
  }
  const nPatients = timeline.patients.ids.length;
  const candidates = rows ?? Int32Array.from({ length: nPatients }, (_, i) => i);
  const { codes, code, day } = timeline.events;
  const kept: { p: number; time: number; status: number }[] = [];
  for (let k = 0; k < candidates.length; k++) {
    const p = candidates[k]!;
    if (!(Number.isInteger(p) && p >= 0 && p < nPatients)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `landmarkCohort: row ${p} is not a patient row (0..${nPatients - 1})`,
      );
    }
    const last = timeline.offsets[p + 1]! - 1;
    const lastCode = last >= timeline.offsets[p]! ? codes[code[last]!] : undefined;
    if (lastCode === undefined || !isTerminalCode(lastCode)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `patient row ${p} (${timeline.patients.ids[p]}) ends with ${lastCode ?? 'no event'}; expected DEATH or END_OF_FOLLOWUP`,
      );
    }
    if (day[last]! <= landmarkDay) continue;
    kept.push({
      p,
      time: day[last]! - landmarkDay,
      status: lastCode === TERMINAL_CODES.DEATH ? 1 : 0,
    });
  }
  kept.sort((a, b) => a.p - b.p);
  return {
    rows: Int32Array.from(kept, (k) => k.p),
    time: Float64Array.from(kept, (k) => k.time),
    status: Uint8Array.from(kept, (k) => k.status),
  };
}
