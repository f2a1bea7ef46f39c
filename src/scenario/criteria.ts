import { TrajsimError } from '../core/errors.js';
import { codeNotInVocabulary } from '../core/messages.js';
import type { Criterion } from './schema.js';

/**
 * A compiled inclusion test over one patient's events, given as columnar slices: `codes[i]`
 * indexes the model's vocabulary, `days[i]` is days since index, for i in [start, end).
 */
export type PatientPredicate = (
  codes: ArrayLike<number>,
  days: ArrayLike<number>,
  start: number,
  end: number,
) => boolean;

/** Per-criterion acceptance counts, for the requested-vs-achieved report. */
export interface CriteriaTally {
  readonly labels: readonly string[];
  /** Candidates that met criterion k. */
  readonly met: Float64Array;
  candidates: number;
  accepted: number;
}

/**
 * A human label for a criterion, e.g. `RECURRENCE within 730 days`.
 *
 * @example
 * describeCriterion({ code: 'RECURRENCE', within_days: 730 }) // => 'RECURRENCE within 730 days'
 */
export function describeCriterion(c: Criterion): string {
  if ('code' in c) {
    const window =
      c.within_days !== undefined && c.after_days !== undefined
        ? ` between day ${c.after_days} and ${c.within_days}`
        : c.within_days !== undefined
          ? ` within ${c.within_days} days`
          : c.after_days !== undefined
            ? ` on or after day ${c.after_days}`
            : '';
    return `${c.code}${window}`;
  }
  if ('not_code' in c)
    return `no ${c.not_code}${c.within_days !== undefined ? ` within ${c.within_days} days` : ''}`;
  const parts: string[] = [];
  if (c.min_events !== undefined) parts.push(`at least ${c.min_events} events`);
  if (c.max_events !== undefined) parts.push(`at most ${c.max_events} events`);
  return parts.join(' and ');
}

function codeIndex(code: string, vocabulary: readonly string[], where: string): number {
  const i = vocabulary.indexOf(code);
  if (i < 0) {
    throw new TrajsimError('SCENARIO', codeNotInVocabulary(code, vocabulary), { field: where });
  }
  return i;
}

function compileOne(c: Criterion, vocabulary: readonly string[], where: string): PatientPredicate {
  if ('code' in c) {
    const target = codeIndex(c.code, vocabulary, `${where}.code`);
    const lo = c.after_days ?? 0;
    const hi = c.within_days ?? Number.POSITIVE_INFINITY;
    return (codes, days, start, end) => {
      for (let i = start; i < end; i++) {
        if (codes[i] === target && days[i]! >= lo && days[i]! <= hi) return true;
      }
      return false;
    };
  }
  if ('not_code' in c) {
    const target = codeIndex(c.not_code, vocabulary, `${where}.not_code`);
    const hi = c.within_days ?? Number.POSITIVE_INFINITY;
    return (codes, days, start, end) => {
      for (let i = start; i < end; i++) if (codes[i] === target && days[i]! <= hi) return false;
      return true;
    };
  }
  const min = c.min_events ?? 0;
  const max = c.max_events ?? Number.POSITIVE_INFINITY;
  return (_codes, _days, start, end) => end - start >= min && end - start <= max;
}

/**
 * Compiles scenario criteria against a model vocabulary into one predicate (all must hold)
 * that also tallies how often each criterion is met. Throws SCENARIO naming `criteria[k]`
 * when a code is unknown, listing the known codes.
 *
 * @example
 * const { accept } = compileCriteria([{ code: 'RECURRENCE', within_days: 730 }], ['DEATH', 'RECURRENCE']);
 * accept(Int32Array.of(1, 0), Int32Array.of(400, 900), 0, 2) // => true
 */
export function compileCriteria(
  criteria: readonly Criterion[],
  vocabulary: readonly string[],
): { accept: PatientPredicate; tally: CriteriaTally } {
  const predicates = criteria.map((c, k) => compileOne(c, vocabulary, `criteria[${k}]`));
  const tally: CriteriaTally = {
    labels: criteria.map(describeCriterion),
    met: new Float64Array(criteria.length),
    candidates: 0,
    accepted: 0,
  };
  const accept: PatientPredicate = (codes, days, start, end) => {
    tally.candidates++;
    let all = true;
    for (let k = 0; k < predicates.length; k++) {
      if (predicates[k]!(codes, days, start, end)) tally.met[k]!++;
      else all = false;
    }
    if (all) tally.accepted++;
    return all;
  };
  return { accept, tally };
}
