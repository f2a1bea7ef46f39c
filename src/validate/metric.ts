/**
 * The shape of one fidelity metric value and the context every metric is computed in.
 * Every metric is a distance: 0 means identical, larger is worse.
 */

/** Metric families, in report order. */
export const METRIC_FAMILIES = {
  CONSTRAINTS: 'constraints',
  STRUCTURE: 'structure',
  TIME: 'time',
  SURVIVAL: 'survival',
  VALUES: 'values',
} as const;

export type MetricFamily = (typeof METRIC_FAMILIES)[keyof typeof METRIC_FAMILIES];

/** One metric computed between two summaries (the first is always the reference side). */
export interface MetricValue {
  /** Stable dotted id, e.g. `os.km.sup` or `time_to_first.RECURRENCE.cif_sup`. */
  readonly id: string;
  readonly family: MetricFamily;
  /** Human-readable name. */
  readonly label: string;
  /** Unit of `value`: 'probability', 'days', 'events', 'bits', 'fraction', 'count', 'chi-square'. */
  readonly unit: string;
  /** The distance; NaN when undefined (e.g. an empty side), with the reason in `note`. */
  readonly value: number;
  readonly note?: string;
  /** Per-item breakdown (per code, per transition, per level, per Cox term). */
  readonly details?: Readonly<Record<string, number>>;
}

/**
 * What the metrics compare, fixed once from the full real summary so that the synthetic
 * comparison, the real-vs-real noise floor and the matched comparisons compute the same list.
 */
export interface MetricContext {
  /** Survival and time-to-event curves are compared on days 0..horizonDays. */
  readonly horizonDays: number;
  /** Non-terminal codes whose time to first occurrence is compared. */
  readonly frequentCodes: readonly string[];
  /** Transition keys `from␟to` whose gap distributions are compared. */
  readonly frequentTransitions: readonly string[];
  /** A level is compared (and plotted) when at least this fraction of real patients has it. */
  readonly minLevelShare: number;
  /** Categorical attributes and the levels whose overall survival is compared. */
  readonly strata: readonly { readonly attribute: string; readonly levels: readonly string[] }[];
  /** Number of most frequent n-grams whose overlap is measured. */
  readonly topNgrams: number;
  /** At most this many patients enter a Cox fit (a seeded subsample beyond it). */
  readonly coxMaxPatients: number;
  /** Seed of the Cox subsample. */
  readonly seed: string;
  /** Codes whose event values are compared, with the real mean and SD used to standardise. */
  readonly valuedCodes: readonly ValuedCode[];
}

/** A code that carries values in the real data (metric-context.ts says when). */
export interface ValuedCode {
  readonly code: string;
  /** Mean of the real values. */
  readonly mean: number;
  /** Sample SD of the real values (1 when they are constant). */
  readonly sd: number;
  /** Real consecutive pairs of values within patients (autocorrelation and slope need ≥ 30). */
  readonly pairs: number;
  /** Real deaths after a measurement of the code (the value → death Cox model needs ≥ 10). */
  readonly deaths: number;
}
