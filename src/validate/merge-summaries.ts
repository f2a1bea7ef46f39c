import { TrajsimError } from '../core/errors.js';
import type { Attribute } from '../timeline/types.js';
import type {
  CompetingCounts,
  ConstraintViolations,
  SurvivalCounts,
  TimelineSummary,
} from './summary.js';
import { mergeCodeValues } from './value-summary.js';

/**
 * Element-wise sum of count tables of any lengths.
 *
 * @example
 * addCounts([1, 2], [0, 1, 5]) // => Float64Array [1, 3, 5]
 */
export function addCounts(...tables: readonly ArrayLike<number>[]): Float64Array {
  let n = 0;
  for (const t of tables) n = Math.max(n, t.length);
  const out = new Float64Array(n);
  for (const t of tables) for (let i = 0; i < t.length; i++) out[i]! += t[i]!;
  return out;
}

function addMaps(maps: readonly ReadonlyMap<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

function addTableMaps(
  maps: readonly ReadonlyMap<string, Float64Array>[],
): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const m of maps) {
    for (const [k, v] of m) {
      const prev = out.get(k);
      out.set(k, prev ? addCounts(prev, v) : v.slice());
    }
  }
  return out;
}

/**
 * The time-to-first-occurrence counts of `code` in a summary. A code that never occurs in it
 * has no entry: then nobody had the event and every patient is a death (competing) or a
 * censoring at their overall-survival time.
 *
 * @example
 * firstOccurrenceOf(summary, 'RECURRENCE').event[365] // patients whose first RECURRENCE is on day 365
 * firstOccurrenceOf(summary, 'NEVER_SEEN').event.length // => 0 (deaths compete, the rest are censored)
 */
export function firstOccurrenceOf(summary: TimelineSummary, code: string): CompetingCounts {
  return (
    summary.firstOccurrence.get(code) ?? {
      event: new Float64Array(0),
      competing: summary.os.events,
      censored: summary.os.censored,
    }
  );
}

/**
 * Overall-survival counts of one attribute level; empty tables when no patient has it.
 *
 * @example
 * levelSurvivalOf(summary, 'stage', 'IV').events[100] // stage IV deaths on day 100
 * levelSurvivalOf(summary, 'stage', 'V').events.length // => 0 (no patient has the level)
 */
export function levelSurvivalOf(
  summary: TimelineSummary,
  attribute: string,
  level: string,
): SurvivalCounts {
  return (
    summary.osByLevel.get(attribute)?.get(level) ?? {
      events: new Float64Array(0),
      censored: new Float64Array(0),
    }
  );
}

function mergeAttributes(summaries: readonly TimelineSummary[], total: number): Attribute[] {
  const specs = new Map<string, { kind: 'categorical' | 'numeric'; levels: string[] }>();
  for (const s of summaries) {
    for (const a of s.perPatient.attributes) {
      const spec = specs.get(a.name);
      if (spec && spec.kind !== a.kind) {
        throw new TrajsimError(
          'INVALID_INPUT',
          `attribute '${a.name}' is ${spec.kind} in one timeline and ${a.kind} in another`,
          { field: a.name },
        );
      }
      const merged = spec ?? { kind: a.kind, levels: [] };
      if (a.kind === 'categorical') {
        for (const l of a.levels) if (!merged.levels.includes(l)) merged.levels.push(l);
      }
      specs.set(a.name, merged);
    }
  }
  const out: Attribute[] = [];
  for (const [name, spec] of specs) {
    if (spec.kind === 'numeric') {
      const values = new Float64Array(total).fill(Number.NaN);
      let offset = 0;
      for (const s of summaries) {
        const a = s.perPatient.attributes.find((x) => x.name === name);
        if (a?.kind === 'numeric') values.set(a.values, offset);
        offset += s.patients;
      }
      out.push({ name, kind: 'numeric', values });
    } else {
      const codes = new Int32Array(total).fill(-1);
      let offset = 0;
      for (const s of summaries) {
        const a = s.perPatient.attributes.find((x) => x.name === name);
        if (a?.kind === 'categorical') {
          const remap = a.levels.map((l) => spec.levels.indexOf(l));
          for (let i = 0; i < a.codes.length; i++) {
            const c = a.codes[i]!;
            codes[offset + i] = c < 0 ? -1 : remap[c]!;
          }
        }
        offset += s.patients;
      }
      out.push({ name, kind: 'categorical', levels: spec.levels, codes });
    }
  }
  return out;
}

/**
 * Merges summaries of disjoint sets of patients (e.g. the shards of a synthetic cohort) into
 * the summary of their union. Exact: count tables add, per-patient columns concatenate, codes
 * and attribute levels are matched by name.
 *
 * @throws TrajsimError INVALID_ARGUMENT for an empty list; INVALID_INPUT when an attribute is
 *   categorical in one summary and numeric in another.
 * @example
 * const whole = mergeSummaries([summarizeTimeline(shard0), summarizeTimeline(shard1)]);
 * whole.patients // => shard0 patients + shard1 patients
 */
export function mergeSummaries(summaries: readonly TimelineSummary[]): TimelineSummary {
  if (summaries.length === 0) {
    throw new TrajsimError('INVALID_ARGUMENT', 'mergeSummaries: no summaries to merge');
  }
  if (summaries.length === 1) return summaries[0]!;
  const codes: string[] = [];
  for (const s of summaries) for (const c of s.codes) if (!codes.includes(c)) codes.push(c);
  const patients = summaries.reduce((n, s) => n + s.patients, 0);

  const firstOccurrence = new Map<string, CompetingCounts>();
  const firstCodes = new Set<string>();
  for (const s of summaries) for (const c of s.firstOccurrence.keys()) firstCodes.add(c);
  for (const code of firstCodes) {
    const parts = summaries.map((s) => firstOccurrenceOf(s, code));
    firstOccurrence.set(code, {
      event: addCounts(...parts.map((p) => p.event)),
      competing: addCounts(...parts.map((p) => p.competing)),
      censored: addCounts(...parts.map((p) => p.censored)),
    });
  }

  const osByLevel = new Map<string, Map<string, SurvivalCounts>>();
  for (const s of summaries) {
    for (const [attr, levels] of s.osByLevel) {
      const merged = osByLevel.get(attr) ?? new Map<string, SurvivalCounts>();
      for (const [level, counts] of levels) {
        const prev = merged.get(level);
        merged.set(
          level,
          prev
            ? {
                events: addCounts(prev.events, counts.events),
                censored: addCounts(prev.censored, counts.censored),
              }
            : counts,
        );
      }
      osByLevel.set(attr, merged);
    }
  }

  const violations: ConstraintViolations = {
    eventsAfterTerminal: sum(summaries, (s) => s.violations.eventsAfterTerminal),
    negativeDays: sum(summaries, (s) => s.violations.negativeDays),
    daysBackwards: sum(summaries, (s) => s.violations.daysBackwards),
    missingTerminal: sum(summaries, (s) => s.violations.missingTerminal),
    multipleTerminal: sum(summaries, (s) => s.violations.multipleTerminal),
  };

  const osDay = new Int32Array(patients);
  const osStatus = new Uint8Array(patients);
  let offset = 0;
  for (const s of summaries) {
    osDay.set(s.perPatient.osDay, offset);
    osStatus.set(s.perPatient.osStatus, offset);
    offset += s.patients;
  }

  return {
    patients,
    events: sum(summaries, (s) => s.events),
    codes,
    eventsPerPatient: addCounts(...summaries.map((s) => s.eventsPerPatient)),
    codeEvents: addMaps(summaries.map((s) => s.codeEvents)),
    codePatients: addMaps(summaries.map((s) => s.codePatients)),
    transitions: addMaps(summaries.map((s) => s.transitions)),
    trigrams: addMaps(summaries.map((s) => s.trigrams)),
    gaps: addCounts(...summaries.map((s) => s.gaps)),
    gapsByTransition: addTableMaps(summaries.map((s) => s.gapsByTransition)),
    followUp: addCounts(...summaries.map((s) => s.followUp)),
    os: {
      events: addCounts(...summaries.map((s) => s.os.events)),
      censored: addCounts(...summaries.map((s) => s.os.censored)),
    },
    firstOccurrence,
    osByLevel,
    violations,
    values: mergeCodeValues(summaries.map((s) => s.values)),
    perPatient: { osDay, osStatus, attributes: mergeAttributes(summaries, patients) },
  };
}

function sum(summaries: readonly TimelineSummary[], f: (s: TimelineSummary) => number): number {
  let n = 0;
  for (const s of summaries) n += f(s);
  return n;
}
