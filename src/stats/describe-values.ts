import type { Timeline } from '../timeline/types.js';
import { sortedQuantile } from './sample-distances.js';

/** The values of one code, as `trajsim inspect` shows them. */
export interface CodeValueDescription {
  readonly code: string;
  /** Events of the code. */
  readonly events: number;
  /** Events of the code with a value. */
  readonly withValue: number;
  /** Share of the code's events without a value (NaN): (events − withValue) / events. */
  readonly missingShare: number;
  readonly min: number;
  /** Median, R's type-7 quantile. */
  readonly median: number;
  readonly mean: number;
  readonly max: number;
  /** True when every value is an integer (a count, a score, a 0/1 flag). */
  readonly integer: boolean;
  /** Distinct values (at most 1 000 counted; 1 001 means "more"). */
  readonly distinct: number;
}

const MAX_DISTINCT = 1000;

/**
 * Per-code summaries of event values: for each code with at least one value, the number of
 * events and of values, the missing share, min / median / mean / max, whether all values are
 * integers and how many distinct values there are. Codes in dictionary order. One columnar
 * pass; codes without any value are left out.
 *
 * @param t - a timeline.
 * @returns one description per code that has values.
 * @throws nothing.
 * @example
 * describeValues(nafld).find((v) => v.code === 'LAB:smoke')
 * // => { code: 'LAB:smoke', events: 4159, withValue: 4159, missingShare: 0, min: 0, ..., integer: true, distinct: 2 }
 */
export function describeValues(t: Timeline): CodeValueDescription[] {
  const { code, value, codes } = t.events;
  const k = codes.length;
  const events = new Int32Array(k);
  const withValue = new Int32Array(k);
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    events[c]!++;
    if (!Number.isNaN(value[i]!)) withValue[c]!++;
  }
  const columns = Array.from({ length: k }, (_, c) => new Float64Array(withValue[c]!));
  const fill = new Int32Array(k);
  for (let i = 0; i < code.length; i++) {
    const v = value[i]!;
    if (Number.isNaN(v)) continue;
    const c = code[i]!;
    columns[c]![fill[c]!++] = v;
  }
  const out: CodeValueDescription[] = [];
  for (let c = 0; c < k; c++) {
    const n = withValue[c]!;
    if (n === 0) continue;
    const sorted = columns[c]!.sort();
    let sum = 0;
    let integer = true;
    let distinct = 0;
    for (let i = 0; i < n; i++) {
      const v = sorted[i]!;
      sum += v;
      if (!Number.isInteger(v)) integer = false;
      if ((i === 0 || v !== sorted[i - 1]) && distinct <= MAX_DISTINCT) distinct++;
    }
    out.push({
      code: codes[c]!,
      events: events[c]!,
      withValue: n,
      missingShare: (events[c]! - n) / events[c]!,
      min: sorted[0]!,
      median: sortedQuantile(sorted, 0.5),
      mean: sum / n,
      max: sorted[n - 1]!,
      integer,
      distinct,
    });
  }
  return out;
}
