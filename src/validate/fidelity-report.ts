/**
 * The fidelity report: what `validate` writes as report.json and what `src/report/` renders.
 * Plain data: numbers, strings, arrays. In report.json a NaN is written as null and an
 * infinite ratio as the string "Infinity".
 */

import { toJsonText } from '../core/format.js';
import type { MetricValue } from './metric.js';
import type { PlausibilitySection } from './metrics/plausibility.js';
import type { PrivacyReport } from './privacy/privacy-report.js';
import type { Threshold } from './thresholds.js';

/** Mean, sample standard deviation and the values of a metric over the repeats. */
export interface Spread {
  readonly mean: number;
  readonly sd: number;
  readonly values: readonly number[];
}

/** One metric with its noise floor, matched comparison, ratio and verdict. */
export interface FidelityMetric extends MetricValue {
  /** d(A_r, B_r): real half vs real half. */
  readonly noiseFloor: Spread;
  /** d(A_r, S_r): real half vs a synthetic subsample of the other half's size. */
  readonly matched: Spread;
  /** matched.mean ÷ noiseFloor.mean (1 when both are 0; Infinity when only the floor is 0). */
  readonly ratio: number;
  readonly threshold: Threshold;
  /** true pass, false fail, null not gated. */
  readonly pass: boolean | null;
  readonly failed: readonly string[];
}

export const FINDING_CODES = {
  THRESHOLD_FAILED: 'THRESHOLD_FAILED',
  CONSTRAINT_VIOLATION: 'CONSTRAINT_VIOLATION',
  METRIC_UNDEFINED: 'METRIC_UNDEFINED',
  SMALL_SYNTHETIC: 'SMALL_SYNTHETIC',
  PLAUSIBILITY_FAILED: 'PLAUSIBILITY_FAILED',
} as const;

export type FindingCode = (typeof FINDING_CODES)[keyof typeof FINDING_CODES];

/** A validation finding: data, rendered by the report and the CLI. */
export interface Finding {
  readonly code: FindingCode;
  /** The metric id (or `constraints.<kind>`). */
  readonly path: string;
  readonly message: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly statistic: number;
  /** The bound that was compared with, or NaN when none applies. */
  readonly threshold: number;
}

/** A curve for a chart: points (x in days), optional pointwise band. */
export interface ChartCurve {
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly lower?: readonly number[];
  readonly upper?: readonly number[];
}

export interface FidelityCharts {
  readonly horizonDays: number;
  readonly os: {
    readonly real: ChartCurve;
    readonly synthetic: ChartCurve;
    readonly realMedian: { readonly value: number; readonly lower: number; readonly upper: number };
    readonly syntheticMedian: {
      readonly value: number;
      readonly lower: number;
      readonly upper: number;
    };
    readonly realRmst: { readonly tau: number; readonly value: number; readonly se: number };
    readonly syntheticRmst: { readonly tau: number; readonly value: number; readonly se: number };
  };
  readonly strata: readonly {
    readonly attribute: string;
    readonly level: string;
    readonly real: ChartCurve;
    readonly synthetic: ChartCurve;
  }[];
  readonly timeToFirst: readonly {
    readonly code: string;
    readonly real: ChartCurve;
    readonly synthetic: ChartCurve;
  }[];
  readonly gaps: { readonly real: ChartCurve; readonly synthetic: ChartCurve };
  readonly prevalence: readonly {
    readonly code: string;
    readonly real: number;
    readonly synthetic: number;
  }[];
  readonly transitions: {
    readonly from: readonly string[];
    readonly to: readonly string[];
    /** Row-normalised probabilities, [from][to]. */
    readonly real: readonly (readonly number[])[];
    readonly synthetic: readonly (readonly number[])[];
  };
}

export interface FidelityReport {
  readonly format: 'trajsim-fidelity-report';
  readonly formatVersion: 1;
  readonly passed: boolean;
  readonly real: { readonly name: string; readonly patients: number; readonly events: number };
  readonly synthetic: {
    readonly names: readonly string[];
    readonly patients: number;
    readonly events: number;
  };
  readonly settings: {
    readonly horizonDays: number;
    readonly repeats: number;
    readonly seed: string;
    readonly halfSizes: readonly [number, number];
    readonly matchedSize: number;
    readonly frequentCodes: readonly string[];
    readonly frequentTransitions: readonly string[];
    readonly strata: readonly { readonly attribute: string; readonly levels: readonly string[] }[];
    readonly coxMaxPatients: number;
  };
  readonly metrics: readonly FidelityMetric[];
  readonly findings: readonly Finding[];
  readonly charts: FidelityCharts;
  /** Contents of generation.json of each synthetic shard that has one. */
  readonly generation: readonly { readonly source: string; readonly content: unknown }[];
  /** Plausibility rules (mined from the real side plus the user's): violations real vs synthetic. */
  readonly plausibility?: PlausibilitySection;
  /** The privacy section (docs/privacy.md), when validate was given the training data. */
  readonly privacy?: PrivacyReport;
}

/**
 * report.json text: NaN → null, ±Infinity → "Infinity"/"-Infinity", two-space indent.
 *
 * @example
 * fidelityReportJson(report).startsWith('{') // => true
 */
export function fidelityReportJson(report: FidelityReport): string {
  return `${toJsonText(report, { indent: 2, infinity: 'string' })}\n`;
}
