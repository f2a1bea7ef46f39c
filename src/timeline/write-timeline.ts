/**
 * Writes an in-memory timeline to a timeline directory: the public way to save a timeline
 * built or subset in memory (e.g. with selectPatients), over the internal TimelineWriter.
 */

import type { Logger } from '../core/messages.js';
import type { AttributeSpec, Timeline, TimelineManifest } from './types.js';
import { TimelineWriter } from './writer.js';

/** Options of {@link writeTimeline}. */
export interface WriteTimelineOptions {
  /** The `source` line of timeline.json (default `in-memory timeline <name>`). */
  readonly source?: string;
  /** Replace an existing non-empty output directory (default false: refuse). */
  readonly overwrite?: boolean;
  /** Told about stale temporaries removed. */
  readonly logger?: Logger;
}

/**
 * Writes `timeline` (its name, attributes, codes, patients in order and their events) to the
 * timeline directory `dir`, atomically, and returns the manifest written. Reading the
 * directory back gives the same timeline.
 *
 * @param timeline - an in-memory timeline (readTimeline, selectPatients, ...).
 * @param dir - the output directory.
 * @param options - source line, overwrite, logger.
 * @returns the timeline.json written (counts, content hash).
 * @throws TrajsimError IO when `dir` is taken and `overwrite` is not set; INVALID_ARGUMENT when
 *   a patient's events break the timeline contract (unsorted days, no terminal code last).
 * @example
 * const colon = await readTimeline('data/colon');
 * await writeTimeline(selectPatients(colon, [0, 1, 2], 'colon-3'), 'out/colon-3')
 * // => { name: 'colon-3', counts: { patients: 3, ... }, contentHash: '...' }
 */
export async function writeTimeline(
  timeline: Timeline,
  dir: string,
  options: WriteTimelineOptions = {},
): Promise<TimelineManifest> {
  const attributes: AttributeSpec[] = timeline.patients.attributes.map((a) =>
    a.kind === 'categorical'
      ? { name: a.name, kind: a.kind, levels: a.levels }
      : { name: a.name, kind: a.kind },
  );
  const writer = await TimelineWriter.create(dir, {
    name: timeline.name,
    source: options.source ?? `in-memory timeline ${timeline.name}`,
    attributes,
    codes: timeline.events.codes,
    ...(options.overwrite ? { overwrite: true } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  try {
    const row = new Float64Array(attributes.length);
    const { ids, indexDay } = timeline.patients;
    const { day, code, value } = timeline.events;
    for (let p = 0; p < ids.length; p++) {
      timeline.patients.attributes.forEach((a, j) => {
        row[j] = (a.kind === 'categorical' ? a.codes[p] : a.values[p]) as number;
      });
      writer.addPatient(ids[p] as string, indexDay[p] as number, row);
      const to = timeline.offsets[p + 1] as number;
      for (let e = timeline.offsets[p] as number; e < to; e++) {
        writer.addEvent(day[e] as number, code[e] as number, value[e] as number);
      }
      if ((p & 4095) === 4095) await writer.commit();
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return writer.close();
}
