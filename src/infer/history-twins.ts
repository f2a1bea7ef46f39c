/**
 * History-conditioned digital twins: for every real patient alive and followed at a
 * landmark, their own attributes and their events up to the landmark are fed through the
 * model (teacher forcing), then N futures are sampled from that state; optionally a second
 * arm with an intervention at the landmark, from the same per-patient streams.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import { codeNotInVocabulary, type Logger } from '../core/messages.js';
import { type Shard, shardRange } from '../core/shard.js';
import {
  type ForcedEvent,
  type GenerationHooks,
  type HistoryPrefix,
  resolveSampleOptions,
} from '../generate/generation-types.js';
import type { GenerationModel } from '../generate/step-model.js';
import { countsTally, writeGeneration } from '../generate/write-generation.js';
import type { ForcedAttributeValue } from '../model/attribute-model.js';
import type { Timeline } from '../timeline/types.js';
import { realAttributes, TWINS_FILE, type TwinsRecord } from './generate-twins.js';
import {
  type ExcludedPatients,
  type HistoryPrefixes,
  historyPrefixes,
  type LandmarkSpec,
} from './history-prefixes.js';
import { armDifference, differenceCsv, type TwinArmDifference } from './twin-difference.js';
import {
  DEFAULT_TWIN_HORIZONS_DAYS,
  TwinSummaryAccumulator,
  type TwinSummaryRow,
  twinSummaryArrow,
  twinSummaryCsv,
} from './twin-summary.js';

/** An intervention at the landmark: events (`day` counts days after the landmark) and attributes it sets. */
export interface TwinIntervention {
  /** Forced events, `day` relative to each patient's landmark (0: on the landmark day). */
  readonly events: readonly ForcedEvent[];
  /** Attribute values the intervention implies (they replace the real ones). */
  readonly attributes?: Readonly<Record<string, ForcedAttributeValue>>;
}

/** Options of {@link generateHistoryTwins}. */
export interface HistoryTwinsOptions {
  /** Landmark day since index, for everyone or per patient. */
  readonly landmark: LandmarkSpec;
  /** Futures per real patient (≥ 1). */
  readonly futures: number;
  readonly seed: string | number;
  /**
   * Output folder: twins/ (or observed/ and intervened/), summaries, excluded.json. Absent:
   * nothing is written and only the result is returned (an evaluation that needs the risks only).
   */
  readonly out?: string;
  /**
   * With an intervention: a second arm (same seed, same per-patient streams) and the
   * per-patient differences. Observed landmark-day events whose code a day-0 intervention
   * `replaces` are dropped from that arm's history.
   */
  readonly intervention?: TwinIntervention;
  /** Horizons of the predicted risks, days after the landmark (default 365, 730, 1826). */
  readonly horizonsDays?: readonly number[];
  /** Follow-up of the futures, days since index (default: the model's, at least the last landmark + the longest horizon + 1). */
  readonly horizonDays?: number;
  readonly batchSize?: number;
  /** One shard of the real patients (futures of a patient are never split). */
  readonly shard?: Shard;
  readonly overwrite?: boolean;
  readonly logger?: Logger;
}

/** What {@link generateHistoryTwins} returns. */
export interface HistoryTwinsResult {
  /** Codes of `risk` rows (the model's). */
  readonly codes: readonly string[];
  readonly horizonsDays: readonly number[];
  /** One row per eligible real patient of this shard, in timeline order (the observed arm). */
  readonly rows: readonly TwinSummaryRow[];
  /** The intervened arm's rows (with an intervention). */
  readonly intervened?: readonly TwinSummaryRow[];
  readonly difference?: TwinArmDifference;
  /** Eligible real patients (all shards) and those excluded. */
  readonly eligible: number;
  readonly excluded: ExcludedPatients;
  /** Twin trajectories written (this shard, every arm). */
  readonly generated: number;
  readonly seconds: number;
}

/** Output names inside `out`. */
export const HISTORY_TWINS_FILES = {
  TWINS: 'twins',
  OBSERVED: 'observed',
  INTERVENED: 'intervened',
  EXCLUDED: 'excluded.json',
  DIFFERENCE: 'difference.csv',
} as const;

interface ArmContext {
  readonly model: GenerationModel;
  readonly real: Timeline;
  readonly prefixes: HistoryPrefixes;
  readonly options: HistoryTwinsOptions;
  readonly horizons: readonly number[];
  readonly horizonDays: number;
  readonly maxEvents: number;
  readonly range: { start: number; end: number };
}

/** The generation hooks of one arm: real attributes, the history, ids, the summary tally. */
function armHooks(
  a: ArmContext,
  intervention: TwinIntervention | undefined,
  rows: TwinSummaryRow[],
): GenerationHooks {
  const N = a.options.futures;
  const attrs = realAttributes(a.model, a.real);
  const acc = new TwinSummaryAccumulator(a.model.stepModel.codes, N, a.horizons);
  const { prefixes } = a;
  const replaced = landmarkReplaced(a.model.stepModel.codes, intervention);
  let cached = { j: -1, prefix: undefined as HistoryPrefix | undefined };
  const prefixOf = (j: number) => {
    if (cached.j !== j) cached = { j, prefix: withoutReplaced(prefixes.prefix(j), replaced) };
    return cached.prefix;
  };
  const lengths: Int32Array | undefined =
    replaced.size > 0 ? new Int32Array(prefixes.ids.length) : undefined;
  return {
    forcedAttributes: (g) => ({
      ...attrs(prefixes.rows[Math.floor(g / N)]!),
      ...(intervention?.attributes ?? {}),
    }),
    history: (g) => {
      const j = Math.floor(g / N);
      const h = prefixOf(j);
      if (lengths && h) lengths[j] = h.codes.length;
      return h;
    },
    ...(intervention && intervention.events.length > 0
      ? {
          forcedEvents: (g: number) => {
            const landmark = prefixes.landmarkDays[Math.floor(g / N)]!;
            return intervention.events.map((e) => ({ ...e, day: landmark + e.day }));
          },
        }
      : {}),
    patientId: (g) => `${prefixes.ids[Math.floor(g / N)]}#${(g % N) + 1}`,
    written: (p) => {
      const j = Math.floor(p.globalIndex / N);
      const row = acc.add(p, prefixes.ids[j]!, prefixes.landmarkDays[j]!, prefixes.lengths[j]!);
      if (row) rows.push(row);
    },
  };
}

/** Codes an intervention on the landmark day replaces (its `replaces` prefixes). */
function landmarkReplaced(
  codes: readonly string[],
  intervention: TwinIntervention | undefined,
): Set<number> {
  const prefixes = (intervention?.events ?? []).flatMap((e) =>
    e.day === 0 ? (e.replaces ?? []) : [],
  );
  return new Set(codes.flatMap((c, i) => (prefixes.some((p) => c.startsWith(p)) ? [i] : [])));
}

/**
 * The history of the intervened arm: observed events on the landmark day whose code the
 * intervention replaces are dropped (the forced event stands in for them).
 */
function withoutReplaced(h: HistoryPrefix, replaced: ReadonlySet<number>): HistoryPrefix {
  if (replaced.size === 0) return h;
  const keep: number[] = [];
  for (let e = 0; e < h.codes.length; e++) {
    if (!(h.days[e] === h.afterDay && replaced.has(h.codes[e]!))) keep.push(e);
  }
  if (keep.length === h.codes.length) return h;
  return {
    ...h,
    days: Int32Array.from(keep, (e) => h.days[e]!),
    codes: Int32Array.from(keep, (e) => h.codes[e]!),
    values: Float64Array.from(keep, (e) => h.values[e]!),
  };
}

/** Generates one arm into `out/<dir>` and writes its summary files; returns its rows. */
async function runArm(
  a: ArmContext,
  dir: string,
  intervention: TwinIntervention | undefined,
): Promise<{ rows: TwinSummaryRow[]; written: number }> {
  const { model, options: o, prefixes } = a;
  const N = o.futures;
  const rows: TwinSummaryRow[] = [];
  const sample = resolveSampleOptions(model, {
    patients: prefixes.ids.length * N,
    seed: o.seed,
    horizonDays: a.horizonDays,
    maxEvents: a.maxEvents,
    hooks: armHooks(a, intervention, rows),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  const record: TwinsRecord = {
    format: 'trajsim-twins',
    twinsOf: a.real.name,
    realIds: prefixes.ids.slice(a.range.start, a.range.end),
    perPatient: N,
    seed: o.seed,
  };
  // the one generation path: written atomically into out/<dir>, or only sampled without `out`
  const { counts } = await writeGeneration({
    model,
    sample,
    range: { start: a.range.start * N, end: a.range.end * N },
    ...(o.out !== undefined ? { out: join(o.out, dir) } : {}),
    timeline: {
      name: `${dir}-twins-of-${a.real.name}`,
      source: `trajsim twins: ${model.description}; seed ${o.seed}; ${prefixes.ids.length} patients × ${N} futures; horizon ${a.horizonDays} d${intervention ? '; with the intervention' : ''}`,
      ...(o.overwrite ? { overwrite: true } : {}),
    },
    tally: countsTally(sample.hooks),
    extraFiles: () => ({ [TWINS_FILE]: `${JSON.stringify(record, null, 2)}\n` }),
  });
  if (o.out === undefined) return { rows, written: counts.written };
  const codes = model.stepModel.codes;
  const stem = dir === HISTORY_TWINS_FILES.TWINS ? 'summary' : `summary-${dir}`;
  writeFileAtomic(join(o.out, `${stem}.csv`), twinSummaryCsv(rows, codes, a.horizons));
  writeFileAtomic(join(o.out, `${stem}.arrow`), twinSummaryArrow(rows, codes, a.horizons));
  return { rows, written: counts.written };
}

/** An intervention's codes and attributes, checked against the model before any work. */
function checkIntervention(model: GenerationModel, iv: TwinIntervention | undefined): void {
  const codes = model.stepModel.codes;
  iv?.events.forEach((e, k) => {
    if (!codes.includes(e.code)) {
      throw new TrajsimError('INVALID_ARGUMENT', codeNotInVocabulary(e.code, codes), {
        field: `intervention.events[${k}].code`,
      });
    }
    if (!(Number.isSafeInteger(e.day) && e.day >= 0)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `intervention day ${e.day}: expected days >= 0 after the landmark`,
        {
          field: `intervention.events[${k}].day`,
        },
      );
    }
  });
  for (const name of Object.keys(iv?.attributes ?? {})) {
    if (!model.attributes.some((a) => a.name === name)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `the model has no attribute '${name}'; it has: ${model.attributes.map((a) => a.name).join(', ')}`,
        { field: `intervention.attributes.${name}` },
      );
    }
  }
}

/** excluded.json: who has no twins, and why. */
function writeExcluded(
  out: string,
  landmark: LandmarkSpec,
  eligible: number,
  excluded: ExcludedPatients,
): void {
  mkdirSync(out, { recursive: true });
  writeFileAtomic(
    join(out, HISTORY_TWINS_FILES.EXCLUDED),
    `${JSON.stringify(
      {
        landmark: typeof landmark === 'number' ? landmark : 'per patient',
        eligible,
        dead: { count: excluded.dead.length, ids: excluded.dead },
        censored: { count: excluded.censored.length, ids: excluded.censored },
        no_landmark: { count: excluded.noLandmark.length, ids: excluded.noLandmark },
      },
      null,
      2,
    )}\n`,
  );
}

/** The follow-up (days since index) and most events of the futures. */
function futureLimits(
  model: GenerationModel,
  prefixes: HistoryPrefixes,
  horizons: readonly number[],
  horizonDays: number | undefined,
): { horizonDays: number; maxEvents: number } {
  let last = 0;
  for (const d of prefixes.landmarkDays) last = Math.max(last, d);
  return {
    horizonDays: horizonDays ?? Math.max(model.maxFollowUpDays, last + Math.max(...horizons) + 1),
    maxEvents: prefixes.longest + Math.max(16, 2 * model.maxEvents),
  };
}

/**
 * Generates history-conditioned twins of every real patient alive and followed at their
 * landmark: the patient's attributes are forced, their events up to and including the
 * landmark day are fed through the model by teacher forcing (the sampler's own `step`
 * calls, through {@link GenerationHooks.history}), and `futures` futures are sampled from that
 * state, the first event strictly after the landmark. Twin g = (eligible patient j) × N + k
 * (id `<id>#<k+1>`) draws from the candidate stream of g, so bytes depend neither on the batch
 * size nor on the shards. Writes, inside `out`: the twins timeline (`twins/`, or `observed/`
 * and `intervened/` with an intervention, each with twins.json), `summary*.csv|arrow` (one
 * row per patient, {@link TwinSummaryRow}), `excluded.json` (patients dead or censored
 * before their landmark), and with an intervention `difference.csv`.
 *
 * @param model - a loaded generation model.
 * @param real - the real (history) timeline; its attributes must include the model's.
 * @param options - landmark, futures, seed, out, intervention, horizons (days), batch size, shard.
 * @returns the summary rows (`deathRisk` by horizon is the evaluation's predicted risk), the
 *   intervened rows and differences, and the exclusions.
 * @throws TrajsimError INVALID_ARGUMENT for futures < 1, bad horizons, a bad landmark or a
 *   model attribute the real timeline lacks; INVALID_INPUT for a real code the model cannot
 *   represent; IO when an output exists (without `overwrite`).
 * @example
 * const r = await generateHistoryTwins(model, real, { landmark: 365, futures: 100, seed: 1, out: 'out/twins' });
 * r.rows[0].deathRisk // => Float64Array [P(death ≤ 1 y), P(≤ 2 y), P(≤ 5 y)] after the landmark
 */
export async function generateHistoryTwins(
  model: GenerationModel,
  real: Timeline,
  options: HistoryTwinsOptions,
): Promise<HistoryTwinsResult> {
  const started = performance.now();
  const N = options.futures;
  const horizons = options.horizonsDays ?? DEFAULT_TWIN_HORIZONS_DAYS;
  if (!(Number.isSafeInteger(N) && N >= 1)) {
    throw new TrajsimError('INVALID_ARGUMENT', `futures is ${N}; expected an integer >= 1`, {
      field: 'futures',
    });
  }
  if (horizons.length === 0 || !horizons.every((h) => Number.isSafeInteger(h) && h > 0)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `horizons ${horizons.join(', ')}: expected days > 0`,
      {
        field: 'horizonsDays',
      },
    );
  }
  checkIntervention(model, options.intervention);
  const prefixes = historyPrefixes(real, model.stepModel.codes, options.landmark);
  const limits = futureLimits(model, prefixes, horizons, options.horizonDays);
  const n = prefixes.ids.length;
  const range = options.shard ? shardRange(n, options.shard) : { start: 0, end: n };
  const a: ArmContext = { model, real, prefixes, options, horizons, ...limits, range };
  const { excluded } = prefixes;
  if (options.out !== undefined) writeExcluded(options.out, options.landmark, n, excluded);
  const base = { codes: model.stepModel.codes, horizonsDays: horizons, eligible: n, excluded };
  if (!options.intervention) {
    const arm = await runArm(a, HISTORY_TWINS_FILES.TWINS, undefined);
    const seconds = (performance.now() - started) / 1000;
    return { ...base, rows: arm.rows, generated: arm.written, seconds };
  }
  const observed = await runArm(a, HISTORY_TWINS_FILES.OBSERVED, undefined);
  const intervened = await runArm(a, HISTORY_TWINS_FILES.INTERVENED, options.intervention);
  const difference = armDifference(observed.rows, intervened.rows);
  if (options.out !== undefined) {
    writeFileAtomic(
      join(options.out, HISTORY_TWINS_FILES.DIFFERENCE),
      differenceCsv(observed.rows, difference, base.codes, horizons),
    );
  }
  return {
    ...base,
    rows: observed.rows,
    intervened: intervened.rows,
    difference,
    generated: observed.written + intervened.written,
    seconds: (performance.now() - started) / 1000,
  };
}
