import { TrajsimError } from '../core/errors.js';
import { codeNotInVocabulary, codeWithoutValues } from '../core/messages.js';
import type { Criterion } from './schema.js';

/**
 * A compiled inclusion test over one patient's events, given as columnar slices: `codes[i]`
 * indexes the model's vocabulary, `days[i]` is days since index, `values[i]` the event's
 * value (NaN: none; needed only by value criteria, absent: no event has a value), for i in
 * [start, end).
 */
export type PatientPredicate = (
  codes: ArrayLike<number>,
  days: ArrayLike<number>,
  start: number,
  end: number,
  values?: ArrayLike<number>,
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
    const value =
      c.value_above !== undefined && c.value_below !== undefined
        ? ` with value in (${c.value_above}, ${c.value_below})`
        : c.value_above !== undefined
          ? ` with value > ${c.value_above}`
          : c.value_below !== undefined
            ? ` with value < ${c.value_below}`
            : '';
    return `${c.code}${value}${window}`;
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

/**
 * A code criterion with a value bound: an event of the code in the window whose value lies
 * strictly inside (value_above, value_below); events without a value never match.
 */
function compileValueCriterion(
  c: Extract<Criterion, { code: string }>,
  target: number,
  vocabulary: readonly string[],
  valuedCodes: ArrayLike<number> | undefined,
  where: string,
): PatientPredicate {
  if (valuedCodes?.[target] !== 1) {
    const valued = vocabulary.filter((_, i) => valuedCodes?.[i] === 1);
    throw new TrajsimError('SCENARIO', codeWithoutValues(c.code, valued), {
      field: `${where}.${c.value_above !== undefined ? 'value_above' : 'value_below'}`,
    });
  }
  const lo = c.after_days ?? 0;
  const hi = c.within_days ?? Number.POSITIVE_INFINITY;
  const above = c.value_above ?? Number.NEGATIVE_INFINITY;
  const below = c.value_below ?? Number.POSITIVE_INFINITY;
  return (codes, days, start, end, values) => {
    if (!values) return false;
    for (let i = start; i < end; i++) {
      const v = values[i]!;
      // NaN (no value) fails both comparisons
      if (codes[i] === target && days[i]! >= lo && days[i]! <= hi && v > above && v < below) {
        return true;
      }
    }
    return false;
  };
}

function compileOne(
  c: Criterion,
  vocabulary: readonly string[],
  valuedCodes: ArrayLike<number> | undefined,
  where: string,
): PatientPredicate {
  if ('code' in c) {
    const target = codeIndex(c.code, vocabulary, `${where}.code`);
    if (c.value_above !== undefined || c.value_below !== undefined) {
      return compileValueCriterion(c, target, vocabulary, valuedCodes, where);
    }
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
 * that also tallies how often each criterion is met. A code criterion with `value_above` /
 * `value_below` holds when an event of the code in the window has a value strictly inside
 * the bounds (events without a value never match).
 *
 * @param criteria - the scenario's criteria
 * @param vocabulary - the model's codes
 * @param valuedCodes - the model's valued codes (`StepModel.valuedCodes`; 1 = valued), needed by value criteria
 * @throws TrajsimError SCENARIO naming `criteria[k]` when a code is unknown (listing the known
 *   codes) or a value criterion names a code that is not a valued code of the model (listing them)
 * @example
 * const { accept } = compileCriteria([{ code: 'RECURRENCE', within_days: 730 }], ['DEATH', 'RECURRENCE']);
 * accept(Int32Array.of(1, 0), Int32Array.of(400, 900), 0, 2) // => true
 */
export function compileCriteria(
  criteria: readonly Criterion[],
  vocabulary: readonly string[],
  valuedCodes?: ArrayLike<number>,
): { accept: PatientPredicate; tally: CriteriaTally } {
  const predicates = criteria.map((c, k) =>
    compileOne(c, vocabulary, valuedCodes, `criteria[${k}]`),
  );
  const tally: CriteriaTally = {
    labels: criteria.map(describeCriterion),
    met: new Float64Array(criteria.length),
    candidates: 0,
    accepted: 0,
  };
  const accept: PatientPredicate = (codes, days, start, end, values) => {
    tally.candidates++;
    let all = true;
    for (let k = 0; k < predicates.length; k++) {
      if (predicates[k]!(codes, days, start, end, values)) tally.met[k]!++;
      else all = false;
    }
    if (all) tally.accepted++;
    return all;
  };
  return { accept, tally };
}
