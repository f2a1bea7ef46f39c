/**
 * Survival endpoints (time, status) extracted from a columnar timeline.
 */

import { TrajsimError } from '../core/errors.js';
import { isTerminalCode, TERMINAL_CODES, type Timeline } from '../timeline/types.js';

/**
 * Overall survival: time = day of the terminal event, status 1 if DEATH else 0. Time to first
 * occurrence of `code`: time = day of its first occurrence (status 1) or day of the terminal
 * event (status 0). Float64Array time, Uint8Array status, one entry per patient row. Throws
 * INVALID_ARGUMENT for a code not in the timeline's dictionary (list the known codes).
 *
 * 'DEATH' is always accepted (a timeline without deaths gives all status 0). Days are days
 * since each patient's index date; the result feeds `kaplanMeier`, `logRankTest`, `coxPh`.
 *
 * @param timeline - a timeline whose patients each end with one terminal event (DEATH or
 *   END_OF_FOLLOWUP), events sorted by day within a patient.
 * @param endpoint - 'DEATH' for overall survival, or any code of `timeline.events.codes`.
 * @returns `time` in days and `status` (1 event, 0 censored), indexed by patient row.
 * @throws TrajsimError INVALID_ARGUMENT for an unknown code, or a patient whose last event is
 *   missing or not terminal (naming the patient row and id).
 * @example
 * // patient 0: DIAGNOSIS@0, RECURRENCE@120, DEATH@400; patient 1: DIAGNOSIS@0, END_OF_FOLLOWUP@900
 * endpointTimes(timeline, 'DEATH') // => { time: [400, 900], status: [1, 0] }
 * endpointTimes(timeline, 'RECURRENCE') // => { time: [120, 900], status: [1, 0] }
 */
export function endpointTimes(
  timeline: Timeline,
  endpoint: string,
): { time: Float64Array; status: Uint8Array } {
  const { codes, day, code } = timeline.events;
  const offsets = timeline.offsets;
  const nPatients = timeline.patients.ids.length;
  const overall = endpoint === TERMINAL_CODES.DEATH;
  const target = codes.indexOf(endpoint);
  if (!overall && target < 0) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `unknown endpoint code ${JSON.stringify(endpoint)} in timeline ${timeline.name}; known codes: ${codes.join(', ')}`,
      { field: 'endpoint' },
    );
  }
  if (offsets.length !== nPatients + 1) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `endpointTimes: offsets has length ${offsets.length}, expected ${nPatients + 1} (patients + 1)`,
    );
  }
  const time = new Float64Array(nPatients);
  const status = new Uint8Array(nPatients);
  for (let p = 0; p < nPatients; p++) {
    const from = offsets[p]!;
    const last = offsets[p + 1]! - 1;
    const lastCode = last >= from ? codes[code[last]!] : undefined;
    if (lastCode === undefined || !isTerminalCode(lastCode)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `patient row ${p} (${timeline.patients.ids[p]}) ends with ${lastCode ?? 'no event'}; expected DEATH or END_OF_FOLLOWUP`,
      );
    }
    if (overall) {
      time[p] = day[last]!;
      status[p] = lastCode === TERMINAL_CODES.DEATH ? 1 : 0;
      continue;
    }
    let found = -1;
    for (let e = from; e <= last; e++) {
      if (code[e] === target) {
        found = e;
        break;
      }
    }
    time[p] = day[found >= 0 ? found : last]!;
    status[p] = found >= 0 ? 1 : 0;
  }
  return { time, status };
}
