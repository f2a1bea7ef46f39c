// Over 400 lines on purpose: the simulator class keeps its per-patient buffers, both event paths
// (default and with the tumour marker) and the streaming writer loop together, so one patient is
// simulated with no per-event allocation; each function is short.
import { requireIsoDay } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { TimelineManifest } from '../timeline/types.js';
import { TimelineWriter } from '../timeline/writer.js';
import { simulateMarkerPath } from './marker-path.js';
import {
  CODE,
  CODE_RANK,
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
  REFERENCE_MARKER_CODES,
  REFERENCE_PARAMETERS,
  type ReferencePerturbations,
} from './reference-parameters.js';

const P = REFERENCE_PARAMETERS;

/** Where simulated patients go: the subset of {@link TimelineWriter} the simulator uses. */
export interface PatientSink {
  addPatient(id: string, indexDay: number, attributeValues: ArrayLike<number>): void;
  addEvent(day: number, code: number, value: number): void;
}

/**
 * The patient id of global patient index `index` (0-based): `R` + index + 1, zero-padded to 7.
 *
 * @example
 * referencePatientId(0) // => 'R0000001'
 */
export function referencePatientId(index: number): string {
  return `R${String(index + 1).padStart(7, '0')}`;
}

/** Outcome counters of a {@link ReferenceSimulator}. */
export interface ReferenceCounts {
  readonly patients: number;
  readonly events: number;
  readonly deaths: number;
  readonly censored: number;
}

/**
 * Simulates reference patients one at a time straight into a {@link PatientSink}, with no
 * per-event allocation. Patient `i`'s randomness comes only from
 * `new Rng(seed).fork('patient').fork(i)`, so a patient is the same in any batch, prefix or
 * shard. See docs/reference-process.md for the model.
 *
 * @example
 * const sim = new ReferenceSimulator('42');
 * sim.simulatePatient(0, writer); // writes R0000001 and its events; returns the event count
 */
export class ReferenceSimulator {
  readonly model: CompiledReference;
  private readonly patientRoot: Rng;
  private readonly rates: TransitionRates;
  private readonly attributeValues = new Float64Array(REFERENCE_ATTRIBUTES.length);
  private readonly weights4 = new Float64Array(4);
  private readonly weights3 = new Float64Array(3);
  private readonly firstLineWeights: Float64Array; // [(stage * 2 + biomarker) * F + t]
  private readonly windowStartDay: number;
  private readonly windowDays: number;
  private readonly cutoffDay: number;
  private eventDay = new Int32Array(256);
  private eventCode = new Int32Array(256);
  private eventKey = new Float64Array(256);
  private eventValue = new Float64Array(256);
  private counts = { patients: 0, events: 0, deaths: 0, censored: 0 };
  /** Whether patients carry the tumour marker (`LAB:CEA`, code index after the default codes). */
  readonly marker: boolean;
  private readonly pushEvent = (day: number, code: number, value: number): void => {
    this.markerEvents = this.push(this.markerEvents, day, code, value);
  };
  private markerEvents = 0;

  constructor(
    seed: string | number,
    perturbations: ReferencePerturbations = {},
    options: { readonly marker?: boolean } = {},
  ) {
    this.marker = options.marker ?? false;
    this.model = compileReference(perturbations);
    this.patientRoot = new Rng(seed).fork('patient');
    this.rates = createTransitionRates(this.model);
    const F = FIRST_LINES.length;
    this.firstLineWeights = new Float64Array(P.attributes.stage.levels.length * 2 * F);
    P.attributes.stage.levels.forEach((st, si) => {
      P.attributes.biomarker.levels.forEach((bm, bi) => {
        FIRST_LINES.forEach((t, ti) => {
          this.firstLineWeights[(si * 2 + bi) * F + ti] = P.firstLine.probabilities[st][bm][t];
        });
      });
    });
    this.windowStartDay = requireIsoDay(P.calendar.indexWindowStart, 'indexWindowStart');
    this.windowDays =
      requireIsoDay(P.calendar.indexWindowEnd, 'indexWindowEnd') - this.windowStartDay + 1;
    this.cutoffDay = requireIsoDay(P.calendar.dataCutoff, 'dataCutoff');
  }

  /** Totals over every patient simulated so far. */
  get totals(): ReferenceCounts {
    return { ...this.counts };
  }

  /**
   * Simulates global patient `index` (0-based) into `sink`; returns its number of events.
   * Throws INVALID_ARGUMENT for a negative or non-integer index.
   */
  simulatePatient(index: number, sink: PatientSink): number {
    if (!(Number.isSafeInteger(index) && index >= 0)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `patient index ${index}: expected an integer >= 0`,
      );
    }
    const rng = this.patientRoot.fork(index);
    const m = this.model;
    const A = P.attributes;

    // Attributes, always drawn in this order so perturbations never shift them.
    const indexDay = this.windowStartDay + rng.int(this.windowDays);
    const ageYears = this.drawAge(rng);
    const male = rng.uniform() < A.sex.maleProbability ? 1 : 0;
    const stage = this.drawByAge(
      rng,
      this.weights4,
      A.stage.baseWeights,
      A.stage.logWeightPer10Years,
      ageYears,
    );
    const ecog = this.drawByAge(
      rng,
      this.weights3,
      A.ecog.baseWeights,
      A.ecog.logWeightPer10Years,
      ageYears,
    );
    const biomarker = rng.uniform() < A.biomarker.positiveProbability ? 1 : 0;
    const F = FIRST_LINES.length;
    const base = (stage * 2 + biomarker) * F;
    const w = this.weights4;
    for (let i = 0; i < F; i++) w[i] = this.firstLineWeights[base + i]!;
    let firstLine = rng.categorical(w);
    if (m.perturbations.forceFirstLine >= 0) firstLine = m.perturbations.forceFirstLine;

    let recordedStage = stage;
    if (m.perturbations.shuffleStage) {
      const shuffle = rng.fork('shuffle');
      const age2 = this.drawAge(shuffle);
      recordedStage = this.drawByAge(
        shuffle,
        this.weights4,
        A.stage.baseWeights,
        A.stage.logWeightPer10Years,
        age2,
      );
    }

    // Censoring: loss to follow-up or the data cutoff, whichever first (days after index).
    const censorTime = Math.min(rng.exponential(m.dropoutPerDay), this.cutoffDay - indexDay);

    fillTransitionRates(m, this.rates, ageYears, male, stage, ecog, biomarker, firstLine);
    const { n, died } = this.marker
      ? this.markerPath(rng, censorTime)
      : this.clinicalPath(rng, censorTime);

    this.sortEvents(n);
    const dayBuf = this.eventDay;
    const codeBuf = this.eventCode;
    const valueBuf = this.eventValue;

    const attrs = this.attributeValues;
    attrs[0] = ageYears;
    attrs[1] = male;
    attrs[2] = recordedStage;
    attrs[3] = ecog;
    attrs[4] = biomarker;
    sink.addPatient(referencePatientId(index), indexDay, attrs);
    for (let i = 0; i < n; i++) sink.addEvent(dayBuf[i]!, codeBuf[i]!, valueBuf[i]!);

    this.counts.patients++;
    this.counts.events += n;
    if (died) this.counts.deaths++;
    else this.counts.censored++;
    return n;
  }

  /** The process with the tumour marker (src/reference/marker-path.ts) into the event buffers. */
  private markerPath(rng: Rng, censorTime: number): { n: number; died: boolean } {
    this.markerEvents = this.push(0, 0, CODE.DIAGNOSIS);
    const { died, endTime } = simulateMarkerPath(
      rng,
      this.model,
      this.rates,
      censorTime,
      this.pushEvent,
    );
    const n = this.push(
      this.markerEvents,
      Math.floor(endTime),
      died ? CODE.DEATH : CODE.END_OF_FOLLOWUP,
    );
    return { n, died };
  }

  /** Clinical path: competing exponential hazards in each state of the chain, then the visits. */
  private clinicalPath(rng: Rng, censorTime: number): { n: number; died: boolean } {
    const m = this.model;
    const { death, rateA, rateB, targetA, targetB, codeA, codeB } = this.rates;
    let n = 0;
    n = this.push(n, 0, CODE.DIAGNOSIS);
    let state = 0;
    let t = 0;
    let died = false;
    for (;;) {
      const d = death[state]!;
      const a = rateA[state]!;
      const total = d + a + rateB[state]!;
      if (total <= 0) break;
      t += -Math.log(rng.uniformOpen()) / total;
      if (t >= censorTime) break;
      const u = rng.uniform() * total;
      if (u < d) {
        died = true;
        break;
      }
      let c: number;
      if (u < d + a) {
        c = codeA[state]!;
        state = targetA[state]!;
      } else {
        c = codeB[state]!;
        state = targetB[state]!;
      }
      if (c >= 0) n = this.push(n, Math.floor(t), c);
    }
    const endTime = died ? t : censorTime;

    // Visits from diagnosis until the terminal event.
    const interval = m.visitIntervalDays;
    const jitter = m.visitJitterDays;
    for (let v = interval + jitter * (2 * rng.uniform() - 1); v < endTime; ) {
      n = this.push(n, Math.floor(v), CODE.VISIT);
      v += interval + jitter * (2 * rng.uniform() - 1);
    }
    n = this.push(n, Math.floor(endTime), died ? CODE.DEATH : CODE.END_OF_FOLLOWUP);
    return { n, died };
  }

  /** Stable insertion sort of the first n buffered events by (day, rank): nearly sorted already. */
  private sortEvents(n: number): void {
    const key = this.eventKey;
    const dayBuf = this.eventDay;
    const codeBuf = this.eventCode;
    const valueBuf = this.eventValue;
    for (let i = 1; i < n; i++) {
      const k = key[i]!;
      const dd = dayBuf[i]!;
      const cc = codeBuf[i]!;
      const vv = valueBuf[i]!;
      let j = i - 1;
      while (j >= 0 && key[j]! > k) {
        key[j + 1] = key[j]!;
        dayBuf[j + 1] = dayBuf[j]!;
        codeBuf[j + 1] = codeBuf[j]!;
        valueBuf[j + 1] = valueBuf[j]!;
        j--;
      }
      key[j + 1] = k;
      dayBuf[j + 1] = dd;
      codeBuf[j + 1] = cc;
      valueBuf[j + 1] = vv;
    }
  }

  private push(n: number, day: number, code: number, value = Number.NaN): number {
    if (n === this.eventDay.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T, b: T): T => {
        b.set(a);
        return b;
      };
      this.eventDay = grow(this.eventDay, new Int32Array(n * 2));
      this.eventCode = grow(this.eventCode, new Int32Array(n * 2));
      this.eventKey = grow(this.eventKey, new Float64Array(n * 2));
      this.eventValue = grow(this.eventValue, new Float64Array(n * 2));
    }
    this.eventDay[n] = day;
    this.eventCode[n] = code;
    this.eventValue[n] = value;
    this.eventKey[n] = day * 8 + CODE_RANK[code]!;
    return n + 1;
  }

  /** Whole years: floor of Normal(mean, sd²) truncated to [min, max + 1) by rejection. */
  private drawAge(rng: Rng): number {
    const a = P.attributes.age;
    for (;;) {
      const x = a.meanYears + a.sdYears * rng.normal();
      if (x >= a.minYears && x < a.maxYears + 1) return Math.floor(x);
    }
  }

  private drawByAge(
    rng: Rng,
    weights: Float64Array,
    base: readonly number[],
    slope: readonly number[],
    ageYears: number,
  ): number {
    const z = (ageYears - P.attributes.referenceAgeYears) / 10;
    for (let i = 0; i < weights.length; i++) weights[i] = base[i]! * Math.exp(slope[i]! * z);
    return rng.categorical(weights);
  }
}

/** Options of {@link simulateReference}. */
export interface SimulateReferenceOptions extends ReferencePerturbations {
  /** Number of patients to write (integer >= 1). */
  readonly patients: number;
  /** Root seed: the same seed gives byte-identical files. */
  readonly seed: string | number;
  /** Global index of the first patient (default 0): a shard writes `firstPatient .. + patients − 1`. */
  readonly firstPatient?: number;
  /** Patients between writer commits (default 4096). Does not change the output bytes. */
  readonly chunkPatients?: number;
  /**
   * Adds the tumour marker `LAB:CEA` (docs/reference-process.md, "Tumour marker"; default
   * false: the default process, byte for byte).
   */
  readonly marker?: boolean;
  /** Dataset name in timeline.json (default 'reference'). */
  readonly name?: string;
  /** Replace an existing output directory (default false). */
  readonly overwrite?: boolean;
  /** Called after each chunk with patients done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link simulateReference} wrote and how fast. */
export interface ReferenceRunSummary extends ReferenceCounts {
  readonly seconds: number;
  readonly patientsPerSecond: number;
  readonly eventsPerSecond: number;
  readonly manifest: TimelineManifest;
}

/**
 * Writes a reference cohort to the timeline directory `dir`, streaming in chunks with flat
 * memory. Throws INVALID_ARGUMENT for bad options (naming the field) and IO if `dir` exists
 * and `overwrite` is not set; on failure nothing is left at `dir`.
 *
 * @example
 * const run = await simulateReference('out/ref', { patients: 10_000, seed: 1 });
 * run.manifest.counts.patients // => 10000
 */
export async function simulateReference(
  dir: string,
  options: SimulateReferenceOptions,
): Promise<ReferenceRunSummary> {
  const { patients, seed } = options;
  const first = options.firstPatient ?? 0;
  const chunk = options.chunkPatients ?? 4096;
  for (const [field, value, min] of [
    ['patients', patients, 1],
    ['firstPatient', first, 0],
    ['chunkPatients', chunk, 1],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= min)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `${field} is ${value}; expected an integer >= ${min}`,
        {
          field,
        },
      );
    }
  }
  const simulator = new ReferenceSimulator(seed, options, { marker: options.marker ?? false });
  const started = performance.now();
  const writer = await TimelineWriter.create(dir, {
    name: options.name ?? 'reference',
    source: describeSource(seed, first, options),
    attributes: REFERENCE_ATTRIBUTES,
    codes: options.marker ? REFERENCE_MARKER_CODES : REFERENCE_CODES,
    overwrite: options.overwrite ?? false,
  });
  try {
    for (let done = 0; done < patients; ) {
      const end = Math.min(patients, done + chunk);
      for (let i = done; i < end; i++) simulator.simulatePatient(first + i, writer);
      done = end;
      await writer.commit();
      options.onProgress?.(done, patients);
    }
  } catch (cause) {
    await writer.abort();
    throw cause;
  }
  const manifest = await writer.close();
  const seconds = (performance.now() - started) / 1000;
  const totals = simulator.totals;
  return {
    ...totals,
    seconds,
    patientsPerSecond: totals.patients / seconds,
    eventsPerSecond: totals.events / seconds,
    manifest,
  };
}

function describeSource(seed: string | number, first: number, p: ReferencePerturbations): string {
  const parts = [`trajsim reference process v${P.version}`, `seed=${seed}`];
  if (first > 0) parts.push(`firstPatient=${first}`);
  if (p.deathHazardMultiplier !== undefined)
    parts.push(`deathHazardMultiplier=${p.deathHazardMultiplier}`);
  if (p.gapMultiplier !== undefined) parts.push(`gapMultiplier=${p.gapMultiplier}`);
  if (p.removeTransition !== undefined) parts.push(`removeTransition=${p.removeTransition}`);
  if (p.shuffleStage) parts.push('shuffleStage');
  if (p.forceFirstLine !== undefined) parts.push(`forceFirstLine=${p.forceFirstLine}`);
  if ((p as { marker?: boolean }).marker) parts.push('marker');
  return parts.join(' ');
}
