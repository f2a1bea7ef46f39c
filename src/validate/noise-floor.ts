/**
 * The noise floor: how far apart two random halves of the *real* data are on each metric.
 * A synthetic cohort cannot be expected to be closer to the real data than the real data is
 * to itself; a metric's ratio to its noise floor says how many "sampling noises" away it is.
 *
 * Like with like (docs/validation.md): in repeat r the real patients are split at random into
 * halves A_r and B_r (seeded `Rng`, by patient). The noise floor is d(A_r, B_r). The *matched*
 * synthetic comparison is d(A_r, S_r), where S_r is a seeded random subsample of the synthetic
 * cohort of exactly |B_r| patients. S_r and B_r then play the same role against the same A_r,
 * so for a generator that samples the real process, d(A_r, S_r) and d(A_r, B_r) have the same
 * distribution and the expected ratio is 1, whatever the sizes of the real and synthetic sets.
 */

import { assertArgument } from '../core/errors.js';
import { DEFAULT_SEED, Rng } from '../core/rng.js';
import type { Timeline } from '../timeline/types.js';
import { SummaryBuilder } from './summarize-timeline.js';
import type { TimelineSummary } from './summary.js';

/** Default number of random splits. */
export const DEFAULT_REPEATS = 5;

/**
 * A seeded random split of patient rows 0..n−1 into halves: `a` has ⌊n/2⌋ rows, `b` the rest,
 * each ascending.
 *
 * @example
 * randomHalves(5, new Rng('1')) // => { a: Int32Array(2), b: Int32Array(3) }, disjoint, union 0..4
 */
export function randomHalves(n: number, rng: Rng): { a: Int32Array; b: Int32Array } {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  rng.shuffle(idx);
  const half = Math.floor(n / 2);
  return { a: idx.slice(0, half).sort(), b: idx.slice(half).sort() };
}

/** The real data's summaries: the whole set and the two halves of each repeat. */
export interface RealSummaries {
  readonly full: TimelineSummary;
  readonly halves: readonly { readonly a: TimelineSummary; readonly b: TimelineSummary }[];
}

/**
 * Summarises the real timeline and, in the same pass, `repeats` random half-splits of it
 * (split r uses `new Rng(seed).fork('halves').fork(r)`).
 *
 * @throws TrajsimError INVALID_ARGUMENT for fewer than 2 patients or repeats < 1.
 * @example
 * const real = summarizeWithHalves(timeline, { repeats: 5, seed: '7' });
 * real.halves[0].a.patients + real.halves[0].b.patients === real.full.patients // => true
 */
export function summarizeWithHalves(
  timeline: Timeline,
  options: { repeats?: number; seed?: string | number } = {},
): RealSummaries {
  const repeats = options.repeats ?? DEFAULT_REPEATS;
  const n = timeline.patients.ids.length;
  assertArgument(n >= 2, `the real timeline has ${n} patient(s); the noise floor needs >= 2`);
  assertArgument(
    Number.isInteger(repeats) && repeats >= 1,
    `repeats is ${repeats}; expected an integer >= 1`,
  );
  const rng = new Rng(String(options.seed ?? DEFAULT_SEED)).fork('halves');
  const inB: Uint8Array[] = [];
  for (let r = 0; r < repeats; r++) {
    const mask = new Uint8Array(n);
    for (const p of randomHalves(n, rng.fork(r)).b) mask[p] = 1;
    inB.push(mask);
  }
  const full = new SummaryBuilder(timeline);
  const a = inB.map(() => new SummaryBuilder(timeline));
  const b = inB.map(() => new SummaryBuilder(timeline));
  for (let p = 0; p < n; p++) {
    full.addPatient(p);
    for (let r = 0; r < repeats; r++) (inB[r]![p] === 1 ? b[r]! : a[r]!).addPatient(p);
  }
  return {
    full: full.finish(),
    halves: inB.map((_, r) => ({ a: a[r]!.finish(), b: b[r]!.finish() })),
  };
}

/**
 * Chooses, for each repeat, a seeded random subsample of `sampleSize` patients out of a
 * synthetic cohort of `totalPatients` (all of them when it is smaller), identified by global
 * patient index: shards are numbered in the order they are given. Repeat r uses
 * `new Rng(seed).fork('matched').fork(r)`.
 */
export class MatchedSubsample {
  /** Bit r of `membership[i]` is set when global patient i is in subsample r. */
  readonly membership: Uint32Array;
  readonly size: number;

  constructor(
    readonly totalPatients: number,
    sampleSize: number,
    readonly repeats: number,
    seed: string | number,
  ) {
    assertArgument(repeats >= 1 && repeats <= 32, `repeats is ${repeats}; expected 1..32`);
    this.size = Math.min(sampleSize, totalPatients);
    this.membership = new Uint32Array(totalPatients);
    const rng = new Rng(String(seed)).fork('matched');
    const idx = new Int32Array(totalPatients);
    for (let r = 0; r < repeats; r++) {
      const stream = rng.fork(r);
      for (let i = 0; i < totalPatients; i++) idx[i] = i;
      // Partial Fisher–Yates: the first `size` entries are a uniform sample without replacement.
      for (let i = 0; i < this.size; i++) {
        const j = i + stream.int(totalPatients - i);
        const t = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = t;
        this.membership[idx[i]!]! |= 1 << r;
      }
    }
  }
}

/** The summaries of one synthetic shard: all its patients and its part of each subsample. */
export interface ShardSummaries {
  readonly full: TimelineSummary;
  readonly matched: readonly TimelineSummary[];
}

/**
 * Summarises one synthetic shard whose first patient has global index `firstPatient`, filling
 * its part of each matched subsample. Merge the shards' `full` and each `matched[r]` with
 * `mergeSummaries`.
 *
 * @throws TrajsimError INVALID_ARGUMENT when the shard runs past the subsample's total.
 *
 * @example
 * const part = summarizeShard(shardTimeline, firstPatient, subsample);
 * mergeSummaries([part.full, otherPart.full]) // the summary of the whole synthetic cohort
 */
export function summarizeShard(
  timeline: Timeline,
  firstPatient: number,
  subsample: MatchedSubsample,
): ShardSummaries {
  const n = timeline.patients.ids.length;
  assertArgument(
    firstPatient + n <= subsample.totalPatients,
    `shard patients ${firstPatient}..${firstPatient + n - 1} exceed the declared total ${subsample.totalPatients}`,
  );
  const full = new SummaryBuilder(timeline);
  const matched = Array.from({ length: subsample.repeats }, () => new SummaryBuilder(timeline));
  for (let p = 0; p < n; p++) {
    full.addPatient(p);
    const bits = subsample.membership[firstPatient + p]!;
    if (bits === 0) continue;
    for (let r = 0; r < subsample.repeats; r++) if ((bits >>> r) & 1) matched[r]!.addPatient(p);
  }
  return { full: full.finish(), matched: matched.map((m) => m.finish()) };
}
