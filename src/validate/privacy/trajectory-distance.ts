import type { TrajectorySet, TrajectorySpace } from './trajectory-space.js';

/**
 * Options of the trajectory distance (docs/privacy.md, "Distance").
 *
 * - `timeScaleDays` τ: two events with the same code `d` days apart cost min(1, d / τ); a
 *   shift of τ days or more costs as much as a different code (default 30).
 * - `attributeWeight` λ: the attribute part is λ × the Gower distance of the attributes
 *   (mean over attributes of: categorical 0/1, numeric |x − y| / range capped at 1, missing
 *   vs present 1, both missing 0) (default 2: attributes that all differ weigh as much as two
 *   event edits).
 * - `excludeCategorical`: index of a categorical attribute left out (attribute inference).
 */
export interface TrajectoryDistanceOptions {
  readonly timeScaleDays?: number;
  readonly attributeWeight?: number;
  readonly excludeCategorical?: number;
}

export const DEFAULT_TIME_SCALE_DAYS = 30;
export const DEFAULT_ATTRIBUTE_WEIGHT = 2;

/**
 * The event part of the distance: a weighted edit distance between two event sequences,
 * insertion and deletion 1, substitution 1 between different codes and min(1, |Δday| / τ)
 * between equal codes. Substitution is a metric on (code, day) bounded by 1 ≤ 2 × indel, so
 * the edit distance is a metric (Wagner–Fischer 1974; O(n·m) time, O(m) memory). Stops early
 * and returns a value ≥ `bound` once every alignment costs at least `bound`.
 *
 * @param codeA,dayA - events of the first trajectory (codes, days since index).
 * @param codeB,dayB - events of the second.
 * @param timeScaleDays - τ in days (> 0).
 * @param scratch - a Float64Array of length ≥ 2 × (|B| + 1), reused between calls.
 * @param bound - stop once the distance is known to be ≥ bound (default Infinity).
 * @example
 * eventEditDistance(Int32Array.of(0, 1), Int32Array.of(0, 30), Int32Array.of(0, 1),
 *   Int32Array.of(0, 45), 30, new Float64Array(6)) // => 0.5
 */
export function eventEditDistance(
  codeA: Int32Array,
  dayA: Int32Array,
  codeB: Int32Array,
  dayB: Int32Array,
  timeScaleDays: number,
  scratch: Float64Array,
  bound = Number.POSITIVE_INFINITY,
): number {
  return editDistanceRange(
    codeA,
    dayA,
    0,
    codeA.length,
    codeB,
    dayB,
    0,
    codeB.length,
    timeScaleDays,
    scratch,
    bound,
  );
}

/**
 * {@link eventEditDistance} between events a0..a1−1 of (codeA, dayA) and b0..b1−1 of
 * (codeB, dayB), without allocating (the hot loop of the nearest-neighbour search).
 */
export function editDistanceRange(
  codeA: Int32Array,
  dayA: Int32Array,
  a0: number,
  a1: number,
  codeB: Int32Array,
  dayB: Int32Array,
  b0: number,
  b1: number,
  timeScaleDays: number,
  scratch: Float64Array,
  bound: number,
): number {
  const n = a1 - a0;
  const m = b1 - b0;
  const inv = 1 / timeScaleDays;
  let prev = 0;
  let cur = m + 1;
  for (let j = 0; j <= m; j++) scratch[j] = j;
  for (let i = 1; i <= n; i++) {
    scratch[cur] = i;
    let rowMin = i;
    const ca = codeA[a0 + i - 1]!;
    const da = dayA[a0 + i - 1]!;
    for (let j = 1; j <= m; j++) {
      let sub = 1;
      if (codeB[b0 + j - 1] === ca) {
        const dd = dayB[b0 + j - 1]! - da;
        const d = (dd < 0 ? -dd : dd) * inv;
        sub = Math.min(d, 1);
      }
      let v = scratch[prev + j - 1]! + sub;
      const del = scratch[prev + j]! + 1;
      if (del < v) v = del;
      const ins = scratch[cur + j - 1]! + 1;
      if (ins < v) v = ins;
      scratch[cur + j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= bound) return rowMin;
    const t = prev;
    prev = cur;
    cur = t;
  }
  return scratch[prev + m]!;
}

/**
 * The attribute part: λ × Gower distance between patient `p` of `a` and patient `q` of `b`.
 *
 * @example
 * attributeDistance(space, set, 0, set, 0) // => 0
 */
export function attributeDistance(
  space: TrajectorySpace,
  a: TrajectorySet,
  p: number,
  b: TrajectorySet,
  q: number,
  options: TrajectoryDistanceOptions = {},
): number {
  const C = space.categoricalNames.length;
  const N = space.numericNames.length;
  const skip = options.excludeCategorical ?? -1;
  const count = C + N - (skip >= 0 ? 1 : 0);
  if (count === 0) return 0;
  let sum = 0;
  for (let j = 0; j < C; j++) {
    if (j === skip) continue;
    if (a.categorical[p * C + j] !== b.categorical[q * C + j]) sum += 1;
  }
  for (let j = 0; j < N; j++) {
    const x = a.numeric[p * N + j]!;
    const y = b.numeric[q * N + j]!;
    const xm = Number.isNaN(x);
    const ym = Number.isNaN(y);
    if (xm || ym) sum += xm && ym ? 0 : 1;
    else {
      const d = Math.abs(x - y) / space.numericRanges[j]!;
      sum += Math.min(d, 1);
    }
  }
  return ((options.attributeWeight ?? DEFAULT_ATTRIBUTE_WEIGHT) * sum) / count;
}

/**
 * The trajectory distance between patient `p` of `a` and patient `q` of `b`: the event edit
 * distance plus the attribute part (see {@link TrajectoryDistanceOptions}). A metric: 0 for
 * identical trajectories and attributes, symmetric, triangle inequality (a sum of metrics).
 *
 * @throws nothing; sets of one space only.
 * @example
 * trajectoryDistance(space, train, 3, synthetic, 7) // => e.g. 1.27
 */
export function trajectoryDistance(
  space: TrajectorySpace,
  a: TrajectorySet,
  p: number,
  b: TrajectorySet,
  q: number,
  options: TrajectoryDistanceOptions = {},
): number {
  const lb = b.offsets[q + 1]! - b.offsets[q]!;
  const scratch = new Float64Array(2 * (lb + 1));
  return (
    eventEditDistance(
      a.code.subarray(a.offsets[p]!, a.offsets[p + 1]!),
      a.day.subarray(a.offsets[p]!, a.offsets[p + 1]!),
      b.code.subarray(b.offsets[q]!, b.offsets[q + 1]!),
      b.day.subarray(b.offsets[q]!, b.offsets[q + 1]!),
      options.timeScaleDays ?? DEFAULT_TIME_SCALE_DAYS,
      scratch,
    ) + attributeDistance(space, a, p, b, q, options)
  );
}
