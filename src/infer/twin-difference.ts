/** Differences between the intervened and observed arms of counterfactual twins. */

import { csvField } from '../timeline/export.js';
import type { TwinSummaryRow } from './twin-summary.js';

/** Per-patient and average differences intervened − observed. */
export interface TwinArmDifference {
  /** [patients][codes × horizons]: risk(intervened) − risk(observed). */
  readonly risk: readonly Float64Array[];
  /** Mean over patients of `risk`. */
  readonly meanRisk: Float64Array;
  /** Mean difference of the median time to death (days; NaN when undefined for any patient). */
  readonly meanMedianDeathDays: number;
}

/**
 * Per-patient and mean differences of the predicted risks, intervened − observed (rows of the
 * same patients in the same order).
 *
 * @param observed - the observed arm's rows.
 * @param intervened - the intervened arm's rows.
 * @returns per-patient and mean risk differences, and the mean difference of the median time to death.
 * @throws nothing.
 * @example
 * armDifference(observed, intervened).meanRisk // => [codes × horizons] mean differences
 */
export function armDifference(
  observed: readonly TwinSummaryRow[],
  intervened: readonly TwinSummaryRow[],
): TwinArmDifference {
  const width = observed[0]?.risk.length ?? 0;
  const risk = observed.map((o, i) => {
    const d = new Float64Array(width);
    for (let j = 0; j < width; j++) d[j] = intervened[i]!.risk[j]! - o.risk[j]!;
    return d;
  });
  const meanRisk = new Float64Array(width);
  for (const d of risk) for (let j = 0; j < width; j++) meanRisk[j]! += d[j]! / risk.length;
  let median = 0;
  observed.forEach((o, i) => {
    median += (intervened[i]!.medianDeathDays - o.medianDeathDays) / observed.length;
  });
  return { risk, meanRisk, meanMedianDeathDays: median };
}

/**
 * difference.csv: one row per patient (`CODE@Hd` = intervened − observed), then `mean`.
 *
 * @param observed - the observed arm's rows (ids).
 * @param d - the differences.
 * @param codes - the model's codes.
 * @param horizons - the horizons (days).
 * @returns the CSV text.
 * @throws nothing.
 * @example
 * differenceCsv(rows, d, codes, [365]).split('\n').at(-2) // => 'mean,...'
 */
export function differenceCsv(
  observed: readonly TwinSummaryRow[],
  d: TwinArmDifference,
  codes: readonly string[],
  horizons: readonly number[],
): string {
  const header = ['patient_id', ...codes.flatMap((c) => horizons.map((h) => `${c}@${h}d`))];
  const line = (id: string, v: Float64Array) =>
    [csvField(id), ...Array.from(v, (x) => (Number.isNaN(x) ? 'NA' : String(x)))].join(',');
  return `${[
    header.map(csvField).join(','),
    ...observed.map((o, i) => line(o.patientId, d.risk[i]!)),
    line('mean', d.meanRisk),
  ].join('\n')}\n`;
}
