/**
 * Computes the mergeable {@link TimelineSummary} of a timeline in one columnar pass over its
 * events (see `summary.ts` for what the summary holds and why it merges by addition).
 */

import { assertArgument } from '../core/errors.js';
import { GrowableColumn } from '../core/growable.js';
import { type Attribute, TERMINAL_CODES, type Timeline } from '../timeline/types.js';
import {
  type CompetingCounts,
  KEY_SEPARATOR,
  START_CODE,
  type SurvivalCounts,
  type TimelineSummary,
} from './summary.js';
import { ValueSummaryBuilder } from './value-summary.js';

/** Options of {@link summarizeTimeline}. */
export interface SummarizeOptions {
  /** Patient rows to include (default all), in any order; each at most once. */
  readonly patients?: ArrayLike<number>;
}

/** A growable count table. */
class Counter {
  data: Float64Array;
  length = 0;
  constructor(capacity = 64) {
    this.data = new Float64Array(capacity);
  }
  add(k: number, w = 1): void {
    if (k >= this.data.length) {
      let cap = this.data.length * 2;
      while (cap <= k) cap *= 2;
      const next = new Float64Array(cap);
      next.set(this.data);
      this.data = next;
    }
    this.data[k]! += w;
    if (k >= this.length) this.length = k + 1;
  }
  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

/** Largest K for which the K³ trigram table is kept dense while scanning. */
const DENSE_TRIGRAM_MAX_CODES = 64;

/**
 * Accumulates a {@link TimelineSummary} patient by patient over one timeline: columnar scans
 * over the event arrays, no per-event objects. Use {@link summarizeTimeline} for the simple
 * case; use a builder directly to fill several summaries (e.g. random halves) in one pass.
 */
export class SummaryBuilder {
  private readonly k: number;
  private readonly codes: readonly string[];
  private readonly isTerminal: Uint8Array;
  private readonly deathCode: number;
  private patients = 0;
  private events = 0;
  private readonly eventsPerPatient = new Counter();
  private readonly codeEvents: Float64Array;
  private readonly codePatients: Float64Array;
  private readonly seen: Int32Array;
  private readonly firstDay: Int32Array;
  /** (K + 1) × K, row K is START. */
  private readonly transitions: Float64Array;
  private readonly trigramDense: Float64Array | undefined;
  private readonly trigramSparse = new Map<number, number>();
  private readonly gaps = new Counter();
  private readonly gapsByTransition: (Counter | undefined)[];
  private readonly followUp = new Counter();
  private readonly osEvents = new Counter();
  private readonly osCensored = new Counter();
  private readonly firstEvent: Counter[];
  private readonly firstCompeting: Counter[];
  private readonly firstCensored: Counter[];
  private readonly levelEvents: Counter[][];
  private readonly levelCensored: Counter[][];
  private readonly violations = {
    eventsAfterTerminal: 0,
    negativeDays: 0,
    daysBackwards: 0,
    missingTerminal: 0,
    multipleTerminal: 0,
  };
  private readonly rows = new GrowableColumn((n) => new Int32Array(n), 64);
  private readonly osDay = new GrowableColumn((n) => new Int32Array(n), 64);
  private readonly osStatus = new GrowableColumn((n) => new Uint8Array(n), 64);
  private stamp = 0;
  private readonly valueBuilder: ValueSummaryBuilder;

  constructor(private readonly timeline: Timeline) {
    const codes = timeline.events.codes;
    const k = codes.length;
    this.k = k;
    this.codes = codes;
    this.isTerminal = Uint8Array.from(codes, (c) =>
      c === TERMINAL_CODES.DEATH || c === TERMINAL_CODES.END_OF_FOLLOWUP ? 1 : 0,
    );
    this.deathCode = codes.indexOf(TERMINAL_CODES.DEATH);
    this.valueBuilder = new ValueSummaryBuilder(timeline, this.isTerminal);
    this.codeEvents = new Float64Array(k);
    this.codePatients = new Float64Array(k);
    this.seen = new Int32Array(k);
    this.firstDay = new Int32Array(k);
    this.transitions = new Float64Array((k + 1) * k);
    this.trigramDense = k <= DENSE_TRIGRAM_MAX_CODES ? new Float64Array(k * k * k) : undefined;
    this.gapsByTransition = new Array<Counter | undefined>(k * k).fill(undefined);
    this.firstEvent = Array.from({ length: k }, () => new Counter());
    this.firstCompeting = Array.from({ length: k }, () => new Counter());
    this.firstCensored = Array.from({ length: k }, () => new Counter());
    const categorical = timeline.patients.attributes.filter((a) => a.kind === 'categorical');
    this.levelEvents = categorical.map((a) => a.levels.map(() => new Counter()));
    this.levelCensored = categorical.map((a) => a.levels.map(() => new Counter()));
  }

  /** Adds patient row `p` of the timeline. */
  addPatient(p: number): void {
    const { offsets } = this.timeline;
    const { day, code } = this.timeline.events;
    const k = this.k;
    const start = offsets[p]!;
    const end = offsets[p + 1]!;
    const stamp = ++this.stamp;
    this.patients++;
    this.events += end - start;
    this.eventsPerPatient.add(end - start);
    this.rows.push(p);
    const v = this.violations;

    let prev = k; // START
    let prev2 = -1;
    let prevDay = 0;
    let terminals = 0;
    for (let i = start; i < end; i++) {
      const c = code[i]!;
      const rawDay = day[i]!;
      let d = rawDay;
      if (d < 0) {
        v.negativeDays++;
        d = 0;
      }
      if (terminals > 0) v.eventsAfterTerminal++;
      if (this.isTerminal[c] === 1) terminals++;
      this.codeEvents[c]!++;
      if (this.seen[c] !== stamp) {
        this.seen[c] = stamp;
        this.codePatients[c]!++;
        this.firstDay[c] = d;
      }
      this.transitions[prev * k + c]!++;
      if (i > start) {
        if (rawDay < day[i - 1]!) v.daysBackwards++;
        const gap = d > prevDay ? d - prevDay : 0;
        this.gaps.add(gap);
        const t = prev * k + c;
        let counter = this.gapsByTransition[t];
        if (counter === undefined) {
          counter = new Counter(16);
          this.gapsByTransition[t] = counter;
        }
        counter.add(gap);
        if (prev2 >= 0) {
          const key = (prev2 * k + prev) * k + c;
          if (this.trigramDense) this.trigramDense[key]!++;
          else this.trigramSparse.set(key, (this.trigramSparse.get(key) ?? 0) + 1);
        }
        prev2 = prev;
      }
      prev = c;
      prevDay = d;
    }
    if (terminals === 0) v.missingTerminal++;
    if (terminals > 1) v.multipleTerminal++;

    const lastDay = end > start ? Math.max(0, day[end - 1]!) : 0;
    const died = end > start && code[end - 1] === this.deathCode ? 1 : 0;
    this.followUp.add(lastDay);
    (died ? this.osEvents : this.osCensored).add(lastDay);
    this.osDay.push(lastDay);
    this.osStatus.push(died);
    this.valueBuilder.addPatient(start, end, lastDay, died);
    for (let c = 0; c < k; c++) {
      if (this.isTerminal[c] === 1) continue;
      if (this.seen[c] === stamp) this.firstEvent[c]!.add(this.firstDay[c]!);
      else (died ? this.firstCompeting[c]! : this.firstCensored[c]!).add(lastDay);
    }
    let a = 0;
    for (const attr of this.timeline.patients.attributes) {
      if (attr.kind !== 'categorical') continue;
      const level = attr.codes[p]!;
      if (level >= 0)
        (died ? this.levelEvents[a]![level]! : this.levelCensored[a]![level]!).add(lastDay);
      a++;
    }
  }

  /** The summary of the patients added so far. */
  finish(): TimelineSummary {
    const { codes, k } = this;
    const codeEvents = new Map<string, number>();
    const codePatients = new Map<string, number>();
    for (let c = 0; c < k; c++) {
      if (this.codeEvents[c]! > 0) codeEvents.set(codes[c]!, this.codeEvents[c]!);
      if (this.codePatients[c]! > 0) codePatients.set(codes[c]!, this.codePatients[c]!);
    }
    const name = (c: number): string => (c === k ? START_CODE : codes[c]!);
    const transitions = new Map<string, number>();
    for (let i = 0; i < this.transitions.length; i++) {
      const n = this.transitions[i]!;
      if (n > 0) transitions.set(name(Math.floor(i / k)) + KEY_SEPARATOR + name(i % k), n);
    }
    const trigrams = new Map<string, number>();
    const addTrigram = (key: number, n: number): void => {
      const c3 = key % k;
      const c2 = Math.floor(key / k) % k;
      const c1 = Math.floor(key / (k * k));
      trigrams.set(codes[c1]! + KEY_SEPARATOR + codes[c2]! + KEY_SEPARATOR + codes[c3]!, n);
    };
    if (this.trigramDense) {
      for (let i = 0; i < this.trigramDense.length; i++) {
        if (this.trigramDense[i]! > 0) addTrigram(i, this.trigramDense[i]!);
      }
    } else {
      for (const [key, n] of [...this.trigramSparse].sort((x, y) => x[0] - y[0]))
        addTrigram(key, n);
    }
    const gapsByTransition = new Map<string, Float64Array>();
    this.gapsByTransition.forEach((counter, i) => {
      if (counter)
        gapsByTransition.set(
          name(Math.floor(i / k)) + KEY_SEPARATOR + name(i % k),
          counter.toArray(),
        );
    });
    const firstOccurrence = new Map<string, CompetingCounts>();
    for (let c = 0; c < k; c++) {
      if (this.isTerminal[c] === 1) continue;
      firstOccurrence.set(codes[c]!, {
        event: this.firstEvent[c]!.toArray(),
        competing: this.firstCompeting[c]!.toArray(),
        censored: this.firstCensored[c]!.toArray(),
      });
    }
    const osByLevel = new Map<string, Map<string, SurvivalCounts>>();
    let a = 0;
    for (const attr of this.timeline.patients.attributes) {
      if (attr.kind !== 'categorical') continue;
      const levels = new Map<string, SurvivalCounts>();
      attr.levels.forEach((level, j) => {
        levels.set(level, {
          events: this.levelEvents[a]![j]!.toArray(),
          censored: this.levelCensored[a]![j]!.toArray(),
        });
      });
      osByLevel.set(attr.name, levels);
      a++;
    }
    const rows = this.rows.toArray();
    const attributes: Attribute[] = this.timeline.patients.attributes.map((attr) =>
      attr.kind === 'categorical'
        ? {
            name: attr.name,
            kind: 'categorical',
            levels: attr.levels,
            codes: pick(attr.codes, rows),
          }
        : { name: attr.name, kind: 'numeric', values: pick(attr.values, rows) },
    );
    return {
      patients: this.patients,
      events: this.events,
      codes: [...codes],
      eventsPerPatient: this.eventsPerPatient.toArray(),
      codeEvents,
      codePatients,
      transitions,
      trigrams,
      gaps: this.gaps.toArray(),
      gapsByTransition,
      followUp: this.followUp.toArray(),
      os: { events: this.osEvents.toArray(), censored: this.osCensored.toArray() },
      firstOccurrence,
      osByLevel,
      violations: { ...this.violations },
      values: this.valueBuilder.finish(),
      perPatient: {
        osDay: this.osDay.toArray(),
        osStatus: this.osStatus.toArray(),
        attributes,
      },
    };
  }
}

function pick<T extends Int32Array | Float64Array>(values: T, rows: Int32Array): T {
  const out = (
    values instanceof Int32Array ? new Int32Array(rows.length) : new Float64Array(rows.length)
  ) as T;
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]!]!;
  return out;
}

/**
 * Summarises a timeline (or the patient rows given in `options.patients`) for fidelity
 * metrics. One columnar pass over the events; memory is O(codes² + days + patients).
 *
 * @throws TrajsimError INVALID_ARGUMENT when a patient row is out of range.
 * @example
 * const s = summarizeTimeline(timeline);
 * s.os.events[365] // number of deaths on day 365
 */
export function summarizeTimeline(
  timeline: Timeline,
  options: SummarizeOptions = {},
): TimelineSummary {
  const builder = new SummaryBuilder(timeline);
  const n = timeline.patients.ids.length;
  if (options.patients === undefined) {
    for (let p = 0; p < n; p++) builder.addPatient(p);
  } else {
    const rows = options.patients;
    for (let i = 0; i < rows.length; i++) {
      const p = rows[i]!;
      assertArgument(
        Number.isInteger(p) && p >= 0 && p < n,
        `summarizeTimeline: patients[${i}] is ${p}; expected a patient row in 0..${n - 1}`,
      );
      builder.addPatient(p);
    }
  }
  return builder.finish();
}
