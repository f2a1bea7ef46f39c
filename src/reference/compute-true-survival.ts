import { createHash } from 'node:crypto';
import { requireIsoDay } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import {
  type CompiledReference,
  compileReference,
  createTransitionRates,
  FIRST_LINES,
  fillTransitionRates,
  stageIndex,
} from './reference-model.js';
import {
  REFERENCE_PARAMETERS,
  type ReferencePerturbations,
  type ReferenceStage,
} from './reference-parameters.js';

const P = REFERENCE_PARAMETERS;
const STAGES = P.attributes.stage.levels;

/**
 * The longest follow-up any reference patient can have: from the first index date to the data
 * cutoff, in days.
 */
export const REFERENCE_HORIZON_DAYS =
  requireIsoDay(P.calendar.dataCutoff, 'dataCutoff') -
  requireIsoDay(P.calendar.indexWindowStart, 'indexWindowStart');

/**
 * sha256 of the JSON of {@link REFERENCE_PARAMETERS}: identifies the parameters a table was made from.
 *
 * @example
 * referenceParametersHash() // => a hex SHA-256 of REFERENCE_PARAMETERS (true-survival.json records it)
 */
export function referenceParametersHash(): string {
  return createHash('sha256').update(JSON.stringify(REFERENCE_PARAMETERS)).digest('hex');
}

export interface ComputeTrueSurvivalOptions extends ReferencePerturbations {
  /** Last day computed (default {@link REFERENCE_HORIZON_DAYS}). */
  readonly horizonDays?: number;
  /** Stages computed (default all four). With `shuffleStage` all four are always needed. */
  readonly stages?: readonly ReferenceStage[];
}

/**
 * The true overall survival by stage, computed exactly (up to floating point) from the model:
 * for every combination of whole-year age (25..95), sex, ECOG, biomarker and first-line
 * treatment, the chain's generator Q is built from the same rates the simulator samples, the
 * one-day transition matrix exp(Q) is taken (scaling and squaring of a Taylor series) and the
 * state distribution is stepped day by day; the survival curves are averaged with the exact
 * probabilities of each combination given the stage (age probabilities by Simpson's rule on
 * the normal density). Dropout and administrative censoring do not enter: this is the
 * survival a Kaplan–Meier estimator of the written data estimates.
 *
 * Entry `d` of each curve is P(recorded death day > d) = P(T > d + 1) for the continuous death
 * time T (days are floored when written), d = 0 .. horizonDays.
 *
 * With `shuffleStage`, the written stage is independent of the trajectory, so every stage's
 * curve is the marginal survival of the whole cohort.
 *
 * @example
 * computeTrueSurvival({ stages: ['IV'], horizonDays: 365 }).IV![365] // => 0.7364 (one-year OS, stage IV)
 */
export function computeTrueSurvival(
  options: ComputeTrueSurvivalOptions = {},
): Partial<Record<ReferenceStage, Float64Array>> {
  const horizon = options.horizonDays ?? REFERENCE_HORIZON_DAYS;
  if (!(Number.isSafeInteger(horizon) && horizon >= 0)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `horizonDays is ${horizon}; expected an integer >= 0`,
      {
        field: 'horizonDays',
      },
    );
  }
  const model = compileReference(options);
  const wanted = options.stages ?? STAGES;
  for (const s of wanted) {
    if (stageIndex(s) < 0) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `stage '${s}' is not one of ${STAGES.join(', ')}`,
        {
          field: 'stages',
        },
      );
    }
  }
  const ageProbabilities = agePmf();
  const out: Partial<Record<ReferenceStage, Float64Array>> = {};
  if (model.perturbations.shuffleStage) {
    const marginal = new Float64Array(horizon + 1);
    let totalWeight = 0;
    for (const s of STAGES) {
      const { curve, weight } = stageSurvival(model, stageIndex(s), horizon, ageProbabilities);
      for (let d = 0; d <= horizon; d++) marginal[d]! += curve[d]! * weight;
      totalWeight += weight;
    }
    for (let d = 0; d <= horizon; d++) marginal[d]! /= totalWeight;
    for (const s of wanted) out[s] = Float64Array.from(marginal);
    return out;
  }
  for (const s of wanted) {
    out[s] = stageSurvival(model, stageIndex(s), horizon, ageProbabilities).curve;
  }
  return out;
}

/** P(age = k) for whole years k = min..max: ∫_k^{k+1} φ, normalised (Simpson, 64 panels a year). */
function agePmf(): Float64Array {
  const a = P.attributes.age;
  const n = a.maxYears - a.minYears + 1;
  const pmf = new Float64Array(n);
  const density = (x: number): number => Math.exp(-0.5 * ((x - a.meanYears) / a.sdYears) ** 2);
  const panels = 64;
  let total = 0;
  for (let k = 0; k < n; k++) {
    const lo = a.minYears + k;
    const h = 1 / panels;
    let s = density(lo) + density(lo + 1);
    for (let i = 1; i < panels; i++) s += (i % 2 === 1 ? 4 : 2) * density(lo + i * h);
    pmf[k] = (s * h) / 3;
    total += pmf[k]!;
  }
  for (let k = 0; k < n; k++) pmf[k]! /= total;
  return pmf;
}

function weightsByAge(
  base: readonly number[],
  slope: readonly number[],
  ageYears: number,
): Float64Array {
  const z = (ageYears - P.attributes.referenceAgeYears) / 10;
  const w = Float64Array.from(base, (b, i) => b * Math.exp(slope[i]! * z));
  let total = 0;
  for (const v of w) total += v;
  for (let i = 0; i < w.length; i++) w[i]! /= total;
  return w;
}

/** Survival curve of one stage, and P(stage) (the normaliser). */
function stageSurvival(
  model: CompiledReference,
  stage: number,
  horizon: number,
  agePmf: Float64Array,
): { curve: Float64Array; weight: number } {
  const A = P.attributes;
  const stageName = STAGES[stage]!;
  const curve = new Float64Array(horizon + 1);
  const rates = createTransitionRates(model);
  const n = model.states + 1; // with DEAD
  const q = new Float64Array(n * n);
  const e = new Float64Array(n * n);
  const scratch = new Float64Array(n * n * 3);
  const x = new Float64Array(n);
  let totalWeight = 0;
  for (let k = 0; k < agePmf.length; k++) {
    const age = A.age.minYears + k;
    const pStage = weightsByAge(A.stage.baseWeights, A.stage.logWeightPer10Years, age)[stage]!;
    const pEcog = weightsByAge(A.ecog.baseWeights, A.ecog.logWeightPer10Years, age);
    const wAge = agePmf[k]! * pStage;
    totalWeight += wAge;
    for (let male = 0; male < 2; male++) {
      const wSex = male === 1 ? A.sex.maleProbability : 1 - A.sex.maleProbability;
      for (let ecog = 0; ecog < pEcog.length; ecog++) {
        for (let bm = 0; bm < 2; bm++) {
          const wBm =
            bm === 1 ? A.biomarker.positiveProbability : 1 - A.biomarker.positiveProbability;
          const bmName = A.biomarker.levels[bm]!;
          for (let fl = 0; fl < FIRST_LINES.length; fl++) {
            const forced = model.perturbations.forceFirstLine;
            const pFirst =
              forced >= 0
                ? fl === forced
                  ? 1
                  : 0
                : P.firstLine.probabilities[stageName][bmName][FIRST_LINES[fl]!];
            const w = wAge * wSex * pEcog[ecog]! * wBm * pFirst;
            if (w === 0) continue;
            fillTransitionRates(model, rates, age, male, stage, ecog, bm, fl);
            generator(model, rates, q);
            expm(q, n, e, scratch);
            propagate(e, n, x, curve, w);
          }
        }
      }
    }
  }
  for (let d = 0; d <= horizon; d++) curve[d]! /= totalWeight;
  return { curve, weight: totalWeight };
}

/**
 * Writes the generator matrix Q (row-major, (states + 1)², DEAD last) of the rates in `r`.
 *
 * @internal shared with landmark-risk.ts
 * @example
 * generator(model, rates, q); // q[s * n + model.states] = death rate of state s (per day)
 */
export function generator(
  model: CompiledReference,
  r: ReturnType<typeof createTransitionRates>,
  q: Float64Array,
): void {
  const n = model.states + 1;
  const dead = model.states;
  q.fill(0);
  for (let s = 0; s < model.states; s++) {
    const row = s * n;
    q[row + dead]! += r.death[s]!;
    if (r.rateA[s]! > 0) q[row + r.targetA[s]!]! += r.rateA[s]!;
    if (r.rateB[s]! > 0) q[row + r.targetB[s]!]! += r.rateB[s]!;
    q[row + s]! -= r.death[s]! + r.rateA[s]! + r.rateB[s]!;
  }
}

/**
 * exp(q) for an n×n matrix (row-major) by scaling and squaring a degree-16 Taylor series.
 *
 * @internal shared with landmark-risk.ts
 * @param scratch - 3·n² numbers of work space.
 * @example
 * expm(Float64Array.of(0), 1, out, new Float64Array(3)); // out = [1]
 */
export function expm(q: Float64Array, n: number, out: Float64Array, scratch: Float64Array): void {
  let norm = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) row += Math.abs(q[i * n + j]!);
    norm = Math.max(norm, row);
  }
  let squarings = 0;
  while (norm / 2 ** squarings > 0.25) squarings++;
  const scale = 1 / 2 ** squarings;
  const term = scratch.subarray(0, n * n);
  const next = scratch.subarray(n * n, 2 * n * n);
  const tmp = scratch.subarray(2 * n * n, 3 * n * n);
  out.fill(0);
  term.fill(0);
  for (let i = 0; i < n; i++) {
    out[i * n + i] = 1;
    term[i * n + i] = 1;
  }
  for (let k = 1; k <= 16; k++) {
    multiply(term, q, n, next);
    for (let i = 0; i < n * n; i++) {
      term[i] = (next[i]! * scale) / k;
      out[i]! += term[i]!;
    }
  }
  for (let s = 0; s < squarings; s++) {
    multiply(out, out, n, tmp);
    out.set(tmp);
  }
}

function multiply(a: Float64Array, b: Float64Array, n: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!;
      out[i * n + j] = s;
    }
  }
}

/**
 * Steps the distribution from the initial state day by day with the one-day matrix `e`
 * (upper triangular) and adds `weight` × P(alive at day d + 1) to curve[d].
 */
function propagate(
  e: Float64Array,
  n: number,
  x: Float64Array,
  curve: Float64Array,
  weight: number,
): void {
  x.fill(0);
  x[0] = 1;
  const dead = n - 1;
  for (let d = 0; d < curve.length; d++) {
    // x ← x·e in place: column j needs x[i] for i ≤ j, so go from the last column down.
    for (let j = dead - 1; j >= 0; j--) {
      let s = 0;
      for (let i = 0; i <= j; i++) s += x[i]! * e[i * n + j]!;
      x[j] = s;
    }
    let alive = 0;
    for (let j = 0; j < dead; j++) alive += x[j]!;
    curve[d]! += weight * alive;
  }
}
