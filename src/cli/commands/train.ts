import { join } from 'node:path';
import { Command } from 'commander';
import { TrajsimError } from '../../core/errors.js';
import { type BackendName, parseBackendName } from '../../model/backend.js';
import { trainModel } from '../../model/train-model.js';
import { mineRules } from '../../rules/mine-rules.js';
import { RULES_FILE, writeRuleSet } from '../../rules/rules-file.js';
import { readTimeline } from '../../timeline/read.js';
import type { RegisterCommand } from './index.js';

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(Number.isSafeInteger(n) && n > 0)) {
      throw new TrajsimError('INVALID_ARGUMENT', `'${value}' is not a positive integer`, {
        field: flag,
      });
    }
    return n;
  };
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n < 1))
    throw new TrajsimError('INVALID_ARGUMENT', `'${value}' is not in [0, 1)`, {
      field: '--val-fraction',
    });
  return n;
}

interface TrainFlags {
  data: string;
  out: string;
  kind: 'gru' | 'markov';
  epochs?: number;
  hidden?: number;
  gapBins?: number;
  layers?: number;
  batchSize?: number;
  learningRate?: number;
  patience?: number;
  seed: string;
  valFraction?: number;
  backend: BackendName;
  condition?: string;
  resume?: boolean;
  overwrite?: boolean;
}

/** `trajsim train`: a timeline directory → a model folder (GRU or Markov baseline). */
export const registerTrain: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('train')
      .description(
        'Train a trajectory model on a timeline directory and save it as a model folder (manifest.json + weights).\n' +
          'gru: the GRU network (early stopping on a held-out split, best weights kept, checkpoints for --resume).\n' +
          'markov: a first-order Markov chain over codes per level of one stage-like attribute (a baseline).',
      )
      .requiredOption(
        '--data <dir>',
        'timeline directory (from trajsim import or trajsim reference)',
      )
      .requiredOption('--out <dir>', 'model folder to write, e.g. models/colon')
      .option('--kind <kind>', 'gru or markov', 'gru')
      .option('--epochs <n>', 'maximum epochs', positiveInt('--epochs'))
      .option('--hidden <n>', 'GRU hidden size', positiveInt('--hidden'))
      .option(
        '--gap-bins <n>',
        'day bins of the gap head (default 128; fewer = faster sampling, coarser long gaps; 0 = log-logistic mixture)',
        (v: string) => {
          const n = Number(v);
          if (!(Number.isInteger(n) && (n === 0 || n >= 2))) {
            throw new TrajsimError('INVALID_ARGUMENT', `'${v}' is not 0 or an integer >= 2`, {
              field: '--gap-bins',
            });
          }
          return n;
        },
      )
      .option('--layers <n>', 'GRU layers', positiveInt('--layers'))
      .option('--batch-size <n>', 'patients per training batch', positiveInt('--batch-size'))
      .option('--learning-rate <x>', 'Adam learning rate', Number)
      .option(
        '--patience <n>',
        'epochs without improvement before stopping',
        positiveInt('--patience'),
      )
      .option('--seed <seed>', 'seed of the split, weights and batch order', '1')
      .option('--val-fraction <f>', 'share of patients held out for validation', fraction)
      .option('--backend <name>', 'wasm (default), cpu or tensorflow', parseBackendName, 'wasm')
      .option(
        '--condition <attribute>',
        "markov: attribute to condition on ('none' for none; default: stage-like)",
      )
      .option('--resume', 'continue from the last checkpoint of an interrupted run')
      .option('--overwrite', 'replace --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim train --data out/colon --out models/colon --epochs 100 --seed 1',
      )
      .action(async (opts: TrainFlags) => {
        const num = (
          k: 'epochs' | 'hidden' | 'gapBins' | 'layers' | 'batchSize' | 'learningRate' | 'patience',
        ) => (opts[k] === undefined ? {} : { [k]: opts[k] });
        const manifest = await trainModel({
          data: opts.data,
          out: opts.out,
          kind: opts.kind,
          backend: opts.backend,
          seed: opts.seed,
          ...num('epochs'),
          ...num('hidden'),
          ...num('gapBins'),
          ...num('layers'),
          ...num('batchSize'),
          ...num('learningRate'),
          ...num('patience'),
          ...(opts.valFraction !== undefined ? { validationFraction: opts.valFraction } : {}),
          ...(opts.condition !== undefined ? { condition: opts.condition } : {}),
          resume: opts.resume === true,
          overwrite: opts.overwrite === true,
          commandLine: ['trajsim', ...process.argv.slice(2)],
          logger: context.logger,
        });
        // the plausibility rules of the training data live with the model (enforced by generate)
        const rules = mineRules(await readTimeline(opts.data), {
          contentHash: manifest.training.contentHash,
        });
        writeRuleSet(join(opts.out, RULES_FILE), rules);
        const m = manifest.metrics;
        context.out(
          `trained ${manifest.kind} on ${manifest.training.trainPatients} patients (${manifest.vocabulary.codes.length} codes)` +
            (m.validationNll !== null
              ? `, validation NLL ${m.validationNll.toFixed(4)} nats/event at epoch ${m.bestEpoch}`
              : '') +
            (m.validationCodeNll !== null ? `, code NLL ${m.validationCodeNll.toFixed(4)}` : '') +
            `, ${m.trainSeconds.toFixed(1)} s, ${rules.rules.length} plausibility rules → ${opts.out}`,
        );
      }),
  );
};
