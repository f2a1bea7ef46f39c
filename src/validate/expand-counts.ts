import { countTotal } from '../stats/distances.js';
import type { SurvivalCounts } from './summary.js';

/**
 * Expands a per-day risk table back into one (time, status) row per subject, the input form
 * of `kaplanMeier`, `logRankTest` and `coxPh`. Rows are ordered by day, events before
 * censorings within a day (the estimators do not depend on row order).
 *
 * @example
 * expandSurvival({ events: new Float64Array([0, 2]), censored: new Float64Array([1]) })
 * // => { time: [0, 1, 1], status: [0, 1, 1] }
 */
export function expandSurvival(counts: SurvivalCounts): { time: Float64Array; status: Uint8Array } {
  const n = countTotal(counts.events) + countTotal(counts.censored);
  const time = new Float64Array(n);
  const status = new Uint8Array(n);
  const days = Math.max(counts.events.length, counts.censored.length);
  let i = 0;
  for (let d = 0; d < days; d++) {
    const e = d < counts.events.length ? counts.events[d]! : 0;
    const c = d < counts.censored.length ? counts.censored[d]! : 0;
    for (let k = 0; k < e; k++) {
      time[i] = d;
      status[i++] = 1;
    }
    for (let k = 0; k < c; k++) time[i++] = d;
  }
  return { time, status };
}
