import type { Rng } from '../core/rng.js';
import {
  CODE,
  type CompiledReference,
  STATE_KINDS,
  type TransitionRates,
} from './reference-model.js';
import { REFERENCE_CODES, REFERENCE_MARKER } from './reference-parameters.js';

/** Code index of the marker (`LAB:CEA`) in a marker timeline: after the default codes. */
export const MARKER_CODE_INDEX = REFERENCE_CODES.length;

const M = REFERENCE_MARKER;
const DAYS_PER_YEAR = 365.25;
/** A per-state-kind table (indexed by STATE_KINDS; DEAD 0). */
function byKind(
  table: { WAIT: number; ON: number; RESP: number; SUPPORTIVE: number },
  scale: number,
) {
  const out = new Float64Array(STATE_KINDS.DEAD + 1);
  out[STATE_KINDS.WAIT] = table.WAIT * scale;
  out[STATE_KINDS.ON] = table.ON * scale;
  out[STATE_KINDS.RESP] = table.RESP * scale;
  out[STATE_KINDS.SUPPORTIVE] = table.SUPPORTIVE * scale;
  return out;
}
const LEVEL = byKind(M.stateLevel, 1);
const SLOPE_PER_DAY = byKind(M.slopePerYear, 1 / DAYS_PER_YEAR);

/** Where the marker path writes its events: (day, code index, value or NaN). */
export type MarkerEventSink = (day: number, code: number, value: number) => void;

/**
 * The written marker value at time `t` (days) in `state` entered at `entered`: the latent
 * log level plus measurement noise, exponentiated and rounded to `roundTo` (at least it).
 *
 * @param u - the patient's random level (log scale)
 * @param eps - a standard normal draw
 */
function markerValue(
  model: CompiledReference,
  state: number,
  entered: number,
  t: number,
  u: number,
  eps: number,
): number {
  const kind = model.kind[state]!;
  const log =
    M.logMean +
    u +
    LEVEL[kind]! +
    M.perPriorDiseaseEvent * model.priorEvents[state]! +
    SLOPE_PER_DAY[kind]! * (t - entered) +
    M.measurementSd * eps;
  return Math.max(M.roundTo, Math.round(Math.exp(log) / M.roundTo) * M.roundTo);
}

/**
 * The clinical path, visits and marker measurements of one patient of the process with the
 * tumour marker (docs/reference-process.md, "Tumour marker"). Rates are those of
 * `fillTransitionRates` times exp(β · (log m − logMean)) for the most recent written value m
 * (β for death on the death hazard, for disease events on PROGRESSION and RECURRENCE); they
 * change only at measurements, so the competing exponential clocks are redrawn there (exact by
 * memorylessness). Streams: the clinical path from `rng`, visit gaps from `rng.fork('visits')`,
 * the patient level, noise and missed visits from `rng.fork('marker')`.
 *
 * @param rng - the patient's stream (attributes and censoring already drawn)
 * @param model - the compiled process
 * @param rates - this patient's rates (filled by `fillTransitionRates`)
 * @param censorTime - days after diagnosis when follow-up ends
 * @param push - receives DIAGNOSIS-free events: transitions, VISITs and marker values
 * @returns whether the patient died and the end time (death or censoring), in days
 * @example
 * const { died, endTime } = simulateMarkerPath(rng, model, rates, censorTime, push);
 */
export function simulateMarkerPath(
  rng: Rng,
  model: CompiledReference,
  rates: TransitionRates,
  censorTime: number,
  push: MarkerEventSink,
): { died: boolean; endTime: number } {
  const visits = rng.fork('visits');
  const marker = rng.fork('marker');
  const u = M.patientSd * marker.normal();
  const { death, rateA, rateB, targetA, targetB, codeA, codeB } = rates;
  const bDeath = M.logHazardRatioPerLogUnit.death;
  const bDisease = M.logHazardRatioPerLogUnit.diseaseEvent;
  const isDisease = (c: number): boolean => c === CODE.PROGRESSION || c === CODE.RECURRENCE;
  let state = 0;
  let entered = 0;
  let t = 0;
  let value = markerValue(model, state, entered, 0, u, marker.normal());
  push(0, MARKER_CODE_INDEX, value);
  const interval = model.visitIntervalDays;
  const jitter = model.visitJitterDays;
  let nextVisit = interval + jitter * (2 * visits.uniform() - 1);
  for (;;) {
    const x = Math.log(value) - M.logMean;
    const fDeath = Math.exp(bDeath * x);
    const fDisease = Math.exp(bDisease * x);
    const d = death[state]! * fDeath;
    const a = rateA[state]! * (isDisease(codeA[state]!) ? fDisease : 1);
    const b = rateB[state]! * (isDisease(codeB[state]!) ? fDisease : 1);
    const total = d + a + b;
    const tNext = total > 0 ? t + -Math.log(rng.uniformOpen()) / total : Number.POSITIVE_INFINITY;
    if (nextVisit < censorTime && nextVisit <= tNext) {
      t = nextVisit;
      push(Math.floor(t), CODE.VISIT, Number.NaN);
      if (marker.uniform() >= M.missedVisitProbability) {
        value = markerValue(model, state, entered, t, u, marker.normal());
        push(Math.floor(t), MARKER_CODE_INDEX, value);
      }
      nextVisit += interval + jitter * (2 * visits.uniform() - 1);
      continue;
    }
    if (tNext >= censorTime) return { died: false, endTime: censorTime };
    t = tNext;
    const pick = rng.uniform() * total;
    if (pick < d) return { died: true, endTime: t };
    let c: number;
    if (pick < d + a) {
      c = codeA[state]!;
      state = targetA[state]!;
    } else {
      c = codeB[state]!;
      state = targetB[state]!;
    }
    entered = t;
    if (c >= 0) push(Math.floor(t), c, Number.NaN);
  }
}
