import { join } from 'node:path';
import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';

/** Imports data/<name> (as scripts/train-default-model.sh does for colon) into `dir` and reads it. */
export async function importBundled(
  name: 'colon' | 'mgus2' | 'cgd',
  dir: string,
): Promise<Timeline> {
  const out = join(dir, name);
  const categorical =
    name === 'colon'
      ? ['obstruct', 'perfor', 'adhere', 'node4']
      : name === 'cgd'
        ? ['steroids', 'propylac']
        : [];
  await importTimeline({
    patients: `data/${name}/patients.csv`,
    events: `data/${name}/events.csv`,
    out,
    name,
    categorical,
    overwrite: true,
  });
  return readTimeline(out);
}

/** A copy of a timeline's patients p (in order) with their events: a small in-memory subset. */
export function subsetTimeline(t: Timeline, patients: readonly number[]): Timeline {
  const offsets = [0];
  const ev: number[] = [];
  for (const p of patients) {
    for (let e = t.offsets[p]!; e < t.offsets[p + 1]!; e++) ev.push(e);
    offsets.push(ev.length);
  }
  return {
    name: `${t.name}-subset`,
    patients: {
      ids: patients.map((p) => t.patients.ids[p]!),
      indexDay: Int32Array.from(patients, (p) => t.patients.indexDay[p]!),
      attributes: t.patients.attributes.map((a) =>
        a.kind === 'categorical'
          ? { ...a, codes: Int32Array.from(patients, (p) => a.codes[p]!) }
          : { ...a, values: Float64Array.from(patients, (p) => a.values[p]!) },
      ),
    },
    events: {
      patient: Int32Array.from(ev, (_, j) => offsets.findIndex((o) => o > j) - 1),
      day: Int32Array.from(ev, (e) => t.events.day[e]!),
      code: Int32Array.from(ev, (e) => t.events.code[e]!),
      value: Float64Array.from(ev, (e) => t.events.value[e]!),
      codes: t.events.codes,
    },
    offsets: Int32Array.from(offsets),
  };
}
