import type { Timeline } from '../timeline/types.js';

/** Facts about the training data that generation needs (stored in the manifest). */
export interface TrainingSummary {
  /** [first, last] index day of the patients. */
  readonly indexDayRange: [number, number];
  /** Largest last-event day. */
  readonly maxFollowUpDays: number;
  /** Most events of one patient. */
  readonly maxEvents: number;
}

/**
 * Summarises the given patient rows of a timeline.
 *
 * @example
 * summarizeTraining(colon, rows) // => { indexDayRange: [10957, 12052], maxFollowUpDays: 3329, maxEvents: 4 }
 */
export function summarizeTraining(timeline: Timeline, rows: Int32Array): TrainingSummary {
  let minIndex = Number.POSITIVE_INFINITY;
  let maxIndex = Number.NEGATIVE_INFINITY;
  let maxFollowUpDays = 0;
  let maxEvents = 0;
  for (const p of rows) {
    const idx = timeline.patients.indexDay[p]!;
    if (idx < minIndex) minIndex = idx;
    if (idx > maxIndex) maxIndex = idx;
    const start = timeline.offsets[p]!;
    const end = timeline.offsets[p + 1]!;
    maxEvents = Math.max(maxEvents, end - start);
    if (end > start) maxFollowUpDays = Math.max(maxFollowUpDays, timeline.events.day[end - 1]!);
  }
  if (!Number.isFinite(minIndex)) {
    minIndex = 0;
    maxIndex = 0;
  }
  return { indexDayRange: [minIndex, maxIndex], maxFollowUpDays, maxEvents };
}
