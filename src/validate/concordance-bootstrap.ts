/**
 * Paired bootstrap intervals of concordance indices and of their differences, for comparing
 * predictors scored on the same patients (twins against the Cox baseline).
 */

import { TrajsimError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { type ConcordanceOptions, concordanceIndex } from '../stats/concordance-index.js';

/** A percentile bootstrap interval. */
export interface BootstrapInterval {
  readonly lower: number;
  readonly upper: number;
  /** Standard deviation of the bootstrap replicates. */
  readonly se: number;
}

/** What {@link bootstrapConcordance} returns. */
export interface ConcordanceBootstrap {
  /** Interval of each predictor's C. */
  readonly intervals: readonly BootstrapInterval[];
  /** Interval of C(predictor) − C(reference) for each predictor (zero-width for the reference). */
  readonly differences: readonly BootstrapInterval[];
  /** Replicates with a defined C for every predictor (others are skipped). */
  readonly replicates: number;
}

/**
 * Resamples the patients with replacement `replicates` times (the same resample for every
 * predictor: a paired bootstrap) and recomputes each predictor's concordance index; returns
 * percentile intervals at `level` of each C and of each C minus the reference predictor's C.
 * Ties in the resample (a patient drawn twice) are handled as by {@link concordanceIndex}.
 *
 * @param time - follow-up times, finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param risks - one risk score per predictor, each of the length of `time`.
 * @param options - C options (weighting, tau), replicates (≥ 2), level (default 0.95), the
 *   index of the reference predictor, and the seeded stream to draw from.
 * @returns the intervals, the difference intervals and the replicates used.
 * @throws TrajsimError INVALID_ARGUMENT for fewer than 2 replicates, a level outside (0, 1), a
 *   reference out of range, or (from concordanceIndex) bad inputs.
 * @example
 * const b = bootstrapConcordance(time, status, [twins, cox], { replicates: 200, reference: 1, rng: new Rng(1) });
 * b.differences[0] // => { lower: −0.03, upper: 0.01, se: 0.01 } (twins − Cox)
 */
export function bootstrapConcordance(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  risks: readonly ArrayLike<number>[],
  options: ConcordanceOptions & {
    readonly replicates: number;
    readonly reference: number;
    readonly rng: Rng;
    readonly level?: number;
  },
): ConcordanceBootstrap {
  const { replicates, reference, rng } = options;
  const level = options.level ?? 0.95;
  if (!(Number.isInteger(replicates) && replicates >= 2)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `bootstrap replicates is ${replicates}; expected an integer >= 2`,
      { field: 'replicates' },
    );
  }
  if (!(level > 0 && level < 1) || !(reference >= 0 && reference < risks.length)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `bootstrap level ${level} and reference ${reference}: expected a level in (0, 1) and a predictor index`,
    );
  }
  const n = time.length;
  const c = { weighting: options.weighting ?? 'harrell', tau: options.tau ?? Infinity } as const;
  const draws = risks.map(() => [] as number[]);
  const t = new Float64Array(n);
  const s = new Uint8Array(n);
  const r = new Float64Array(n);
  for (let b = 0; b < replicates; b++) {
    const pick = Int32Array.from({ length: n }, () => rng.int(n));
    pick.forEach((i, j) => {
      t[j] = time[i]!;
      s[j] = status[i]!;
    });
    const values = risks.map((risk) => {
      pick.forEach((i, j) => {
        r[j] = risk[i]!;
      });
      return concordanceIndex(t, s, r, c).concordance;
    });
    if (values.some((v) => !Number.isFinite(v))) continue;
    values.forEach((v, k) => {
      draws[k]!.push(v);
    });
  }
  const ref = draws[reference]!;
  return {
    intervals: draws.map((d) => percentileInterval(d, level)),
    differences: draws.map((d) =>
      percentileInterval(
        d.map((v, j) => v - ref[j]!),
        level,
      ),
    ),
    replicates: ref.length,
  };
}

function percentileInterval(values: readonly number[], level: number): BootstrapInterval {
  const m = values.length;
  if (m < 2) return { lower: Number.NaN, upper: Number.NaN, se: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => {
    const x = q * (m - 1);
    const lo = Math.floor(x);
    const hi = Math.min(m - 1, lo + 1);
    return sorted[lo]! + (x - lo) * (sorted[hi]! - sorted[lo]!);
  };
  let mean = 0;
  for (const v of values) mean += v;
  mean /= m;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  return { lower: at((1 - level) / 2), upper: at((1 + level) / 2), se: Math.sqrt(ss / (m - 1)) };
}
