// Over 400 lines on purpose: the compiled process (state layout, rate tables) and the one
// function that reads it (fillTransitionRates) live together so that the simulator and the
// exact survival computation cannot disagree on a rate; each function is short.
import { TrajsimError } from '../core/errors.js';
import {
  DAYS_PER_YEAR,
  REFERENCE_CODES,
  REFERENCE_MARKER,
  REFERENCE_MARKER_CODES,
  REFERENCE_PARAMETERS,
  REMOVABLE_TRANSITIONS,
  type ReferencePerturbations,
  type ReferenceStage,
} from './reference-parameters.js';

/**
 * The reference process as a continuous-time Markov chain with covariate-dependent rates,
 * compiled once into flat per-day tables. The simulator samples it and `computeTrueSurvival`
 * integrates it, both through {@link fillTransitionRates}, so they cannot disagree on a rate.
 *
 * States, in order (every transition goes to a higher index, the generator is upper
 * triangular): line 1 `WAIT, ON, RESP`; each later line L `WAIT_1..WAIT_P, ON, RESP`;
 * `SUPPORTIVE` (after a disease event on the last line); `DEAD` last.
 */

export const STATE_KINDS = { WAIT: 0, ON: 1, RESP: 2, SUPPORTIVE: 3, DEAD: 4 } as const;

const P = REFERENCE_PARAMETERS;
const STAGES = P.attributes.stage.levels;
const ECOGS = P.attributes.ecog.levels;
const BIOMARKERS = P.attributes.biomarker.levels;
export const FIRST_LINES = P.firstLine.treatments;
const SURGERY = (FIRST_LINES as readonly string[]).indexOf('SURGERY');

const code = (name: string): number => {
  const i = (REFERENCE_CODES as readonly string[]).indexOf(name);
  if (i < 0) throw new TrajsimError('INTERNAL', `reference code ${name} missing`);
  return i;
};

export const CODE = {
  DIAGNOSIS: code('DIAGNOSIS'),
  VISIT: code('VISIT'),
  RESPONSE: code('RESPONSE'),
  PROGRESSION: code('PROGRESSION'),
  RECURRENCE: code('RECURRENCE'),
  DEATH: code('DEATH'),
  END_OF_FOLLOWUP: code('END_OF_FOLLOWUP'),
  /** TREATMENT:<first line>, by first-line index. */
  FIRST_LINE: FIRST_LINES.map((t) => code(`TREATMENT:${t}`)),
} as const;

/**
 * Same-day order of codes: DIAGNOSIS < TREATMENT < VISIT and the marker (written after its
 * visit) < clinical events < terminal. Indexed by the marker timeline's codes (a superset).
 */
export const CODE_RANK: Int8Array = Int8Array.from(REFERENCE_MARKER_CODES, (c) =>
  c === 'DIAGNOSIS'
    ? 0
    : c.startsWith('TREATMENT:')
      ? 1
      : c === 'VISIT' || c === REFERENCE_MARKER.code
        ? 2
        : c === 'DEATH' || c === 'END_OF_FOLLOWUP'
          ? 4
          : 3,
);

/** The perturbations with defaults filled in and checked. */
export interface ResolvedPerturbations {
  readonly deathHazardMultiplier: number;
  readonly gapMultiplier: number;
  readonly removeTransition: string | undefined;
  readonly shuffleStage: boolean;
  /** First-line index forced on every patient, or -1. */
  readonly forceFirstLine: number;
}

/**
 * Checks and completes perturbation options; throws INVALID_ARGUMENT naming the bad field.
 *
 * @example
 * resolvePerturbations({ deathHazardMultiplier: 1.5 })
 * // => { deathHazardMultiplier: 1.5, gapMultiplier: 1, removeTransition: undefined, shuffleStage: false, forceFirstLine: -1 }
 */
export function resolvePerturbations(p: ReferencePerturbations): ResolvedPerturbations {
  const death = p.deathHazardMultiplier ?? 1;
  const gap = p.gapMultiplier ?? 1;
  if (!(Number.isFinite(death) && death >= 0)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `deathHazardMultiplier is ${death}; expected a finite number >= 0`,
      { field: 'deathHazardMultiplier' },
    );
  }
  if (!(Number.isFinite(gap) && gap > 0)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `gapMultiplier is ${gap}; expected a finite number > 0`,
      {
        field: 'gapMultiplier',
      },
    );
  }
  const remove = p.removeTransition;
  if (remove !== undefined && !(REMOVABLE_TRANSITIONS as readonly string[]).includes(remove)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `removeTransition is '${remove}'; expected one of ${REMOVABLE_TRANSITIONS.join(', ')}`,
      { field: 'removeTransition' },
    );
  }
  let force = -1;
  if (p.forceFirstLine !== undefined) {
    const name = p.forceFirstLine.startsWith('TREATMENT:')
      ? p.forceFirstLine.slice('TREATMENT:'.length)
      : p.forceFirstLine;
    force = (FIRST_LINES as readonly string[]).indexOf(name);
    if (force < 0) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `forceFirstLine is '${p.forceFirstLine}'; expected one of ${FIRST_LINES.map((t) => `TREATMENT:${t}`).join(', ')}`,
        { field: 'forceFirstLine' },
      );
    }
  }
  return {
    deathHazardMultiplier: death,
    gapMultiplier: gap,
    removeTransition: remove,
    shuffleStage: p.shuffleStage ?? false,
    forceFirstLine: force,
  };
}

/** Per-state rates (per day) and targets of one patient. Reused across patients. */
export interface TransitionRates {
  readonly death: Float64Array;
  readonly rateA: Float64Array;
  readonly rateB: Float64Array;
  readonly targetA: Int32Array;
  readonly targetB: Int32Array;
  /** Code written on transition A/B, -1 for none (a gap phase ending). */
  readonly codeA: Int32Array;
  readonly codeB: Int32Array;
}

/** The compiled process: state layout plus per-day rate factors as flat arrays. */
export interface CompiledReference {
  readonly perturbations: ResolvedPerturbations;
  /** Transient states (everything but DEAD); DEAD has index `states`. */
  readonly states: number;
  readonly kind: Int8Array;
  readonly line: Int8Array;
  /** Number of prior disease events (PROGRESSION or RECURRENCE) in each state. */
  readonly priorEvents: Int8Array;
  readonly staticTargetA: Int32Array;
  readonly staticTargetB: Int32Array;
  readonly staticCodeA: Int32Array;
  readonly staticCodeB: Int32Array;
  /** log of the death hazard per day of the reference patient, perturbations included. */
  readonly logDeathBase: number;
  readonly logDeathAgePer10: number;
  readonly logDeathMale: number;
  readonly logDeathStage: Float64Array;
  readonly logDeathEcog: Float64Array;
  readonly logDeathBiomarker: Float64Array;
  /** [firstLine * 2 + biomarker] */
  readonly deathFirstLine: Float64Array;
  readonly responsePerDay: Float64Array; // [stage * F * 2 + firstLine * 2 + biomarker], line 1
  readonly progressionPerDay: Float64Array; // [(stage * 3 + ecog) * F * 2 + firstLine * 2 + biomarker]
  readonly recurrencePerDay: Float64Array; // [stage * F * 2 + firstLine * 2 + biomarker]
  /** Later lines (no first-line factor): response and recurrence by stage, progression by stage × ecog. */
  readonly laterResponsePerDay: Float64Array;
  readonly laterRecurrencePerDay: Float64Array;
  readonly laterProgressionPerDay: Float64Array;
  /** Per state: perPriorDiseaseEvent^k. */
  readonly deathPriorFactor: Float64Array;
  /** Per state: ON → response.perLaterLine^(L−1); RESP → recurrence.perLaterLine^(L−1). */
  readonly lineFactor: Float64Array;
  /** Per ON state: progression.perLaterLine^(L−1). */
  readonly progressionLineFactor: Float64Array;
  /** Rate per day of leaving the first-line wait, by first line. */
  readonly firstLineStartPerDay: Float64Array;
  /** Rate per day of each later-line gap phase. */
  readonly laterGapPhasePerDay: number;
  readonly visitIntervalDays: number;
  readonly visitJitterDays: number;
  readonly dropoutPerDay: number;
}

/** The states of the process: kind and line of each, prior disease events. */
interface StateLayout {
  readonly states: number;
  readonly kind: Int8Array;
  readonly line: Int8Array;
  readonly priorEvents: Int8Array;
}

/** Lays out the transient states: line 1 (wait, on, response), later lines (gap phases, on, response), supportive care. */
function stateLayout(): StateLayout {
  const maxLine = P.laterLines.maxLine;
  const phases = P.laterLines.gapPhases;
  const kinds: number[] = [];
  const lines: number[] = [];
  for (const k of [STATE_KINDS.WAIT, STATE_KINDS.ON, STATE_KINDS.RESP]) {
    kinds.push(k);
    lines.push(1);
  }
  for (let l = 2; l <= maxLine; l++) {
    for (let q = 0; q < phases; q++) {
      kinds.push(STATE_KINDS.WAIT);
      lines.push(l);
    }
    kinds.push(STATE_KINDS.ON, STATE_KINDS.RESP);
    lines.push(l, l);
  }
  kinds.push(STATE_KINDS.SUPPORTIVE);
  lines.push(maxLine + 1);
  return {
    states: kinds.length,
    kind: Int8Array.from(kinds),
    line: Int8Array.from(lines),
    priorEvents: Int8Array.from(lines, (l) => l - 1),
  };
}

/** The targets and codes of transitions A and B that do not depend on the patient. */
function staticTransitions(layout: StateLayout): {
  targetA: Int32Array;
  targetB: Int32Array;
  codeA: Int32Array;
  codeB: Int32Array;
} {
  const { states, kind, line } = layout;
  const maxLine = P.laterLines.maxLine;
  const firstStateOfLine = (l: number): number => (l > maxLine ? states - 1 : line.indexOf(l));
  const targetA = new Int32Array(states).fill(-1);
  const targetB = new Int32Array(states).fill(-1);
  const codeA = new Int32Array(states).fill(-1);
  const codeB = new Int32Array(states).fill(-1);
  for (let s = 0; s < states; s++) {
    const l = line[s]!;
    switch (kind[s]) {
      case STATE_KINDS.WAIT:
        // Line 1's target and code depend on the first-line treatment: set per patient.
        targetA[s] = s + 1;
        if (l > 1 && kind[s + 1] === STATE_KINDS.ON) codeA[s] = code(`TREATMENT:LINE${l}`);
        break;
      case STATE_KINDS.ON:
        targetA[s] = s + 1; // response
        codeA[s] = CODE.RESPONSE;
        targetB[s] = firstStateOfLine(l + 1); // progression
        codeB[s] = CODE.PROGRESSION;
        break;
      case STATE_KINDS.RESP:
        targetA[s] = firstStateOfLine(l + 1); // recurrence
        codeA[s] = CODE.RECURRENCE;
        break;
      default:
        break;
    }
  }
  return { targetA, targetB, codeA, codeB };
}

/** Rate factors shared by the rate tables: per day, the clock of the gap multiplier, removed transitions. */
interface RateScale {
  readonly perDay: number;
  readonly clock: number;
  readonly removed: (transition: string) => number;
}

/** First-line rates per day by stage, first line and biomarker (progression also by ECOG), and the first line's death factor. */
function firstLineRates({ perDay, clock, removed }: RateScale): {
  responsePerDay: Float64Array;
  recurrencePerDay: Float64Array;
  progressionPerDay: Float64Array;
  deathFirstLine: Float64Array;
} {
  const F = FIRST_LINES.length;
  const hr = P.death.hazardRatios;
  const responsePerDay = new Float64Array(STAGES.length * F * 2);
  const recurrencePerDay = new Float64Array(STAGES.length * F * 2);
  const progressionPerDay = new Float64Array(STAGES.length * ECOGS.length * F * 2);
  const deathFirstLine = new Float64Array(F * 2);
  STAGES.forEach((st, si) => {
    FIRST_LINES.forEach((fl, fi) => {
      BIOMARKERS.forEach((bm, bi) => {
        const j = (si * F + fi) * 2 + bi;
        responsePerDay[j] =
          P.response.baselinePerYear *
          P.response.stage[st] *
          P.response.firstLine[fl][bm] *
          perDay *
          clock *
          removed('RESPONSE');
        recurrencePerDay[j] =
          P.recurrence.baselinePerYear *
          P.recurrence.stage[st] *
          P.recurrence.firstLine[fl][bm] *
          perDay *
          clock *
          removed('RECURRENCE');
        ECOGS.forEach((ec, ei) => {
          progressionPerDay[((si * ECOGS.length + ei) * F + fi) * 2 + bi] =
            P.progression.baselinePerYear *
            P.progression.stage[st] *
            P.progression.ecog[ec] *
            P.progression.firstLine[fl][bm] *
            perDay *
            clock *
            removed('PROGRESSION');
        });
        if (si === 0) deathFirstLine[fi * 2 + bi] = hr.firstLine[fl][bm];
      });
    });
  });
  return { responsePerDay, recurrencePerDay, progressionPerDay, deathFirstLine };
}

/** Later-line rates per day (no first-line factor): response and recurrence by stage, progression by stage × ECOG. */
function laterLineRates({ perDay, clock, removed }: RateScale): {
  laterResponsePerDay: Float64Array;
  laterRecurrencePerDay: Float64Array;
  laterProgressionPerDay: Float64Array;
} {
  return {
    laterResponsePerDay: Float64Array.from(
      STAGES,
      (st) =>
        P.response.baselinePerYear * P.response.stage[st] * perDay * clock * removed('RESPONSE'),
    ),
    laterRecurrencePerDay: Float64Array.from(
      STAGES,
      (st) =>
        P.recurrence.baselinePerYear *
        P.recurrence.stage[st] *
        perDay *
        clock *
        removed('RECURRENCE'),
    ),
    laterProgressionPerDay: Float64Array.from(
      { length: STAGES.length * ECOGS.length },
      (_, j) =>
        P.progression.baselinePerYear *
        P.progression.stage[STAGES[Math.floor(j / ECOGS.length)]!] *
        P.progression.ecog[ECOGS[j % ECOGS.length]!] *
        perDay *
        clock *
        removed('PROGRESSION'),
    ),
  };
}

/** Per-state factors: death by prior disease events, response/recurrence and progression by line. */
function stateFactors({ kind, line, priorEvents }: StateLayout): {
  deathPriorFactor: Float64Array;
  lineFactor: Float64Array;
  progressionLineFactor: Float64Array;
} {
  const hr = P.death.hazardRatios;
  return {
    deathPriorFactor: Float64Array.from(priorEvents, (k) => hr.perPriorDiseaseEvent ** k),
    lineFactor: Float64Array.from(kind, (k, s) =>
      k === STATE_KINDS.ON
        ? P.response.perLaterLine ** (line[s]! - 1)
        : k === STATE_KINDS.RESP
          ? P.recurrence.perLaterLine ** (line[s]! - 1)
          : 1,
    ),
    progressionLineFactor: Float64Array.from(kind, (k, s) =>
      k === STATE_KINDS.ON ? P.progression.perLaterLine ** (line[s]! - 1) : 1,
    ),
  };
}

/**
 * Compiles the reference parameters with the given perturbations into flat per-day rate
 * tables: the state layout, the static transitions, first- and later-line rates, per-state
 * factors, and the death, visit and dropout rates.
 *
 * @param perturbations - the reference process's perturbations (default: none)
 * @throws TrajsimError INVALID_ARGUMENT for a perturbation out of range
 * @example
 * const model = compileReference({ deathHazardMultiplier: 1.5 });
 * model.kind[0] === STATE_KINDS.WAIT // => true (line 1 starts waiting for treatment)
 */
export function compileReference(perturbations: ReferencePerturbations = {}): CompiledReference {
  const pert = resolvePerturbations(perturbations);
  const layout = stateLayout();
  const t = staticTransitions(layout);
  const perDay = 1 / DAYS_PER_YEAR;
  const clock = 1 / pert.gapMultiplier;
  const scale: RateScale = {
    perDay,
    clock,
    removed: (tr) => (pert.removeTransition === tr ? 0 : 1),
  };
  const hr = P.death.hazardRatios;
  const phases = P.laterLines.gapPhases;
  return {
    perturbations: pert,
    ...layout,
    staticTargetA: t.targetA,
    staticTargetB: t.targetB,
    staticCodeA: t.codeA,
    staticCodeB: t.codeB,
    logDeathBase: Math.log(P.death.baselinePerYear * perDay * clock * pert.deathHazardMultiplier),
    logDeathAgePer10: Math.log(hr.agePer10Years),
    logDeathMale: Math.log(hr.male),
    logDeathStage: Float64Array.from(STAGES, (s) => Math.log(hr.stage[s])),
    logDeathEcog: Float64Array.from(ECOGS, (e) => Math.log(hr.ecog[e])),
    logDeathBiomarker: Float64Array.of(0, Math.log(hr.biomarkerPositive)),
    ...firstLineRates(scale),
    ...laterLineRates(scale),
    ...stateFactors(layout),
    firstLineStartPerDay: Float64Array.from(
      FIRST_LINES,
      (f) => (1 / P.firstLine.meanGapDays[f]) * clock,
    ),
    laterGapPhasePerDay: (phases / P.laterLines.meanGapDays) * clock,
    visitIntervalDays: P.visits.intervalDays * pert.gapMultiplier,
    visitJitterDays: P.visits.jitterDays * pert.gapMultiplier,
    dropoutPerDay: P.censoring.dropoutPerYear * perDay,
  };
}

/**
 * Allocates rate buffers for `model` (once per simulator, not per patient).
 *
 * @example
 * const rates = createTransitionRates(compileReference());
 * rates.death.length // => the number of transient states
 */
export function createTransitionRates(model: CompiledReference): TransitionRates {
  const n = model.states;
  return {
    death: new Float64Array(n),
    rateA: new Float64Array(n),
    rateB: new Float64Array(n),
    targetA: Int32Array.from(model.staticTargetA),
    targetB: Int32Array.from(model.staticTargetB),
    codeA: Int32Array.from(model.staticCodeA),
    codeB: Int32Array.from(model.staticCodeB),
  };
}

/**
 * Fills `out` with the per-day rates of a patient with these covariates (indices into the
 * attribute levels; `ageYears` as recorded). No allocation.
 *
 * @example
 * fillTransitionRates(model, patient, rates); // rates.death[s], rateA[s], rateB[s]: per day, for this patient
 */
export function fillTransitionRates(
  model: CompiledReference,
  out: TransitionRates,
  ageYears: number,
  male: number,
  stage: number,
  ecog: number,
  biomarker: number,
  firstLine: number,
): void {
  const F = FIRST_LINES.length;
  const deathBase = Math.exp(
    model.logDeathBase +
      (model.logDeathAgePer10 * (ageYears - P.attributes.referenceAgeYears)) / 10 +
      model.logDeathMale * male +
      model.logDeathStage[stage]! +
      model.logDeathEcog[ecog]! +
      model.logDeathBiomarker[biomarker]!,
  );
  const deathActive = deathBase * model.deathFirstLine[firstLine * 2 + biomarker]!;
  const sfb = (stage * F + firstLine) * 2 + biomarker;
  const response1 = model.responsePerDay[sfb]!;
  const recurrence1 = model.recurrencePerDay[sfb]!;
  const se = stage * ECOGS.length + ecog;
  const progression1 = model.progressionPerDay[(se * F + firstLine) * 2 + biomarker]!;
  const responseLater = model.laterResponsePerDay[stage]!;
  const recurrenceLater = model.laterRecurrencePerDay[stage]!;
  const progressionLater = model.laterProgressionPerDay[se]!;
  const kinds = model.kind;
  for (let s = 0; s < model.states; s++) {
    const firstLineState = model.line[s] === 1;
    const kind = kinds[s]!;
    const lineFactor = model.lineFactor[s]!; // 1 on line 1
    out.death[s] =
      (firstLineState && kind !== STATE_KINDS.WAIT ? deathActive : deathBase) *
      model.deathPriorFactor[s]!;
    out.rateB[s] = 0;
    if (kind === STATE_KINDS.WAIT) {
      if (firstLineState) {
        out.rateA[s] = model.firstLineStartPerDay[firstLine]!;
        out.targetA[s] = firstLine === SURGERY ? s + 2 : s + 1; // surgery: straight to disease-free
        out.codeA[s] = CODE.FIRST_LINE[firstLine]!;
      } else {
        out.rateA[s] = model.laterGapPhasePerDay;
      }
    } else if (kind === STATE_KINDS.ON) {
      out.rateA[s] = firstLineState ? response1 : responseLater * lineFactor;
      out.rateB[s] = firstLineState
        ? progression1
        : progressionLater * model.progressionLineFactor[s]!;
    } else if (kind === STATE_KINDS.RESP) {
      out.rateA[s] = firstLineState ? recurrence1 : recurrenceLater * lineFactor;
    } else {
      out.rateA[s] = 0;
    }
  }
}

/**
 * Index of a stage level name.
 *
 * @example
 * stageIndex('III') // => 2
 */
export function stageIndex(stage: ReferenceStage): number {
  return (STAGES as readonly string[]).indexOf(stage);
}
