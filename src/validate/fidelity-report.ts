/**
 * The fidelity report: what `validate` writes as report.json and what `src/report/` renders.
 * Plain data: numbers, strings, arrays. In report.json a NaN is written as null and an
 * infinite ratio as the string "Infinity".
 */

import { toJsonText } from '../core/format.js';
import type { ValueTrajectory } from './chart-values.js';
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

/** Numbers at risk at round time points (multiples of a year or of a fraction of one). */
export interface AtRiskTable {
  /** The time points, in days (e.g. 0, 365, 730, … for yearly points). */
  readonly days: readonly number[];
  /** Real patients still at risk (no event, not censored) just before each day. */
  readonly real: readonly number[];
  /** Synthetic patients still at risk just before each day. */
  readonly synthetic: readonly number[];
}

/** Points (day, curve value) where patients were censored, for tick marks on a curve. */
export interface CensorMarks {
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/**
 * One Kaplan–Meier (or cumulative-incidence) panel as the field draws it: both curves with
 * their 95% pointwise bands, censoring marks, and the numbers at risk under the plot.
 */
export interface SurvivalPanel {
  readonly real: ChartCurve;
  readonly synthetic: ChartCurve;
  readonly censorReal: CensorMarks;
  readonly censorSynthetic: CensorMarks;
  readonly atRisk: AtRiskTable;
  /** Real and synthetic patients in the panel. */
  readonly patients: { readonly real: number; readonly synthetic: number };
}

/** A level not plotted or compared per level, and why. */
export interface ExcludedLevel {
  readonly attribute: string;
  readonly level: string;
  /** Real patients with the level, and their share of all real patients. */
  readonly realPatients: number;
  readonly realShare: number;
  readonly syntheticPatients: number;
  /**
   * `below-min-share`: fewer than `minShare` of real patients have it; `only-level`: the
   * only level of its attribute at or above `minShare`, so there is nothing to compare with.
   */
  readonly reason: 'below-min-share' | 'only-level';
  readonly minShare: number;
}

/** One Cox term, real and synthetic hazard ratios with their 95% Wald intervals. */
export interface ForestTerm {
  /** The design column name, e.g. `node41` (as R names it). */
  readonly term: string;
  readonly attribute: string;
  /** The level compared with the reference; null for a numeric attribute (per unit). */
  readonly level: string | null;
  /** The reference level; null for a numeric attribute. */
  readonly reference: string | null;
  readonly real: { readonly hr: number; readonly lower: number; readonly upper: number };
  /** NaN hr when the synthetic fit has no such term. */
  readonly synthetic: { readonly hr: number; readonly lower: number; readonly upper: number };
}

/** Data of the Cox forest plot; `note` says why it is empty when a fit failed. */
export interface ForestData {
  readonly terms: readonly ForestTerm[];
  readonly note?: string;
}

export interface FidelityCharts {
  readonly horizonDays: number;
  readonly os: SurvivalPanel & {
    readonly realMedian: { readonly value: number; readonly lower: number; readonly upper: number };
    readonly syntheticMedian: {
      readonly value: number;
      readonly lower: number;
      readonly upper: number;
    };
    readonly realRmst: { readonly tau: number; readonly value: number; readonly se: number };
    readonly syntheticRmst: { readonly tau: number; readonly value: number; readonly se: number };
    /** Log-rank test of real vs synthetic over the whole follow-up. */
    readonly logRank: { readonly chisq: number; readonly df: number; readonly p: number };
  };
  readonly strata: readonly (SurvivalPanel & {
    readonly attribute: string;
    readonly level: string;
  })[];
  /** Levels held by real patients that are not in `strata`, with the reason. */
  readonly excludedLevels: readonly ExcludedLevel[];
  readonly timeToFirst: readonly (SurvivalPanel & { readonly code: string })[];
  readonly forest: ForestData;
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
  /** Value trajectories per valued code (issue 10); absent in reports written before them. */
  readonly values?: readonly ValueTrajectory[];
}

/**
 * Where the compared data came from, for the report's provenance table. Every field is
 * optional: a report assessed in memory has none of the file-based ones.
 */
export interface ReportProvenance {
  readonly trajsimVersion: string;
  /** ISO 8601 UTC time the report was made (an input: the library never reads the clock). */
  readonly createdAt?: string;
  readonly commandLine?: readonly string[];
  /** The thresholds file, or 'built-in default (thresholds/default.json)'. */
  readonly thresholdsFile?: string;
  readonly real?: {
    readonly path: string;
    readonly contentHash: string;
    readonly patients: number;
    readonly events: number;
    readonly deaths: number;
    readonly censored: number;
  };
  readonly synthetic?: readonly {
    readonly path: string;
    readonly contentHash: string;
    readonly patients: number;
    readonly events: number;
    /** From generation.json (absent when the directory has none). */
    readonly scenario?: string;
    readonly generationSeed?: string;
    readonly backend?: string;
    readonly engine?: string;
    readonly shard?: string;
    readonly modelDir?: string;
    readonly modelFingerprint?: string;
    /** From the model's manifest.json, when it is found at the recorded path. */
    readonly modelTrainingDataHash?: string;
    readonly modelTrainingData?: string;
    readonly modelSeed?: string;
    readonly modelValidationNll?: number;
  }[];
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
  /** Where the data came from (set by `validateTimelineDirs` and the CLI). */
  readonly provenance?: ReportProvenance;
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
