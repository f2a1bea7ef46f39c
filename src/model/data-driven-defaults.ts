// Training settings chosen from the training data when the user does not set them (issue 16):
// how many day bins the gap head gets, and whether weights decay. Both exist to keep a model
// trained on a small dataset from memorising its patients, which the privacy gate measures
// (docs/privacy.md, "Defaults chosen from the data"); on large datasets they change nothing.
import type { Timeline } from '../timeline/types.js';

/** The thresholds of the data-driven defaults (measured in docs/privacy.md). */
export const AUTO_TRAINING = {
  /**
   * Positive training gaps per gap-head bin at least: the bins are the largest power of two
   * with this many gaps each, within [minBins, maxBins]. Colon's training split (90 % of 929
   * patients: 1 247 positive gaps) gets 16 bins, 900 patients of the reference process
   * (16 240) get 128. Measured on the privacy check's training splits: 20 gaps a bin leaked
   * (colon's 418 training patients at 32 bins), 39 (the same at 16) and 127 (the reference
   * process's 900 at 128) did not.
   */
  minGapsPerBin: 50,
  minBins: 16,
  maxBins: 128,
  /** Decoupled weight decay per unit learning rate for datasets below `smallPatients`. */
  weightDecay: 1,
  /** Training patients below which the weights decay (colon 836, mgus2 1 246; nafld 15 794, models/reference 18 000 are above). */
  smallPatients: 5000,
} as const;

/**
 * Gaps between consecutive events of `rows` that are longer than 0 days (the first event's
 * gap from day 0 included), the data the gap head's bins are fitted to.
 *
 * @example
 * countPositiveGaps(timeline, trainRows) // => 1247 on colon's 836 training patients
 */
export function countPositiveGaps(timeline: Timeline, rows: Int32Array): number {
  let n = 0;
  for (const p of rows) {
    let prev = 0;
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const d = timeline.events.day[e]!;
      if (d > prev) n++;
      prev = d;
    }
  }
  return n;
}

/**
 * The gap head's bins for a dataset with `positiveGaps` positive training gaps: the largest
 * power of two that leaves {@link AUTO_TRAINING}.minGapsPerBin gaps per bin, clamped to
 * [minBins, maxBins].
 *
 * @example
 * autoGapBins(1247) // => 16
 * autoGapBins(3000) // => 32
 * autoGapBins(16000) // => 128
 */
export function autoGapBins(positiveGaps: number): number {
  let bins = AUTO_TRAINING.maxBins as number;
  while (bins > AUTO_TRAINING.minBins && positiveGaps / bins < AUTO_TRAINING.minGapsPerBin) {
    bins /= 2;
  }
  return bins;
}

/**
 * The weight decay for `trainPatients` training patients: {@link AUTO_TRAINING}.weightDecay
 * below `smallPatients`, else 0.
 *
 * @example
 * autoWeightDecay(418) // => 1
 * autoWeightDecay(18000) // => 0
 */
export function autoWeightDecay(trainPatients: number): number {
  return trainPatients < AUTO_TRAINING.smallPatients ? AUTO_TRAINING.weightDecay : 0;
}
