/**
 * One step of sampleRange: the model's step for every live row, a code per row (rule mask,
 * teacher forcing of a history, the landmark condition), then each row's gap, value and event
 * (forced events, replaced codes, horizon, maxEvents).
 */
import { TrajsimError } from '../core/errors.js';
import { MAX_LANDMARK_DRAWS } from './generation-types.js';
import { finishCandidate } from './range-reorder.js';
import { type RangeState, replaceSet } from './range-state.js';
import { sampleCode } from './sample-code.js';

/**
 * Samples the code of every live row (two-stage step: code probabilities, a code per row
 * checked by the rule mask, then the gap head for that code).
 */
export async function sampleCodes(s: RangeState): Promise<void> {
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
export function recordEvent(s: RangeState, k: number, i: number): void {
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
