// Over 400 lines on purpose: sampleRange is the batch sampler whose draw order fixes the bytes of
// every generated cohort; its steps (fill slots, sample codes, record events, refill/compact,
// flush in index order) share one RangeState and stay beside it; each function is short.
import { TrajsimError } from '../core/errors.js';
import { type Logger, lowAcceptance, MESSAGES, SILENT_LOGGER } from '../core/messages.js';
import { Rng } from '../core/rng.js';
import { type Shard, shardRange } from '../core/shard.js';
import { type ForcedAttributeValue, sampleAttributes } from '../model/attribute-model.js';
import { createRuleMask } from '../rules/rule-mask.js';
import { TERMINAL_CODES, type TimelineManifest } from '../timeline/types.js';
import { TimelineWriter } from '../timeline/writer.js';
import { sampleCode } from './sample-code.js';
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
  /** The event's value (an intervention can set a lab or marker value); absent or NaN: none. */
  readonly value?: number;
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
  /** Event values parallel to `codes` (NaN: the event has no value). */
  readonly values: Float64Array;
}

/**
 * An observed history a candidate steps through before sampling (digital twins): its events
 * are fed to the model by teacher forcing (the same `step` calls, with the real codes, gaps
 * and days) and recorded as they are; sampling starts after the last one.
 */
export interface HistoryPrefix {
  /** The candidate's index day (days since 1970-01-01), instead of a drawn one. */
  readonly indexDay: number;
  /** Event days (days since index, non-decreasing), codes (model code indices, no terminal code), values (NaN: none). */
  readonly days: Int32Array;
  readonly codes: Int32Array;
  readonly values: Float64Array;
  /**
   * The landmark: the first sampled event falls strictly after this day. Its code and gap are
   * drawn jointly conditional on "no event in (last observed day, afterDay]": the pair is drawn
   * again (code from the same step probabilities, then its gap) until the day passes the
   * landmark, up to {@link MAX_LANDMARK_DRAWS} pairs; after that the last code drawn is kept
   * on day `afterDay + 1`.
   */
  readonly afterDay: number;
}

/**
 * (code, gap) pair draws for the first event after a history prefix before the fallback (the
 * last code drawn, on the day after the landmark).
 */
export const MAX_LANDMARK_DRAWS = 64;

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
  /** (d) an observed history to step through before sampling ({@link HistoryPrefix}). */
  readonly history?: (globalIndex: number) => HistoryPrefix | undefined;
  /** The written patient's id (default {@link syntheticPatientId}). */
  readonly patientId?: (globalIndex: number) => string;
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
/** While candidates wait, refill the batch's idle rows once this share of it is idle. */
export const REFILL_SHARE = 1 / 32;
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
  readonly values: Float64Array;
}

/**
 * The state of one {@link sampleRange} call: the model's codes, the row buffers of up to `cap`
 * candidates (slot i), the queues of waiting candidates and finished patients, and the batch
 * (rows[k] is the slot of the model's k-th row, -1 once that candidate has finished).
 */
interface RangeState {
  readonly model: GenerationModel;
  readonly sm: GenerationModel['stepModel'];
  readonly writer: PatientWriter;
  readonly o: SampleRangeOptions;
  readonly from: number;
  readonly to: number;
  readonly codes: readonly string[];
  readonly V: number;
  readonly BOS: number;
  readonly censor: number;
  readonly death: number;
  readonly codeIndex: Map<string, number>;
  readonly nA: number;
  readonly root: Rng;
  readonly counts: SampleRangeCounts;
  readonly started: number;
  readonly cap: number;
  readonly attrs: Float64Array;
  readonly indexDay: Int32Array;
  readonly rowPatient: Int32Array;
  readonly rowAttempt: Int32Array;
  readonly rngs: Rng[];
  readonly evDay: Int32Array;
  readonly evCode: Int32Array;
  /** Event values (NaN: none), like evDay. */
  readonly evValue: Float64Array;
  readonly count: Int32Array;
  readonly prevCode: Int32Array;
  /** The value of each slot's last event (NaN: none). */
  readonly prevValue: Float64Array;
  /** StepModel.valuedCodes when the model generates values (else no value draws at all). */
  readonly valued: Uint8Array | undefined;
  readonly prevGap: Int32Array;
  readonly prevDay: Int32Array;
  /** The gap of the first event after a history prefix, drawn with its code ({@link conditionOnLandmark}). */
  readonly landmarkGap: Int32Array;
  readonly forced: (readonly ForcedEvent[] | undefined)[];
  readonly history: (HistoryPrefix | undefined)[];
  readonly forcedNext: Int32Array;
  readonly replaced: (Set<number> | undefined)[];
  readonly replacedUntil: Int32Array;
  readonly replaceCache: Map<readonly string[], Set<number>>;
  readonly retries: { g: number; attempt: number }[];
  readonly done: Map<number, Finished>;
  nextNew: number;
  nextOut: number;
  writtenAtCommit: number;
  readonly inCode: Int32Array;
  readonly inGap: Int32Array;
  readonly inDay: Int32Array;
  readonly inValue: Float64Array;
  readonly nextCode: Int32Array;
  readonly freeSlots: Int32Array;
  nFree: number;
  readonly newAttrs: Float64Array;
  readonly ruleMask: ReturnType<typeof createRuleMask>;
  rows: Int32Array;
  /** Rows of the model's batch. */
  m: number;
  /** Rows still sampling. */
  live: number;
}

/** The buffers of a sampleRange call over [from, to) (to > from). */
function createRangeState(
  model: GenerationModel,
  writer: PatientWriter,
  from: number,
  to: number,
  o: SampleRangeOptions,
  base: {
    codes: readonly string[];
    censor: number;
    death: number;
    root: Rng;
    counts: SampleRangeCounts;
    started: number;
  },
): RangeState {
  const { codes } = base;
  const V = codes.length;
  const nA = model.attributes.length;
  const { maxEvents } = o;
  const cap = Math.max(1, Math.min(o.batchSize, to - from));
  const attrs = new Float64Array(cap * nA);
  const evDay = new Int32Array(cap * maxEvents);
  const evCode = new Int32Array(cap * maxEvents);
  const count = new Int32Array(cap);
  const samplerRows = { evCode, evDay, count, attrs, attributes: nA, maxEvents };
  return {
    ...base,
    model,
    sm: model.stepModel,
    writer,
    o,
    from,
    to,
    V,
    BOS: V,
    codeIndex: new Map(codes.map((c, i) => [c, i])),
    nA,
    cap,
    attrs,
    indexDay: new Int32Array(cap),
    rowPatient: new Int32Array(cap),
    rowAttempt: new Int32Array(cap),
    rngs: new Array(cap),
    evDay,
    evCode,
    evValue: new Float64Array(cap * maxEvents),
    count,
    prevCode: new Int32Array(cap),
    prevValue: new Float64Array(cap),
    valued:
      model.stepModel.valuedCodes?.some((v) => v === 1) && model.stepModel.sampleValue
        ? model.stepModel.valuedCodes
        : undefined,
    prevGap: new Int32Array(cap),
    prevDay: new Int32Array(cap),
    landmarkGap: new Int32Array(cap),
    forced: new Array(cap),
    history: new Array(cap),
    forcedNext: new Int32Array(cap),
    replaced: new Array(cap),
    replacedUntil: new Int32Array(cap),
    replaceCache: new Map<readonly string[], Set<number>>(),
    retries: [],
    done: new Map<number, Finished>(),
    nextNew: from,
    nextOut: from,
    writtenAtCommit: 0,
    inCode: new Int32Array(cap),
    inGap: new Int32Array(cap),
    inDay: new Int32Array(cap),
    inValue: new Float64Array(cap),
    nextCode: new Int32Array(cap),
    freeSlots: Int32Array.from({ length: cap }, (_, i) => cap - 1 - i),
    nFree: cap,
    newAttrs: new Float64Array(cap * nA),
    ruleMask: createRuleMask(model.rules, codes, model.attributes, samplerRows, cap),
    rows: new Int32Array(cap).fill(-1),
    m: 0,
    live: 0,
  };
}

/** The codes (indices) that start with one of `prefixes`, cached per prefix list. */
function replaceSet(s: RangeState, prefixes: readonly string[]): Set<number> {
  let r = s.replaceCache.get(prefixes);
  if (!r) {
    r = new Set(s.codes.flatMap((c, i) => (prefixes.some((p) => c.startsWith(p)) ? [i] : [])));
    s.replaceCache.set(prefixes, r);
  }
  return r;
}

function waiting(s: RangeState): boolean {
  return s.retries.length > 0 || s.nextNew < s.to;
}

/** Takes up to `most` free slots for waiting candidates (retries first, oldest patients first). */
function fillSlots(s: RangeState, most: number): Int32Array {
  const { retries, freeSlots, rowPatient, rowAttempt, nA, attrs } = s;
  retries.sort((x, y) => x.g - y.g);
  const slots: number[] = [];
  while (slots.length < most && s.nFree > 0 && waiting(s)) {
    const i = freeSlots[--s.nFree]!;
    if (retries.length > 0) {
      const r = retries.shift()!;
      rowPatient[i] = r.g;
      rowAttempt[i] = r.attempt;
    } else {
      rowPatient[i] = s.nextNew++;
      rowAttempt[i] = 0;
    }
    startCandidate(s, i);
    slots.push(i);
  }
  s.counts.candidates += slots.length;
  const values = s.newAttrs.subarray(0, slots.length * nA);
  slots.forEach((i, j) => {
    values.set(attrs.subarray(i * nA, (i + 1) * nA), j * nA);
  });
  return Int32Array.from(slots);
}

/** Draws candidate (g, attempt)'s attributes and index date into slot i. */
function startCandidate(s: RangeState, i: number): void {
  const { rowPatient, rowAttempt, rngs, attrs, nA, model, o, indexDay } = s;
  const { hooks } = o;
  const [indexLo, indexHi] = o.indexDayRange;
  const g = rowPatient[i]!;
  const rng = candidateRng(s.root, g, rowAttempt[i]!);
  rngs[i] = rng;
  const row = attrs.subarray(i * nA, (i + 1) * nA);
  sampleAttributes(
    model.attributeModel,
    rng.fork('attributes'),
    row,
    hooks.forcedAttributes?.(g, rng.fork('requested')),
  );
  indexDay[i] = indexLo + rng.fork('index-date').int(indexHi - indexLo + 1);
  const h = hooks.history?.(g);
  s.history[i] = h;
  if (h) indexDay[i] = h.indexDay;
  const f = hooks.forcedEvents?.(g);
  s.forced[i] = f && f.length > 0 ? f : undefined;
  s.forcedNext[i] = 0;
  s.replaced[i] = undefined;
  s.count[i] = 0;
  s.prevCode[i] = s.BOS;
  s.prevGap[i] = 0;
  s.prevDay[i] = 0;
  s.prevValue[i] = Number.NaN;
}

/** A finished candidate: accepted (waits in the reorder buffer) or retried. */
function finishCandidate(s: RangeState, i: number): void {
  const { rowPatient, rowAttempt, indexDay, attrs, nA, evDay, evCode, evValue, count, o } = s;
  const { hooks, maxEvents } = o;
  const g = rowPatient[i]!;
  const attempt = rowAttempt[i]!;
  const patient: GeneratedPatient = {
    globalIndex: g,
    attempt,
    indexDay: indexDay[i]!,
    attributes: attrs.slice(i * nA, (i + 1) * nA),
    days: evDay.slice(i * maxEvents, i * maxEvents + count[i]!),
    codes: evCode.slice(i * maxEvents, i * maxEvents + count[i]!),
    values: evValue.slice(i * maxEvents, i * maxEvents + count[i]!),
  };
  s.freeSlots[s.nFree++] = i;
  if (!hooks.accept || hooks.accept(patient)) {
    s.done.set(g, patient);
  } else if (attempt + 1 >= o.maxAttempts) {
    throw new TrajsimError(
      'INFEASIBLE',
      `patient ${syntheticPatientId(g)}: no candidate met the criteria in ${o.maxAttempts} attempts; the criteria are (nearly) infeasible for this model`,
    );
  } else {
    s.retries.push({ g, attempt: attempt + 1 });
  }
}

/** Writes the finished patients that are next in index order. */
async function flush(s: RangeState): Promise<void> {
  const { done, writer, counts, o, from, to } = s;
  const { hooks } = o;
  for (let p = done.get(s.nextOut); p !== undefined; p = done.get(s.nextOut)) {
    done.delete(s.nextOut);
    const id = hooks.patientId?.(s.nextOut) ?? syntheticPatientId(s.nextOut);
    writer.addPatient(id, p.indexDay, p.attributes);
    for (let e = 0; e < p.days.length; e++) writer.addEvent(p.days[e]!, p.codes[e]!, p.values[e]!);
    hooks.written?.(p as GeneratedPatient);
    counts.written++;
    counts.events += p.days.length;
    s.nextOut++;
  }
  if (counts.written - s.writtenAtCommit >= s.cap || s.nextOut >= to) {
    s.writtenAtCommit = counts.written;
    await writer.commit();
    const elapsed = (performance.now() - s.started) / 1000;
    o.logger.progress?.(
      'generate',
      (o.progressOffset ?? 0) + counts.written,
      o.progressTotal ?? to - from,
      `${Math.round(counts.events / Math.max(elapsed, 1e-9))} events/s`,
    );
  }
}

/**
 * Samples the code of every live row (two-stage step: code probabilities, a code per row
 * checked by the rule mask, then the gap head for that code).
 */
async function sampleCodes(s: RangeState): Promise<void> {
  const { rows, m, inCode, inGap, inDay, prevCode, prevGap, prevDay, BOS, sm } = s;
  const { nextCode, ruleMask, history, count } = s;
  for (let k = 0; k < m; k++) {
    const i = rows[k]!;
    inCode[k] = i < 0 ? BOS : prevCode[i]!;
    inGap[k] = i < 0 ? 0 : prevGap[i]!;
    inDay[k] = i < 0 ? 0 : prevDay[i]!;
    if (s.valued) s.inValue[k] = i < 0 ? Number.NaN : s.prevValue[i]!;
  }
  // Two-stage step: code probabilities, a code per row, then the gap head for that code.
  const probs = s.valued
    ? await sm.step(
        inCode.subarray(0, m),
        inGap.subarray(0, m),
        inDay.subarray(0, m),
        s.inValue.subarray(0, m),
      )
    : await sm.step(inCode.subarray(0, m), inGap.subarray(0, m), inDay.subarray(0, m));
  for (let k = 0; k < m; k++) {
    const i = rows[k]!;
    if (i < 0) {
      nextCode[k] = 0;
      continue;
    }
    const h = history[i];
    if (h && count[i]! < h.codes.length) {
      nextCode[k] = h.codes[count[i]!]!; // teacher forcing: the observed code, no draw
      ruleMask?.sync(i);
      continue;
    }
    nextCode[k] = drawCode(s, probs, k, i);
  }
  await sm.setNextCodes(nextCode.subarray(0, m));
  await conditionOnLandmark(s, probs);
}

/** Draws row k's (slot i's) next code from the step probabilities, with the rule mask applied. */
function drawCode(s: RangeState, probs: Float32Array, k: number, i: number): number {
  const { V, rngs, ruleMask, prevDay } = s;
  const code = sampleCode(probs, k, V, rngs[i]!);
  // hard plausibility rules (src/rules): a code they forbid is drawn again, masked
  return ruleMask
    ? ruleMask.checkCode(i, code, probs.subarray(k * V, (k + 1) * V), prevDay[i]!, rngs[i]!)
    : code;
}

/**
 * The first sampled event after a history prefix, drawn exactly conditional on "no event in
 * (last observed day, landmark]": rows at that event draw the gap of their code; a pair whose
 * day is not past the landmark is refused, and the row draws a new code from the same step
 * probabilities (the gap head is evaluated again for the new codes: `setNextCodes` on the
 * whole row set, the other rows' codes unchanged) and its gap, up to MAX_LANDMARK_DRAWS pairs
 * (then the last code is kept on the day after the landmark). An accepted pair has
 * probability ∝ P(code) · P(gap | code) · 1(day > landmark): the model's joint distribution
 * conditional on the landmark. Per row the draws are code, gap, code, gap, ... from its own
 * stream, so the bytes do not depend on the other rows. The gap is kept in `landmarkGap`.
 */
async function conditionOnLandmark(s: RangeState, probs: Float32Array): Promise<void> {
  const { rows, m, history, count, rngs, prevDay, nextCode, sm, landmarkGap, V } = s;
  let pending: number[] = [];
  for (let k = 0; k < m; k++) {
    const i = rows[k]!;
    if (i >= 0 && history[i] !== undefined && count[i] === history[i]!.codes.length) {
      pending.push(k);
    }
  }
  if (pending.length === 0) return;
  // the step's probabilities of these rows (a second setNextCodes may reuse the step's buffers)
  const own = new Float32Array(m * V);
  for (const k of pending) own.set(probs.subarray(k * V, (k + 1) * V), k * V);
  for (let draw = 1; pending.length > 0; draw++) {
    const again: number[] = [];
    for (const k of pending) {
      const i = rows[k]!;
      const landmark = history[i]!.afterDay;
      const gap = sm.sampleGapDays(k, nextCode[k]!, rngs[i]!);
      if (prevDay[i]! + gap > landmark) landmarkGap[i] = gap;
      else if (draw >= MAX_LANDMARK_DRAWS) landmarkGap[i] = landmark + 1 - prevDay[i]!;
      else {
        nextCode[k] = drawCode(s, own, k, i);
        again.push(k);
      }
    }
    if (again.length > 0) await sm.setNextCodes(nextCode.subarray(0, m));
    pending = again;
  }
}

/**
 * Draws the day of row k's (slot i's) sampled code and records the event, with forced events,
 * replaced codes, the horizon and `maxEvents` applied; a finished candidate leaves the batch.
 */
function recordEvent(s: RangeState, k: number, i: number): void {
  const { rngs, nextCode, prevDay, sm, ruleMask, forced, forcedNext, codeIndex, codes } = s;
  const { replaced, replacedUntil, count, evDay, evCode, prevGap, prevCode, censor, death } = s;
  const { maxEvents, horizonDays: horizon } = s.o;
  const rng = rngs[i]!;
  let c = nextCode[k]!;
  const h = s.history[i];
  if (h && count[i]! < h.codes.length) {
    recordObserved(s, i, h.days[count[i]!]!, c, h.values[count[i]!] ?? Number.NaN);
    return;
  }
  // the first event after a history prefix: its gap was drawn with its code (conditionOnLandmark)
  let day =
    prevDay[i]! +
    (h && count[i] === h.codes.length ? s.landmarkGap[i]! : sm.sampleGapDays(k, c, rng));
  if (ruleMask) day = ruleMask.checkDay(i, k, c, day, prevDay[i]!, sm, rng);
  // draw order per event: code, gap, value (only models with values draw one)
  let value = s.valued?.[c] === 1 ? sm.sampleValue!(k, c, rng) : Number.NaN;
  const f = forced[i];
  const pending = f && forcedNext[i]! < f.length ? f[forcedNext[i]!]! : undefined;
  if (
    pending &&
    ((count[i]! > 0 && day >= pending.day) ||
      (pending.replaces && day <= pending.day && replaceSet(s, pending.replaces).has(c)))
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
    value = ev.value ?? Number.NaN;
    day = Math.max(ev.day, prevDay[i]!);
    if (ev.replaces && ev.replaces.length > 0) {
      replaced[i] = replaceSet(s, ev.replaces);
      replacedUntil[i] = day;
    }
  } else if (replaced[i]?.has(c) && day <= replacedUntil[i]!) {
    // the forced event already stands for this one: drop it, continue from the same state
    return;
  }
  let finished = c === censor || c === death;
  if (day > horizon) {
    c = censor;
    day = Math.max(horizon, prevDay[i]!);
    value = Number.NaN;
    finished = true;
  } else if (!finished && count[i]! >= maxEvents - 2) {
    // record this event, then censor on its day: maxEvents in all
    evDay[i * maxEvents + count[i]!] = day;
    evCode[i * maxEvents + count[i]!] = c;
    s.evValue[i * maxEvents + count[i]!] = value;
    count[i]!++;
    c = censor;
    value = Number.NaN;
    finished = true;
    s.counts.capped++;
  }
  const e = i * maxEvents + count[i]!;
  evDay[e] = day;
  evCode[e] = c;
  s.evValue[e] = value;
  count[i]!++;
  prevGap[i] = day - prevDay[i]!;
  prevDay[i] = day;
  prevCode[i] = c;
  s.prevValue[i] = value;
  if (finished) {
    s.rows[k] = -1;
    s.live--;
    finishCandidate(s, i);
  }
}

/** Records an observed event of a history prefix (teacher forcing: no draw), with its value. */
function recordObserved(s: RangeState, i: number, day: number, c: number, value: number): void {
  const e = i * s.o.maxEvents + s.count[i]!;
  s.evDay[e] = day;
  s.evCode[e] = c;
  s.evValue[e] = value;
  s.prevValue[i] = value;
  s.count[i]!++;
  s.prevGap[i] = day - s.prevDay[i]!;
  s.prevDay[i] = day;
  s.prevCode[i] = c;
}

/**
 * Continuous batching after a step: while candidates wait, the rows of finished ones are
 * refilled in place (StepModel.replaceRows) as soon as `refillAt` rows are idle; once none
 * wait, the batch shrinks (COMPACT_SHARE) as trajectories end.
 */
async function refillOrCompact(s: RangeState, refillAt: number): Promise<void> {
  const { cap, sm, nA } = s;
  if (waiting(s) && cap - s.live >= refillAt) {
    // Refill: the idle rows first (in place), then new rows after the last one.
    const positions: number[] = [];
    for (let k = 0; k < s.m && positions.length < cap - s.live; k++) {
      if (s.rows[k]! < 0) positions.push(k);
    }
    for (let k = s.m; k < cap; k++) positions.push(k);
    const slots = fillSlots(s, positions.length);
    const at = Int32Array.from(positions.slice(0, slots.length));
    for (let j = 0; j < slots.length; j++) s.rows[at[j]!] = slots[j]!;
    const batch = { rows: slots.length, values: s.newAttrs.subarray(0, slots.length * nA) };
    if (s.live === 0) {
      // every row had finished: a fresh batch of the new candidates (rows 0..n−1)
      s.rows.fill(-1);
      s.rows.set(slots);
      s.m = slots.length;
      await sm.start(batch);
    } else {
      await sm.replaceRows(at, batch);
      s.m = Math.max(s.m, at.length > 0 ? at[at.length - 1]! + 1 : 0);
    }
    s.live += slots.length;
  } else if (!waiting(s) && s.live > 0 && s.live < COMPACT_SHARE * s.m) {
    const keep = new Int32Array(s.live);
    const kept = new Int32Array(cap).fill(-1);
    let j = 0;
    for (let k = 0; k < s.m; k++) {
      if (s.rows[k]! >= 0) {
        keep[j] = k;
        kept[j++] = s.rows[k]!;
      }
    }
    sm.keepRows(keep);
    s.rows = kept;
    s.m = s.live;
  }
}

/**
 * Samples patients with global indices [from, to) into `writer`, in index order.
 *
 * Up to `batchSize` candidates run through the model together, step by step (continuous
 * batching: as trajectories end, their rows are refilled with the next candidates, so short
 * trajectories do not wait for the longest one). Candidate (g, a) draws from its own stream
 * ({@link candidateRng}): attributes from `.fork('attributes')`, the index date from
 * `.fork('index-date')`, each step's code ({@link sampleCode}) and gap from the stream itself,
 * in order. A candidate with a history ({@link GenerationHooks.history}) first steps through
 * its observed events (teacher forcing, no draws), then samples after its landmark. A
 * rejected candidate is retried as (g, a + 1) in the next free row, and finished patients wait
 * in a reorder buffer until every lower index is written. So the bytes depend on neither
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
  const censor = codes.indexOf(TERMINAL_CODES.END_OF_FOLLOWUP);
  const death = codes.indexOf(TERMINAL_CODES.DEATH);
  if (censor < 0) throw new TrajsimError('MODEL', 'the model has no END_OF_FOLLOWUP code');
  const root = new Rng(o.seed).fork('patient');
  const counts: SampleRangeCounts = { written: 0, candidates: 0, events: 0, capped: 0 };
  const started = performance.now();

  if (to <= from) return counts;
  const s = createRangeState(model, writer, from, to, o, {
    codes,
    censor,
    death,
    root,
    counts,
    started,
  });

  // Continuous batching: the model's batch holds up to `cap` candidates; rows[k] is the slot
  // of the model's k-th row (-1 once that candidate has finished). While candidates wait, the
  // rows of finished ones are refilled in place (StepModel.replaceRows) as soon as
  // REFILL_SHARE of the batch is idle; once none wait, the batch shrinks (COMPACT_SHARE) as
  // trajectories end.
  const first = fillSlots(s, s.cap);
  s.rows.set(first);
  s.m = first.length;
  s.live = s.m;
  await sm.start({ rows: s.m, values: s.newAttrs.subarray(0, s.m * s.nA) });
  const refillAt = Math.max(1, Math.floor(REFILL_SHARE * s.cap));
  try {
    while (s.live > 0) {
      await sampleCodes(s);
      for (let k = 0; k < s.m; k++) {
        const i = s.rows[k]!;
        if (i < 0) continue;
        recordEvent(s, k, i);
      }
      if (s.live < s.m) await flush(s);
      await refillOrCompact(s, refillAt);
    }
  } finally {
    sm.end();
  }
  await flush(s);
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
