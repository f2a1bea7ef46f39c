/**
 * The true parameters of the known-truth reference process (docs/reference-process.md).
 * Simulator, analytic survival and tests all read these numbers, so a test that recovers a
 * hazard ratio compares against exactly what generated the data.
 *
 * Rates are per year (converted to per day with {@link DAYS_PER_YEAR}); hazard ratios are
 * multiplicative on the hazard; every level name is the one written to the timeline.
 */
export const REFERENCE_PARAMETERS = {
  version: 1,
  calendar: {
    /** index_date is uniform over these whole days (inclusive). */
    indexWindowStart: '2015-01-01',
    indexWindowEnd: '2021-12-31',
    /** Administrative censoring: follow-up ends on this date at the latest. */
    dataCutoff: '2023-12-31',
  },
  attributes: {
    /** Age in whole years: floor of Normal(mean, sd²) truncated to [minYears, maxYears + 1). */
    age: { meanYears: 65, sdYears: 11, minYears: 25, maxYears: 95 },
    /** Covariate effects are centred at this age (the reference patient's age). */
    referenceAgeYears: 65,
    sex: { levels: ['female', 'male'], maleProbability: 0.5 },
    /**
     * P(stage | age) ∝ baseWeight · exp(logWeightPer10Years · (age − 65) / 10): older patients
     * are diagnosed at later stages.
     */
    stage: {
      levels: ['I', 'II', 'III', 'IV'],
      baseWeights: [0.3, 0.27, 0.24, 0.19],
      logWeightPer10Years: [-0.2, -0.05, 0.05, 0.2],
    },
    /** P(ecog | age) ∝ baseWeight · exp(logWeightPer10Years · (age − 65) / 10). */
    ecog: {
      levels: ['0', '1', '2'],
      baseWeights: [0.55, 0.33, 0.12],
      logWeightPer10Years: [0, 0.25, 0.5],
    },
    biomarker: { levels: ['neg', 'pos'], positiveProbability: 0.3 },
  },
  firstLine: {
    treatments: ['SURGERY', 'CHEMO', 'TARGETED', 'IMMUNO'],
    /** P(first-line treatment | stage, biomarker); rows sum to 1. */
    probabilities: {
      I: {
        neg: { SURGERY: 0.85, CHEMO: 0.15, TARGETED: 0, IMMUNO: 0 },
        pos: { SURGERY: 0.85, CHEMO: 0.15, TARGETED: 0, IMMUNO: 0 },
      },
      II: {
        neg: { SURGERY: 0.65, CHEMO: 0.35, TARGETED: 0, IMMUNO: 0 },
        pos: { SURGERY: 0.6, CHEMO: 0.3, TARGETED: 0.1, IMMUNO: 0 },
      },
      III: {
        neg: { SURGERY: 0.25, CHEMO: 0.55, TARGETED: 0, IMMUNO: 0.2 },
        pos: { SURGERY: 0.2, CHEMO: 0.25, TARGETED: 0.45, IMMUNO: 0.1 },
      },
      IV: {
        neg: { SURGERY: 0, CHEMO: 0.6, TARGETED: 0, IMMUNO: 0.4 },
        pos: { SURGERY: 0, CHEMO: 0.25, TARGETED: 0.6, IMMUNO: 0.15 },
      },
    },
    /** Diagnosis → first-line start: exponential with this mean (days). */
    meanGapDays: { SURGERY: 21, CHEMO: 10, TARGETED: 10, IMMUNO: 10 },
  },
  laterLines: {
    /** Lines 2..maxLine follow disease events; a disease event on the last line → supportive care. */
    maxLine: 4,
    /** Disease event → next-line start: Erlang with `gapPhases` phases and this mean (days). */
    meanGapDays: 28,
    gapPhases: 2,
  },
  death: {
    /** Death hazard of the reference patient (65, female, stage I, ECOG 0, neg, before any treatment). */
    baselinePerYear: 0.03,
    hazardRatios: {
      agePer10Years: 1.4,
      male: 1.25,
      stage: { I: 1, II: 1.5, III: 2.5, IV: 5 },
      ecog: { '0': 1, '1': 1.6, '2': 2.8 },
      biomarkerPositive: 0.8,
      /** Applies while the first line is active (started, no disease event yet). */
      firstLine: {
        SURGERY: { neg: 0.6, pos: 0.6 },
        CHEMO: { neg: 1, pos: 1 },
        TARGETED: { neg: 1, pos: 0.65 },
        IMMUNO: { neg: 0.8, pos: 0.8 },
      },
      /** Per prior disease event (PROGRESSION or RECURRENCE): the history effect. */
      perPriorDiseaseEvent: 1.6,
    },
  },
  response: {
    /** On a systemic line (not after surgery): hazard of RESPONSE. */
    baselinePerYear: 1.2,
    stage: { I: 1.3, II: 1.1, III: 0.9, IV: 0.7 },
    firstLine: {
      SURGERY: { neg: 1, pos: 1 },
      CHEMO: { neg: 1, pos: 1 },
      TARGETED: { neg: 0.5, pos: 1.8 },
      IMMUNO: { neg: 1.2, pos: 1.2 },
    },
    /** Multiplier per line after the first (line L: factor^(L−1)). */
    perLaterLine: 0.7,
  },
  progression: {
    /** On a systemic line, before response: hazard of PROGRESSION. */
    baselinePerYear: 0.45,
    stage: { I: 0.4, II: 0.7, III: 1.2, IV: 2.2 },
    ecog: { '0': 1, '1': 1.25, '2': 1.6 },
    firstLine: {
      SURGERY: { neg: 1, pos: 1 },
      CHEMO: { neg: 1, pos: 1 },
      TARGETED: { neg: 1.3, pos: 0.6 },
      IMMUNO: { neg: 0.85, pos: 0.85 },
    },
    perLaterLine: 1.35,
  },
  recurrence: {
    /** After RESPONSE or surgery (disease-free): hazard of RECURRENCE. */
    baselinePerYear: 0.12,
    stage: { I: 0.5, II: 1, III: 1.8, IV: 3 },
    firstLine: {
      SURGERY: { neg: 1, pos: 1 },
      CHEMO: { neg: 1.3, pos: 1.3 },
      TARGETED: { neg: 1.3, pos: 1.1 },
      IMMUNO: { neg: 0.9, pos: 0.9 },
    },
    perLaterLine: 1.3,
  },
  censoring: {
    /** Loss to follow-up: exponential, independent of everything else. */
    dropoutPerYear: 0.05,
  },
  visits: {
    /** Visit gaps are uniform on intervalDays ± jitterDays, from diagnosis until the terminal event. */
    intervalDays: 90,
    jitterDays: 15,
  },
} as const;

export type ReferenceParameters = typeof REFERENCE_PARAMETERS;
export type ReferenceStage = (typeof REFERENCE_PARAMETERS.attributes.stage.levels)[number];
export type FirstLineTreatment = (typeof REFERENCE_PARAMETERS.firstLine.treatments)[number];

/** Days per year used to convert every per-year rate to per day. */
export const DAYS_PER_YEAR = 365.25;

/** The event codes of a reference timeline, in dictionary order. */
export const REFERENCE_CODES = [
  'DIAGNOSIS',
  'TREATMENT:SURGERY',
  'TREATMENT:CHEMO',
  'TREATMENT:TARGETED',
  'TREATMENT:IMMUNO',
  'TREATMENT:LINE2',
  'TREATMENT:LINE3',
  'TREATMENT:LINE4',
  'VISIT',
  'RESPONSE',
  'PROGRESSION',
  'RECURRENCE',
  'DEATH',
  'END_OF_FOLLOWUP',
] as const;

export type ReferenceCode = (typeof REFERENCE_CODES)[number];

/** The static attributes of a reference timeline, in column order. */
export const REFERENCE_ATTRIBUTES = [
  { name: 'age', kind: 'numeric' },
  { name: 'sex', kind: 'categorical', levels: REFERENCE_PARAMETERS.attributes.sex.levels },
  { name: 'stage', kind: 'categorical', levels: REFERENCE_PARAMETERS.attributes.stage.levels },
  { name: 'ecog', kind: 'categorical', levels: REFERENCE_PARAMETERS.attributes.ecog.levels },
  {
    name: 'biomarker',
    kind: 'categorical',
    levels: REFERENCE_PARAMETERS.attributes.biomarker.levels,
  },
] as const;

/** Transitions that a perturbation can remove. */
export const REMOVABLE_TRANSITIONS = ['RESPONSE', 'PROGRESSION', 'RECURRENCE'] as const;
export type RemovableTransition = (typeof REMOVABLE_TRANSITIONS)[number];

/**
 * Deliberate departures from the true process, for validator power tests. All default to
 * "no perturbation"; see docs/reference-process.md for exact semantics.
 */
export interface ReferencePerturbations {
  /** Multiplies the death hazard in every state (default 1). */
  readonly deathHazardMultiplier?: number;
  /**
   * Stretches the clinical clock: every clinical hazard (death, response, progression,
   * recurrence, treatment start) is divided by it and visit gaps are multiplied by it; dropout
   * and administrative censoring are unchanged (default 1).
   */
  readonly gapMultiplier?: number;
  /** Sets the hazard of this transition to zero everywhere. */
  readonly removeTransition?: RemovableTransition;
  /**
   * Writes a stage drawn independently from its marginal distribution (from a separate
   * stream) instead of the stage that drove the trajectory: conditioning on stage is broken,
   * the stage marginal and every trajectory are unchanged.
   */
  readonly shuffleStage?: boolean;
  /**
   * What-if: every patient gets this first-line treatment (`SURGERY` or `TREATMENT:SURGERY`,
   * ...). Its effects are the documented first-line hazard ratios (e.g. TARGETED helps only
   * biomarker-positive patients).
   */
  readonly forceFirstLine?: string;
}

/**
 * The optional tumour marker of the reference process (`--marker`; docs/reference-process.md,
 * "Tumour marker"). Kept apart from {@link REFERENCE_PARAMETERS} so that the committed true
 * survival table (hashed from those) and the default cohorts are untouched.
 *
 * Latent log level at time t (days since diagnosis) in state s entered at time t_s:
 * ℓ(t) = logMean + u + stateLevel[kind(s)] + perPriorDiseaseEvent · k(s)
 *        + slopePerYear[kind(s)] · (t − t_s) / 365.25, with u ~ Normal(0, patientSd²) per patient.
 * A measurement is m = ℓ(t) + measurementSd · ε (ε ~ Normal(0, 1)), written as exp(m)
 * rounded to `roundTo` (at least `roundTo`); the hazards use the log of the written value.
 */
export const REFERENCE_MARKER = {
  code: 'LAB:CEA',
  /** ng/mL; log of the marker's reference level (3 ng/mL). */
  logMean: Math.log(3),
  patientSd: 0.5,
  measurementSd: 0.3,
  /** By state kind: untreated disease (waiting for a line) high, on a line lower, responding lowest, supportive care highest. */
  stateLevel: { WAIT: 0.6, ON: 0.3, RESP: -0.2, SUPPORTIVE: 1.0 },
  perPriorDiseaseEvent: 0.2,
  /** Growth of the log level per year in the state: a failing line (ON) and regrowth after response (RESP). */
  slopePerYear: { WAIT: 0, ON: 0.8, RESP: 0.25, SUPPORTIVE: 0 },
  /** Measured at diagnosis (day 0) always, and at each VISIT with probability 1 − missedVisitProbability. */
  missedVisitProbability: 0.15,
  roundTo: 0.01,
  /**
   * Log hazard ratios per unit of (log of the most recent written value − logMean): the death
   * hazard (all states) and the disease-event hazards (PROGRESSION, RECURRENCE).
   */
  logHazardRatioPerLogUnit: { death: Math.log(1.5), diseaseEvent: 0.5 },
} as const;

/** The codes of a reference timeline with the marker: the default codes, then the marker's. */
export const REFERENCE_MARKER_CODES = [...REFERENCE_CODES, REFERENCE_MARKER.code] as const;
