import { cpus } from 'node:os';
import { Command } from 'commander';
import { TrajsimError } from '../../core/errors.js';
import {
  generationThreads,
  MESSAGES,
  shardsExceedPatients,
  tfjsSingleThread,
} from '../../core/messages.js';
import { DEFAULT_SEED } from '../../core/rng.js';
import { type Shard, shardRange } from '../../core/shard.js';
import { type BackendName, DEFAULT_BACKEND, parseBackendName } from '../../model/backend-names.js';
import {
  type EngineName,
  type OnnxDevice,
  parseEngineName,
  parseOnnxDevice,
} from '../../model/engine-names.js';
import { scenarioOfOptions } from '../../scenario/scenario-of-options.js';
import type { Scenario } from '../../scenario/schema.js';
import type { CliContext, RegisterCommand } from '../context.js';
import {
  integerIn,
  MAX_BATCH_SIZE,
  MAX_PATIENTS,
  nonEmpty,
  positiveInt,
  shard,
} from '../options.js';

interface GenerateFlags {
  model?: string;
  scenario?: string;
  patients?: number;
  out: string;
  seed?: string;
  batchSize: number;
  shard?: Shard;
  horizonDays?: number;
  maxEvents?: number;
  backend: BackendName;
  engine?: EngineName;
  threads?: number;
  device?: OnnxDevice;
  resume?: boolean;
  partPatients?: number;
  overwrite?: boolean;
  rules?: string;
  twinsOf?: string;
  twinsPerPatient: number;
}

/** The scenario of this run (scenario/scenario-of-options.ts). */
function scenarioOf(opts: GenerateFlags): Scenario {
  return scenarioOfOptions({
    out: opts.out,
    ...(opts.scenario !== undefined ? { scenarioFile: opts.scenario } : {}),
    ...(opts.patients !== undefined ? { patients: opts.patients } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.horizonDays !== undefined ? { horizonDays: opts.horizonDays } : {}),
  });
}

/** `generate --twins-of`: twins of real patients (src/infer/generate-twins.ts). */
async function twinsAction(opts: GenerateFlags, context: CliContext): Promise<void> {
  for (const [flag, given] of [
    ['--scenario', opts.scenario],
    ['--patients', opts.patients],
    ['--shard', opts.shard],
    ['--resume', opts.resume],
  ] as const) {
    if (given !== undefined) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `--twins-of takes no ${flag} (twins: --twins-per-patient per real patient)`,
        {
          field: flag.slice(2),
        },
      );
    }
  }
  // loaded here, not at startup (tfjs)
  const { generateTwinsOfDirs } = await import('../../infer/twins-of-dirs.js');
  const { summary, realPatients } = await generateTwinsOfDirs({
    modelDir: opts.model ?? 'models/default',
    realDir: opts.twinsOf as string,
    perPatient: opts.twinsPerPatient,
    seed: opts.seed ?? DEFAULT_SEED,
    out: opts.out,
    backend: opts.backend,
    batchSize: opts.batchSize,
    overwrite: opts.overwrite === true,
    logger: context.logger,
  });
  context.out(
    `generated ${summary.generated} twins (${opts.twinsPerPatient} per patient of ${realPatients}) in ${summary.seconds.toFixed(1)} s → ${opts.out}`,
  );
}

/** `trajsim generate`: a model folder (+ a scenario) → a synthetic timeline directory (or one shard of it). */
export const registerGenerate: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('generate')
      .description(
        'Generate a synthetic cohort with a trained model, optionally from a scenario (scenarios/*.json: attributes,\n' +
          'inclusion criteria, interventions, index-date window, horizon). Writes the timeline and generation.json\n' +
          '(model fingerprint, seed, shard, requested vs achieved). Output bytes depend only on the model, the scenario\n' +
          '(seed, patients): not on --batch-size, and the --shard k/N parts together equal one unsharded run.',
      )
      .option(
        '--model <dir>',
        'model folder (from trajsim train); default: the scenario’s "model", else models/default',
      )
      .option('--scenario <file>', 'scenario JSON (see schema/scenario.schema.json)')
      .option(
        '--patients <n>',
        'patients in the whole cohort, all shards (overrides the scenario)',
        integerIn(1, MAX_PATIENTS),
      )
      .requiredOption('--out <dir>', 'output timeline directory (written atomically)')
      .option(
        '--seed <seed>',
        `root seed (overrides the scenario; default ${DEFAULT_SEED})`,
        nonEmpty,
      )
      .option(
        '--batch-size <n>',
        'patients sampled together (speed only, never the output)',
        integerIn(1, MAX_BATCH_SIZE),
        1024,
      )
      .option(
        '--shard <k/N|auto>',
        'generate part k of N (contiguous patients); auto reads a Kubernetes Indexed Job or Slurm array',
        shard,
      )
      .option(
        '--horizon-days <d>',
        'follow-up horizon (default: the scenario’s, else the longest training follow-up)',
        positiveInt,
      )
      .option(
        '--max-events <n>',
        'events per patient cap; a capped patient is censored',
        integerIn(2),
      )
      .option(
        '--backend <name>',
        'wasm (default), cpu or tensorflow (tfjs-node-gpu / tfjs-node when installed)',
        parseBackendName,
        DEFAULT_BACKEND,
      )
      .option(
        '--engine <name>',
        'onnx (ONNX Runtime; the default when onnxruntime-node loads) or tfjs (the training network on --backend)',
        parseEngineName,
      )
      .option(
        '--threads <n>',
        'worker threads that sample in parallel, 1 ONNX Runtime thread each (default: the machine’s cores from 20,000 patients, else 1; same bytes for any N)',
        integerIn(1, 256),
      )
      .option(
        '--device <name>',
        'cpu (default) or cuda (ONNX Runtime’s CUDA 12 provider; see docs/model.md)',
        parseOnnxDevice,
      )
      .option(
        '--resume',
        'checkpoint in parts beside --out and continue a killed run (same bytes as one run)',
      )
      .option('--part-patients <n>', 'patients per checkpointed part with --resume', positiveInt)
      .option(
        '--rules <file>',
        "edits of the model's plausibility rules (add / remove / relax; see schema/rule-edits.schema.json)",
      )
      .option('--overwrite', 'replace --out if it exists')
      .option(
        '--twins-of <dir>',
        'generate twins of these real patients (their attributes fixed; for trajsim infer --twins)',
      )
      .option('--twins-per-patient <k>', 'twins per real patient with --twins-of', positiveInt, 10)
      .addHelpText(
        'after',
        '\nExamples:\n' +
          '  trajsim generate --model models/default --patients 10000 --seed 7 --out out/synthetic\n' +
          '  trajsim generate --scenario scenarios/what-if-lev5fu.json --out out/what-if\n' +
          '  trajsim generate --scenario scenarios/demo.json --shard auto --resume --out /results/shard-0001',
      )
      .action((opts: GenerateFlags) => generateAction(opts, context)),
  );
};

/** `trajsim generate`'s work: scenario, estimate, rules, engine, then the one generation run. */
async function generateAction(opts: GenerateFlags, context: CliContext): Promise<void> {
  if (opts.twinsOf !== undefined) return twinsAction(opts, context);
  // loaded here, not at startup; none of these loads tfjs (only createEngineStepModel's tfjs
  // engine does): tfjs takes ~1 s and ~100 MB, and the onnx engine needs none of it
  const { generationModelOf } = await import('../../generate/generation-model.js');
  const { createEngineStepModel } = await import('../../model/engine.js');
  const { loadModel } = await import('../../model/read-model.js');
  const { runGeneration } = await import('../../scenario/run-generation.js');
  const scenario = scenarioOf(opts);
  if (opts.shard && opts.shard.count > scenario.patients) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      shardsExceedPatients(opts.shard.count, scenario.patients),
    );
  }
  const modelDir = opts.model ?? scenario.model ?? 'models/default';
  const loaded = loadModel(modelDir);
  // size, time and free disk before any work: a run that cannot fit is refused here
  const { checkRunFits, estimateGeneration } = await import('../../scenario/estimate-run.js');
  const range = shardRange(scenario.patients, opts.shard ?? { index: 1, count: 1 });
  const estimate = checkRunFits(
    estimateGeneration(range.end - range.start, loaded.manifest.training, !!opts.resume),
    opts.out,
  );
  if (estimate) context.logger.info(MESSAGES.INFO, estimate);
  // rules (the model's and the --rules edits) are checked before the engine starts, so a
  // malformed file ends the run on one line with nothing else printed or spent
  const { editRules, readModelRules, readRuleEdits } = await import('../../rules/rules-file.js');
  const modelRules = readModelRules(loaded.dir);
  const editedRules = opts.rules
    ? editRules(modelRules, readRuleEdits(opts.rules), opts.rules)
    : undefined;
  const { stepModel, engine } = await createEngineStepModel(loaded, {
    backend: opts.backend,
    ...(opts.engine ? { engine: opts.engine } : {}),
    threads: 1,
    ...(opts.device ? { device: opts.device } : {}),
    logger: context.logger,
  });
  const { PARALLEL_MIN_PATIENTS } = await import('../../scenario/sample-in-workers.js');
  let threads =
    opts.threads ??
    (range.end - range.start >= PARALLEL_MIN_PATIENTS ? Math.max(1, cpus().length) : 1);
  if (threads > 1 && engine.startsWith('tfjs')) {
    context.logger.info(MESSAGES.INFO, tfjsSingleThread(threads));
    threads = 1;
  }
  if (threads > 1) context.logger.info(MESSAGES.INFO, generationThreads(threads));
  const base = generationModelOf(loaded, stepModel);
  const model = editedRules ? { ...base, rules: editedRules } : base;
  try {
    const { record, manifest } = await runGeneration({
      model,
      modelDir,
      scenario,
      ...(opts.scenario ? { scenarioFile: opts.scenario } : {}),
      out: opts.out,
      batchSize: opts.batchSize,
      ...(opts.shard ? { shard: opts.shard } : {}),
      ...(opts.maxEvents !== undefined ? { maxEvents: opts.maxEvents } : {}),
      ...(opts.resume ? { resume: true } : {}),
      ...(opts.partPatients !== undefined ? { partPatients: opts.partPatients } : {}),
      overwrite: opts.overwrite === true,
      backend: engine,
      logger: context.logger,
      ...(threads > 1
        ? {
            parallel: {
              threads,
              engine: 'onnx' as const,
              ...(opts.device ? { device: opts.device } : {}),
            },
          }
        : {}),
    });
    const c = manifest.counts;
    const s = record.shard;
    const rate = record.requestedVsAchieved.criteria.acceptanceRate;
    context.out(
      `generated ${c.patients} patients${s.count > 1 ? ` (shard ${s.index}/${s.count}: ${s.firstPatient}..${s.firstPatient + s.patients - 1})` : ''}, ${c.events} events ` +
        `(${c.deaths} deaths, ${c.censored} censored) in ${record.seconds.toFixed(1)} s` +
        `${scenario.criteria.length > 0 ? `; criteria accepted ${(100 * rate).toFixed(2)}% of ${record.counts.candidates} candidates` : ''} → ${opts.out}`,
    );
  } finally {
    model.stepModel.dispose();
  }
}
