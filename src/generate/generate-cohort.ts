// Over 400 lines, with sampleRange over 120: sampleRange is the batch sampler whose draw order
// fixes the bytes of every generated cohort; it is split only together with a golden-bytes
// check of the split (not yet done).
import { TrajsimError } from '../core/errors.js';
import { type Logger, lowAcceptance, MESSAGES, SILENT_LOGGER } from '../core/messages.js';
import { Rng } from '../core/rng.js';
import { type Shard, shardRange } from '../core/shard.js';
import { type ForcedAttributeValue, sampleAttributes } from '../model/attribute-model.js';
import { createRuleMask } from '../rules/rule-mask.js';
import { TERMINAL_CODES, type TimelineManifest } from '../timeline/types.js';
import { TimelineWriter } from '../timeline/writer.js';
import type { GenerationModel } from './step-model.js';

/** A forced event (an intervention): `code` at `day` (days since index). */
export interface ForcedEvent {
  readonly day: number;
  readonly code: string;
  /**
   * Code prefixes the forced event stands in for: once it has happened, a sampled event with
   * such a code on or before its day is dropped (e.g. `TREATMENT:` so the model does not add
   * its own first-line treatment next to the forced one).
   */
  readonly replaces?: readonly string[];
}

/** A generated patient, as the hooks see it (views valid during the call). */
export interface GeneratedPatient {
  readonly globalIndex: number;
  /** 0 for the first candidate of this patient, then 1, 2, ... after rejections. */
  readonly attempt: number;
  readonly indexDay: number;
  /** Attribute values in schema order (level index or -1; number or NaN). */
  readonly attributes: Float64Array;
  readonly days: Int32Array;
  /** Indices into the model's codes. */
  readonly codes: Int32Array;
}

/** Hooks for a scenario engine; every hook is called with the patient's global index. */
export interface GenerationHooks {
  /**
   * (a) fixed attribute values (by name); the others are drawn conditionally on them where
   * the attribute model allows. `rng` is the candidate's own sub-stream for these draws.
   */
  readonly forcedAttributes?: (
    globalIndex: number,
    rng: Rng,
  ) => Readonly<Record<string, ForcedAttributeValue>> | undefined;
  /**
   * (b) forced events, sorted by day. A forced event is inserted before the first sampled
   * event on or after its day, but never before the patient's first event (unless that event
   * is one it replaces); the sampled event it pre-empts is dropped and the trajectory
   * continues from the forced event. A patient whose sampled trajectory ends before the day
   * never gets it.
   */
  readonly forcedEvents?: (globalIndex: number) => readonly ForcedEvent[] | undefined;
  /**
   * (c) keep this candidate? A rejected candidate is replaced by the patient's next attempt,
   * drawn from its own stream, until one is accepted: the cohort always has exactly the
   * requested patients, each an independent draw from the conditional distribution.
   */
  readonly accept?: (patient: GeneratedPatient) => boolean;
  /** Called for every patient written, in output order (for tallies). */
  readonly written?: (patient: GeneratedPatient) => void;
}

export interface GenerateCohortOptions {
  readonly patients: number;
  readonly seed: string | number;
  readonly out: string;
  /** Patients sampled together (default 1024). Does not change the output bytes. */
  readonly batchSize?: number;
  readonly shard?: Shard;
  /** Follow-up horizon in days (default: the longest training follow-up). */
  readonly horizonDays?: number;
  /** Most events per patient; the last is END_OF_FOLLOWUP (default 2 × the training maximum, at least 16). */
  readonly maxEvents?: number;
  /** Most candidates per patient before the run is refused as infeasible (default 10 000). */
  readonly maxAttempts?: number;
  /** [first, last] index day (days since 1970-01-01) to draw index dates from (default: the training range). */
  readonly indexDayRange?: readonly [number, number];
  readonly overwrite?: boolean;
  readonly name?: string;
  readonly hooks?: GenerationHooks;
  readonly logger?: Logger;
  /** Extra files written into the output directory with its data (e.g. generation.json). */
  readonly extraFiles?: (manifest: TimelineManifest) => Readonly<Record<string, string>>;
}

export interface GenerateCohortSummary {
  readonly manifest: TimelineManifest;
  readonly firstPatient: number;
  /** Patients written. */
  readonly generated: number;
  /** Candidates sampled (>= generated when an accept hook rejects some). */
  readonly candidates: number;
  readonly accepted: number;
  /** Patients censored by the max-events cap (not by the horizon). */
  readonly cappedByMaxEvents: number;
  readonly seconds: number;
  readonly patientsPerSecond: number;
  readonly eventsPerSecond: number;
}

/** Keep finished rows in the model's batch until fewer than this share are live (fewer gathers). */
export const COMPACT_SHARE = 0.75;
const DEFAULT_MAX_ATTEMPTS = 10_000;

/**
 * Patient ids from global indices: S0000001 for index 0.
 *
 * @example
 * syntheticPatientId(0) // => 'S0000001'
 * syntheticPatientId(41) // => 'S0000042'
 */
export function syntheticPatientId(globalIndex: number): string {
  return `S${String(globalIndex + 1).padStart(7, '0')}`;
}

/**
 * The random stream of candidate `attempt` of patient `globalIndex`: attempt 0 is
 * `root.fork(g)`, later attempts `root.fork(g).fork('attempt-a')`. Independent of batching.
 *
 * @example
 * candidateRng(new Rng('1'), 5, 0).seed // => '1/5'
 * candidateRng(new Rng('1'), 5, 2).seed // => '1/5/attempt-2'
 */
export function candidateRng(root: Rng, globalIndex: number, attempt: number): Rng {
  const rng = root.fork(globalIndex);
  return attempt === 0 ? rng : rng.fork(`attempt-${attempt}`);
}

/** Where {@link sampleRange} writes patients: a {@link TimelineWriter}, or a sink for pilots. */
export interface PatientWriter {
  addPatient(id: string, indexDay: number, attributeValues: ArrayLike<number>): void;
  addEvent(day: number, code: number, value: number): void;
  commit(): Promise<void>;
}

/** A writer that keeps nothing (pilot runs that only count). */
export const DISCARD_WRITER: PatientWriter = {
  addPatient() {},
  addEvent() {},
  async commit() {},
};

/** Per-run constants of {@link sampleRange}. */
export interface SampleRangeOptions {
  readonly seed: string | number;
  readonly batchSize: number;
  readonly horizonDays: number;
  readonly maxEvents: number;
  readonly maxAttempts: number;
  readonly indexDayRange: readonly [number, number];
  readonly hooks: GenerationHooks;
  readonly logger: Logger;
  /** Progress: patients written so far in the whole run, and the run's total. */
  readonly progressOffset?: number;
  readonly progressTotal?: number;
}

/** Counts of one {@link sampleRange} call. */
export interface SampleRangeCounts {
  written: number;
  candidates: number;
  events: number;
  capped: number;
}

/**
 * Resolves and checks the options shared by every generation entry point.
 *
 * @example
 * resolveSampleOptions(model, { patients: 1000, seed: 7 }).horizonDays // => the model's longest follow-up unless given
 */
export function resolveSampleOptions(
  model: GenerationModel,
  options: Omit<GenerateCohortOptions, 'out'>,
): SampleRangeOptions {
  const batchSize = options.batchSize ?? 1024;
  const horizon = options.horizonDays ?? model.maxFollowUpDays;
  const maxEvents = options.maxEvents ?? Math.max(16, 2 * model.maxEvents);
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (const [field, value, min] of [
    ['patients', options.patients, 0],
    ['batchSize', batchSize, 1],
    ['horizonDays', horizon, 0],
    ['maxEvents', maxEvents, 2],
    ['maxAttempts', maxAttempts, 1],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= min)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `${field} is ${value}; expected an integer >= ${min}`,
        { field },
      );
    }
  }
  const range = options.indexDayRange ?? model.indexDayRange;
  if (!(Number.isInteger(range[0]) && Number.isInteger(range[1]) && range[0] <= range[1])) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `index day range [${range[0]}, ${range[1]}] is not a window of days`,
    );
  }
  return {
    seed: options.seed,
    batchSize,
    horizonDays: horizon,
    maxEvents,
    maxAttempts,
    indexDayRange: range,
    hooks: options.hooks ?? {},
    logger: options.logger ?? SILENT_LOGGER,
  };
}

interface Finished {
  readonly attempt: number;
  readonly indexDay: number;
  readonly attributes: Float64Array;
  readonly days: Int32Array;
  readonly codes: Int32Array;
}

/**
 * Samples patients with global indices [from, to) into `writer`, in index order.
 *
 * A pool of `batchSize` candidates runs through the model together, step by step, until
 * every trajectory has ended. Candidate (g, a) draws from its own stream
 * ({@link candidateRng}): attributes from `.fork('attributes')`, the index date from
 * `.fork('index-date')`, each step's code and gap from the stream itself, in order. A
 * rejected candidate is retried as (g, a + 1) in the next pool, and finished patients wait in
 * a small reorder buffer until every lower index is written. So the bytes depend on neither
 * the batch size nor the range split (shards, resume parts).
 *
 * Constraints hold by construction: days never go backwards (gaps are >= 0), nothing
 * follows a terminal code, a sampled day beyond the horizon becomes END_OF_FOLLOWUP at the
 * horizon, and a patient reaching `maxEvents` − 1 events is censored on its last day.
 * Throws INFEASIBLE when a patient needs more than `maxAttempts` candidates.
 *
 * @example
 * await sampleRange(model, writer, 0, 100, resolveSampleOptions(model, { patients: 100, seed: 7 }));
 * // writes patients 0..99; the same bytes whatever the batch size
 */
export async function sampleRange(
  model: GenerationModel,
  writer: PatientWriter,
  from: number,
  to: number,
  o: SampleRangeOptions,
): Promise<SampleRangeCounts> {
  const sm = model.stepModel;
  const codes = sm.codes;
  const V = codes.length;
  const BOS = V;
  const censor = codes.indexOf(TERMINAL_CODES.END_OF_FOLLOWUP);
  const death = codes.indexOf(TERMINAL_CODES.DEATH);
  if (censor < 0) throw new TrajsimError('MODEL', 'the model has no END_OF_FOLLOWUP code');
  const codeIndex = new Map(codes.map((c, i) => [c, i]));
  const nA = model.attributes.length;
  const [indexLo, indexHi] = o.indexDayRange;
  const { hooks, maxEvents, horizonDays: horizon } = o;
  const root = new Rng(o.seed).fork('patient');
  const counts: SampleRangeCounts = { written: 0, candidates: 0, events: 0, capped: 0 };
  const started = performance.now();

  const cap = Math.max(1, Math.min(o.batchSize, to - from));
  const attrs = new Float64Array(cap * nA);
  const indexDay = new Int32Array(cap);
  const rowPatient = new Int32Array(cap);
  const rowAttempt = new Int32Array(cap);
  const rngs: Rng[] = new Array(cap);
  const evDay = new Int32Array(cap * maxEvents);
  const evCode = new Int32Array(cap * maxEvents);
  const count = new Int32Array(cap);
  const prevCode = new Int32Array(cap);
  const prevGap = new Int32Array(cap);
  const prevDay = new Int32Array(cap);
  const forced: (readonly ForcedEvent[] | undefined)[] = new Array(cap);
  const forcedNext = new Int32Array(cap);
  const replaced: (Set<number> | undefined)[] = new Array(cap);
  const replacedUntil = new Int32Array(cap);
  const replaceCache = new Map<readonly string[], Set<number>>();
  const replaceSet = (prefixes: readonly string[]): Set<number> => {
    let s = replaceCache.get(prefixes);
    if (!s) {
      s = new Set(codes.flatMap((c, i) => (prefixes.some((p) => c.startsWith(p)) ? [i] : [])));
      replaceCache.set(prefixes, s);
    }
    return s;
  };

  const retries: { g: number; attempt: number }[] = [];
  const done = new Map<number, Finished>();
  let nextNew = from;
  let nextOut = from;
  const inCode = new Int32Array(cap);
  const inGap = new Int32Array(cap);
  const inDay = new Int32Array(cap);
  const samplerRows = { evCode, evDay, count, attrs, attributes: nA, maxEvents };
  const ruleMask = createRuleMask(model.rules, codes, model.attributes, samplerRows, cap);

  while (nextOut < to) {
    // Fill the pool: retries first (oldest patients), then new patients.
    let n = 0;
    retries.sort((x, y) => x.g - y.g);
    while (n < cap && retries.length > 0) {
      const r = retries.shift()!;
      rowPatient[n] = r.g;
      rowAttempt[n++] = r.attempt;
    }
    while (n < cap && nextNew < to) {
      rowPatient[n] = nextNew++;
      rowAttempt[n++] = 0;
    }
    for (let i = 0; i < n; i++) {
      const g = rowPatient[i]!;
      const rng = candidateRng(root, g, rowAttempt[i]!);
      rngs[i] = rng;
      const row = attrs.subarray(i * nA, (i + 1) * nA);
      sampleAttributes(
        model.attributeModel,
        rng.fork('attributes'),
        row,
        hooks.forcedAttributes?.(g, rng.fork('requested')),
      );
      indexDay[i] = indexLo + rng.fork('index-date').int(indexHi - indexLo + 1);
      const f = hooks.forcedEvents?.(g);
      forced[i] = f && f.length > 0 ? f : undefined;
      forcedNext[i] = 0;
      replaced[i] = undefined;
      count[i] = 0;
      prevCode[i] = BOS;
      prevGap[i] = 0;
      prevDay[i] = 0;
    }
    counts.candidates += n;
    sm.start({ rows: n, values: attrs.subarray(0, n * nA) });
    // rows[k] = pool row of the model's k-th current row, -1 once that patient is done.
    let rows = Int32Array.from({ length: n }, (_, i) => i);
    let live = n;
    try {
      while (live > 0) {
        const m = rows.length;
        for (let k = 0; k < m; k++) {
          const i = rows[k]!;
          inCode[k] = i < 0 ? BOS : prevCode[i]!;
          inGap[k] = i < 0 ? 0 : prevGap[i]!;
          inDay[k] = i < 0 ? 0 : prevDay[i]!;
        }
        const probs = sm.step(inCode.subarray(0, m), inGap.subarray(0, m), inDay.subarray(0, m));
        for (let k = 0; k < m; k++) {
          const i = rows[k]!;
          if (i < 0) continue;
          const rng = rngs[i]!;
          const p = probs.subarray(k * V, (k + 1) * V);
          // the model's next code and day, where hard plausibility rules allow (src/rules)
          ruleMask?.draw(i, k, p, prevDay[i]!, sm, rng);
          let c = ruleMask ? ruleMask.code : rng.categorical(p);
          let day = ruleMask ? ruleMask.day : prevDay[i]! + sm.sampleGapDays(k, c, rng);
          const f = forced[i];
          const pending = f && forcedNext[i]! < f.length ? f[forcedNext[i]!]! : undefined;
          if (
            pending &&
            ((count[i]! > 0 && day >= pending.day) ||
              (pending.replaces && day <= pending.day && replaceSet(pending.replaces).has(c)))
          ) {
            // the forced event pre-empts this sampled one (or stands in for a code it replaces)
            const ev = pending;
            const fc = codeIndex.get(ev.code);
            if (fc === undefined) {
              throw new TrajsimError(
                'INFEASIBLE',
                `forced event code '${ev.code}' is not in the model's codes (${codes.join(', ')})`,
              );
            }
            forcedNext[i]!++;
            c = fc;
            day = Math.max(ev.day, prevDay[i]!);
            if (ev.replaces && ev.replaces.length > 0) {
              replaced[i] = replaceSet(ev.replaces);
              replacedUntil[i] = day;
            }
          } else if (replaced[i]?.has(c) && day <= replacedUntil[i]!) {
            // the forced event already stands for this one: drop it, continue from the same state
            continue;
          }
          let finished = c === censor || c === death;
          if (day > horizon) {
            c = censor;
            day = Math.max(horizon, prevDay[i]!);
            finished = true;
          } else if (!finished && count[i]! >= maxEvents - 2) {
            // record this event, then censor on its day: maxEvents in all
            evDay[i * maxEvents + count[i]!] = day;
            evCode[i * maxEvents + count[i]!] = c;
            count[i]!++;
            c = censor;
            finished = true;
            counts.capped++;
          }
          const e = i * maxEvents + count[i]!;
          evDay[e] = day;
          evCode[e] = c;
          count[i]!++;
          prevGap[i] = day - prevDay[i]!;
          prevDay[i] = day;
          prevCode[i] = c;
          if (finished) {
            rows[k] = -1;
            live--;
          }
        }
        if (live > 0 && live < COMPACT_SHARE * m) {
          const keep = new Int32Array(live);
          const next = new Int32Array(live);
          let j = 0;
          for (let k = 0; k < m; k++) {
            if (rows[k]! >= 0) {
              keep[j] = k;
              next[j++] = rows[k]!;
            }
          }
          sm.keepRows(keep);
          rows = next;
        }
      }
    } finally {
      sm.end();
    }
    for (let i = 0; i < n; i++) {
      const g = rowPatient[i]!;
      const attempt = rowAttempt[i]!;
      const patient: GeneratedPatient = {
        globalIndex: g,
        attempt,
        indexDay: indexDay[i]!,
        attributes: attrs.slice(i * nA, (i + 1) * nA),
        days: evDay.slice(i * maxEvents, i * maxEvents + count[i]!),
        codes: evCode.slice(i * maxEvents, i * maxEvents + count[i]!),
      };
      if (!hooks.accept || hooks.accept(patient)) {
        done.set(g, patient);
      } else if (attempt + 1 >= o.maxAttempts) {
        throw new TrajsimError(
          'INFEASIBLE',
          `patient ${syntheticPatientId(g)}: no candidate met the criteria in ${o.maxAttempts} attempts; the criteria are (nearly) infeasible for this model`,
        );
      } else {
        retries.push({ g, attempt: attempt + 1 });
      }
    }
    for (let p = done.get(nextOut); p !== undefined; p = done.get(nextOut)) {
      done.delete(nextOut);
      writer.addPatient(syntheticPatientId(nextOut), p.indexDay, p.attributes);
      for (let e = 0; e < p.days.length; e++) writer.addEvent(p.days[e]!, p.codes[e]!, Number.NaN);
      hooks.written?.(p as GeneratedPatient);
      counts.written++;
      counts.events += p.days.length;
      nextOut++;
    }
    await writer.commit();
    const elapsed = (performance.now() - started) / 1000;
    o.logger.progress?.(
      'generate',
      (o.progressOffset ?? 0) + counts.written,
      o.progressTotal ?? to - from,
      `${Math.round(counts.events / Math.max(elapsed, 1e-9))} events/s`,
    );
  }
  return counts;
}

/**
 * Generates a synthetic cohort with a trained model and streams it to a timeline directory
 * (one shard of it with `shard`): see {@link sampleRange} for how patients are drawn, why the
 * bytes do not depend on the batch size, and why the union of the shards equals the
 * unsharded output.
 *
 * Throws INVALID_ARGUMENT for bad options, IO if `out` is taken, INFEASIBLE when criteria
 * almost never hold.
 *
 * @example
 * await generateCohort(model, { patients: 1000, seed: 7, out: 'out/synthetic' })
 * // => { generated: 1000, accepted: 1000, ... }
 */
export async function generateCohort(
  model: GenerationModel,
  options: GenerateCohortOptions,
): Promise<GenerateCohortSummary> {
  const o = resolveSampleOptions(model, options);
  const { start: first, end } = options.shard
    ? shardRange(options.patients, options.shard)
    : { start: 0, end: options.patients };
  const writer = await TimelineWriter.create(options.out, {
    name: options.name ?? 'synthetic',
    source: generationSource(model, options, o),
    attributes: model.attributes,
    codes: model.stepModel.codes,
    ...(options.overwrite ? { overwrite: true } : {}),
  });
  const started = performance.now();
  try {
    const counts = await sampleRange(model, writer, first, end, o);
    const manifest = await writer.close(options.extraFiles);
    const seconds = (performance.now() - started) / 1000;
    return summarize(manifest, first, counts, seconds, o.logger, options.hooks);
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/**
 * The `source` line of a generated timeline.json (the same for every shard and part).
 *
 * @example
 * generationSource(model, { seed: 7, patients: 1000 }, o)
 * // => 'trajsim generate: <model>; seed 7; 1000 patients; horizon <days> d'
 */
export function generationSource(
  model: GenerationModel,
  options: { seed: string | number; patients: number },
  o: SampleRangeOptions,
): string {
  return `trajsim generate: ${model.description}; seed ${options.seed}; ${options.patients} patients; horizon ${o.horizonDays} d`;
}

/**
 * The summary of a finished run, with a warning when criteria rejected most candidates.
 *
 * @example
 * summarize(manifest, 0, { written: 5, candidates: 1000, events: 40, capped: 0 }, 1.5, logger, hooks)
 * // => { generated: 5, candidates: 1000, ... } and a LOW_ACCEPTANCE warning (5/1000 < 1%)
 */
export function summarize(
  manifest: TimelineManifest,
  first: number,
  counts: SampleRangeCounts,
  seconds: number,
  logger: Logger,
  hooks: GenerationHooks | undefined,
): GenerateCohortSummary {
  if (hooks?.accept && counts.candidates > 0 && counts.written / counts.candidates < 0.01) {
    logger.warn(MESSAGES.LOW_ACCEPTANCE, lowAcceptance(counts.written, counts.candidates));
  }
  return {
    manifest,
    firstPatient: first,
    generated: counts.written,
    candidates: counts.candidates,
    accepted: counts.written,
    cappedByMaxEvents: counts.capped,
    seconds,
    patientsPerSecond: counts.written / Math.max(seconds, 1e-9),
    eventsPerSecond: counts.events / Math.max(seconds, 1e-9),
  };
}
