/**
 * A timeline restricted to some of its patient rows, in memory (no copy of unchanged columns
 * beyond what the selection needs).
 */

import { TrajsimError } from '../core/errors.js';
import type { Attribute, Timeline } from './types.js';

/**
 * The timeline of the given patient rows, in the given order, with their events.
 *
 * @param timeline - a timeline.
 * @param rows - patient row indices (each in 0..patients−1; repeats allowed).
 * @param name - the name of the result (default: the source's name).
 * @returns a new in-memory timeline.
 * @throws TrajsimError INVALID_ARGUMENT for a row out of range.
 * @example
 * selectPatients(colon, Int32Array.from([0, 5, 9])).patients.ids.length // => 3
 */
export function selectPatients(
  timeline: Timeline,
  rows: ArrayLike<number>,
  name: string = timeline.name,
): Timeline {
  const nPatients = timeline.patients.ids.length;
  const m = rows.length;
  const offsets = new Int32Array(m + 1);
  for (let i = 0; i < m; i++) {
    const r = rows[i] as number;
    if (!(Number.isInteger(r) && r >= 0 && r < nPatients)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `selectPatients: row ${r} is outside 0..${nPatients - 1}`,
      );
    }
    offsets[i + 1] =
      (offsets[i] as number) +
      (timeline.offsets[r + 1] as number) -
      (timeline.offsets[r] as number);
  }
  const e = timeline.events;
  const total = offsets[m] as number;
  const patient = new Int32Array(total);
  const day = new Int32Array(total);
  const code = new Int32Array(total);
  const value = new Float64Array(total);
  for (let i = 0; i < m; i++) {
    const r = rows[i] as number;
    const from = timeline.offsets[r] as number;
    const to = timeline.offsets[r + 1] as number;
    const at = offsets[i] as number;
    patient.fill(i, at, at + to - from);
    day.set(e.day.subarray(from, to), at);
    code.set(e.code.subarray(from, to), at);
    value.set(e.value.subarray(from, to), at);
  }
  const pick = <T extends Int32Array | Float64Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(m);
    for (let i = 0; i < m; i++) out[i] = a[rows[i] as number] as number;
    return out;
  };
  const attributes: Attribute[] = timeline.patients.attributes.map((a) =>
    a.kind === 'numeric'
      ? { name: a.name, kind: 'numeric', values: pick(a.values) }
      : { name: a.name, kind: 'categorical', levels: a.levels, codes: pick(a.codes) },
  );
  return {
    name,
    patients: {
      ids: Array.from({ length: m }, (_, i) => timeline.patients.ids[rows[i] as number] as string),
      indexDay: pick(timeline.patients.indexDay),
      attributes,
    },
    events: { patient, day, code, value, codes: e.codes },
    offsets,
  };
}
