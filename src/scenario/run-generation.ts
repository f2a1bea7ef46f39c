// The scenario layer's generation run: compile the scenario into hooks and a tally
// (scenario-hooks.ts), estimate the criteria's acceptance rate (pilot), then hand sampling,
// writing, sharding and resume to the one generation path (src/generate/write-generation.ts),
// with generation.json (generation-record.ts) as its extra file.
import type { OutputOptions } from '../core/atomic-output.js';
import { formatIsoDay, MAX_EPOCH_DAY, parseIsoDay } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import { formatCount } from '../core/format.js';
import { horizonExtrapolated, type Logger, MESSAGES, SILENT_LOGGER } from '../core/messages.js';
import { Rng } from '../core/rng.js';
import { type Shard, shardRange } from '../core/shard.js';
import { generationSource } from '../generate/generate-cohort.js';
import {
  type GenerationHooks,
  resolveSampleOptions,
  type SampleRangeOptions,
} from '../generate/generation-types.js';
import type { GenerationModel } from '../generate/step-model.js';
import {
  checkGenerationOutput,
  countsTally,
  DEFAULT_PART_PATIENTS,
  type RangeSampler,
  writeGeneration,
} from '../generate/write-generation.js';
import { TIMELINE_FILES, type TimelineManifest } from '../timeline/types.js';
import {
  type GenerationRecord,
  generationRecord,
  modelFingerprint,
  type PilotResult,
  type RecordContext,
} from './generation-record.js';
import { sampleInWorkers, type WorkerSetup } from './sample-in-workers.js';
import {
  type CompiledScenario,
  compileScenario,
  scenarioTally,
  withScenarioRules,
} from './scenario-hooks.js';
import type { Scenario } from './schema.js';

export { DEFAULT_PART_PATIENTS } from '../generate/write-generation.js';
export { type GenerationRecord, modelFingerprint } from './generation-record.js';
export { compileScenarioHooks, type ScenarioHooks } from './scenario-hooks.js';

/** The file every generation run writes beside its data. */
export const GENERATION_FILE = TIMELINE_FILES.GENERATION;
/** Candidates sampled to estimate the acceptance rate of criteria before a run. */
export const PILOT_CANDIDATES = 2000;

export interface RunGenerationOptions {
  readonly model: GenerationModel;
  /** Model folder (recorded with its fingerprint). */
  readonly modelDir: string;
  /** The scenario; a plain run is a scenario with no attributes, criteria or interventions. */
  readonly scenario: Scenario;
  readonly scenarioFile?: string;
  readonly out: string;
  readonly batchSize?: number;
  readonly shard?: Shard;
  readonly maxEvents?: number;
  /** Checkpoint in parts beside `out` and continue a killed run (same bytes as one run). */
  readonly resume?: boolean;
  readonly partPatients?: number;
  readonly overwrite?: boolean;
  readonly backend?: string;
  readonly logger?: Logger;
  /**
   * Sample on worker threads (same bytes as one thread; src/scenario/sample-in-workers.ts):
   * each worker loads `modelDir` with this engine, so `model` must be that folder's model.
   * Absent or threads 1: the main thread samples.
   */
  readonly parallel?: ParallelOptions;
}

/** Worker threads of a generation run and the engine they load the model with. */
export interface ParallelOptions {
  readonly threads: number;
  readonly engine: WorkerSetup['engine'];
  readonly device?: WorkerSetup['device'];
}

/** The pilot: {@link PILOT_CANDIDATES} candidates of the pilot stream, counted, never written. */
async function pilotAcceptance(
  model: GenerationModel,
  scenario: Scenario,
  compiled: CompiledScenario,
  o: SampleRangeOptions,
): Promise<{ candidates: number; accepted: number; seconds: number }> {
  const t = scenarioTally(model, scenario, compiled);
  const hooks = t.hooks(t.empty());
  let accepted = 0;
  const started = performance.now();
  const probe: GenerationHooks = {
    ...hooks,
    accept: (p) => {
      if (hooks.accept!(p)) accepted++;
      return true; // count, never retry: a pilot measures the raw acceptance rate
    },
  };
  await writeGeneration({
    model,
    sample: { ...o, seed: new Rng(o.seed).fork('pilot').seed, logger: SILENT_LOGGER },
    range: { start: 0, end: PILOT_CANDIDATES },
    timeline: { name: scenario.name, source: 'pilot' },
    tally: countsTally(probe),
  });
  return {
    candidates: PILOT_CANDIDATES,
    accepted,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Everything a generation run decided before sampling: the recipe's compiled ingredients. */
interface GenerationPlan {
  readonly options: RunGenerationOptions;
  readonly scenario: Scenario;
  readonly model: GenerationModel;
  readonly logger: Logger;
  /** performance.now() when the run began. */
  readonly started: number;
  readonly output: OutputOptions;
  readonly compiled: CompiledScenario;
  readonly indexDayRange: readonly [number, number];
  readonly o: SampleRangeOptions;
}

/**
 * Step 1, compile: checks the output folder, compiles the scenario against the model, checks
 * the index dates and horizon, and resolves the sampling options.
 */
function planGeneration(options: RunGenerationOptions): GenerationPlan {
  const { scenario } = options;
  const model = withScenarioRules(options.model, scenario, options.scenarioFile);
  const logger = options.logger ?? SILENT_LOGGER;
  const started = performance.now();
  const output: OutputOptions = {
    overwrite: options.overwrite ?? false,
    kind: 'timeline',
    inputs: [options.modelDir, options.scenarioFile],
    logger,
  };
  checkGenerationOutput(options.out, output, options.resume ?? false);
  const compiled = compileScenario(scenario, model);
  const indexDayRange: readonly [number, number] = scenario.index_date
    ? [parseIsoDay(scenario.index_date.from), parseIsoDay(scenario.index_date.to)]
    : model.indexDayRange;
  const lastDay = indexDayRange[1] + (scenario.horizon_days ?? model.maxFollowUpDays);
  if (lastDay > MAX_EPOCH_DAY) {
    throw new TrajsimError(
      'SCENARIO',
      `index dates up to ${formatIsoDay(indexDayRange[1])} plus a follow-up of ${scenario.horizon_days ?? model.maxFollowUpDays} days reach past 9999-12-31; dates must stay within 0001-01-01..9999-12-31`,
      { field: 'index_date.to', ...(options.scenarioFile ? { file: options.scenarioFile } : {}) },
    );
  }
  if (scenario.horizon_days !== undefined && scenario.horizon_days > model.maxFollowUpDays) {
    logger.warn(
      MESSAGES.HORIZON_EXTRAPOLATED,
      horizonExtrapolated(scenario.horizon_days, model.maxFollowUpDays),
    );
  }
  const o = resolveSampleOptions(model, {
    patients: scenario.patients,
    seed: scenario.seed,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(scenario.horizon_days !== undefined ? { horizonDays: scenario.horizon_days } : {}),
    ...(options.maxEvents !== undefined ? { maxEvents: options.maxEvents } : {}),
    maxAttempts: Math.ceil(50 / scenario.min_acceptance_rate),
    indexDayRange,
    logger,
  });
  return { options, scenario, model, logger, started, output, compiled, indexDayRange, o };
}

/**
 * Step 2, pilot: with criteria, estimates their acceptance rate on {@link PILOT_CANDIDATES}
 * candidates; throws INFEASIBLE when it is under `min_acceptance_rate`.
 */
async function runPilot(plan: GenerationPlan): Promise<PilotResult> {
  const { scenario, model, compiled, o, logger, options } = plan;
  if (scenario.criteria.length === 0) return null;
  const p = await pilotAcceptance(model, scenario, compiled, o);
  const rate = p.accepted / p.candidates;
  const pilot = { candidates: p.candidates, acceptanceRate: rate };
  const perSecond = p.candidates / Math.max(p.seconds, 1e-6);
  if (rate < scenario.min_acceptance_rate) {
    const shown =
      p.accepted === 0
        ? `below ${(3 / p.candidates).toPrecision(2)} (0 of ${p.candidates} pilot candidates qualified)`
        : `about ${(100 * rate).toPrecision(2)}% (${p.accepted} of ${p.candidates} pilot candidates)`;
    const expected = p.accepted === 0 ? Number.POSITIVE_INFINITY : scenario.patients / rate;
    throw new TrajsimError(
      'INFEASIBLE',
      `the criteria accept ${shown}, under min_acceptance_rate ${scenario.min_acceptance_rate}; ${
        Number.isFinite(expected)
          ? `${formatCount(scenario.patients)} patients would need about ${formatCount(expected)} candidates (~${Math.ceil(expected / perSecond / 60)} min at ${formatCount(perSecond)}/s)`
          : 'the request looks infeasible for this model'
      }. Relax the criteria, or lower min_acceptance_rate to accept the cost`,
      { field: 'criteria', ...(options.scenarioFile ? { file: options.scenarioFile } : {}) },
    );
  }
  logger.info(
    MESSAGES.INFO,
    `criteria accept about ${(100 * rate).toPrecision(3)}% of candidates (pilot of ${p.candidates}); expecting ~${formatCount(scenario.patients / Math.max(rate, 1e-9))} candidates`,
  );
  return pilot;
}

/** Patients of a run sampled on worker threads (absent: this thread samples). */
function workersSampler(plan: GenerationPlan): RangeSampler | undefined {
  const { options, model, scenario, o } = plan;
  const parallel = options.parallel;
  if (!(parallel && parallel.threads > 1)) return undefined;
  const setup: WorkerSetup = {
    modelDir: options.modelDir,
    rules: model.rules,
    scenario,
    engine: parallel.engine,
    ...(parallel.device ? { device: parallel.device } : {}),
    sample: {
      seed: o.seed,
      batchSize: o.batchSize,
      horizonDays: o.horizonDays,
      maxEvents: o.maxEvents,
      maxAttempts: o.maxAttempts,
      indexDayRange: o.indexDayRange,
    },
  };
  return async (writer, from, to, ro) => {
    const r = await sampleInWorkers(
      setup,
      writer,
      from,
      to,
      ro,
      parallel.threads,
      model.attributes.length,
    );
    return { counts: r.counts, criteria: { met: r.criteriaMet, candidates: r.criteriaCandidates } };
  };
}

/**
 * Step 3, generate and record: the shard of the plan through the one generation path, with
 * generation.json written beside the data (and returned as written, not read back).
 */
async function generateShard(
  plan: GenerationPlan,
  pilot: PilotResult,
): Promise<{ record: GenerationRecord; manifest: TimelineManifest }> {
  const { scenario, model, compiled, o, options } = plan;
  const shard: Shard = options.shard ?? { index: 1, count: 1 };
  const { start: first, end } = shardRange(scenario.patients, shard);
  const context: RecordContext = {
    scenario,
    scenarioFile: options.scenarioFile,
    modelDir: options.modelDir,
    backend: options.backend,
    model,
    fingerprint: modelFingerprint(options.modelDir),
    shard,
    first,
    end,
    horizonDays: o.horizonDays,
    indexDayRange: plan.indexDayRange,
    compiled,
    pilot,
    started: plan.started,
  };
  const source = generationSource(model, { seed: scenario.seed, patients: scenario.patients }, o);
  const partPatients = options.partPatients ?? DEFAULT_PART_PATIENTS;
  let written = '';
  const sampler = workersSampler(plan);
  const { manifest } = await writeGeneration({
    model,
    sample: o,
    range: { start: first, end },
    out: options.out,
    timeline: {
      name: scenario.name,
      source,
      overwrite: options.overwrite ?? false,
      inputs: [options.modelDir, options.scenarioFile],
      logger: plan.logger,
    },
    tally: scenarioTally(model, scenario, compiled),
    extraFiles: (m, tally) => {
      written = `${JSON.stringify(generationRecord(context, tally, m), null, 2)}\n`;
      return { [GENERATION_FILE]: written };
    },
    ...(sampler ? { sampler } : {}),
    ...(options.resume
      ? {
          resume: {
            partPatients,
            key: JSON.stringify({
              scenario,
              fingerprint: context.fingerprint,
              shard,
              partPatients,
              horizon: o.horizonDays,
              maxEvents: o.maxEvents,
              indexDayRange: plan.indexDayRange,
            }),
          },
        }
      : {}),
  });
  // the record as written (NaN became null): parsed from its text, never re-read from disk
  return { record: JSON.parse(written) as GenerationRecord, manifest: manifest! };
}

/**
 * Generates the cohort a scenario asks for (or one shard of it) with a trained model, and
 * writes `generation.json` beside the data: the resolved scenario, the model fingerprint,
 * seed, shard, counts and a requested-vs-achieved table.
 *
 * With criteria, a pilot of {@link PILOT_CANDIDATES} candidates first estimates the
 * acceptance rate; the run is refused (INFEASIBLE, with the rate and the expected cost) when
 * it is below `scenario.min_acceptance_rate`. Every patient is then the first accepted
 * candidate of its own stream, so the cohort has exactly `patients` qualifying patients.
 *
 * With `resume`, patients are written in parts of `partPatients` into `<out>.partial/` and
 * merged at the end; a killed run restarted with `resume` skips the finished parts and ends
 * with the same bytes as an uninterrupted run.
 *
 * The recipe: compile ({@link planGeneration}) -> pilot -> generate and record through the one
 * generation path (src/generate/write-generation.ts: at once, or in parts).
 *
 * @example
 * await runGeneration({ model, modelDir: 'models/default', scenario, out: 'out/cohort' })
 * // => { record: { counts: { patients: 2000, ... }, requestedVsAchieved: ... }, manifest }
 */
export async function runGeneration(
  options: RunGenerationOptions,
): Promise<{ record: GenerationRecord; manifest: TimelineManifest }> {
  const plan = planGeneration(options);
  const pilot = await runPilot(plan);
  return generateShard(plan, pilot);
}
