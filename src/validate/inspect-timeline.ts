import { describeTimeline, type TimelineDescription } from '../stats/describe-timeline.js';
import { readTimeline } from '../timeline/read.js';

/**
 * What is in a timeline directory (`trajsim inspect`): patients, events per patient, codes
 * with their event and patient counts, attributes, deaths vs censored, follow-up and dates.
 *
 * @param dir - the timeline directory (patients.arrow, events.arrow, timeline.json).
 * @throws TrajsimError IO when the directory is missing, INVALID_INPUT when it is not a timeline.
 * @example
 * const d = await inspectTimeline('out/colon');
 * d.patients // => 929
 * d.codes.find((c) => c.code === 'DEATH')?.events // => 452
 */
export async function inspectTimeline(dir: string): Promise<TimelineDescription> {
  return describeTimeline(await readTimeline(dir));
}
