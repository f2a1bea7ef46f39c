import { TrajsimError } from '../../core/errors.js';
import {
  DEFAULT_ATTRIBUTE_WEIGHT,
  DEFAULT_TIME_SCALE_DAYS,
  editDistanceRange,
  type TrajectoryDistanceOptions,
} from './trajectory-distance.js';
import type { TrajectorySet, TrajectorySpace } from './trajectory-space.js';

/** The k nearest records of each query: distances ascending, and the nearest row. */
export interface NeighbourResult {
  readonly k: number;
  /** [queries × k] distances, ascending per query (Infinity when the index has < k rows). */
  readonly distances: Float64Array;
  /** Row (in the indexed set) of each query's nearest record. */
  readonly nearest: Int32Array;
  /** Exact distance computations (edit-distance tables started), for the complexity claim. */
  readonly exactComputations: number;
}

/**
 * An exact k-nearest-neighbour index over a {@link TrajectorySet} under the trajectory
 * distance. Records are grouped into cells of equal code bag (count of each code) and equal
 * categorical attributes; a query computes a lower bound per cell —
 * max(Σ(h_q − h_c)⁺, Σ(h_c − h_q)⁺) for the events (an edit must delete, insert or substitute
 * every event not matched to an equal code), plus the exact categorical mismatches and the
 * distance of its numeric values to the cell's bounding box — visits cells in increasing
 * bound, re-ranks their records with a per-record bound (cell event bound + exact attribute
 * part) and the early-stopping edit distance, and stops when the next bound reaches the
 * current k-th distance. The result is exact (a test compares it with brute force).
 *
 * Complexity per query: O(C·(K + A)) for the bounds of C cells (K codes, A attributes) plus
 * O(R·L²) for the R records re-ranked (L events per trajectory); R is small when the nearest
 * cells are small, and at worst the whole set (O(N·L²), brute force).
 *
 * @example
 * const index = new NearestNeighbourIndex(space, space.sets[0]!);
 * index.query(space.sets[2]!, 1).distances[0] // => distance of synthetic 0 to its nearest training record
 */
export class NearestNeighbourIndex {
  readonly space: TrajectorySpace;
  readonly set: TrajectorySet;
  private readonly options: TrajectoryDistanceOptions;
  private readonly K: number;
  private readonly cellCount: number;
  /** [cells × K] code counts. */
  private readonly bags: Int32Array;
  /** [cells × C] categorical levels. */
  private readonly cellCategorical: Int32Array;
  /** [cells × N] min, max of the numeric values present (NaN when none). */
  private readonly cellMin: Float64Array;
  private readonly cellMax: Float64Array;
  /** [cells × N] 1 when some record of the cell misses that value. */
  private readonly cellMissing: Uint8Array;
  /** Records of cell c: rows[cellStart[c] .. cellStart[c + 1] − 1]. */
  private readonly cellStart: Int32Array;
  private readonly rows: Int32Array;

  /**
   * Builds the index in O(N·(L + K + A)).
   *
   * @throws TrajsimError INVALID_ARGUMENT for a non-positive time scale.
   */
  constructor(space: TrajectorySpace, set: TrajectorySet, options: TrajectoryDistanceOptions = {}) {
    const tau = options.timeScaleDays ?? DEFAULT_TIME_SCALE_DAYS;
    if (!(tau > 0)) {
      throw new TrajsimError('INVALID_ARGUMENT', `timeScaleDays must be > 0, got ${tau}`);
    }
    this.space = space;
    this.set = set;
    this.options = options;
    const K = space.codes.length;
    const C = space.categoricalNames.length;
    const N = space.numericNames.length;
    const skip = options.excludeCategorical ?? -1;
    this.K = K;
    const cellOf = new Map<string, number>();
    const cellOfRow = new Int32Array(set.size);
    const bag = new Int32Array(K);
    const keys: string[] = [];
    for (let p = 0; p < set.size; p++) {
      bag.fill(0);
      for (let e = set.offsets[p]!; e < set.offsets[p + 1]!; e++) bag[set.code[e]!]!++;
      let key = bag.join(',');
      for (let j = 0; j < C; j++) key += `|${j === skip ? 0 : set.categorical[p * C + j]}`;
      let c = cellOf.get(key);
      if (c === undefined) {
        c = keys.length;
        cellOf.set(key, c);
        keys.push(key);
      }
      cellOfRow[p] = c;
    }
    const cells = keys.length;
    this.cellCount = cells;
    this.bags = new Int32Array(cells * K);
    this.cellCategorical = new Int32Array(cells * C);
    this.cellMin = new Float64Array(cells * N).fill(Number.NaN);
    this.cellMax = new Float64Array(cells * N).fill(Number.NaN);
    this.cellMissing = new Uint8Array(cells * N);
    const counts = new Int32Array(cells + 1);
    for (let p = 0; p < set.size; p++) counts[cellOfRow[p]! + 1]!++;
    for (let c = 0; c < cells; c++) counts[c + 1]! += counts[c]!;
    this.cellStart = counts.slice();
    const fill = counts.slice(0, cells);
    this.rows = new Int32Array(set.size);
    const seen = new Uint8Array(cells);
    for (let p = 0; p < set.size; p++) {
      const c = cellOfRow[p]!;
      this.rows[fill[c]!++] = p;
      if (!seen[c]) {
        seen[c] = 1;
        for (let e = set.offsets[p]!; e < set.offsets[p + 1]!; e++)
          this.bags[c * K + set.code[e]!]!++;
        for (let j = 0; j < C; j++) {
          this.cellCategorical[c * C + j] = j === skip ? 0 : set.categorical[p * C + j]!;
        }
      }
      for (let j = 0; j < N; j++) {
        const v = set.numeric[p * N + j]!;
        const k = c * N + j;
        if (Number.isNaN(v)) this.cellMissing[k] = 1;
        else {
          if (!(v >= this.cellMin[k]!)) this.cellMin[k] = v;
          if (!(v <= this.cellMax[k]!)) this.cellMax[k] = v;
        }
      }
    }
  }

  /** Number of cells (distinct code bag × categorical attributes). */
  get cells(): number {
    return this.cellCount;
  }

  /**
   * The k nearest indexed records of every patient of `queries` (a set of the same space).
   *
   * @param k - neighbours per query (≥ 1).
   * @param onProgress - called every 1,000 queries with the number done.
   * @throws TrajsimError INVALID_ARGUMENT for k < 1.
   * @example
   * index.query(holdout, 5).distances // => 5 distances per holdout patient
   */
  query(queries: TrajectorySet, k: number, onProgress?: (done: number) => void): NeighbourResult {
    if (!(Number.isInteger(k) && k >= 1)) {
      throw new TrajsimError('INVALID_ARGUMENT', `k must be an integer >= 1, got ${k}`);
    }
    const { space, set, K } = this;
    const C = space.categoricalNames.length;
    const N = space.numericNames.length;
    const skip = this.options.excludeCategorical ?? -1;
    const count = C + N - (skip >= 0 ? 1 : 0);
    const attrScale =
      count === 0 ? 0 : (this.options.attributeWeight ?? DEFAULT_ATTRIBUTE_WEIGHT) / count;
    const tau = this.options.timeScaleDays ?? DEFAULT_TIME_SCALE_DAYS;
    const invTau = 1 / tau;
    const cells = this.cellCount;
    const distances = new Float64Array(queries.size * k).fill(Number.POSITIVE_INFINITY);
    const nearest = new Int32Array(queries.size).fill(-1);
    const bounds = new Float64Array(cells);
    const eventBounds = new Float64Array(cells);
    const hq = new Int32Array(K);
    const best = new Float64Array(k);
    let maxLen = 1;
    for (let p = 0; p < set.size; p++)
      maxLen = Math.max(maxLen, set.offsets[p + 1]! - set.offsets[p]!);
    let scratch = new Float64Array(2 * (maxLen + 1));
    const order: number[] = [];
    const qStart = new Int32Array(K + 1);
    const qFill = new Int32Array(K);
    const ptr = new Int32Array(K);
    let qDays = new Int32Array(64);
    let exact = 0;
    for (let q = 0; q < queries.size; q++) {
      const qs = queries.offsets[q]!;
      const qe = queries.offsets[q + 1]!;
      hq.fill(0);
      for (let e = qs; e < qe; e++) hq[queries.code[e]!]!++;
      // The query's days grouped by code (each group sorted: events are sorted by day).
      if (qDays.length < qe - qs) qDays = new Int32Array(2 * (qe - qs));
      qStart[0] = 0;
      for (let c = 0; c < K; c++) qStart[c + 1] = qStart[c]! + hq[c]!;
      qFill.set(qStart.subarray(0, K));
      for (let e = qs; e < qe; e++) qDays[qFill[queries.code[e]!]!++] = queries.day[e]!;
      if (scratch.length < 2 * (maxLen + 1)) scratch = new Float64Array(2 * (maxLen + 1));
      best.fill(Number.POSITIVE_INFINITY);
      let bestRow = -1;
      const minCell = this.cellBounds(queries, q, hq, skip, attrScale, eventBounds, bounds);
      const visit = (c: number): void => {
        for (let r = this.cellStart[c]!; r < this.cellStart[c + 1]!; r++) {
          const p = this.rows[r]!;
          const attr = this.attributeMismatch(queries, q, p, skip);
          const a = attrScale * attr;
          const kth = best[k - 1]!;
          if (eventBounds[c]! + a >= kth) continue;
          // One-sided time bound: every edit operation touches at most one event of the
          // record, and each of its events costs at least min(1, distance to the nearest
          // same-code query event / τ) (1 when the query lacks its code).
          ptr.set(qStart.subarray(0, K));
          let chamfer = 0;
          const limit = kth - a;
          for (let e = set.offsets[p]!; e < set.offsets[p + 1]! && chamfer < limit; e++) {
            const code = set.code[e]!;
            const end = qStart[code + 1]!;
            let i = ptr[code]!;
            if (i >= end) {
              chamfer += 1;
              continue;
            }
            const day = set.day[e]!;
            while (i + 1 < end && qDays[i + 1]! <= day) i++;
            ptr[code] = i;
            let best1 = Math.abs(day - qDays[i]!);
            if (i + 1 < end) best1 = Math.min(best1, qDays[i + 1]! - day);
            const g = best1 * invTau;
            chamfer += Math.min(g, 1);
          }
          if (chamfer >= limit) continue;
          exact++;
          const ev = editDistanceRange(
            queries.code,
            queries.day,
            qs,
            qe,
            set.code,
            set.day,
            set.offsets[p]!,
            set.offsets[p + 1]!,
            tau,
            scratch,
            kth - a,
          );
          const d = ev + a;
          if (d < kth) {
            let i = k - 1;
            while (i > 0 && best[i - 1]! > d) {
              best[i] = best[i - 1]!;
              i--;
            }
            best[i] = d;
            if (i === 0) bestRow = p;
          }
        }
      };
      if (cells > 0) visit(minCell);
      order.length = 0;
      for (let c = 0; c < cells; c++) {
        if (c !== minCell && bounds[c]! < best[k - 1]!) order.push(c);
      }
      order.sort((x, y) => bounds[x]! - bounds[y]!);
      for (const c of order) {
        if (bounds[c]! >= best[k - 1]!) break;
        visit(c);
      }
      distances.set(best, q * k);
      nearest[q] = bestRow;
      if (onProgress && (q + 1) % 1000 === 0) onProgress(q + 1);
    }
    return { k, distances, nearest, exactComputations: exact };
  }

  /**
   * The lower bound of every cell for query `q` (its code bag `hq`): the event part into
   * `eventBounds`, event + scaled attribute part into `bounds`. Returns the cell of least bound.
   */
  private cellBounds(
    queries: TrajectorySet,
    q: number,
    hq: Int32Array,
    skip: number,
    attrScale: number,
    eventBounds: Float64Array,
    bounds: Float64Array,
  ): number {
    const { space, K } = this;
    const C = space.categoricalNames.length;
    const N = space.numericNames.length;
    const cells = this.cellCount;
    let minCell = 0;
    for (let c = 0; c < cells; c++) {
      let pos = 0;
      let neg = 0;
      const o = c * K;
      for (let j = 0; j < K; j++) {
        const d = hq[j]! - this.bags[o + j]!;
        if (d > 0) pos += d;
        else neg -= d;
      }
      const ev = Math.max(pos, neg);
      let attr = 0;
      for (let j = 0; j < C; j++) {
        if (j !== skip && queries.categorical[q * C + j] !== this.cellCategorical[c * C + j])
          attr += 1;
      }
      for (let j = 0; j < N; j++) {
        const v = queries.numeric[q * N + j]!;
        const i = c * N + j;
        const lo = this.cellMin[i]!;
        if (Number.isNaN(v)) {
          if (!this.cellMissing[i]) attr += 1;
        } else if (Number.isNaN(lo)) attr += 1;
        else {
          const hi = this.cellMax[i]!;
          const d = v < lo ? lo - v : v > hi ? v - hi : 0;
          const g = d / space.numericRanges[j]!;
          attr += Math.min(g, 1);
        }
      }
      eventBounds[c] = ev;
      bounds[c] = ev + attrScale * attr;
      if (bounds[c]! < bounds[minCell]!) minCell = c;
    }
    return minCell;
  }

  /** The attribute part (before scaling) of the distance of query `q` to indexed row `p`. */
  private attributeMismatch(queries: TrajectorySet, q: number, p: number, skip: number): number {
    const { space, set } = this;
    const C = space.categoricalNames.length;
    const N = space.numericNames.length;
    const ranges = space.numericRanges;
    let attr = 0;
    for (let j = 0; j < C; j++) {
      if (j !== skip && queries.categorical[q * C + j] !== set.categorical[p * C + j]) attr += 1;
    }
    for (let j = 0; j < N; j++) {
      const x = queries.numeric[q * N + j]!;
      const y = set.numeric[p * N + j]!;
      const xm = Number.isNaN(x);
      const ym = Number.isNaN(y);
      if (xm || ym) attr += xm && ym ? 0 : 1;
      else {
        const g = Math.abs(x - y) / ranges[j]!;
        attr += Math.min(g, 1);
      }
    }
    return attr;
  }
}
