import { z } from 'zod';
import { checkJson, parseJsonText, readTextFile } from '../core/json-file.js';

/**
 * A threshold of one metric (all metrics are distances: larger is worse).
 *
 * - `maxValue`: an absolute bound on the value (synthetic vs full real); above it fails.
 * - `maxRatio`: a bound on the ratio to the noise floor (matched synthetic distance ÷
 *   real-vs-real distance, both at half size); above it fails, unless the value is at most
 *   `tolerance` (a difference too small to matter, whatever the noise floor says).
 * - `gate: false`: report only, never fail.
 * - `why`: the reason for the bound (e.g. its calibration), shown on the report's row.
 */
export const thresholdSchema = z
  .object({
    maxValue: z.number().nonnegative().optional(),
    maxRatio: z.number().positive().optional(),
    tolerance: z.number().nonnegative().optional(),
    gate: z.boolean().optional(),
    why: z.string().optional(),
  })
  .strict();

export type Threshold = z.infer<typeof thresholdSchema>;

/** A thresholds file: defaults for every metric, then per-metric entries (`*` matches any text). */
export const thresholdsSchema = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    version: z.literal(1),
    defaults: thresholdSchema,
    metrics: z.record(z.string(), thresholdSchema),
  })
  .strict();

export type Thresholds = z.infer<typeof thresholdsSchema>;

/**
 * Parses thresholds from JSON text; errors name the file and the path of the bad field.
 *
 * @throws TrajsimError INVALID_INPUT for invalid JSON or a schema violation.
 */
export function parseThresholds(text: string, file = 'thresholds'): Thresholds {
  return checkJson(parseJsonText(text, file), thresholdsSchema, file);
}

/**
 * Reads a thresholds file (thresholds/default.json's format: `version`, `defaults`, `metrics`
 * by id or `*` pattern), for `validateTimelineDirs({ thresholds })`.
 *
 * @param path - the JSON file.
 * @throws TrajsimError IO when it does not exist, INVALID_INPUT when it is invalid (naming the
 *   JSON path of the bad field).
 * @example
 * readThresholds('thresholds/default.json').version // => 1
 */
export function readThresholds(path: string): Thresholds {
  return parseThresholds(readTextFile(path, 'thresholds file does not exist'), path);
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * The threshold that applies to a metric id: an exact entry, else the first matching pattern
 * (file order), merged over the defaults.
 *
 * @example
 * thresholdFor({ version: 1, defaults: { maxRatio: 3 }, metrics: { 'os.*': { maxValue: 0.1 } } }, 'os.km.sup')
 * // => { maxRatio: 3, maxValue: 0.1 }
 */
export function thresholdFor(thresholds: Thresholds, metricId: string): Threshold {
  const exact = thresholds.metrics[metricId];
  if (exact) return { ...thresholds.defaults, ...exact };
  for (const [pattern, t] of Object.entries(thresholds.metrics)) {
    if (pattern.includes('*') && patternToRegExp(pattern).test(metricId)) {
      return { ...thresholds.defaults, ...t };
    }
  }
  return { ...thresholds.defaults };
}

/** The verdict of one metric against its threshold. */
export interface ThresholdVerdict {
  /** true pass, false fail, null not gated (gate: false, or the value is undefined). */
  readonly pass: boolean | null;
  /** Which bound failed: 'maxValue' or 'maxRatio'. */
  readonly failed: readonly ('maxValue' | 'maxRatio')[];
}

/**
 * Judges a metric: fails when value > maxValue, or when ratio > maxRatio and value > tolerance.
 * An undefined value (NaN) is not judged (pass null).
 *
 * @example
 * judgeMetric({ maxRatio: 2, tolerance: 0.01 }, 0.005, 4) // => { pass: true, failed: [] }
 */
export function judgeMetric(threshold: Threshold, value: number, ratio: number): ThresholdVerdict {
  if (threshold.gate === false || Number.isNaN(value)) return { pass: null, failed: [] };
  const failed: ('maxValue' | 'maxRatio')[] = [];
  if (threshold.maxValue !== undefined && value > threshold.maxValue) failed.push('maxValue');
  if (
    threshold.maxRatio !== undefined &&
    ratio > threshold.maxRatio &&
    !(threshold.tolerance !== undefined && value <= threshold.tolerance)
  ) {
    failed.push('maxRatio');
  }
  return { pass: failed.length === 0, failed };
}
