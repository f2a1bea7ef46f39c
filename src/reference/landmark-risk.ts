/**
 * The true risk of death after a landmark for each patient of a reference timeline, given
 * everything its history up to the landmark shows: computed exactly from the reference
 * process's Markov chain (no Monte Carlo).
 */

import { TrajsimError } from '../core/errors.js';
import { type LandmarkCohort, landmarkCohort } from '../stats/landmark-cohort.js';
import type { Timeline } from '../timeline/types.js';
import { expm, generator } from './compute-true-survival.js';
import {
  type CompiledReference,
  compileReference,
  createTransitionRates,
  FIRST_LINES,
  fillTransitionRates,
  type TransitionRates,
} from './reference-model.js';
import {
  REFERENCE_ATTRIBUTES,
  REFERENCE_CODES,
  REFERENCE_PARAMETERS,
  type ReferencePerturbations,
} from './reference-parameters.js';

const P = REFERENCE_PARAMETERS;

/** The true landmark risks of a reference timeline. */
export interface TrueLandmarkRisk {
  /** The patients at risk at the landmark (as `landmarkCohort`). */
  readonly cohort: LandmarkCohort;
  /** risk[k][i] = P(recorded death day − landmark ≤ horizons[k] | history of row i). */
  readonly risk: Float64Array[];
}

/**
 * The true probability that each patient alive and followed at `landmarkDay` dies within each
 * horizon after it, given its attributes and its events up to and including the landmark day.
 *
 * The reference process is a continuous-time Markov chain whose state (line, on treatment or
 * responding, waiting for the next line, supportive care) follows from the codes, except the
 * phase of the Erlang gap before a later line and, before the first treatment, which first line
 * is coming. The state distribution at the end of the landmark day (continuous time L + 1) is
 * filtered exactly: between observed clinical codes the distribution moves with the chain's
 * sub-generator restricted to silent moves (gap phases) and survival; an observed code at day d
 * (taken at time d + ½; m codes of one day at d + j/(m + 1)) applies that transition's rates; the first line is a mixture over the
 * treatments with prior P(treatment | stage, biomarker), weighted by the likelihood of the
 * history (one code pins it). Then risk(h) = (π · exp(Q h))[DEAD] (recorded death day − L ≤ h ⟺
 * T − (L + 1) < h). VISITs carry no information (independent of the chain) and are skipped.
 * Same-day codes are applied in an order the chain allows (the writer puts TREATMENT before a
 * disease event of the same day).
 *
 * @param timeline - a reference timeline (attributes age, sex, stage, ecog, biomarker; codes as
 *   `REFERENCE_CODES`), unperturbed or with the same perturbations as `perturbations`.
 * @param landmarkDay - the landmark (days since index).
 * @param horizons - days after the landmark, e.g. [365, 730, 1825].
 * @param options - rows (default all), perturbations of the process that wrote the timeline.
 * @returns the landmark cohort and its true risks by horizon.
 * @throws TrajsimError INVALID_ARGUMENT for a timeline without the reference attributes, a
 *   `shuffleStage` perturbation (the written stage no longer says the true one), a bad
 *   horizon, or a history the process cannot produce (naming the patient).
 * @example
 * const { cohort, risk } = trueLandmarkRisk(timeline, 365, [365, 730, 1825]);
 * risk[2][0] // the true 5-year death risk of cohort.rows[0], given its first year
 */
export function trueLandmarkRisk(
  timeline: Timeline,
  landmarkDay: number,
  horizons: readonly number[],
  options: {
    readonly rows?: ArrayLike<number>;
    readonly perturbations?: ReferencePerturbations;
  } = {},
): TrueLandmarkRisk {
  const model = compileReference(options.perturbations ?? {});
  if (model.perturbations.shuffleStage) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      'trueLandmarkRisk: with shuffleStage the written stage is not the one that drove the trajectory; no true risk given the history exists in closed form',
      { field: 'shuffleStage' },
    );
  }
  for (const h of horizons) {
    if (!(Number.isFinite(h) && h >= 0)) {
      throw new TrajsimError('INVALID_ARGUMENT', `horizon ${h}: expected a finite number >= 0`, {
        field: 'horizons',
      });
    }
  }
  const cohort = landmarkCohort(timeline, landmarkDay, options.rows);
  const reader = patientReader(timeline);
  const filter = new LandmarkFilter(model);
  const risk = horizons.map(() => new Float64Array(cohort.rows.length));
  cohort.rows.forEach((p, i) => {
    const r = filter.risk(reader(p), landmarkDay, horizons, timeline.patients.ids[p]!);
    r.forEach((v, k) => {
      risk[k]![i] = v;
    });
  });
  return { cohort, risk };
}

/** A patient's covariates (level indices of the reference parameters) and clinical codes. */
interface PatientHistory {
  readonly age: number;
  readonly male: number;
  readonly stage: number;
  readonly ecog: number;
  readonly biomarker: number;
  /** Clinical events (reference code index), by day. */
  readonly days: readonly number[];
  readonly codes: readonly number[];
}

/** Maps a timeline's attribute levels and code dictionary to the reference's indices. */
function patientReader(timeline: Timeline): (p: number) => PatientHistory {
  const attrs = timeline.patients.attributes;
  const columns = REFERENCE_ATTRIBUTES.map((spec) => {
    const a = attrs.find((x) => x.name === spec.name);
    if (a === undefined || a.kind !== spec.kind) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `trueLandmarkRisk: timeline ${timeline.name} has no ${spec.kind} attribute '${spec.name}'; expected a reference timeline`,
      );
    }
    return a;
  });
  const levelMap = columns.map((a, j) => {
    const spec = REFERENCE_ATTRIBUTES[j]!;
    if (a.kind !== 'categorical' || !('levels' in spec)) return undefined;
    return a.levels.map((l) => (spec.levels as readonly string[]).indexOf(l));
  });
  const clinical = new Set(['RESPONSE', 'PROGRESSION', 'RECURRENCE']);
  const codeMap = timeline.events.codes.map((c) =>
    c.startsWith('TREATMENT:') || clinical.has(c) ? (CODE_INDEX.get(c) ?? -1) : -1,
  );
  return (p) => {
    const value = (j: number): number => {
      const a = columns[j]!;
      const v = a.kind === 'numeric' ? a.values[p]! : (levelMap[j]![a.codes[p]!] ?? -1);
      if (!(Number.isFinite(v) && v >= 0)) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `trueLandmarkRisk: patient ${timeline.patients.ids[p]} has ${REFERENCE_ATTRIBUTES[j]!.name} missing or not a reference level`,
        );
      }
      return v;
    };
    const days: number[] = [];
    const codes: number[] = [];
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const c = codeMap[timeline.events.code[e]!]!;
      if (c < 0) continue;
      days.push(timeline.events.day[e]!);
      codes.push(c);
    }
    return {
      age: value(0),
      male: value(1),
      stage: value(2),
      ecog: value(3),
      biomarker: value(4),
      days,
      codes,
    };
  };
}

const CODE_INDEX = new Map<string, number>(REFERENCE_CODES.map((c, i) => [c, i]));

/** The exact filter of one patient's hidden state, reusing its buffers across patients. */
class LandmarkFilter {
  private readonly n: number;
  private readonly rates: TransitionRates;
  private readonly q: Float64Array;
  private readonly silent: Float64Array;
  private readonly e: Float64Array;
  private readonly scratch: Float64Array;
  private readonly scaled: Float64Array;

  constructor(private readonly model: CompiledReference) {
    this.n = model.states + 1;
    this.rates = createTransitionRates(model);
    this.q = new Float64Array(this.n * this.n);
    this.silent = new Float64Array(this.n * this.n);
    this.e = new Float64Array(this.n * this.n);
    this.scratch = new Float64Array(3 * this.n * this.n);
    this.scaled = new Float64Array(this.n * this.n);
  }

  /** The risks at each horizon, mixing over the first lines the history allows. */
  risk(h: PatientHistory, landmarkDay: number, horizons: readonly number[], id: string): number[] {
    const stageName = P.attributes.stage.levels[h.stage]!;
    const bmName = P.attributes.biomarker.levels[h.biomarker]!;
    const forced = this.model.perturbations.forceFirstLine;
    const mixed = horizons.map(() => 0);
    let total = 0;
    FIRST_LINES.forEach((fl, f) => {
      const prior =
        forced >= 0 ? (f === forced ? 1 : 0) : P.firstLine.probabilities[stageName][bmName][fl];
      if (prior === 0) return;
      fillTransitionRates(this.model, this.rates, h.age, h.male, h.stage, h.ecog, h.biomarker, f);
      const state = this.filter(h, landmarkDay);
      if (state === undefined) return;
      const w = prior * Math.exp(state.logLik);
      total += w;
      const r = this.absorbed(state.pi, horizons);
      r.forEach((v, k) => {
        mixed[k]! += w * v;
      });
    });
    if (!(total > 0)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `trueLandmarkRisk: the history of patient ${id} up to day ${landmarkDay} cannot come from the reference process`,
      );
    }
    return mixed.map((v) => v / total);
  }

  /** π at time L + 1 and the log likelihood of the history, for the rates in this.rates. */
  private filter(
    h: PatientHistory,
    landmarkDay: number,
  ): { pi: Float64Array; logLik: number } | undefined {
    const n = this.n;
    generator(this.model, this.rates, this.q);
    // Silent moves (codeA = −1: gap phases) and the diagonal (leaving by any transition or death).
    this.silent.fill(0);
    for (let s = 0; s < this.model.states; s++) {
      this.silent[s * n + s] = this.q[s * n + s]!;
      if (this.rates.codeA[s] === -1 && this.rates.rateA[s]! > 0) {
        this.silent[s * n + this.rates.targetA[s]!] = this.rates.rateA[s]!;
      }
    }
    let pi: Float64Array = new Float64Array(n);
    pi[0] = 1;
    let logLik = 0;
    let tau = 0;
    for (let k = 0; k < h.codes.length; ) {
      const day = h.days[k]!;
      if (day > landmarkDay) break;
      let end = k;
      while (end < h.codes.length && h.days[end] === day) end++;
      // The m codes of one day happen at d + j/(m + 1), j = 1..m, in an order the chain allows.
      const pending = h.codes.slice(k, end);
      const m = pending.length;
      for (let j = 1; j <= m; j++) {
        const at = day + j / (m + 1);
        const moved = this.advance(pi, at - tau);
        tau = at;
        logLik += moved.logMass;
        pi = moved.pi;
        const next = pending.findIndex((c) => this.jump(pi, c).mass > 0);
        if (next < 0) return undefined;
        const jumped = this.jump(pi, pending[next]!);
        logLik += Math.log(jumped.mass);
        pi = jumped.pi;
        pending.splice(next, 1);
      }
      k = end;
    }
    const last = this.advance(pi, landmarkDay + 1 - tau);
    return { pi: last.pi, logLik: logLik + last.logMass };
  }

  /** π · exp(S Δ), normalised, and the log of its mass (P(no code and alive over Δ)). */
  private advance(pi: Float64Array, dt: number): { pi: Float64Array; logMass: number } {
    const n = this.n;
    const out = new Float64Array(n);
    if (this.shortChains()) {
      this.advanceChains(pi, dt, out);
    } else {
      for (let i = 0; i < n * n; i++) this.scaled[i] = this.silent[i]! * dt;
      expm(this.scaled, n, this.e, this.scratch);
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += pi[i]! * this.e[i * n + j]!;
        out[j] = s;
      }
    }
    let mass = 0;
    for (let j = 0; j < n; j++) mass += out[j]!;
    for (let j = 0; j < n; j++) out[j]! /= mass;
    return { pi: out, logMass: Math.log(mass) };
  }

  /** True when no silent move leads to a state with a silent move of its own (gap phases ≤ 2). */
  private shortChains(): boolean {
    const r = this.rates;
    for (let s = 0; s < this.model.states; s++) {
      if (r.codeA[s] !== -1 || !(r.rateA[s]! > 0)) continue;
      const t = r.targetA[s]!;
      if (t < this.model.states && r.codeA[t] === -1 && r.rateA[t]! > 0) return false;
    }
    return true;
  }

  /**
   * out = π · exp(S Δ) in closed form when silent moves are single links a → b: each state
   * decays at its exit rate, and b also receives λ ∫₀^Δ e^{−x_a u} e^{−x_b (Δ−u)} du from a.
   */
  private advanceChains(pi: Float64Array, dt: number, out: Float64Array): void {
    const n = this.n;
    const r = this.rates;
    for (let s = 0; s < this.model.states; s++) {
      out[s]! += pi[s]! * Math.exp(this.silent[s * n + s]! * dt);
    }
    for (let a = 0; a < this.model.states; a++) {
      if (r.codeA[a] !== -1 || !(r.rateA[a]! > 0) || pi[a] === 0) continue;
      const b = r.targetA[a]!;
      const xa = this.silent[a * n + a]!;
      const xb = this.silent[b * n + b]!;
      const link =
        Math.abs(xa - xb) < 1e-12
          ? dt * Math.exp(xa * dt)
          : (Math.exp(xa * dt) - Math.exp(xb * dt)) / (xa - xb);
      out[b]! += pi[a]! * r.rateA[a]! * link;
    }
  }

  /** The distribution after observing `code`, normalised, and its rate mass. */
  private jump(pi: Float64Array, code: number): { pi: Float64Array; mass: number } {
    const r = this.rates;
    const out = new Float64Array(this.n);
    let mass = 0;
    for (let s = 0; s < this.model.states; s++) {
      if (pi[s] === 0) continue;
      if (r.codeA[s] === code && r.rateA[s]! > 0) {
        out[r.targetA[s]!]! += pi[s]! * r.rateA[s]!;
        mass += pi[s]! * r.rateA[s]!;
      }
      if (r.codeB[s] === code && r.rateB[s]! > 0) {
        out[r.targetB[s]!]! += pi[s]! * r.rateB[s]!;
        mass += pi[s]! * r.rateB[s]!;
      }
    }
    if (mass > 0) for (let j = 0; j < this.n; j++) out[j]! /= mass;
    return { pi: out, mass };
  }

  /** (π · exp(Q h))[DEAD] for each horizon h. */
  private absorbed(pi: Float64Array, horizons: readonly number[]): number[] {
    const n = this.n;
    const dead = n - 1;
    return horizons.map((h) => {
      for (let i = 0; i < n * n; i++) this.scaled[i] = this.q[i]! * h;
      expm(this.scaled, n, this.e, this.scratch);
      let s = 0;
      for (let i = 0; i < n; i++) s += pi[i]! * this.e[i * n + dead]!;
      return Math.min(1, Math.max(0, s));
    });
  }
}
