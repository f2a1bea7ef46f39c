import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_SEED } from '../../core/rng.js';
import type { Shard } from '../../core/shard.js';
import { type BackendName, DEFAULT_BACKEND, parseBackendName } from '../../model/backend-names.js';
import { type EngineName, parseEngineName } from '../../model/engine-names.js';
import type { CliContext, RegisterCommand } from '../context.js';
import { commaList, integerIn, MAX_BATCH_SIZE, positiveInt, shard } from '../options.js';

interface TwinsFlags {
  model: string;
  history: string;
  at: string;
  futures: number;
  out: string;
  scenario?: string;
  seed: string;
  horizons?: string[];
  horizonDays?: number;
  batchSize: number;
  shard?: Shard;
  backend: BackendName;
  engine?: EngineName;
  threads?: number;
  overwrite?: boolean;
}

/** --at: a day since index (all patients) or a landmark JSON file. */
function landmarkOf(at: string): number | string {
  return /^\d+$/.test(at) ? Number(at) : at;
}

/** --horizons: years, e.g. 1,2,5 → days ⌊365.25 · y⌋. */
function horizonDaysOf(years: readonly string[]): number[] {
  return years.map((y) => {
    const v = Number(y);
    if (!(Number.isFinite(v) && v > 0)) {
      throw new InvalidArgumentError(`horizon '${y}': expected years > 0`);
    }
    return Math.max(1, Math.floor(365.25 * v));
  });
}

/** `trajsim twins`: futures of real patients from their history up to a landmark. */
export const registerTwins: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('twins')
      .description(
        'History-conditioned digital twins (docs/twins.md): for every real patient alive and followed at\n' +
          'the landmark, feed their attributes and events up to it through the model, then sample N\n' +
          'futures. Writes the twins timeline (ids <id>#<k>), a per-patient summary of predicted risks\n' +
          '(CSV and Arrow) and excluded.json (patients dead or censored before the landmark). With\n' +
          '--scenario, its interventions (days after the landmark) make a counterfactual arm.',
      )
      .requiredOption('--model <dir>', 'model folder (GRU or Markov)')
      .requiredOption(
        '--history <dir>',
        'real timeline directory: the patients and their histories',
      )
      .requiredOption('--at <days|file>', 'landmark: days since index, or a landmark JSON file')
      .requiredOption('--futures <n>', 'futures per patient', positiveInt)
      .requiredOption('--out <dir>', 'output folder')
      .option('--scenario <file>', 'scenario whose interventions make the counterfactual arm')
      .option('--seed <seed>', 'seed of every draw', DEFAULT_SEED)
      .option(
        '--horizons <years>',
        'risk horizons in years after the landmark (default 1,2,5)',
        commaList,
      )
      .option('--horizon-days <d>', 'follow-up of the futures, days since index', positiveInt)
      .option(
        '--batch-size <n>',
        'futures sampled together (speed only, never the output)',
        integerIn(1, MAX_BATCH_SIZE),
        1024,
      )
      .option('--shard <k/N|auto>', 'part k of N of the real patients', shard)
      .option(
        '--backend <name>',
        'tfjs backend of the tfjs engine',
        parseBackendName,
        DEFAULT_BACKEND,
      )
      .option('--engine <name>', 'onnx or tfjs (default: onnx when it loads)', parseEngineName)
      .option('--threads <n>', 'ONNX Runtime threads', positiveInt)
      .option('--overwrite', 'replace the outputs if they exist')
      .addHelpText(
        'after',
        '\nExamples:\n' +
          '  trajsim twins --model models/reference --history out/ref --at 365 --futures 100 --out out/twins\n' +
          '  trajsim twins --model models/default --history out/colon --at 180 --futures 50 \\\n' +
          '    --scenario scenarios/what-if-lev5fu.json --out out/twins-cf',
      )
      .action((o: TwinsFlags) => twinsAction(o, context)),
  );
};

async function twinsAction(o: TwinsFlags, context: CliContext): Promise<void> {
  // loaded here, not at startup: it loads tfjs (~1 s), which --help needs none of
  const { historyTwinsOfDirs } = await import('../../infer/history-twins-of-dirs.js');
  const r = await historyTwinsOfDirs({
    modelDir: o.model,
    historyDir: o.history,
    at: landmarkOf(o.at),
    futures: o.futures,
    seed: o.seed,
    out: o.out,
    ...(o.scenario ? { scenarioFile: o.scenario } : {}),
    ...(o.horizons ? { horizonsDays: horizonDaysOf(o.horizons) } : {}),
    ...(o.horizonDays !== undefined ? { horizonDays: o.horizonDays } : {}),
    batchSize: o.batchSize,
    ...(o.shard ? { shard: o.shard } : {}),
    backend: o.backend,
    ...(o.engine ? { engine: o.engine } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.overwrite ? { overwrite: true } : {}),
    logger: context.logger,
  });
  const x = r.excluded;
  context.out(
    `twins of ${r.rows.length} patients × ${r.generated / Math.max(1, r.rows.length * (r.intervened ? 2 : 1))} futures` +
      `${r.intervened ? ' (observed and intervened arms)' : ''} in ${r.seconds.toFixed(1)} s → ${o.out}`,
  );
  context.out(
    `  excluded: ${x.dead.length} dead and ${x.censored.length} censored before the landmark` +
      `${x.noLandmark.length > 0 ? `, ${x.noLandmark.length} without a landmark` : ''} (excluded.json)`,
  );
  if (r.difference) {
    const H = r.horizonsDays.length;
    const death = r.codes.indexOf('DEATH');
    const d = r.horizonsDays.map(
      (h, m) => `${h} d ${(100 * r.difference!.meanRisk[death * H + m]!).toFixed(1)} pp`,
    );
    context.out(`  mean death-risk difference (intervened − observed): ${d.join(', ')}`);
  }
}
