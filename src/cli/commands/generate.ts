import { Command } from 'commander';
import { TrajsimError } from '../../core/errors.js';
import { generateCohort } from '../../generate/generate-cohort.js';
import { loadGenerationModel } from '../../generate/load-generation-model.js';
import { parseShard, type Shard } from '../../generate/shard.js';
import { type BackendName, parseBackendName, selectBackend } from '../../model/backend.js';
import { loadModel } from '../../model/load-model.js';
import type { RegisterCommand } from './index.js';

function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(Number.isSafeInteger(n) && n >= 0)) {
      throw new TrajsimError('INVALID_ARGUMENT', `'${value}' is not an integer >= 0`, {
        field: flag,
      });
    }
    return n;
  };
}

interface GenerateFlags {
  model: string;
  patients: number;
  out: string;
  seed: string;
  batchSize: number;
  shard?: Shard;
  horizonDays?: number;
  maxEvents?: number;
  backend: BackendName;
  overwrite?: boolean;
}

/** `trajsim generate`: a model folder → a synthetic timeline directory (or one shard of it). */
export const registerGenerate: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('generate')
      .description(
        'Generate a synthetic cohort with a trained model. Output bytes depend only on the model, --seed and\n' +
          '--patients: not on --batch-size, and the --shard k/N parts together equal one unsharded run.',
      )
      .requiredOption('--model <dir>', 'model folder (from trajsim train)')
      .requiredOption(
        '--patients <n>',
        'patients in the whole cohort (all shards)',
        nonNegativeInt('--patients'),
      )
      .requiredOption('--out <dir>', 'output timeline directory (written atomically)')
      .option('--seed <seed>', 'root seed', '1')
      .option('--batch-size <n>', 'patients sampled together', nonNegativeInt('--batch-size'), 1024)
      .option(
        '--shard <k/N>',
        'generate only part k of N (contiguous global patient indices)',
        parseShard,
      )
      .option(
        '--horizon-days <d>',
        'follow-up horizon (default: longest training follow-up)',
        nonNegativeInt('--horizon-days'),
      )
      .option(
        '--max-events <n>',
        'events per patient cap; a capped patient is censored',
        nonNegativeInt('--max-events'),
      )
      .option('--backend <name>', 'wasm (default), cpu or tensorflow', parseBackendName, 'wasm')
      .option('--overwrite', 'replace --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim generate --model models/colon --patients 10000 --seed 7 --out out/synthetic',
      )
      .action(async (opts: GenerateFlags) => {
        const loaded = loadModel(opts.model);
        if (loaded.manifest.kind === 'gru') {
          await selectBackend(opts.backend, {
            logger: context.logger,
          });
        }
        const model = loadGenerationModel(loaded);
        try {
          const summary = await generateCohort(model, {
            patients: opts.patients,
            seed: opts.seed,
            out: opts.out,
            batchSize: opts.batchSize,
            ...(opts.shard ? { shard: opts.shard } : {}),
            ...(opts.horizonDays !== undefined ? { horizonDays: opts.horizonDays } : {}),
            ...(opts.maxEvents !== undefined ? { maxEvents: opts.maxEvents } : {}),
            overwrite: opts.overwrite === true,
            logger: context.logger,
          });
          const c = summary.manifest.counts;
          context.out(
            `generated ${c.patients} patients (${summary.firstPatient}..${summary.firstPatient + summary.generated - 1}), ${c.events} events ` +
              `(${c.deaths} deaths, ${c.censored} censored) in ${summary.seconds.toFixed(1)} s: ` +
              `${Math.round(summary.patientsPerSecond)} patients/s, ${Math.round(summary.eventsPerSecond)} events/s → ${opts.out}`,
          );
        } finally {
          model.stepModel.dispose();
        }
      }),
  );
};
