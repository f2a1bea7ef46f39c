import { TrajsimError } from '../../core/errors.js';
import { privacyAttributeMissing } from '../../core/messages.js';
import type { Timeline } from '../../timeline/types.js';

/**
 * Trajectories of several timelines (training, holdout, synthetic) encoded in one shared,
 * columnar space, so that any two can be compared: codes are indices into one code list
 * (the union, by name), categorical attributes are indices into one level list per attribute
 * (the union, by name; -1 missing), numeric attributes are Float64 (NaN missing) with the
 * range of the first (training) timeline as their Gower scale.
 */
export interface TrajectorySet {
  readonly name: string;
  /** Patients. */
  readonly size: number;
  /** Length size + 1: events of patient p are offsets[p] .. offsets[p + 1] − 1. */
  readonly offsets: Int32Array;
  /** Shared code index of each event. */
  readonly code: Int32Array;
  /** Day of each event (days since the patient's index date). */
  readonly day: Int32Array;
  /** [size × categorical attributes] shared level index, −1 missing. */
  readonly categorical: Int32Array;
  /** [size × numeric attributes] value, NaN missing. */
  readonly numeric: Float64Array;
}

/** The shared encoding: code list, attribute names, numeric scales. */
export interface TrajectorySpace {
  readonly codes: readonly string[];
  readonly categoricalNames: readonly string[];
  readonly categoricalLevels: readonly (readonly string[])[];
  readonly numericNames: readonly string[];
  /** Gower scale of each numeric attribute: its range in the first timeline (1 when 0). */
  readonly numericRanges: Float64Array;
  readonly sets: readonly TrajectorySet[];
}

/**
 * Encodes timelines into one {@link TrajectorySpace}. Attributes are matched by name; the
 * first timeline (the training data) defines which attributes exist and the numeric ranges.
 *
 * @param timelines - first the training timeline, then any others (holdout, synthetic).
 * @throws TrajsimError INVALID_INPUT when a later timeline lacks an attribute of the first or
 *   has it with another kind.
 * @example
 * const space = encodeTrajectories([train, holdout, synthetic]);
 * space.sets[2]!.size // => synthetic patients
 */
export function encodeTrajectories(timelines: readonly Timeline[]): TrajectorySpace {
  const first = timelines[0];
  if (!first) throw new TrajsimError('INVALID_ARGUMENT', 'no timeline to encode');
  const codes = [...new Set(timelines.flatMap((t) => t.events.codes))].sort();
  const codeIndex = new Map(codes.map((c, i) => [c, i]));
  const cats = first.patients.attributes.filter((a) => a.kind === 'categorical');
  const nums = first.patients.attributes.filter((a) => a.kind === 'numeric');
  const categoricalNames = cats.map((a) => a.name);
  const numericNames = nums.map((a) => a.name);
  const categoricalLevels = categoricalNames.map((name) => {
    const levels = new Set<string>();
    for (const t of timelines) {
      const a = t.patients.attributes.find((x) => x.name === name);
      if (a?.kind === 'categorical') for (const l of a.levels) levels.add(l);
    }
    return [...levels].sort();
  });
  const numericRanges = new Float64Array(nums.length);
  nums.forEach((a, j) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    if (a.kind === 'numeric') {
      for (const v of a.values) {
        if (Number.isNaN(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    numericRanges[j] = hi > lo ? hi - lo : 1;
  });
  const sets = timelines.map((t) => {
    const n = t.patients.ids.length;
    const remap = Int32Array.from(t.events.codes, (c) => codeIndex.get(c)!);
    const code = new Int32Array(t.events.code.length);
    for (let e = 0; e < code.length; e++) code[e] = remap[t.events.code[e]!]!;
    const C = categoricalNames.length;
    const categorical = new Int32Array(n * C);
    categoricalNames.forEach((name, j) => {
      const a = t.patients.attributes.find((x) => x.name === name);
      if (a?.kind !== 'categorical') {
        throw new TrajsimError(
          'INVALID_INPUT',
          privacyAttributeMissing(t.name, 'categorical', name),
        );
      }
      const levelIndex = new Map(categoricalLevels[j]!.map((l, i) => [l, i]));
      const lv = Int32Array.from(a.levels, (l) => levelIndex.get(l)!);
      for (let p = 0; p < n; p++) {
        const c = a.codes[p]!;
        categorical[p * C + j] = c < 0 ? -1 : lv[c]!;
      }
    });
    const N = numericNames.length;
    const numeric = new Float64Array(n * N);
    numericNames.forEach((name, j) => {
      const a = t.patients.attributes.find((x) => x.name === name);
      if (a?.kind !== 'numeric') {
        throw new TrajsimError('INVALID_INPUT', privacyAttributeMissing(t.name, 'numeric', name));
      }
      for (let p = 0; p < n; p++) numeric[p * N + j] = a.values[p]!;
    });
    return {
      name: t.name,
      size: n,
      offsets: t.offsets,
      code,
      day: t.events.day,
      categorical,
      numeric,
    };
  });
  return { codes, categoricalNames, categoricalLevels, numericNames, numericRanges, sets };
}

/**
 * A subset of a set's patients (rows in the given order), sharing nothing mutable with it.
 *
 * @example
 * subsetTrajectories(space, space.sets[0]!, Int32Array.of(0, 5)).size // => 2
 */
export function subsetTrajectories(
  space: TrajectorySpace,
  set: TrajectorySet,
  rows: Int32Array,
): TrajectorySet {
  const C = space.categoricalNames.length;
  const N = space.numericNames.length;
  const offsets = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) {
    const p = rows[i]!;
    offsets[i + 1] = offsets[i]! + set.offsets[p + 1]! - set.offsets[p]!;
  }
  const E = offsets[rows.length]!;
  const code = new Int32Array(E);
  const day = new Int32Array(E);
  const categorical = new Int32Array(rows.length * C);
  const numeric = new Float64Array(rows.length * N);
  for (let i = 0; i < rows.length; i++) {
    const p = rows[i]!;
    code.set(set.code.subarray(set.offsets[p]!, set.offsets[p + 1]!), offsets[i]!);
    day.set(set.day.subarray(set.offsets[p]!, set.offsets[p + 1]!), offsets[i]!);
    categorical.set(set.categorical.subarray(p * C, (p + 1) * C), i * C);
    numeric.set(set.numeric.subarray(p * N, (p + 1) * N), i * N);
  }
  return { name: set.name, size: rows.length, offsets, code, day, categorical, numeric };
}

/**
 * The exact identity key of a patient: codes, days and every attribute value. Two patients
 * have the same key exactly when they are identical trajectories with identical attributes.
 *
 * @example
 * trajectoryKey(space, set, 0) === trajectoryKey(space, set, 0) // => true
 */
export function trajectoryKey(space: TrajectorySpace, set: TrajectorySet, p: number): string {
  const C = space.categoricalNames.length;
  const N = space.numericNames.length;
  const parts: (number | string)[] = [];
  for (let e = set.offsets[p]!; e < set.offsets[p + 1]!; e++) parts.push(set.code[e]!, set.day[e]!);
  parts.push('|');
  for (let j = 0; j < C; j++) parts.push(set.categorical[p * C + j]!);
  parts.push('|');
  for (let j = 0; j < N; j++) parts.push(set.numeric[p * N + j]!);
  return parts.join(',');
}

/**
 * The patients of several sets of one space, one after another (the shards of a cohort).
 *
 * @example
 * concatTrajectories([a, b]).size // => a.size + b.size
 */
export function concatTrajectories(sets: readonly TrajectorySet[]): TrajectorySet {
  if (sets.length === 1) return sets[0]!;
  const size = sets.reduce((n, s) => n + s.size, 0);
  const events = sets.reduce((n, s) => n + s.code.length, 0);
  const offsets = new Int32Array(size + 1);
  const code = new Int32Array(events);
  const day = new Int32Array(events);
  const cat = sets.reduce((n, s) => n + s.categorical.length, 0);
  const num = sets.reduce((n, s) => n + s.numeric.length, 0);
  const categorical = new Int32Array(cat);
  const numeric = new Float64Array(num);
  let p = 0;
  let e = 0;
  let c = 0;
  let x = 0;
  for (const s of sets) {
    for (let i = 1; i <= s.size; i++) offsets[p + i] = e + s.offsets[i]!;
    code.set(s.code, e);
    day.set(s.day, e);
    categorical.set(s.categorical, c);
    numeric.set(s.numeric, x);
    p += s.size;
    e += s.code.length;
    c += s.categorical.length;
    x += s.numeric.length;
  }
  return {
    name: sets.map((s) => s.name).join('+'),
    size,
    offsets,
    code,
    day,
    categorical,
    numeric,
  };
}
