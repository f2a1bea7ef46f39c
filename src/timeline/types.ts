/**
 * The timeline data contract (DESIGN.md, "The timeline"), in memory and columnar.
 *
 * A timeline holds patients (one row each: id, index date, static attributes) and their
 * events, grouped by patient in patient-row order and sorted by day within a patient.
 * Event `i` belongs to patient row `events.patient[i]`; the events of patient row `p` are
 * rows `offsets[p]` to `offsets[p + 1] - 1`. Missing values: a categorical attribute's code
 * is -1, a numeric attribute or an event value is NaN.
 */

/** The codes that end a timeline: exactly one, last. */
export const TERMINAL_CODES = {
  DEATH: 'DEATH',
  END_OF_FOLLOWUP: 'END_OF_FOLLOWUP',
} as const;

export type TerminalCode = (typeof TERMINAL_CODES)[keyof typeof TERMINAL_CODES];

/**
 * True for `DEATH` and `END_OF_FOLLOWUP`.
 *
 * @example
 * isTerminalCode('DEATH') // => true
 * isTerminalCode('RECURRENCE') // => false
 */
export function isTerminalCode(code: string): code is TerminalCode {
  return code === TERMINAL_CODES.DEATH || code === TERMINAL_CODES.END_OF_FOLLOWUP;
}

export const ATTRIBUTE_KINDS = { CATEGORICAL: 'categorical', NUMERIC: 'numeric' } as const;
export type AttributeKind = (typeof ATTRIBUTE_KINDS)[keyof typeof ATTRIBUTE_KINDS];

/** A categorical attribute: `codes[p]` indexes `levels`, -1 is missing. */
export interface CategoricalAttribute {
  readonly name: string;
  readonly kind: 'categorical';
  readonly levels: readonly string[];
  readonly codes: Int32Array;
}

/** A numeric attribute: `values[p]`, NaN is missing. */
export interface NumericAttribute {
  readonly name: string;
  readonly kind: 'numeric';
  readonly values: Float64Array;
}

export type Attribute = CategoricalAttribute | NumericAttribute;

/** The shape of an attribute without its data (what a model or writer needs to know). */
export type AttributeSpec =
  | { readonly name: string; readonly kind: 'categorical'; readonly levels: readonly string[] }
  | { readonly name: string; readonly kind: 'numeric' };

export interface PatientTable {
  readonly ids: readonly string[];
  /** index_date as days since 1970-01-01 (Arrow Date32). */
  readonly indexDay: Int32Array;
  readonly attributes: readonly Attribute[];
}

export interface EventTable {
  /** Patient row of each event. */
  readonly patient: Int32Array;
  /** Days since the patient's index date, >= 0. */
  readonly day: Int32Array;
  /** Index into `codes`. */
  readonly code: Int32Array;
  /** NaN where missing. */
  readonly value: Float64Array;
  /** The code dictionary. */
  readonly codes: readonly string[];
}

export interface Timeline {
  readonly name: string;
  readonly patients: PatientTable;
  readonly events: EventTable;
  /** Length patients + 1: events of patient p are offsets[p] .. offsets[p+1]-1. */
  readonly offsets: Int32Array;
}

/** The metadata file `timeline.json` of a timeline directory. */
export interface TimelineManifest {
  readonly format: 'trajsim-timeline';
  readonly formatVersion: 1;
  readonly name: string;
  readonly source: string;
  readonly attributes: readonly AttributeSpec[];
  readonly codes: readonly string[];
  readonly counts: {
    readonly patients: number;
    readonly events: number;
    readonly deaths: number;
    readonly censored: number;
  };
  /** sha256 of patients.arrow then events.arrow bytes. */
  readonly contentHash: string;
}

/** File names inside a timeline directory. */
export const TIMELINE_FILES = {
  PATIENTS: 'patients.arrow',
  EVENTS: 'events.arrow',
  MANIFEST: 'timeline.json',
  /** Written by `generate` beside a synthetic timeline: scenario, model, seed, requested vs achieved. */
  GENERATION: 'generation.json',
} as const;
