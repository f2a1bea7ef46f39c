import { formatIsoDay } from '../core/days.js';
import { TERMINAL_CODES, type Timeline } from '../timeline/types.js';
import { type CodeValueDescription, describeValues } from './describe-values.js';
import { kaplanMeier } from './kaplan-meier.js';
import { sortedQuantile } from './sample-distances.js';

/** What `trajsim inspect` reports about a timeline. Times in days. */
export interface TimelineDescription {
  readonly name: string;
  readonly patients: number;
  readonly events: number;
  readonly eventsPerPatient: {
    readonly mean: number;
    readonly median: number;
    readonly p95: number;
    readonly max: number;
  };
  readonly codes: readonly {
    readonly code: string;
    readonly events: number;
    readonly patients: number;
  }[];
  readonly attributes: readonly (
    | {
        readonly name: string;
        readonly kind: 'categorical';
        readonly missing: number;
        readonly levels: readonly { readonly level: string; readonly count: number }[];
      }
    | {
        readonly name: string;
        readonly kind: 'numeric';
        readonly missing: number;
        readonly min: number;
        readonly max: number;
        readonly mean: number;
        readonly median: number;
      }
  )[];
  /** Per-code event values (codes with at least one value; issue 10). */
  readonly values: readonly CodeValueDescription[];
  readonly terminal: { readonly deaths: number; readonly censored: number };
  readonly followUpDays: {
    /** Median of the terminal day over all patients. */
    readonly medianObserved: number;
    readonly max: number;
    /** Reverse Kaplan–Meier median: censoring is the event, death censors (Schemper & Smith 1996). */
    readonly medianReverseKm: number;
  };
  readonly dates: {
    readonly indexFrom: string;
    readonly indexTo: string;
    /** Last calendar date of any event (index_date + day). */
    readonly lastEvent: string;
  };
}

/**
 * Summarises a timeline for `trajsim inspect`: counts, events per patient, codes, attributes,
 * deaths vs censored, follow-up (observed median and reverse Kaplan–Meier median) and dates.
 *
 * @example
 * describeTimeline(colon).terminal // => { deaths: 452, censored: 477 }
 */
export function describeTimeline(t: Timeline): TimelineDescription {
  const nP = t.patients.ids.length;
  const nE = t.events.day.length;
  const perPatient = new Float64Array(nP);
  const terminalDay = new Float64Array(nP);
  const censoredStatus = new Uint8Array(nP);
  const deathCode = t.events.codes.indexOf(TERMINAL_CODES.DEATH);
  let deaths = 0;
  let lastEventDay = Number.NEGATIVE_INFINITY;
  for (let p = 0; p < nP; p++) {
    const a = t.offsets[p]!;
    const b = t.offsets[p + 1]!;
    perPatient[p] = b - a;
    const last = b - 1;
    terminalDay[p] = last >= a ? t.events.day[last]! : 0;
    const died = last >= a && t.events.code[last] === deathCode;
    if (died) deaths++;
    censoredStatus[p] = died ? 0 : 1;
    lastEventDay = Math.max(lastEventDay, t.patients.indexDay[p]! + terminalDay[p]!);
  }
  const codeEvents = new Int32Array(t.events.codes.length);
  const codePatients = new Int32Array(t.events.codes.length);
  const seenBy = new Int32Array(t.events.codes.length).fill(-1);
  for (let i = 0; i < nE; i++) {
    const c = t.events.code[i]!;
    codeEvents[c]!++;
    const p = t.events.patient[i]!;
    if (seenBy[c] !== p) {
      seenBy[c] = p;
      codePatients[c]!++;
    }
  }
  const sortedCounts = Float64Array.from(perPatient).sort();
  const sortedFollowUp = Float64Array.from(terminalDay).sort();
  let mean = 0;
  for (let p = 0; p < nP; p++) mean += perPatient[p]!;
  mean /= nP || 1;

  let indexMin = Number.POSITIVE_INFINITY;
  let indexMax = Number.NEGATIVE_INFINITY;
  for (let p = 0; p < nP; p++) {
    indexMin = Math.min(indexMin, t.patients.indexDay[p]!);
    indexMax = Math.max(indexMax, t.patients.indexDay[p]!);
  }

  const attributes = t.patients.attributes.map((a) => {
    if (a.kind === 'categorical') {
      const counts = new Int32Array(a.levels.length);
      let missing = 0;
      for (let p = 0; p < nP; p++) {
        const c = a.codes[p]!;
        if (c < 0) missing++;
        else counts[c]!++;
      }
      return {
        name: a.name,
        kind: 'categorical' as const,
        missing,
        levels: a.levels.map((level, i) => ({ level, count: counts[i]! })),
      };
    }
    const present = a.values.filter((v) => !Number.isNaN(v)).sort();
    let sum = 0;
    for (const v of present) sum += v;
    return {
      name: a.name,
      kind: 'numeric' as const,
      missing: nP - present.length,
      min: present.length ? present[0]! : Number.NaN,
      max: present.length ? present[present.length - 1]! : Number.NaN,
      mean: present.length ? sum / present.length : Number.NaN,
      median: sortedQuantile(present, 0.5),
    };
  });

  const reverse = kaplanMeier(terminalDay, censoredStatus);
  return {
    name: t.name,
    patients: nP,
    events: nE,
    eventsPerPatient: {
      mean,
      median: sortedQuantile(sortedCounts, 0.5),
      p95: sortedQuantile(sortedCounts, 0.95),
      max: nP ? sortedCounts[nP - 1]! : Number.NaN,
    },
    codes: t.events.codes
      .map((code, c) => ({ code, events: codeEvents[c]!, patients: codePatients[c]! }))
      .sort((x, y) => y.events - x.events || (x.code < y.code ? -1 : 1)),
    attributes,
    values: describeValues(t),
    terminal: { deaths, censored: nP - deaths },
    followUpDays: {
      medianObserved: sortedQuantile(sortedFollowUp, 0.5),
      max: nP ? sortedFollowUp[nP - 1]! : Number.NaN,
      medianReverseKm: reverse.median,
    },
    dates: {
      indexFrom: nP ? formatIsoDay(indexMin) : '',
      indexTo: nP ? formatIsoDay(indexMax) : '',
      lastEvent: nP ? formatIsoDay(lastEventDay) : '',
    },
  };
}
