import { TrajsimError } from '../core/errors.js';

/** One part of a run split over machines: part `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * Parses `k/N` (1 ≤ k ≤ N). Throws INVALID_ARGUMENT naming the flag otherwise.
 *
 * @example
 * parseShard('2/8') // => { index: 2, count: 8 }
 */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (
    !(Number.isSafeInteger(index) && Number.isSafeInteger(count) && index >= 1 && index <= count)
  ) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `'${text}' is not a shard; expected k/N with 1 <= k <= N (e.g. 1/4)`,
      {
        field: '--shard',
      },
    );
  }
  return { index, count };
}

/**
 * The contiguous range of global patient indices [start, end) that shard k of N generates
 * out of `patients`: start = ⌊(k − 1)·P / N⌋, end = ⌊k·P / N⌋. The shards of a run tile
 * 0..P−1 exactly.
 *
 * @example
 * shardRange(10, { index: 2, count: 3 }) // => { start: 3, end: 6 }
 */
export function shardRange(patients: number, shard: Shard): { start: number; end: number } {
  return {
    start: Math.floor(((shard.index - 1) * patients) / shard.count),
    end: Math.floor((shard.index * patients) / shard.count),
  };
}
