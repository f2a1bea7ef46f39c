import type { Rng } from '../core/rng.js';
import type { Timeline } from '../timeline/types.js';
import { gapBinOf } from './gap-distribution.js';
import type { SequenceBatch } from './gru-network.js';
import { LOG_DAYS_SCALE, stepInputWidth } from './gru-shape.js';
import { type ResolvedValueModel, standardizeValue, valueTarget } from './value-spec.js';

/** Longest sequence used in training; longer timelines keep their first MAX_TRAIN_STEPS events. */
export const MAX_TRAIN_STEPS = 256;

/** What {@link makeSequenceBatch} needs about the data, computed once per timeline. */
export interface EncodedTimeline {
  readonly timeline: Timeline;
  /** Vocabulary index of each timeline code index. */
  readonly codeMap: Int32Array;
  readonly vocabularySize: number;
  /** [patients, attributeWidth] encoded attributes of every patient row. */
  readonly attributes: Float32Array;
  readonly attributeWidth: number;
  /** Day-bin edges of a binned gap head (see gapBinEdges); absent for the mixture head. */
  readonly gapBinEdges?: readonly number[];
  /** The value model of a network with a value head; absent: values are ignored. */
  readonly values?: ResolvedValueModel;
}

/**
 * Number of training steps of patient row `p` (its events, capped).
 *
 * @example
 * sequenceLength(timeline, 0) // => events of patient row 0, at most MAX_TRAIN_STEPS
 */
export function sequenceLength(timeline: Timeline, p: number, maxSteps = MAX_TRAIN_STEPS): number {
  return Math.min(maxSteps, timeline.offsets[p + 1]! - timeline.offsets[p]!);
}

/**
 * Groups patient rows into length-bucketed batches: rows are shuffled, sorted by length
 * (stable, so ties stay shuffled), cut into batches of `batchSize`, and the batch order is
 * shuffled. Padding is then small and the order differs per epoch (pass a per-epoch `rng`).
 *
 * @example
 * planBatches(Int32Array.of(0, 1, 2, 3), Int32Array.of(5, 2, 5, 2), 2, rng)
 * // => [[1, 3], [0, 2]] or [[2, 0], [3, 1]] ... (equal lengths together)
 */
export function planBatches(
  rows: Int32Array,
  lengths: Int32Array,
  batchSize: number,
  rng: Rng,
): Int32Array[] {
  const order = rng.shuffle(Int32Array.from(rows));
  const sorted = Array.from(order).sort((a, b) => lengths[a]! - lengths[b]!);
  const batches: Int32Array[] = [];
  for (let i = 0; i < sorted.length; i += batchSize) {
    batches.push(Int32Array.from(sorted.slice(i, i + batchSize)));
  }
  return rng.shuffle(batches);
}

/**
 * Builds a padded, masked batch straight from the timeline's typed arrays (no per-event
 * objects). Step t of a patient predicts its event t from the event before it:
 * inputs = one-hot of the previous code (a beginning-of-sequence token at t = 0),
 * log1p(previous gap)/8, log1p(previous day)/8; targets = the code of event t and its gap
 * d_t = day_t − day_{t−1} (day_{−1} = 0, the index date).
 *
 * @example
 * const batch = makeSequenceBatch(encoded, Int32Array.of(0, 1, 2));
 * // padded inputs, code and gap targets and a mask, one row per patient
 */
export function makeSequenceBatch(
  data: EncodedTimeline,
  rows: Int32Array,
  maxSteps = MAX_TRAIN_STEPS,
): SequenceBatch {
  const { timeline, codeMap, vocabularySize: V, attributeWidth: A } = data;
  const { day, code } = timeline.events;
  const B = rows.length;
  let T = 1;
  for (let i = 0; i < B; i++) T = Math.max(T, sequenceLength(timeline, rows[i]!, maxSteps));
  const vm = data.values;
  const I = stepInputWidth(V, vm !== undefined);
  const inputs = new Float32Array(B * T * I);
  const attributes = new Float32Array(B * A);
  const targetCodes = new Float32Array(B * T * V);
  const zeroGap = new Float32Array(B * T);
  const logHi = new Float32Array(B * T).fill(Math.log(1.5));
  const logLo = new Float32Array(B * T).fill(Math.log(1e-20));
  const mask = new Float32Array(B * T);
  const edges = data.gapBinEdges;
  const gapBin = edges ? new Int32Array(B * T) : undefined;
  const gapLogWidth = edges ? new Float32Array(B * T) : undefined;
  const vt = vm ? valueTargets(B * T, vm.spec.codes.length) : undefined;
  let events = 0;
  for (let i = 0; i < B; i++) {
    const p = rows[i]!;
    attributes.set(data.attributes.subarray(p * A, (p + 1) * A), i * A);
    const start = timeline.offsets[p]!;
    const L = sequenceLength(timeline, p, maxSteps);
    let prevCode = V; // beginning of sequence
    let prevGap = 0;
    let prevDay = 0;
    vt?.resetPatient();
    for (let t = 0; t < L; t++) {
      const e = start + t;
      const r = i * T + t;
      const x = r * I;
      inputs[x + prevCode] = 1;
      inputs[x + V + 1] = Math.log1p(prevGap) / LOG_DAYS_SCALE;
      inputs[x + V + 2] = Math.log1p(prevDay) / LOG_DAYS_SCALE;
      const c = codeMap[code[e]!]!;
      const d = day[e]!;
      const gap = d - prevDay;
      targetCodes[r * V + c] = 1;
      mask[r] = 1;
      if (gap === 0) zeroGap[r] = 1;
      else {
        logHi[r] = Math.log(gap + 0.5);
        logLo[r] = gap === 1 ? Math.log(1e-20) : Math.log(gap - 0.5);
      }
      if (edges) {
        const j = gapBinOf(edges, gap);
        gapBin![r] = j;
        gapLogWidth![r] = Math.log(edges[j + 1]! - edges[j]!);
      }
      if (vm && vt) vt.event(vm, r, x + V + 3, inputs, c, timeline.events.value[e]!);
      prevCode = c;
      prevGap = gap;
      prevDay = d;
      events++;
    }
  }
  return {
    rows: B,
    steps: T,
    inputs,
    attributes,
    targetCodes,
    zeroGap,
    logHi,
    logLo,
    mask,
    events,
    ...(gapBin && gapLogWidth ? { gapBin, gapLogWidth } : {}),
    ...(vt
      ? {
          valueBin: vt.bin,
          valueLogWidth: vt.logWidth,
          valueMask: vt.mask,
          valuePrev: vt.prev,
        }
      : {}),
  };
}

/**
 * The value-head targets of a batch being built, with the per-patient "last value of each
 * valued code" state. `event` records step r's event (code c, value v in data units): its
 * target bin, the previous value of the same code, and — into the next step's input at
 * `nextInputAt` (when that step exists) — the event's standardised value and has-value flag.
 */
function valueTargets(n: number, slots: number) {
  const lastZ = new Float32Array(slots);
  const had = new Uint8Array(slots);
  const state = {
    bin: new Int32Array(n),
    logWidth: new Float32Array(n),
    mask: new Float32Array(n),
    prev: new Float32Array(2 * n),
    /** The standardised value (and flag) of the previous event, fed to the next step. */
    pendingZ: 0,
    pendingHas: 0,
    resetPatient(): void {
      lastZ.fill(0);
      had.fill(0);
      state.pendingZ = 0;
      state.pendingHas = 0;
    },
    event(
      vm: ResolvedValueModel,
      r: number,
      inputAt: number,
      inputs: Float32Array,
      c: number,
      v: number,
    ): void {
      // this step's input carries the value of the event before it (set on the previous call)
      inputs[inputAt] = state.pendingZ;
      inputs[inputAt + 1] = state.pendingHas;
      state.pendingZ = 0;
      state.pendingHas = 0;
      const spec = vm.byCode[c];
      // no value model for this code; or a missing value where training never saw one (its
      // slot is masked): not scored rather than scored as impossible
      if (!spec || (!Number.isFinite(v) && spec.missingShare === 0)) return;
      const k = vm.slot[c]!;
      state.mask[r] = 1;
      state.prev[2 * r] = lastZ[k]!;
      state.prev[2 * r + 1] = had[k]!;
      const target = valueTarget(spec, vm.spec.width, v);
      state.bin[r] = target.bin;
      state.logWidth[r] = target.logWidth;
      if (Number.isFinite(v)) {
        const z = standardizeValue(spec, v);
        lastZ[k] = z;
        had[k] = 1;
        state.pendingZ = z;
        state.pendingHas = 1;
      }
    },
  };
  return state;
}

/**
 * Splits patient rows 0..n-1 into training and validation rows (a seeded shuffle; the
 * validation part is round(n · fraction), at least 1 when fraction > 0 and n > 1).
 *
 * @example
 * splitPatients(10, 0.2, new Rng('1').fork('split')) // => { train: 8 rows, validation: 2 rows }, sorted
 */
export function splitPatients(
  n: number,
  validationFraction: number,
  rng: Rng,
): { train: Int32Array; validation: Int32Array } {
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  let nVal = Math.round(n * validationFraction);
  if (validationFraction > 0 && n > 1) nVal = Math.max(1, Math.min(n - 1, nVal));
  const validation = order.slice(0, nVal).sort();
  const train = order.slice(nVal).sort();
  return { train, validation };
}

/**
 * Mean of ln(gap) over positive gaps (the gap head's location offset); ln 30 when none.
 *
 * @example
 * meanLogPositiveGap(timeline, rows) // => mean of ln(gap days) over positive gaps; ln 30 when none
 */
export function meanLogPositiveGap(timeline: Timeline, rows: Int32Array): number {
  let sum = 0;
  let n = 0;
  for (const p of rows) {
    let prev = 0;
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const d = timeline.events.day[e]!;
      if (d > prev) {
        sum += Math.log(d - prev);
        n++;
      }
      prev = d;
    }
  }
  return n > 0 ? sum / n : Math.log(30);
}

/**
 * Longest gap (days) between consecutive events (index date → first event included) of `rows`.
 *
 * @example
 * maxGapDays(timeline, rows) // => the longest gap in days, 0 for no events
 */
export function maxGapDays(timeline: Timeline, rows: Int32Array): number {
  let max = 0;
  for (const p of rows) {
    let prev = 0;
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const d = timeline.events.day[e]!;
      max = Math.max(max, d - prev);
      prev = d;
    }
  }
  return max;
}

/**
 * Initial logits of a binned gap head: ln of the (add-½ smoothed) frequency of each day bin
 * among the gaps of `rows`, so training starts from the marginal gap distribution.
 *
 * @example
 * gapBinLogFrequencies(timeline, rows, [0, 1, 2, 4]) // => 3 log frequencies (add-1/2 smoothed)
 */
export function gapBinLogFrequencies(
  timeline: Timeline,
  rows: Int32Array,
  edges: readonly number[],
): Float32Array {
  const counts = new Float64Array(edges.length - 1).fill(0.5);
  let total = 0.5 * counts.length;
  for (const p of rows) {
    let prev = 0;
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const d = timeline.events.day[e]!;
      counts[gapBinOf(edges, d - prev)]! += 1;
      total += 1;
      prev = d;
    }
  }
  return Float32Array.from(counts, (c) => Math.log(c / total));
}
