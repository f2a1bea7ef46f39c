/**
 * Pool fill of sampleRange: which waiting candidates (retries first, then new patients) take
 * the free slots of the batch, their attributes and index dates, and continuous batching
 * after a step (refill idle rows, or compact the batch once none wait).
 */
import { sampleAttributes } from '../model/attribute-model.js';
import { candidateRng } from './generation-types.js';
import type { RangeState } from './range-state.js';

/** Keep finished rows in the model's batch until fewer than this share are live (fewer gathers). */
export const COMPACT_SHARE = 0.75;
/** While candidates wait, refill the batch's idle rows once this share of it is idle. */
export const REFILL_SHARE = 1 / 32;

/** Whether candidates still wait for a slot (retries or patients not started). */
export function waiting(s: RangeState): boolean {
  return s.retries.length > 0 || s.nextNew < s.to;
}

/** Takes up to `most` free slots for waiting candidates (retries first, oldest patients first). */
export function fillSlots(s: RangeState, most: number): Int32Array {
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
export function startCandidate(s: RangeState, i: number): void {
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

/**
 * Continuous batching after a step: while candidates wait, the rows of finished ones are
 * refilled in place (StepModel.replaceRows) as soon as `refillAt` rows are idle; once none
 * wait, the batch shrinks (COMPACT_SHARE) as trajectories end.
 */
export async function refillOrCompact(s: RangeState, refillAt: number): Promise<void> {
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
