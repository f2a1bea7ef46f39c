import { TrajsimError } from '../core/errors.js';
import { type Logger, MESSAGES, SILENT_LOGGER } from '../core/messages.js';
import { Rng } from '../core/rng.js';
import { type ForcedAttributeValue, sampleAttributes } from '../model/attribute-model.js';
import { TERMINAL_CODES, type TimelineManifest } from '../timeline/types.js';
import { TimelineWriter } from '../timeline/writer.js';
import { type Shard, shardRange } from './shard.js';
import type { GenerationModel } from './step-model.js';

/** A forced event (an intervention): `code` at `day` (days since index). */
export interface ForcedEvent {
  readonly day: number;
  readonly code: string;
}

/** A generated patient, as the accept/reject hook sees it (views valid during the call). */
export interface GeneratedPatient {
  readonly globalIndex: number;
  readonly indexDay: number;
  /** Attribute values in schema order (level index or -1; number or NaN). */
  readonly attributes: Float64Array;
  readonly days: Int32Array;
  /** Indices into the model's codes. */
  readonly codes: Int32Array;
}

/** Hooks for a scenario engine; every hook is called with the patient's global index. */
export interface GenerationHooks {
  /** (a) fixed attribute values (by name); the others are drawn conditionally on them. */
  readonly forcedAttributes?: (
    globalIndex: number,
  ) => Readonly<Record<string, ForcedAttributeValue>> | undefined;
  /**
   * (b) forced events, sorted by day. A forced event is inserted before the first sampled
   * event on or after its day, but never before the patient's first event; the sampled event
   * it pre-empts is dropped and the trajectory continues from the forced event. A patient
   * whose sampled trajectory ends before the day never gets it.
   */
  readonly forcedEvents?: (globalIndex: number) => readonly ForcedEvent[] | undefined;
  /** (c) keep the patient? A rejected patient is not written (ids keep their global index). */
  readonly accept?: (patient: GeneratedPatient) => boolean;
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
  readonly overwrite?: boolean;
  readonly name?: string;
  readonly hooks?: GenerationHooks;
  readonly logger?: Logger;
}

export interface GenerateCohortSummary {
  readonly manifest: TimelineManifest;
  readonly firstPatient: number;
  readonly generated: number;
  readonly accepted: number;
  /** Patients censored by the max-events cap (not by the horizon). */
  readonly cappedByMaxEvents: number;
  readonly seconds: number;
  readonly patientsPerSecond: number;
  readonly eventsPerSecond: number;
}

/** The batch is compacted when fewer than this share of its rows are still sampling. */
export const COMPACT_SHARE = 0.75;

/** Patient ids from global indices: S0000001 for index 0. */
export function syntheticPatientId(globalIndex: number): string {
  return `S${String(globalIndex + 1).padStart(7, '0')}`;
}

/**
 * Generates a synthetic cohort with a trained model and streams it to a timeline directory.
 *
 * Patients are sampled `batchSize` at a time, all steps of a batch together. Patient g's
 * randomness is its own stream `new Rng(seed).fork('patient').fork(g)`: its attributes come
 * from the sub-stream `.fork('attributes')`, its index date from `.fork('index-date')`
 * (uniform over the training index-date range), and each step's code and gap draws from the
 * patient stream itself, in order. So the output bytes do not depend on the batch size, and
 * `shard k/N` (a contiguous range of global indices, see shardRange) produces exactly its
 * rows of the unsharded output.
 *
 * Constraints hold by construction: days never go backwards (gaps are >= 0), nothing
 * follows a terminal code, a sampled day beyond the horizon becomes END_OF_FOLLOWUP at the
 * horizon, and a patient reaching `maxEvents` − 1 events is censored (END_OF_FOLLOWUP on its
 * last day).
 *
 * Throws INVALID_ARGUMENT for bad options, IO if `out` is taken.
 *
 * @example
 * await generateCohort(model, { patients: 1000, seed: 7, out: 'out/synthetic' })
 * // => { generated: 1000, accepted: 1000, ... }
 */
export async function generateCohort(
  model: GenerationModel,
  options: GenerateCohortOptions,
): Promise<GenerateCohortSummary> {
  const logger = options.logger ?? SILENT_LOGGER;
  const batchSize = options.batchSize ?? 1024;
  const total = options.patients;
  for (const [field, value, min] of [
    ['patients', total, 0],
    ['batchSize', batchSize, 1],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= min)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `${field} is ${value}; expected an integer >= ${min}`,
        { field },
      );
    }
  }
  const horizon = options.horizonDays ?? model.maxFollowUpDays;
  if (!(Number.isSafeInteger(horizon) && horizon >= 0)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `horizon is ${horizon}; expected an integer number of days >= 0`,
      {
        field: 'horizonDays',
      },
    );
  }
  const maxEvents = options.maxEvents ?? Math.max(16, 2 * model.maxEvents);
  if (!(Number.isSafeInteger(maxEvents) && maxEvents >= 2)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `maxEvents is ${maxEvents}; expected an integer >= 2`,
      { field: 'maxEvents' },
    );
  }
  const { start: first, end } = options.shard
    ? shardRange(total, options.shard)
    : { start: 0, end: total };
  const sm = model.stepModel;
  const codes = sm.codes;
  const V = codes.length;
  const BOS = V;
  const censor = codes.indexOf(TERMINAL_CODES.END_OF_FOLLOWUP);
  const death = codes.indexOf(TERMINAL_CODES.DEATH);
  if (censor < 0) throw new TrajsimError('MODEL', 'the model has no END_OF_FOLLOWUP code');
  const codeIndex = new Map(codes.map((c, i) => [c, i]));
  const nA = model.attributes.length;
  const [indexLo, indexHi] = model.indexDayRange;
  const hooks = options.hooks ?? {};

  const writer = await TimelineWriter.create(options.out, {
    name: options.name ?? 'synthetic',
    source: `trajsim generate: ${model.description}; seed ${options.seed}; patients ${first}..${end - 1} of ${total}; horizon ${horizon} d`,
    attributes: model.attributes,
    codes,
    ...(options.overwrite ? { overwrite: true } : {}),
  });
  const root = new Rng(options.seed).fork('patient');
  const started = performance.now();
  let accepted = 0;
  let capped = 0;
  let eventsWritten = 0;
  // Batch buffers (reused).
  const cap = Math.min(batchSize, Math.max(1, end - first));
  const attrs = new Float64Array(cap * nA);
  const indexDay = new Int32Array(cap);
  const rngs: Rng[] = new Array(cap);
  const evDay = new Int32Array(cap * maxEvents);
  const evCode = new Int32Array(cap * maxEvents);
  const count = new Int32Array(cap);
  const prevCode = new Int32Array(cap);
  const prevGap = new Int32Array(cap);
  const prevDay = new Int32Array(cap);
  const forced: (readonly ForcedEvent[] | undefined)[] = new Array(cap);
  const forcedNext = new Int32Array(cap);
  try {
    for (let b0 = first; b0 < end; b0 += batchSize) {
      const n = Math.min(batchSize, end - b0);
      for (let i = 0; i < n; i++) {
        const g = b0 + i;
        const rng = root.fork(g);
        rngs[i] = rng;
        const row = attrs.subarray(i * nA, (i + 1) * nA);
        sampleAttributes(
          model.attributeModel,
          rng.fork('attributes'),
          row,
          hooks.forcedAttributes?.(g),
        );
        indexDay[i] = indexLo + rng.fork('index-date').int(indexHi - indexLo + 1);
        const f = hooks.forcedEvents?.(g);
        forced[i] = f && f.length > 0 ? f : undefined;
        forcedNext[i] = 0;
        count[i] = 0;
        prevCode[i] = BOS;
        prevGap[i] = 0;
        prevDay[i] = 0;
      }
      sm.start({ rows: n, values: attrs.subarray(0, n * nA) });
      // rows[k] = batch row of the model's k-th current row, -1 once that patient is done.
      // Finished rows stay in the model's batch (their outputs ignored) until fewer than
      // COMPACT_SHARE of the rows are live; then the batch is compacted (one gather).
      let rows = Int32Array.from({ length: n }, (_, i) => i);
      let live = n;
      const inCode = new Int32Array(n);
      const inGap = new Int32Array(n);
      const inDay = new Int32Array(n);
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
          let c = rng.categorical(probs.subarray(k * V, (k + 1) * V));
          let day = prevDay[i]! + sm.sampleGapDays(k, c, rng);
          const f = forced[i];
          if (f && forcedNext[i]! < f.length && count[i]! > 0 && day >= f[forcedNext[i]!]!.day) {
            const ev = f[forcedNext[i]!]!;
            const fc = codeIndex.get(ev.code);
            if (fc === undefined) {
              throw new TrajsimError(
                'INFEASIBLE',
                `forced event code '${ev.code}' is not in the model's codes`,
              );
            }
            forcedNext[i]!++;
            c = fc;
            day = Math.max(ev.day, prevDay[i]!);
          }
          let done = c === censor || c === death;
          if (day > horizon) {
            c = censor;
            day = Math.max(horizon, prevDay[i]!);
            done = true;
          } else if (!done && count[i]! >= maxEvents - 2) {
            // record this event, then censor on its day: maxEvents in all
            evDay[i * maxEvents + count[i]!] = day;
            evCode[i * maxEvents + count[i]!] = c;
            count[i]!++;
            c = censor;
            done = true;
            capped++;
          }
          const e = i * maxEvents + count[i]!;
          evDay[e] = day;
          evCode[e] = c;
          count[i]!++;
          prevGap[i] = day - prevDay[i]!;
          prevDay[i] = day;
          prevCode[i] = c;
          if (done) {
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
      sm.end();
      for (let i = 0; i < n; i++) {
        const g = b0 + i;
        const days = evDay.subarray(i * maxEvents, i * maxEvents + count[i]!);
        const cs = evCode.subarray(i * maxEvents, i * maxEvents + count[i]!);
        const row = attrs.subarray(i * nA, (i + 1) * nA);
        if (
          hooks.accept &&
          !hooks.accept({
            globalIndex: g,
            indexDay: indexDay[i]!,
            attributes: row,
            days,
            codes: cs,
          })
        )
          continue;
        writer.addPatient(syntheticPatientId(g), indexDay[i]!, row);
        for (let e = 0; e < days.length; e++) writer.addEvent(days[e]!, cs[e]!, Number.NaN);
        accepted++;
        eventsWritten += days.length;
      }
      await writer.commit();
      logger.progress?.(
        'generate',
        b0 + n - first,
        end - first,
        `${Math.round(eventsWritten / ((performance.now() - started) / 1000))} events/s`,
      );
    }
    const manifest = await writer.close();
    const seconds = (performance.now() - started) / 1000;
    if (hooks.accept && end > first && accepted / (end - first) < 0.01) {
      logger.warn(
        MESSAGES.LOW_ACCEPTANCE,
        `only ${accepted} of ${end - first} generated patients were accepted`,
      );
    }
    return {
      manifest,
      firstPatient: first,
      generated: end - first,
      accepted,
      cappedByMaxEvents: capped,
      seconds,
      patientsPerSecond: (end - first) / Math.max(seconds, 1e-9),
      eventsPerSecond: eventsWritten / Math.max(seconds, 1e-9),
    };
  } catch (error) {
    sm.end();
    await writer.abort();
    throw error;
  }
}
