/**
 * The mergeable summary of event values (lab results, markers) per code, part of a
 * {@link TimelineSummary}. Values are real numbers, so unlike the integer-day count tables they
 * are kept as columns of the raw observations (values, consecutive pairs, counting-process
 * intervals); the summary of the union of shards is the concatenation of the shards' columns
 * in shard order, exactly the columns of the whole cohort read in one pass. A missing value
 * (NaN) counts in `missing` and is otherwise skipped: it is not a measurement.
 */

import { GrowableColumn } from '../core/growable.js';
import type { Timeline } from '../timeline/types.js';

/** Counting-process rows (tstart, tstop] of the most recent value as a time-dependent covariate. */
export interface ValueIntervals {
  /** Day the value was measured (the interval is open on the left). */
  readonly start: Int32Array;
  /** Day of the next measurement of the code, or the terminal day. */
  readonly stop: Int32Array;
  /** 1 when the interval ends with the patient's DEATH. */
  readonly event: Uint8Array;
  /** The value in force on the interval. */
  readonly value: Float64Array;
}

/** The values of one code in a summary. */
export interface CodeValues {
  /** Events of the code. */
  readonly events: number;
  /** Events of the code without a value (NaN). */
  readonly missing: number;
  /** The non-missing values, in event order. */
  readonly values: Float64Array;
  /** Per value: days from its event to the patient's terminal event. */
  readonly daysToEnd: Int32Array;
  /** Per value: 1 when the patient's terminal event is DEATH. */
  readonly died: Uint8Array;
  /** Consecutive values of the code in one patient: the earlier one... */
  readonly lagPrev: Float64Array;
  /** ...the later one... */
  readonly lagNext: Float64Array;
  /** ...and the days between them (0 for a same-day repeat). */
  readonly lagDays: Int32Array;
  /**
   * The most recent value as a time-dependent covariate of DEATH, as R's
   * `tmerge(..., v = tdc(day, value))` builds it: one row (d_j, d_j+1] per measurement day d_j
   * before the terminal day T (the last value of a day wins), the last row ending at T with
   * the death status. Time before the first measurement, and measurements on day T, give no row.
   */
  readonly intervals: ValueIntervals;
}

const f64 = (n: number) => new Float64Array(n);
const i32 = (n: number) => new Int32Array(n);
const u8 = (n: number) => new Uint8Array(n);

/** Growable columns of one code. */
class CodeColumns {
  events = 0;
  missing = 0;
  readonly values = new GrowableColumn(f64, 16);
  readonly daysToEnd = new GrowableColumn(i32, 16);
  readonly died = new GrowableColumn(u8, 16);
  readonly lagPrev = new GrowableColumn(f64, 16);
  readonly lagNext = new GrowableColumn(f64, 16);
  readonly lagDays = new GrowableColumn(i32, 16);
  readonly start = new GrowableColumn(i32, 16);
  readonly stop = new GrowableColumn(i32, 16);
  readonly event = new GrowableColumn(u8, 16);
  readonly value = new GrowableColumn(f64, 16);

  interval(start: number, stop: number, event: number, value: number): void {
    this.start.push(start);
    this.stop.push(stop);
    this.event.push(event);
    this.value.push(value);
  }

  finish(): CodeValues {
    return {
      events: this.events,
      missing: this.missing,
      values: this.values.toArray(),
      daysToEnd: this.daysToEnd.toArray(),
      died: this.died.toArray(),
      lagPrev: this.lagPrev.toArray(),
      lagNext: this.lagNext.toArray(),
      lagDays: this.lagDays.toArray(),
      intervals: {
        start: this.start.toArray(),
        stop: this.stop.toArray(),
        event: this.event.toArray(),
        value: this.value.toArray(),
      },
    };
  }
}

/**
 * Accumulates the {@link CodeValues} of every code, patient by patient (used by the timeline
 * summary builder; columnar, no per-event objects).
 */
export class ValueSummaryBuilder {
  private readonly columns: (CodeColumns | undefined)[];
  private readonly lastValue: Float64Array;
  private readonly lastDay: Int32Array;
  /** Cox covariate in force: its value and the day it was measured (before the terminal day). */
  private readonly coxValue: Float64Array;
  private readonly coxDay: Int32Array;
  private readonly seen: Int32Array;
  private readonly coxSeen: Int32Array;
  private readonly touched: Int32Array;
  private stamp = 0;

  constructor(
    private readonly timeline: Timeline,
    private readonly isTerminal: Uint8Array,
  ) {
    const k = timeline.events.codes.length;
    this.columns = new Array<CodeColumns | undefined>(k).fill(undefined);
    this.lastValue = new Float64Array(k);
    this.lastDay = new Int32Array(k);
    this.coxValue = new Float64Array(k);
    this.coxDay = new Int32Array(k);
    this.seen = new Int32Array(k);
    this.coxSeen = new Int32Array(k);
    this.touched = new Int32Array(k);
  }

  /** Adds the events start..end−1 of one patient whose terminal day is `lastDay`. */
  addPatient(start: number, end: number, endDay: number, died: number): void {
    const { day, code, value } = this.timeline.events;
    const stamp = ++this.stamp;
    let touched = 0;
    for (let i = start; i < end; i++) {
      const c = code[i]!;
      if (this.isTerminal[c] === 1) continue;
      let cols = this.columns[c];
      if (cols === undefined) {
        cols = new CodeColumns();
        this.columns[c] = cols;
      }
      cols.events++;
      const v = value[i]!;
      if (Number.isNaN(v)) {
        cols.missing++;
        continue;
      }
      const d = Math.max(0, day[i]!);
      cols.values.push(v);
      cols.daysToEnd.push(endDay - d);
      cols.died.push(died);
      if (this.seen[c] === stamp) {
        cols.lagPrev.push(this.lastValue[c]!);
        cols.lagNext.push(v);
        cols.lagDays.push(d - this.lastDay[c]!);
      } else {
        this.seen[c] = stamp;
      }
      this.lastValue[c] = v;
      this.lastDay[c] = d;
      if (d >= endDay) continue;
      if (this.coxSeen[c] !== stamp) {
        this.coxSeen[c] = stamp;
        this.touched[touched++] = c;
      } else if (d > this.coxDay[c]!) {
        cols.interval(this.coxDay[c]!, d, 0, this.coxValue[c]!);
      }
      this.coxValue[c] = v;
      this.coxDay[c] = d;
    }
    for (let t = 0; t < touched; t++) {
      const c = this.touched[t]!;
      this.columns[c]!.interval(this.coxDay[c]!, endDay, died, this.coxValue[c]!);
    }
  }

  /** The values of every code that had an event, keyed by code. */
  finish(): Map<string, CodeValues> {
    const out = new Map<string, CodeValues>();
    const codes = this.timeline.events.codes;
    this.columns.forEach((cols, c) => {
      if (cols !== undefined) out.set(codes[c]!, cols.finish());
    });
    return out;
  }
}

function concat<T extends Float64Array | Int32Array | Uint8Array>(
  parts: readonly T[],
  make: (n: number) => T,
): T {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = make(n);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Merges the value summaries of disjoint sets of patients, in the order given (shard order):
 * counts add, columns concatenate, codes match by name. Exact.
 *
 * @param parts - per-summary maps code → values.
 * @returns the map of the union.
 * @throws nothing.
 * @example
 * mergeCodeValues([a.values, b.values]).get('LAB:hdl')?.values.length // => a's + b's
 */
export function mergeCodeValues(
  parts: readonly ReadonlyMap<string, CodeValues>[],
): Map<string, CodeValues> {
  const names: string[] = [];
  for (const m of parts) for (const k of m.keys()) if (!names.includes(k)) names.push(k);
  const out = new Map<string, CodeValues>();
  for (const name of names) {
    const ps = parts.map((m) => m.get(name)).filter((p): p is CodeValues => p !== undefined);
    out.set(name, {
      events: ps.reduce((n, p) => n + p.events, 0),
      missing: ps.reduce((n, p) => n + p.missing, 0),
      values: concat(
        ps.map((p) => p.values),
        f64,
      ),
      daysToEnd: concat(
        ps.map((p) => p.daysToEnd),
        i32,
      ),
      died: concat(
        ps.map((p) => p.died),
        u8,
      ),
      lagPrev: concat(
        ps.map((p) => p.lagPrev),
        f64,
      ),
      lagNext: concat(
        ps.map((p) => p.lagNext),
        f64,
      ),
      lagDays: concat(
        ps.map((p) => p.lagDays),
        i32,
      ),
      intervals: {
        start: concat(
          ps.map((p) => p.intervals.start),
          i32,
        ),
        stop: concat(
          ps.map((p) => p.intervals.stop),
          i32,
        ),
        event: concat(
          ps.map((p) => p.intervals.event),
          u8,
        ),
        value: concat(
          ps.map((p) => p.intervals.value),
          f64,
        ),
      },
    });
  }
  return out;
}
