// Over 400 lines on purpose: runGeneration is a recipe of named steps (planGeneration ->
// runPilot -> generateAtOnce | generateInParts -> generationRecord) that share the plan, the
// job and the tally types; each function is short.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkOutputDir, type OutputOptions } from '../core/atomic-output.js';
import { formatIsoDay, MAX_EPOCH_DAY, parseIsoDay } from '../core/days.js';
import { TrajsimError } from '../core/errors.js';
import { formatCount } from '../core/format.js';
import {
  codeNotInVocabulary,
  horizonExtrapolated,
  interventionBreaksRuleMessage,
  type Logger,
  MESSAGES,
  partsResumed,
  SILENT_LOGGER,
} from '../core/messages.js';
import { Rng } from '../core/rng.js';
import { type Shard, shardRange } from '../core/shard.js';
import { VERSION } from '../core/version.js';
import {
  DISCARD_WRITER,
  type ForcedEvent,
  type GeneratedPatient,
  type GenerationHooks,
  generationSource,
  resolveSampleOptions,
  type SampleRangeCounts,
  type SampleRangeOptions,
  sampleRange,
} from '../generate/generate-cohort.js';
import type { GenerationModel } from '../generate/step-model.js';
import type { ForcedAttributeValue } from '../model/attribute-model.js';
import { checkForcedEvents } from '../rules/check-forced-events.js';
import { ruleId } from '../rules/rule-schema.js';
import { editRules } from '../rules/rules-file.js';
import { mergeTimelines } from '../timeline/merge.js';
import { TIMELINE_FILES, type TimelineManifest } from '../timeline/types.js';
import { TimelineWriter } from '../timeline/writer.js';
import { type ResolvedAttributeRequest, resolveAttributeRequests } from './attribute-requests.js';
import { compileCriteria, describeCriterion } from './criteria.js';
import { lockCheckpoint, readCheckpointTally, verifyCheckpointPart } from './resume-checkpoint.js';
import { sampleInWorkers, type WorkerSetup } from './sample-in-workers.js';
import type { Scenario } from './schema.js';

/** The file every generation run writes beside its data. */
export const GENERATION_FILE = TIMELINE_FILES.GENERATION;
/** Candidates sampled to estimate the acceptance rate of criteria before a run. */
export const PILOT_CANDIDATES = 2000;
/** Patients per checkpointed part in `resume` mode. */
export const DEFAULT_PART_PATIENTS = 50_000;

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

/** generation.json: what was asked, what was made, and how. */
export interface GenerationRecord {
  readonly format: 'trajsim-generation';
  readonly formatVersion: 1;
  readonly trajsimVersion: string;
  readonly scenario: Scenario;
  readonly scenarioFile: string | null;
  readonly model: {
    readonly dir: string;
    readonly kind: string;
    readonly fingerprint: string;
    readonly description: string;
  };
  readonly seed: string | number;
  readonly shard: {
    readonly index: number;
    readonly count: number;
    readonly firstPatient: number;
    readonly patients: number;
  };
  readonly backend: string | null;
  readonly horizonDays: number;
  readonly indexDates: { readonly from: string; readonly to: string };
  readonly counts: {
    readonly patients: number;
    readonly events: number;
    readonly candidates: number;
    readonly cappedByMaxEvents: number;
  };
  readonly requestedVsAchieved: {
    readonly attributes: readonly {
      readonly attribute: string;
      readonly requested: string;
      readonly levels?: readonly {
        readonly level: string;
        readonly requested: number;
        readonly achieved: number;
      }[];
      readonly achieved?: {
        readonly mean: number;
        readonly min: number;
        readonly max: number;
        readonly requestedMean: number | null;
      };
    }[];
    readonly criteria: {
      readonly pilot: { readonly candidates: number; readonly acceptanceRate: number } | null;
      readonly acceptanceRate: number;
      readonly perCriterion: readonly { readonly criterion: string; readonly metRate: number }[];
    };
    readonly interventions: readonly {
      readonly code: string;
      readonly day: number;
      readonly patientsWithEvent: number;
      readonly share: number;
    }[];
  };
  /** Ids of the plausibility rules in force (model rules.json with --rules and scenario edits). */
  readonly rules: { readonly hard: readonly string[]; readonly soft: readonly string[] };
  readonly seconds: number;
}

/** Tallies of one part of a run; parts add up. */
interface Tally {
  patients: number;
  events: number;
  candidates: number;
  capped: number;
  /** Per requested attribute: level counts (categorical) or [n, sum, min, max] (numeric). */
  attributes: number[][];
  criteriaMet: number[];
  criteriaCandidates: number;
  interventions: number[];
}

function emptyTally(
  requests: readonly ResolvedAttributeRequest[],
  criteria: number,
  interventions: number,
): Tally {
  return {
    patients: 0,
    events: 0,
    candidates: 0,
    capped: 0,
    // categorical: a count per level; numeric: [n, sum, min, max] (min/max valid when n > 0)
    attributes: requests.map((r) =>
      r.kind === 'categorical' ? new Array(r.requestedShares!.length).fill(0) : [0, 0, 0, 0],
    ),
    criteriaMet: new Array(criteria).fill(0),
    criteriaCandidates: 0,
    interventions: new Array(interventions).fill(0),
  };
}

function addNumeric(a: number[], n: number, sum: number, min: number, max: number): void {
  if (n === 0) return;
  a[2] = a[0]! > 0 ? Math.min(a[2]!, min) : min;
  a[3] = a[0]! > 0 ? Math.max(a[3]!, max) : max;
  a[0]! += n;
  a[1]! += sum;
}

function addTally(into: Tally, t: Tally, requests: readonly ResolvedAttributeRequest[]): void {
  into.patients += t.patients;
  into.events += t.events;
  into.candidates += t.candidates;
  into.capped += t.capped;
  into.criteriaCandidates += t.criteriaCandidates;
  t.criteriaMet.forEach((v, k) => {
    into.criteriaMet[k]! += v;
  });
  t.interventions.forEach((v, k) => {
    into.interventions[k]! += v;
  });
  requests.forEach((r, k) => {
    const a = t.attributes[k]!;
    const target = into.attributes[k]!;
    if (r.kind === 'numeric') addNumeric(target, a[0]!, a[1]!, a[2]!, a[3]!);
    else
      a.forEach((v, i) => {
        target[i]! += v;
      });
  });
}

/**
 * Hash of every file of a model folder, sorted by name: identifies the exact model.
 *
 * @example
 * modelFingerprint('models/default') // => a hex SHA-256 of the model's files
 */
export function modelFingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    hash.update(name).update(readFileSync(path));
  }
  return hash.digest('hex');
}

/** The model with the scenario's rule edits applied to its rules (a model without rules gets only the added ones). */
function withScenarioRules(
  model: GenerationModel,
  scenario: Scenario,
  file?: string,
): GenerationModel {
  if (!scenario.rules) return model;
  return {
    ...model,
    rules: editRules(model.rules, scenario.rules, `${file ?? 'scenario'}: rules`),
  };
}

/** Forced attribute values and events of a scenario, checked against the model and its rules. */
function compileScenario(scenario: Scenario, model: GenerationModel) {
  const requests = resolveAttributeRequests(scenario.attributes, model.attributes);
  const fixed = new Map<string, ForcedAttributeValue>();
  scenario.interventions.forEach((iv, k) => {
    for (const [name, value] of Object.entries(iv.set_attribute ?? {})) {
      const where = `interventions[${k}].set_attribute.${name}`;
      const spec = model.attributes.find((a) => a.name === name);
      if (!spec) {
        throw new TrajsimError(
          'SCENARIO',
          `the model has no attribute '${name}'; it has: ${model.attributes.map((a) => a.name).join(', ')}`,
          { field: where },
        );
      }
      if (requests.some((r) => r.name === name)) {
        throw new TrajsimError(
          'SCENARIO',
          `attribute '${name}' is both requested in attributes and set by an intervention; keep one`,
          { field: where },
        );
      }
      if (spec.kind === 'categorical' && !spec.levels.includes(String(value))) {
        throw new TrajsimError(
          'SCENARIO',
          `'${value}' is not a level of ${name} the model knows; known levels: ${spec.levels.join(', ')}`,
          { field: where },
        );
      }
      if (spec.kind === 'numeric' && typeof value !== 'number') {
        throw new TrajsimError('SCENARIO', `${name} is numeric; set it to a number`, {
          field: where,
        });
      }
      fixed.set(name, spec.kind === 'categorical' ? String(value) : value);
    }
  });
  const codes = model.stepModel.codes;
  const forced: ForcedEvent[] = scenario.interventions
    .map((iv, k) => {
      if (!codes.includes(iv.code)) {
        throw new TrajsimError('SCENARIO', codeNotInVocabulary(iv.code, codes), {
          field: `interventions[${k}].code`,
        });
      }
      return {
        day: iv.day,
        code: iv.code,
        ...(iv.replaces ? { replaces: [iv.replaces] } : {}),
        ...(iv.value !== undefined ? { value: iv.value } : {}),
      };
    })
    .sort((a, b) => a.day - b.day);
  const fixedLevels = new Map<string, string | number>();
  for (const [name, value] of fixed) if (value !== null) fixedLevels.set(name, value);
  for (const [name, request] of Object.entries(scenario.attributes)) {
    if (typeof request !== 'object' && request !== 'as_trained') fixedLevels.set(name, request);
  }
  const conflicts = checkForcedEvents(
    model.rules?.rules ?? [],
    forced,
    fixedLevels,
    codes,
    model.attributes,
  );
  if (conflicts.length > 0) {
    const k = scenario.interventions.findIndex(
      (iv) => iv.code === forced[conflicts[0]!.index]!.code,
    );
    throw new TrajsimError('SCENARIO', interventionBreaksRuleMessage(conflicts[0]!.message), {
      field: `interventions[${k}]`,
    });
  }
  return { requests, fixed, forced };
}

/** The generation hooks of a compiled scenario. */
export interface ScenarioHooks extends GenerationHooks {
  /** Candidates seen and criteria met, counted by the accept hook. */
  readonly criteriaTally?: { readonly met: Float64Array; readonly candidates: number };
}

function hooksFor(
  model: GenerationModel,
  scenario: Scenario,
  compiled: ReturnType<typeof compileScenario>,
  tally: Tally,
): ScenarioHooks {
  const { requests, fixed, forced } = compiled;
  const codes = model.stepModel.codes;
  const forcedCodes = forced.map((f) => codes.indexOf(f.code));
  const criteria =
    scenario.criteria.length > 0
      ? compileCriteria(scenario.criteria, codes, model.stepModel.valuedCodes)
      : undefined;
  const hasForcedAttributes = requests.length > 0 || fixed.size > 0;
  return {
    ...(hasForcedAttributes
      ? {
          forcedAttributes: (_g, rng) => {
            const values: Record<string, ForcedAttributeValue> = Object.fromEntries(fixed);
            for (const r of requests) {
              const v = r.sample(rng);
              const spec = model.attributes[r.index]!;
              values[r.name] = spec.kind === 'categorical' ? spec.levels[v]! : v;
            }
            return values;
          },
        }
      : {}),
    ...(forced.length > 0 ? { forcedEvents: () => forced } : {}),
    ...(criteria
      ? {
          accept: (p: GeneratedPatient) =>
            criteria.accept(p.codes, p.days, 0, p.codes.length, p.values),
          criteriaTally: criteria.tally,
        }
      : {}),
    written: (p: GeneratedPatient) => {
      requests.forEach((r, k) => {
        const v = p.attributes[r.index]!;
        const a = tally.attributes[k]!;
        if (r.kind === 'categorical') {
          if (v >= 0) a[v]!++;
        } else if (!Number.isNaN(v)) addNumeric(a, 1, v, v, v);
      });
      // applied = the forced code on its own day (not any occurrence of the code: issue 18 #17)
      forcedCodes.forEach((c, k) => {
        const day = forced[k]!.day;
        for (let i = 0; i < p.codes.length; i++) {
          if (p.codes[i] === c && p.days[i] === day) {
            tally.interventions[k]!++;
            break;
          }
        }
      });
    },
  };
}

/**
 * The hooks of a scenario for a model (attributes, interventions, criteria with their tally),
 * without the written tally: what a generation worker recompiles from the scenario's JSON.
 * Throws SCENARIO like the main run does (unknown codes, attributes, levels, broken rules).
 *
 * @example
 * compileScenarioHooks(model, scenario).accept?.(patient) // => true when the criteria hold
 */
export function compileScenarioHooks(model: GenerationModel, scenario: Scenario): ScenarioHooks {
  const compiled = compileScenario(scenario, model);
  const tally = emptyTally(compiled.requests, scenario.criteria.length, compiled.forced.length);
  const { written: _written, ...hooks } = hooksFor(model, scenario, compiled, tally);
  return hooks;
}

function pilotAcceptance(
  model: GenerationModel,
  scenario: Scenario,
  compiled: ReturnType<typeof compileScenario>,
  o: SampleRangeOptions,
): Promise<{ candidates: number; accepted: number; seconds: number }> {
  const tally = emptyTally(compiled.requests, scenario.criteria.length, compiled.forced.length);
  const hooks = hooksFor(model, scenario, compiled, tally);
  let accepted = 0;
  const started = performance.now();
  const probe: GenerationHooks = {
    ...hooks,
    accept: (p) => {
      if (hooks.accept!(p)) accepted++;
      return true; // count, never retry: a pilot measures the raw acceptance rate
    },
  };
  return sampleRange(model, DISCARD_WRITER, 0, PILOT_CANDIDATES, {
    ...o,
    seed: new Rng(o.seed).fork('pilot').seed,
    hooks: probe,
    logger: SILENT_LOGGER,
  }).then(() => ({
    candidates: PILOT_CANDIDATES,
    accepted,
    seconds: (performance.now() - started) / 1000,
  }));
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
  readonly compiled: ReturnType<typeof compileScenario>;
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
  const complete = existsSync(join(options.out, TIMELINE_FILES.MANIFEST));
  if (!(options.resume && complete)) checkOutputDir(options.out, output);
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

/** The pilot's estimate of the criteria's acceptance rate (null without criteria). */
type PilotResult = { candidates: number; acceptanceRate: number } | null;

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

/** A planned run after its pilot: the shard to generate, the source, the running tally. */
interface GenerationJob extends GenerationPlan {
  readonly pilot: PilotResult;
  readonly shard: Shard;
  readonly first: number;
  readonly end: number;
  readonly fingerprint: string;
  readonly source: ReturnType<typeof generationSource>;
  readonly writerOptions: {
    name: string;
    source: ReturnType<typeof generationSource>;
    attributes: GenerationModel['attributes'];
    codes: GenerationModel['stepModel']['codes'];
  };
  /** The tally of the whole shard. */
  readonly tally: Tally;
}

/** The job of a planned run: its shard, model fingerprint, source and an empty tally. */
function generationJob(plan: GenerationPlan, pilot: PilotResult): GenerationJob {
  const { scenario, model, compiled, o, options } = plan;
  const shard = options.shard ?? { index: 1, count: 1 };
  const { start: first, end } = shardRange(scenario.patients, shard);
  const fingerprint = modelFingerprint(options.modelDir);
  const source = generationSource(model, { seed: scenario.seed, patients: scenario.patients }, o);
  const writerOptions = {
    name: scenario.name,
    source,
    attributes: model.attributes,
    codes: model.stepModel.codes,
  };
  const tally = emptyTally(compiled.requests, scenario.criteria.length, compiled.forced.length);
  return { ...plan, pilot, shard, first, end, fingerprint, source, writerOptions, tally };
}

/** Step 3, generate: patients [from, to) of the job into `writer`, counted into `partTally`. */
async function runPart(
  job: GenerationJob,
  writer: TimelineWriter | typeof DISCARD_WRITER,
  from: number,
  to: number,
  partTally: Tally,
): Promise<void> {
  const { model, scenario, compiled, o, tally } = job;
  const hooks = hooksFor(model, scenario, compiled, partTally);
  const ro: SampleRangeOptions = {
    ...o,
    hooks,
    progressOffset: partTally === tally ? 0 : tally.patients,
    progressTotal: job.end - job.first,
  };
  const parallel = job.options.parallel;
  let counts: SampleRangeCounts;
  if (parallel && parallel.threads > 1) {
    const setup: WorkerSetup = {
      modelDir: job.options.modelDir,
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
    const r = await sampleInWorkers(
      setup,
      writer,
      from,
      to,
      ro,
      parallel.threads,
      model.attributes.length,
    );
    counts = r.counts;
    partTally.criteriaCandidates = r.criteriaCandidates;
    partTally.criteriaMet = Array.from(r.criteriaMet);
  } else {
    counts = await sampleRange(model, writer, from, to, ro);
    if (hooks.criteriaTally) {
      partTally.criteriaCandidates = hooks.criteriaTally.candidates;
      partTally.criteriaMet = Array.from(hooks.criteriaTally.met);
    }
  }
  partTally.patients += counts.written;
  partTally.events += counts.events;
  partTally.candidates += counts.candidates;
  partTally.capped += counts.capped;
}

/** The requested-vs-achieved table of generation.json, from the job's tally. */
function requestedVsAchieved(job: GenerationJob): GenerationRecord['requestedVsAchieved'] {
  const { compiled, tally, model, scenario, pilot } = job;
  return {
    attributes: compiled.requests.map((r, k) => {
      const a = tally.attributes[k]!;
      if (r.kind === 'categorical') {
        const spec = model.attributes[r.index] as { levels: readonly string[] };
        const total = a.reduce((s, v) => s + v, 0);
        return {
          attribute: r.name,
          requested: r.requested,
          levels: spec.levels.map((level, i) => ({
            level,
            requested: r.requestedShares![i]!,
            achieved: total > 0 ? a[i]! / total : Number.NaN,
          })),
        };
      }
      return {
        attribute: r.name,
        requested: r.requested,
        achieved: {
          mean: a[0]! > 0 ? a[1]! / a[0]! : Number.NaN,
          min: a[0]! > 0 ? a[2]! : Number.NaN,
          max: a[0]! > 0 ? a[3]! : Number.NaN,
          requestedMean: r.requestedMean ?? null,
        },
      };
    }),
    criteria: {
      pilot,
      acceptanceRate: tally.candidates > 0 ? tally.patients / tally.candidates : 1,
      perCriterion: scenario.criteria.map((c, k) => ({
        criterion: describeCriterion(c),
        metRate:
          tally.criteriaCandidates > 0
            ? tally.criteriaMet[k]! / tally.criteriaCandidates
            : Number.NaN,
      })),
    },
    interventions: compiled.forced.map((f, k) => ({
      code: f.code,
      day: f.day,
      patientsWithEvent: tally.interventions[k]!,
      share: tally.patients > 0 ? tally.interventions[k]! / tally.patients : Number.NaN,
    })),
  };
}

/** Step 4, record: generation.json of a finished job. */
function generationRecord(job: GenerationJob, manifest: TimelineManifest): GenerationRecord {
  const { scenario, options, model, fingerprint, shard, first, end, o, indexDayRange, tally } = job;
  return {
    format: 'trajsim-generation',
    formatVersion: 1,
    trajsimVersion: VERSION,
    scenario,
    scenarioFile: options.scenarioFile ?? null,
    model: { dir: options.modelDir, kind: model.kind, fingerprint, description: model.description },
    seed: scenario.seed,
    shard: { index: shard.index, count: shard.count, firstPatient: first, patients: end - first },
    backend: options.backend ?? null,
    horizonDays: o.horizonDays,
    indexDates: { from: formatIsoDay(indexDayRange[0]), to: formatIsoDay(indexDayRange[1]) },
    counts: {
      patients: manifest.counts.patients,
      events: manifest.counts.events,
      candidates: tally.candidates,
      cappedByMaxEvents: tally.capped,
    },
    requestedVsAchieved: requestedVsAchieved(job),
    rules: {
      hard: (model.rules?.rules ?? []).filter((r) => r.severity === 'hard').map(ruleId),
      soft: (model.rules?.rules ?? []).filter((r) => r.severity === 'soft').map(ruleId),
    },
    seconds: (performance.now() - job.started) / 1000,
  };
}

/** The extra files a finished job writes beside its data (generation.json). */
function extraFilesOf(job: GenerationJob) {
  return (manifest: TimelineManifest) => ({
    [GENERATION_FILE]: `${JSON.stringify(generationRecord(job, manifest), null, 2)}\n`,
  });
}

/** The result of a run: generation.json as written, and the timeline manifest. */
function readResult(
  out: string,
  manifest: TimelineManifest,
): { record: GenerationRecord; manifest: TimelineManifest } {
  return {
    record: JSON.parse(readFileSync(join(out, GENERATION_FILE), 'utf8')) as GenerationRecord,
    manifest,
  };
}

/** Generates the whole shard into one atomically written output folder. */
async function generateAtOnce(
  job: GenerationJob,
): Promise<{ record: GenerationRecord; manifest: TimelineManifest }> {
  const { options } = job;
  const writer = await TimelineWriter.create(options.out, {
    ...job.writerOptions,
    ...job.output,
  });
  try {
    await runPart(job, writer, job.first, job.end, job.tally);
    const manifest = await writer.close(extraFilesOf(job));
    return readResult(options.out, manifest);
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/**
 * Resume mode: generates the shard in checkpointed parts in `<out>.partial` (skipping the
 * finished ones of an earlier run with the same key), then merges them into `out`.
 */
async function generateInParts(
  job: GenerationJob,
): Promise<{ record: GenerationRecord; manifest: TimelineManifest }> {
  const { options, scenario, compiled, tally, o, logger } = job;
  const partPatients = options.partPatients ?? DEFAULT_PART_PATIENTS;
  const out = resolve(options.out);
  if (existsSync(join(out, TIMELINE_FILES.MANIFEST)) && !options.overwrite) {
    throw new TrajsimError(
      'IO',
      `output ${options.out} is already complete; nothing to resume (pass --overwrite to generate again)`,
    );
  }
  const partial = join(dirname(out), `${basename(out)}.partial`);
  const runKey = JSON.stringify({
    scenario,
    fingerprint: job.fingerprint,
    shard: job.shard,
    partPatients,
    horizon: o.horizonDays,
    maxEvents: o.maxEvents,
    indexDayRange: job.indexDayRange,
  });
  const runFile = join(partial, 'run.json');
  mkdirSync(partial, { recursive: true });
  // one run at a time on a checkpoint (issue 18 #24): a live owner refuses, a dead one's lock is taken over
  const release = lockCheckpoint(partial, logger);
  try {
    if (existsSync(runFile)) {
      if (readFileSync(runFile, 'utf8') !== runKey) {
        throw new TrajsimError(
          'IO',
          `${partial} holds parts of a different run (another scenario, seed, model or shard); remove it, or run without --resume`,
        );
      }
    } else {
      writeFileSync(runFile, runKey);
    }
    const partDirs: string[] = [];
    let resumed = 0;
    for (let from = job.first, k = 0; from < job.end; from += partPatients, k++) {
      const to = Math.min(job.end, from + partPatients);
      const dir = join(partial, `part-${String(k).padStart(6, '0')}`);
      partDirs.push(dir);
      const tallyFile = join(dir, 'tally.json');
      const partTally = emptyTally(
        compiled.requests,
        scenario.criteria.length,
        compiled.forced.length,
      );
      if (existsSync(join(dir, TIMELINE_FILES.MANIFEST)) && existsSync(tallyFile)) {
        // a finished part is reused only when it reads back whole (a damaged one is a clear error)
        const done = readCheckpointTally(tallyFile, partial, partTally);
        await verifyCheckpointPart(dir, partial);
        addTally(tally, done, compiled.requests);
        resumed++;
        continue;
      }
      const writer = await TimelineWriter.create(dir, { ...job.writerOptions, overwrite: true });
      try {
        await runPart(job, writer, from, to, partTally);
        await writer.close(() => ({ 'tally.json': JSON.stringify(partTally) }));
      } catch (error) {
        await writer.abort();
        throw error;
      }
      addTally(tally, partTally, compiled.requests);
    }
    if (resumed > 0) logger.info(MESSAGES.INFO, partsResumed(resumed, partDirs.length));
    const manifest = await mergeTimelines(partDirs, options.out, {
      name: scenario.name,
      source: job.source,
      overwrite: options.overwrite ?? false,
      extraFiles: extraFilesOf(job),
    });
    release();
    rmSync(partial, { recursive: true, force: true });
    return readResult(options.out, manifest);
  } finally {
    release();
  }
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
 * The recipe: compile ({@link planGeneration}) -> pilot -> generate (at once, or in parts)
 * -> record (generation.json).
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
  const job = generationJob(plan, pilot);
  return options.resume ? generateInParts(job) : generateAtOnce(job);
}
