/**
 * The state of one sampleRange call (src/generate/sample-range.ts): the row buffers of the
 * candidates in the model's batch, the queues of waiting candidates and finished patients.
 */
import type { Rng } from '../core/rng.js';
import { createRuleMask } from '../rules/rule-mask.js';
import type {
  ForcedEvent,
  GeneratedPatient,
  HistoryPrefix,
  PatientWriter,
  SampleRangeCounts,
  SampleRangeOptions,
} from './generation-types.js';
import type { GenerationModel } from './step-model.js';

/** A finished candidate waiting in the reorder buffer (its global index is its key there). */
export type Finished = Omit<GeneratedPatient, 'globalIndex'>;

/**
 * The state of one {@link sampleRange} call: the model's codes, the row buffers of up to `cap`
 * candidates (slot i), the queues of waiting candidates and finished patients, and the batch
 * (rows[k] is the slot of the model's k-th row, -1 once that candidate has finished).
 */
export interface RangeState {
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

/** What sampleRange resolves before the buffers: the codes, terminal codes, root stream, counts. */
export type RangeBase = Pick<
  RangeState,
  'codes' | 'censor' | 'death' | 'root' | 'counts' | 'started'
>;

/** The buffers of a sampleRange call over [from, to) (to > from). */
export function createRangeState(
  model: GenerationModel,
  writer: PatientWriter,
  from: number,
  to: number,
  o: SampleRangeOptions,
  base: RangeBase,
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
export function replaceSet(s: RangeState, prefixes: readonly string[]): Set<number> {
  let r = s.replaceCache.get(prefixes);
  if (!r) {
    r = new Set(s.codes.flatMap((c, i) => (prefixes.some((p) => c.startsWith(p)) ? [i] : [])));
    s.replaceCache.set(prefixes, r);
  }
  return r;
}
