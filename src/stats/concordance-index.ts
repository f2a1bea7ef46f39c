/**
 * Harrell's and Uno's concordance index of a risk score against right-censored outcomes,
 * matching R's `survival::concordance(Surv(time, status) ~ risk, reverse = TRUE)` with
 * `timewt = "n"` (Harrell) and `timewt = "n/G2"` (Uno), `ymax = tau`.
 */

import { TrajsimError } from '../core/errors.js';
import { survivalOrder } from './kaplan-meier.js';

/** Options of {@link concordanceIndex}. */
export interface ConcordanceOptions {
  /**
   * 'harrell' (every comparable pair weighs 1) or 'uno' (a pair whose earlier time is an
   * event at t weighs 1/G(t−)², G the censoring distribution); default 'harrell'.
   */
  readonly weighting?: 'harrell' | 'uno';
  /** Truncation: only event times ≤ tau start a comparable pair (R's `ymax`); default +∞. */
  readonly tau?: number;
}

/** The concordance of a risk score, with R's weighted pair counts. */
export interface ConcordanceResult {
  /** (concordant + tiedRisk/2) / (concordant + discordant + tiedRisk); NaN with no comparable pair. */
  readonly concordance: number;
  /** Weighted comparable pairs where the earlier event has the higher risk. */
  readonly concordant: number;
  /** Weighted comparable pairs where the earlier event has the lower risk. */
  readonly discordant: number;
  /** Weighted comparable pairs with equal risk. */
  readonly tiedRisk: number;
}

/**
 * The concordance index C = P(risk_i > risk_j | T_i < T_j, i an event) of a risk score (higher
 * = earlier event). A pair (i, j) is comparable when i is an event at tᵢ ≤ tau and j is
 * followed longer (tⱼ > tᵢ, or censored at tⱼ = tᵢ: censorings at an event time count as
 * later, as in R); two events at one time are not comparable. Equal risks count one half.
 *
 * Harrell (1982): every comparable pair weighs 1. Uno et al. (2011): a pair weighs
 * 1/G(tᵢ−)², G the Kaplan–Meier curve of the censoring times in which deaths precede
 * censorings at a tied time (R's `fastkm1`), which makes C consistent for
 * P(riskᵢ > riskⱼ | Tᵢ < Tⱼ, Tᵢ ≤ tau) under independent censoring. Pairs are counted with a
 * Fenwick tree over the ranks of the risk: O(n log n).
 *
 * @param time - follow-up times (e.g. days), finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param risk - the risk score of each row (finite; larger = higher risk).
 * @param options - weighting ('harrell' default or 'uno'), tau (default +∞).
 * @returns the concordance and the weighted pair counts (R's `count`: concordant,
 *   discordant, tied.x).
 * @throws TrajsimError INVALID_ARGUMENT for length mismatches, bad times or statuses, a
 *   non-finite risk (naming the index), a bad weighting or a tau that is NaN.
 * @example
 * concordanceIndex([1, 2, 3, 4], [1, 1, 0, 1], [4, 3, 2, 1]).concordance // => 1
 * concordanceIndex([1, 2, 3, 4], [1, 1, 0, 1], [1, 2, 3, 4]).concordance // => 0
 */
export function concordanceIndex(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  risk: ArrayLike<number>,
  options: ConcordanceOptions = {},
): ConcordanceResult {
  const weighting = options.weighting ?? 'harrell';
  const tau = options.tau ?? Number.POSITIVE_INFINITY;
  if (weighting !== 'harrell' && weighting !== 'uno') {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `concordanceIndex: weighting is ${String(weighting)}; expected 'harrell' or 'uno'`,
    );
  }
  if (Number.isNaN(tau)) throw new TrajsimError('INVALID_ARGUMENT', 'concordanceIndex: tau is NaN');
  const order = survivalOrder('concordanceIndex', time, status);
  const n = time.length;
  if (risk.length !== n) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `concordanceIndex: risk has length ${risk.length}, expected ${n} (the length of time)`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(risk[i]!)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `concordanceIndex: risk[${i}] is ${risk[i]}; expected a finite number`,
      );
    }
  }
  const rank = riskRanks(risk);
  const weights = weighting === 'uno' ? unoWeights(time, status, order) : undefined;
  const tree = new Float64Array(n + 1); // Fenwick tree of counts by risk rank (1-based)
  const add = (r: number): void => {
    for (let k = r; k <= n; k += k & -k) tree[k]! += 1;
  };
  const below = (r: number): number => {
    let s = 0;
    for (let k = r; k > 0; k -= k & -k) s += tree[k]!;
    return s;
  };
  let concordant = 0;
  let discordant = 0;
  let tiedRisk = 0;
  let inTree = 0;
  // From the latest time down: the tree holds everyone followed longer than the current time.
  for (let end = n - 1; end >= 0; ) {
    const t = time[order[end]!]!;
    let start = end;
    while (start > 0 && time[order[start - 1]!] === t) start--;
    for (let k = start; k <= end; k++) {
      const i = order[k]!;
      if (status[i] === 0) {
        add(rank[i]!);
        inTree++;
      }
    }
    if (t <= tau) {
      const w = weights?.get(t) ?? 1;
      for (let k = start; k <= end; k++) {
        const i = order[k]!;
        if (status[i] !== 1) continue;
        const lower = below(rank[i]! - 1);
        const atOrBelow = below(rank[i]!);
        concordant += w * lower;
        tiedRisk += w * (atOrBelow - lower);
        discordant += w * (inTree - atOrBelow);
      }
    }
    for (let k = start; k <= end; k++) {
      const i = order[k]!;
      if (status[i] === 1) {
        add(rank[i]!);
        inTree++;
      }
    }
    end = start - 1;
  }
  const total = concordant + discordant + tiedRisk;
  return {
    concordance: total > 0 ? (concordant + tiedRisk / 2) / total : Number.NaN,
    concordant,
    discordant,
    tiedRisk,
  };
}

/** Dense ranks 1..k of the risk values (equal values share a rank). */
function riskRanks(risk: ArrayLike<number>): Int32Array {
  const n = risk.length;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => risk[a]! - risk[b]!);
  const rank = new Int32Array(n);
  let r = 0;
  for (let k = 0; k < n; k++) {
    if (k === 0 || risk[idx[k]!] !== risk[idx[k - 1]!]) r++;
    rank[idx[k]!] = r;
  }
  return rank;
}

/**
 * 1/G(t−)² at each event time t, G the censoring Kaplan–Meier curve with deaths before
 * censorings at a tied time (the censoring risk set at t excludes the deaths at t).
 */
function unoWeights(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  order: Int32Array,
): Map<number, number> {
  const n = time.length;
  const weights = new Map<number, number>();
  let atRisk = n;
  let g = 1;
  for (let i = 0; i < n; ) {
    const t = time[order[i]!]!;
    let deaths = 0;
    let count = 0;
    for (; i < n && time[order[i]!] === t; i++) {
      deaths += status[order[i]!]!;
      count++;
    }
    if (deaths > 0) weights.set(t, 1 / (g * g));
    const censored = count - deaths;
    if (censored > 0) g *= 1 - censored / (atRisk - deaths);
    atRisk -= count;
  }
  return weights;
}
