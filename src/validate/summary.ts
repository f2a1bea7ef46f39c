/**
 * The mergeable summary of a timeline that every fidelity metric is computed from.
 *
 * Days are integers, so every empirical distribution a metric needs is a count table
 * (`counts[k]` = number of observations equal to k): inter-event gaps, events per patient,
 * follow-up, and the Kaplan–Meier / Aalen–Johansen risk tables (events and censorings per
 * day). Count tables of two shards add up to the count table of their union, so a summary of
 * a sharded synthetic cohort is the sum of its shards' summaries (`mergeSummaries`) and the
 * metrics are exactly those of the whole cohort. Codes and attribute levels are keyed by name,
 * so shards with different dictionaries merge correctly.
 *
 * The parts that are not count tables are `perPatient` (overall-survival time, status and
 * attributes per patient), kept for the Cox model, and `values` (event values per code, which
 * are real numbers); both merge by concatenation.
 *
 * This module holds the summary's shape; `summarize-timeline.ts` computes it.
 */

import type { Attribute } from '../timeline/types.js';
import type { CodeValues } from './value-summary.js';

/** Separator of the codes inside a transition or n-gram key. */
export const KEY_SEPARATOR = '\u001f';
/** The pseudo-code before a patient's first event (row START of the transition matrix). */
export const START_CODE = '<start>';

/** Event and censoring counts per day: a Kaplan–Meier risk table. */
export interface SurvivalCounts {
  readonly events: Float64Array;
  readonly censored: Float64Array;
}

/** Per-day counts of a competing-risks endpoint (time to first occurrence of a code). */
export interface CompetingCounts {
  /** The code's first occurrence on day k. */
  readonly event: Float64Array;
  /** Died on day k without the code (the competing event). */
  readonly competing: Float64Array;
  /** Censored (END_OF_FOLLOWUP) on day k without the code. */
  readonly censored: Float64Array;
}

/** Counts of broken clinical constraints; a faithful timeline has all zero. */
export interface ConstraintViolations {
  /** Events that come after a terminal event (DEATH / END_OF_FOLLOWUP) of the same patient. */
  readonly eventsAfterTerminal: number;
  /** Events with a negative day. */
  readonly negativeDays: number;
  /** Events whose day is earlier than the previous event's day (same patient). */
  readonly daysBackwards: number;
  /** Patients with no terminal event at all (including patients with no events). */
  readonly missingTerminal: number;
  /** Patients with more than one terminal event. */
  readonly multipleTerminal: number;
}

/** Per-patient columns kept for the Cox model (merge by concatenation). */
export interface PatientColumns {
  /** Day of the last event (overall survival time). */
  readonly osDay: Int32Array;
  /** 1 when the last event is DEATH, else 0. */
  readonly osStatus: Uint8Array;
  /** The timeline's static attributes, restricted to the summarised patients. */
  readonly attributes: readonly Attribute[];
}

/** A mergeable summary of a timeline (or of a shard, or of a subset of patients). */
export interface TimelineSummary {
  readonly patients: number;
  readonly events: number;
  /** Codes seen in the source dictionaries, in first-seen order. */
  readonly codes: readonly string[];
  /** eventsPerPatient[n] = number of patients with n events. */
  readonly eventsPerPatient: Float64Array;
  /** Number of events of each code. */
  readonly codeEvents: ReadonlyMap<string, number>;
  /** Number of patients with at least one event of each code. */
  readonly codePatients: ReadonlyMap<string, number>;
  /** Consecutive pairs `from␟to` (from may be {@link START_CODE}) → count. */
  readonly transitions: ReadonlyMap<string, number>;
  /** Consecutive triples `a␟b␟c` → count. */
  readonly trigrams: ReadonlyMap<string, number>;
  /** Days between consecutive events of a patient, all transitions. */
  readonly gaps: Float64Array;
  /** Gap count table per transition key `from␟to` (from is never START). */
  readonly gapsByTransition: ReadonlyMap<string, Float64Array>;
  /** Day of each patient's last event. */
  readonly followUp: Float64Array;
  /** Overall survival: DEATH as the event, END_OF_FOLLOWUP as censoring. */
  readonly os: SurvivalCounts;
  /** Time to first occurrence per non-terminal code, death competing. */
  readonly firstOccurrence: ReadonlyMap<string, CompetingCounts>;
  /** Overall survival per level of each categorical attribute (attribute → level → counts). */
  readonly osByLevel: ReadonlyMap<string, ReadonlyMap<string, SurvivalCounts>>;
  readonly violations: ConstraintViolations;
  /** Event values per non-terminal code with events (value-summary.ts; merges by concatenation). */
  readonly values: ReadonlyMap<string, CodeValues>;
  readonly perPatient: PatientColumns;
}

/**
 * Splits a `from␟to` (or n-gram) key into its codes.
 *
 * @example
 * splitKey('A\u001fB\u001fC') // => ['A', 'B', 'C']
 */
export function splitKey(key: string): string[] {
  return key.split(KEY_SEPARATOR);
}
