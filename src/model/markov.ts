// Over 400 lines (barely) on purpose: the Markov baseline's fit, its transition probabilities
// and its step model share one parameter layout (MarkovParameters); each function is short.
import { TrajsimError } from '../core/errors.js';
import { type Logger, MESSAGES, markovTraining, SILENT_LOGGER } from '../core/messages.js';
import type { Rng } from '../core/rng.js';
import { VERSION } from '../core/version.js';
import { TERMINAL_CODES, type Timeline } from '../timeline/types.js';
import { type AttributeRows, fitAttributeEncoders } from './attribute-encoder.js';
import { MODEL_FORMAT_VERSION, type ModelManifest } from './manifest.js';
import {
  fitMarkovValues,
  type MarkovValueParameters,
  MarkovValueSampler,
} from './markov-values.js';
import { manifestDataSections, prepareTraining } from './training-summary.js';
import { mapCodesToVocabulary, type RareCodePolicy } from './vocabulary.js';

/** Transition counts of a condition cell are shrunk towards the pooled ones with this weight (patients' events). */
export const MARKOV_SMOOTHING = 1;
/** A cell-specific gap distribution is used once its transition has this many gaps; else the pooled one. */
export const MARKOV_MIN_CELL_GAPS = 20;

/** An empirical distribution of gaps in days: sorted distinct values and their counts. */
export interface GapHistogram {
  readonly days: number[];
  readonly counts: number[];
}

/**
 * The Markov baseline's fitted parameters (markov.json).
 * Cells: one per level of the condition attribute plus one for missing/unknown (a single
 * cell without condition). States: the V codes plus the beginning of sequence (index V).
 */
export interface MarkovParameters {
  readonly condition: {
    readonly name: string;
    readonly attributeIndex: number;
    readonly levels: readonly string[];
  } | null;
  /** counts[cell][prev][next] (prev 0..V, next 0..V−1). */
  readonly counts: number[][][];
  /** Gap histograms by key `cell|prev|next` (cell-specific) and `*|prev|next` (pooled), `*|*|next` (fallback). */
  readonly gaps: Record<string, GapHistogram>;
  /** Per-code value model (src/model/markov-values.ts); absent when no code is valued and in older models. */
  readonly values?: MarkovValueParameters;
}

export interface FitMarkovOptions {
  /** Conditioning attribute name, 'none', or undefined to choose one automatically. */
  readonly condition?: string;
  readonly seed?: string | number;
  readonly validationFraction?: number;
  readonly minCodePatients?: number;
  readonly rareCodes?: RareCodePolicy;
  readonly commandLine?: readonly string[];
  readonly logger?: Logger;
}

/**
 * Chooses the stage-like attribute to condition on: a categorical attribute named like
 * 'stage' if any, else the categorical attribute (2–12 levels) with the largest mutual
 * information with death (vs censoring). Returns -1 when there is none.
 *
 * @example
 * chooseMarkovCondition(colon, trainRows) // => the index of the attribute to condition on, -1 for none
 */
export function chooseMarkovCondition(timeline: Timeline, rows: Int32Array): number {
  const attrs = timeline.patients.attributes;
  const named = attrs.findIndex((a) => a.kind === 'categorical' && /stage/i.test(a.name));
  if (named >= 0) return named;
  const deathCode = timeline.events.codes.indexOf(TERMINAL_CODES.DEATH);
  let best = -1;
  let bestMi = 0;
  attrs.forEach((a, j) => {
    if (a.kind !== 'categorical' || a.levels.length < 2 || a.levels.length > 12) return;
    const k = a.levels.length + 1;
    const joint = new Float64Array(k * 2);
    for (const p of rows) {
      const c = a.codes[p]! < 0 ? k - 1 : a.codes[p]!;
      const last = timeline.offsets[p + 1]! - 1;
      const died = last >= timeline.offsets[p]! && timeline.events.code[last] === deathCode ? 1 : 0;
      joint[c * 2 + died]!++;
    }
    const n = rows.length;
    let mi = 0;
    for (let c = 0; c < k; c++) {
      const pc = joint[c * 2]! + joint[c * 2 + 1]!;
      for (let d = 0; d < 2; d++) {
        const pd = Array.from({ length: k }, (_, x) => joint[x * 2 + d]!).reduce(
          (s, v) => s + v,
          0,
        );
        const j = joint[c * 2 + d]!;
        if (j > 0) mi += (j / n) * Math.log((j * n) / (pc * pd));
      }
    }
    if (mi > bestMi) {
      bestMi = mi;
      best = j;
    }
  });
  return best;
}

function addGap(map: Map<string, Map<number, number>>, key: string, gap: number): void {
  let h = map.get(key);
  if (!h) {
    h = new Map();
    map.set(key, h);
  }
  h.set(gap, (h.get(gap) ?? 0) + 1);
}

/**
 * The attribute index the Markov baseline conditions on: chosen from the data when
 * `condition` is undefined, -1 for 'none', else the named categorical attribute (throws
 * INVALID_ARGUMENT when it is not one).
 */
function resolveMarkovCondition(
  timeline: Timeline,
  train: Int32Array,
  condition: string | undefined,
): number {
  const attrs = timeline.patients.attributes;
  if (condition === undefined) return chooseMarkovCondition(timeline, train);
  if (condition === 'none') return -1;
  const condIndex = attrs.findIndex((a) => a.name === condition);
  const a = attrs[condIndex];
  if (a?.kind !== 'categorical') {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `condition '${condition}' is not a categorical attribute (categorical: ${
        attrs
          .filter((x) => x.kind === 'categorical')
          .map((x) => x.name)
          .join(', ') || 'none'
      })`,
      { field: '--condition' },
    );
  }
  return condIndex;
}

/**
 * Fits the first-order Markov baseline: transition counts between consecutive codes (from
 * the beginning of sequence) per level of one stage-like categorical attribute, and the
 * empirical distribution of the gap in days of each transition (per level when it has at
 * least {@link MARKOV_MIN_CELL_GAPS} gaps, else pooled). Uses the training part of the same
 * seeded split as the GRU; reports the validation NLL of the codes.
 *
 * @example
 * const { manifest, markov } = fitMarkov(colon, { condition: 'extent', seed: 1 });
 * manifest.kind // => 'markov'
 */
export function fitMarkov(
  timeline: Timeline,
  options: FitMarkovOptions = {},
): { manifest: ModelManifest; markov: MarkovParameters } {
  const logger = options.logger ?? SILENT_LOGGER;
  const started = performance.now();
  const validationFraction = options.validationFraction ?? 0.1;
  const { seed, minPatients, vocabulary, train, validation } = prepareTraining(
    timeline,
    options,
    validationFraction,
    logger,
  );
  const V = vocabulary.codes.length;
  const codeMap = mapCodesToVocabulary(vocabulary, timeline.events.codes);
  const attrs = timeline.patients.attributes;
  const condIndex = resolveMarkovCondition(timeline, train, options.condition);
  const cond = condIndex >= 0 ? attrs[condIndex] : undefined;
  const condAttr = cond && cond.kind === 'categorical' ? cond : undefined;
  const nCells = condAttr ? condAttr.levels.length + 1 : 1;
  const cellOf = (p: number): number => {
    if (!condAttr) return 0;
    const c = condAttr.codes[p]!;
    return c < 0 ? nCells - 1 : c;
  };
  logger.info(MESSAGES.INFO, markovTraining(condAttr?.name, train.length));
  const counts = Array.from({ length: nCells }, () =>
    Array.from({ length: V + 1 }, () => new Array<number>(V).fill(0)),
  );
  const gapMaps = new Map<string, Map<number, number>>();
  const { day, code } = timeline.events;
  for (const p of train) {
    const cell = cellOf(p);
    let prev = V;
    let prevDay = 0;
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const c = codeMap[code[e]!]!;
      const gap = day[e]! - prevDay;
      counts[cell]![prev]![c]!++;
      addGap(gapMaps, `${cell}|${prev}|${c}`, gap);
      addGap(gapMaps, `*|${prev}|${c}`, gap);
      addGap(gapMaps, `*|*|${c}`, gap);
      prev = c;
      prevDay = day[e]!;
    }
  }
  const gaps: Record<string, GapHistogram> = {};
  for (const [key, h] of [...gapMaps.entries()].sort((a, b) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
  )) {
    let n = 0;
    for (const v of h.values()) n += v;
    if (!key.startsWith('*') && n < MARKOV_MIN_CELL_GAPS) continue;
    const days = [...h.keys()].sort((a, b) => a - b);
    gaps[key] = { days, counts: days.map((d) => h.get(d)!) };
  }
  const values = fitMarkovValues(timeline, train, codeMap, V);
  const markov: MarkovParameters = {
    condition: condAttr
      ? { name: condAttr.name, attributeIndex: condIndex, levels: [...condAttr.levels] }
      : null,
    counts,
    gaps,
    ...(values ? { values } : {}),
  };
  // validation NLL of codes
  const probs = markovProbabilities(markov, V);
  let nll = 0;
  let events = 0;
  for (const p of validation) {
    const cell = cellOf(p);
    let prev = V;
    for (let e = timeline.offsets[p]!; e < timeline.offsets[p + 1]!; e++) {
      const c = codeMap[code[e]!]!;
      nll -= Math.log(Math.max(probs[(cell * (V + 1) + prev) * V + c]!, 1e-12));
      events++;
      prev = c;
    }
  }
  const encoders = fitAttributeEncoders(attrs, train);
  const manifest: ModelManifest = {
    format: 'trajsim-model',
    formatVersion: MODEL_FORMAT_VERSION,
    kind: 'markov',
    packageVersion: VERSION,
    commandLine: [...(options.commandLine ?? [])],
    seed,
    backend: 'none',
    ...manifestDataSections(timeline, train, validation, vocabulary, minPatients, encoders),
    hyperparameters: {
      smoothing: MARKOV_SMOOTHING,
      minCellGaps: MARKOV_MIN_CELL_GAPS,
      validationFraction,
    },
    metrics: {
      validationNll: null,
      validationCodeNll: events > 0 ? nll / events : null,
      validationGapNll: null,
      epochs: 0,
      bestEpoch: 0,
      trainSeconds: (performance.now() - started) / 1000,
    },
    condition: condAttr ? condAttr.name : '',
  };
  return { manifest, markov };
}

/**
 * Transition probabilities [cell][prev][next] flattened: the cell's counts shrunk towards the
 * pooled counts, p = (n_c,pn + α·q_pn) / (n_c,p + α) with q the pooled row (the marginal
 * next-code frequencies for a state never left in training).
 *
 * @example
 * const p = markovProbabilities(markov, V);
 * // p[(cell * (V + 1) + prev) * V + next]: each row sums to 1
 */
export function markovProbabilities(markov: MarkovParameters, V: number): Float32Array {
  const nCells = markov.counts.length;
  const out = new Float32Array(nCells * (V + 1) * V);
  const marginal = new Float64Array(V);
  for (const cell of markov.counts) {
    for (const row of cell) for (let n = 0; n < V; n++) marginal[n]! += row[n]!;
  }
  for (let prev = 0; prev <= V; prev++) {
    const pooled = new Float64Array(V);
    for (const cell of markov.counts) for (let n = 0; n < V; n++) pooled[n]! += cell[prev]![n]!;
    let pooledTotal = pooled.reduce((s, v) => s + v, 0);
    const q = pooledTotal > 0 ? pooled : marginal;
    pooledTotal = q.reduce((s, v) => s + v, 0) || 1;
    for (let cell = 0; cell < nCells; cell++) {
      const row = markov.counts[cell]![prev]!;
      const n = row.reduce((s, v) => s + v, 0);
      for (let next = 0; next < V; next++) {
        out[(cell * (V + 1) + prev) * V + next] =
          (row[next]! + (MARKOV_SMOOTHING * q[next]!) / pooledTotal) / (n + MARKOV_SMOOTHING);
      }
    }
  }
  return out;
}

interface CumulativeHistogram {
  readonly days: Int32Array;
  readonly cumulative: Float64Array;
}

/** The Markov baseline as a StepModel (see src/generate/step-model.ts). */
export class MarkovStepModel {
  readonly codes: readonly string[];
  /** Valued codes (absent when the model has no value model: no value draws). */
  readonly valuedCodes?: Uint8Array;
  private readonly values: MarkovValueSampler | undefined;
  private readonly V: number;
  private readonly probs: Float32Array;
  private readonly condColumn: number;
  private readonly nLevels: number;
  private readonly hist = new Map<string, CumulativeHistogram>();
  private cells = new Int32Array(0);
  private prev = new Int32Array(0);
  private rows = 0;
  private out = new Float32Array(0);

  constructor(manifest: ModelManifest, markov: MarkovParameters) {
    this.codes = manifest.vocabulary.codes;
    this.V = this.codes.length;
    this.probs = markovProbabilities(markov, this.V);
    this.condColumn = markov.condition
      ? manifest.attributes.findIndex((a) => a.name === markov.condition!.name)
      : -1;
    this.nLevels = markov.condition ? markov.condition.levels.length : 0;
    this.values = markov.values ? new MarkovValueSampler(markov.values, this.V) : undefined;
    if (this.values) this.valuedCodes = this.values.valuedCodes;
    for (const [key, h] of Object.entries(markov.gaps)) {
      const cumulative = new Float64Array(h.counts.length);
      let s = 0;
      h.counts.forEach((c, i) => {
        s += c;
        cumulative[i] = s;
      });
      this.hist.set(key, { days: Int32Array.from(h.days), cumulative });
    }
  }

  start(attributes: AttributeRows): void {
    this.startRows(attributes);
    this.values?.start(this.rows);
  }

  /** Per-row cells of a new batch (the value state is left to the caller). */
  private startRows(attributes: AttributeRows): void {
    const nA = attributes.rows > 0 ? attributes.values.length / attributes.rows : 0;
    this.rows = attributes.rows;
    this.cells = new Int32Array(this.rows);
    this.prev = new Int32Array(this.rows);
    for (let r = 0; r < this.rows; r++) {
      if (this.condColumn < 0) continue;
      const v = attributes.values[r * nA + this.condColumn]!;
      this.cells[r] = Number.isInteger(v) && v >= 0 && v < this.nLevels ? v : this.nLevels;
    }
    this.out = new Float32Array(this.rows * this.V);
  }

  replaceRows(positions: Int32Array, attributes: AttributeRows): void {
    const cells = this.cells;
    const prev = this.prev;
    const rows = this.rows;
    this.startRows(attributes);
    const added = this.cells;
    const last = positions.length > 0 ? positions[positions.length - 1]! : -1;
    this.rows = Math.max(rows, last + 1);
    this.cells = new Int32Array(this.rows);
    this.cells.set(cells.subarray(0, Math.min(rows, this.rows)));
    this.prev = new Int32Array(this.rows);
    this.prev.set(prev.subarray(0, Math.min(rows, this.rows)));
    positions.forEach((k, j) => {
      this.cells[k] = added[j]!;
    });
    this.out = new Float32Array(this.rows * this.V);
    this.values?.replaceRows(positions);
  }

  step(
    prevCode: Int32Array,
    _prevGapDays: Int32Array,
    _prevDay: Int32Array,
    prevValue?: Float64Array,
  ): Float32Array {
    const V = this.V;
    this.values?.observe(prevCode, prevValue);
    for (let r = 0; r < this.rows; r++) {
      const p = prevCode[r]!;
      this.prev[r] = p;
      const at = (this.cells[r]! * (V + 1) + p) * V;
      this.out.set(this.probs.subarray(at, at + V), r * V);
    }
    return this.out.subarray(0, this.rows * V);
  }

  /** The gap histograms are looked up per draw: nothing to evaluate per step. */
  setNextCodes(_nextCodes: Int32Array): void {}

  sampleGapDays(row: number, code: number, rng: Rng): number {
    const prev = this.prev[row]!;
    const h =
      this.hist.get(`${this.cells[row]}|${prev}|${code}`) ??
      this.hist.get(`*|${prev}|${code}`) ??
      this.hist.get(`*|*|${code}`);
    const u = rng.uniform();
    if (!h) return 0;
    const target = u * h.cumulative[h.cumulative.length - 1]!;
    let lo = 0;
    let hi = h.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (h.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return h.days[lo]!;
  }

  /**
   * Draws the value of a valued `code` for `row` from the code's empirical distribution given
   * the bin of the row's previous recorded value of that code (as fed back through `step`'s
   * `prevValue`); NaN for "no value" (its training share) or a code without values (no draw).
   */
  sampleValue(row: number, code: number, rng: Rng): number {
    return this.values ? this.values.sample(row, code, rng) : Number.NaN;
  }

  keepRows(keep: Int32Array): void {
    this.values?.keepRows(keep);
    const cells = new Int32Array(keep.length);
    const prev = new Int32Array(keep.length);
    keep.forEach((k, i) => {
      cells[i] = this.cells[k]!;
      prev[i] = this.prev[k]!;
    });
    this.cells = cells;
    this.prev = prev;
    this.rows = keep.length;
  }

  end(): void {
    this.rows = 0;
  }

  dispose(): void {
    this.end();
  }
}
