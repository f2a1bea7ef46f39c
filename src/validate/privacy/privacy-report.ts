import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { toJsonText } from '../../core/format.js';
import { checkJson, parseJsonText, readTextFile } from '../../core/json-file.js';

/**
 * The gate of one privacy metric: it fails when the value is above `max` (or below `min`)
 * AND its 95% interval excludes the metric's null value (the value expected without
 * memorisation). `gate: false`: reported, never fails.
 */
export const privacyThresholdSchema = z
  .object({
    max: z.number().optional(),
    min: z.number().optional(),
    gate: z.boolean().optional(),
  })
  .strict();

export type PrivacyThreshold = z.infer<typeof privacyThresholdSchema>;

export const privacyThresholdsSchema = z
  .object({
    description: z.string().optional(),
    version: z.literal(1),
    metrics: z.record(z.string(), privacyThresholdSchema),
  })
  .strict();

export type PrivacyThresholds = z.infer<typeof privacyThresholdsSchema>;

/** One privacy metric with its 95% interval, null value, threshold and verdict. */
export interface PrivacyMetric {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
  /** The value expected when the generator does not memorise its training data. */
  readonly nullValue: number;
  readonly threshold: PrivacyThreshold;
  /** true pass, false fail, null not gated (or undefined value). */
  readonly pass: boolean | null;
  readonly details: Readonly<Record<string, number>>;
  readonly note?: string;
}

/** The privacy part of a validation (report.json `privacy`, or `trajsim privacy` output). */
export interface PrivacyReport {
  readonly format: 'trajsim-privacy-report';
  readonly formatVersion: 1;
  readonly passed: boolean;
  readonly train: { readonly name: string; readonly patients: number };
  readonly holdout: { readonly name: string; readonly patients: number };
  readonly synthetic: { readonly name: string; readonly patients: number };
  readonly settings: {
    readonly seed: string;
    readonly timeScaleDays: number;
    readonly attributeWeight: number;
    /** Training and holdout records compared per side (equal sizes) in the DCR share. */
    readonly dcrRecords: number;
    /** Synthetic records sampled for the DCR metrics. */
    readonly dcrQueries: number;
    /** Members and non-members per side in the membership-inference attacks. */
    readonly attackRecords: number;
    /** Holdout records used as the reference density of the DOMIAS-style attack. */
    readonly referenceRecords: number;
    readonly domiasK: number;
    readonly attacks: readonly string[];
    /** Where the holdout came from (e.g. "--holdout out/h" or "the --real timeline"). */
    readonly holdoutSource: string;
  };
  readonly metrics: readonly PrivacyMetric[];
}

/** The shipped privacy thresholds (`thresholds/privacy.json`). */
export const DEFAULT_PRIVACY_THRESHOLDS_URL = new URL(
  '../../../thresholds/privacy.json',
  import.meta.url,
);

/**
 * Parses privacy thresholds; errors name the file and the field.
 *
 * @throws TrajsimError INVALID_INPUT for invalid JSON or a schema violation.
 * @example
 * parsePrivacyThresholds('{"version":1,"metrics":{"dcr.share":{"max":0.52}}}').metrics['dcr.share'] // => { max: 0.52 }
 */
export function parsePrivacyThresholds(
  text: string,
  file = 'privacy thresholds',
): PrivacyThresholds {
  return checkJson(parseJsonText(text, file), privacyThresholdsSchema, file);
}

/**
 * Reads a privacy thresholds file.
 *
 * @throws TrajsimError IO when it does not exist, INVALID_INPUT when it is invalid.
 * @example
 * readPrivacyThresholds('thresholds/privacy.json').version // => 1
 */
export function readPrivacyThresholds(path: string): PrivacyThresholds {
  return parsePrivacyThresholds(readTextFile(path, 'privacy thresholds file does not exist'), path);
}

/**
 * The shipped privacy thresholds, read and validated.
 *
 * @throws TrajsimError INVALID_INPUT if the shipped file is broken.
 * @example
 * defaultPrivacyThresholds().metrics['mia.max_auc'] // => { max: 0.55 }
 */
export function defaultPrivacyThresholds(): PrivacyThresholds {
  return parsePrivacyThresholds(
    readFileSync(DEFAULT_PRIVACY_THRESHOLDS_URL, 'utf8'),
    DEFAULT_PRIVACY_THRESHOLDS_URL.pathname,
  );
}

/**
 * The threshold of a metric id: the exact entry, else the first pattern (`*` any text) that
 * matches, else no gate.
 *
 * @example
 * privacyThresholdFor(defaultPrivacyThresholds(), 'mia.auc.distance') // => { gate: false }
 */
export function privacyThresholdFor(thresholds: PrivacyThresholds, id: string): PrivacyThreshold {
  const exact = thresholds.metrics[id];
  if (exact) return exact;
  for (const [pattern, t] of Object.entries(thresholds.metrics)) {
    if (!pattern.includes('*')) continue;
    const re = new RegExp(
      `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`,
    );
    if (re.test(id)) return t;
  }
  return { gate: false };
}

/**
 * The verdict of a privacy metric (see {@link PrivacyThreshold}); NaN values are not judged.
 *
 * @example
 * judgePrivacyMetric({ max: 0.55 }, { value: 0.6, lower: 0.52, upper: 0.68, nullValue: 0.5 }) // => false
 */
export function judgePrivacyMetric(
  t: PrivacyThreshold,
  m: { value: number; lower: number; upper: number; nullValue: number },
): boolean | null {
  if (t.gate === false || Number.isNaN(m.value)) return null;
  if (t.max === undefined && t.min === undefined) return null;
  if (t.max !== undefined && m.value > t.max && !(m.lower <= m.nullValue)) return false;
  if (t.min !== undefined && m.value < t.min && !(m.upper >= m.nullValue)) return false;
  return true;
}

/**
 * privacy.json text, written like report.json: NaN → null, ±Infinity → "Infinity", two-space
 * indent.
 *
 * @example
 * privacyReportJson(report).startsWith('{') // => true
 */
export function privacyReportJson(report: PrivacyReport): string {
  return `${toJsonText(report, { indent: 2, infinity: 'string' })}\n`;
}
