import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_SEED } from '../../core/rng.js';
import { NUMERIC_ENCODINGS, type NumericEncoding } from '../../model/attribute-encoder.js';
import { type BackendName, DEFAULT_BACKEND, parseBackendName } from '../../model/backend-names.js';
import { mineRules } from '../../rules/mine-rules.js';
import { RULES_FILE, writeRuleSet } from '../../rules/rules-file.js';
import { readTimeline } from '../../timeline/read.js';
import type { CliContext, RegisterCommand } from '../context.js';
import {
  fraction,
  integerIn,
  MAX_BATCH_SIZE,
  MAX_HIDDEN,
  nonEmpty,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
  zeroOrAtLeastTwo,
} from '../options.js';

interface TrainFlags {
  data: string;
  out: string;
  kind: 'gru' | 'markov';
  epochs?: number;
  hidden?: number;
  gapBins?: number;
  valueBins?: number;
  layers?: number;
  batchSize?: number;
  learningRate?: number;
  patience?: number;
  seed: string;
  valFraction?: number;
  weightDecay?: number;
  attributeDropout?: number;
  attributeNoise?: number;
  attributeSkip?: boolean;
  refitCodeHead?: boolean;
  numericEncoding?: NumericEncoding;
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
      .option('--epochs <n>', 'maximum epochs', positiveInt)
      .option(
        '--hidden <n>',
        `GRU hidden size (1..${MAX_HIDDEN}: larger does not fit in memory)`,
        integerIn(1, MAX_HIDDEN),
      )
      .option(
        '--gap-bins <n>',
        'day bins of the gap head (default: from the data, the most of 16..128 with >= 50 training gaps each; fewer = less memorising, coarser gaps; 0 = log-logistic mixture)',
        zeroOrAtLeastTwo,
      )
      .option(
        '--value-bins <n>',
        'most value bins per valued code of the value head (default 32; 0 = ignore event values)',
        zeroOrAtLeastTwo,
      )
      .option('--layers <n>', 'GRU layers', positiveInt)
      .option('--batch-size <n>', 'patients per training batch', integerIn(1, MAX_BATCH_SIZE))
      .option('--learning-rate <x>', 'Adam learning rate', positiveNumber)
      .option('--patience <n>', 'epochs without improvement before stopping', positiveInt)
      .option('--seed <seed>', 'seed of the split, weights and batch order', nonEmpty, DEFAULT_SEED)
      .option('--val-fraction <f>', 'share of patients held out for validation', fraction)
      .option(
        '--weight-decay <x>',
        'decoupled weight decay per unit learning rate (default: 1 below 5000 training patients, else 0)',
        nonNegativeNumber,
      )
      .option(
        '--attribute-dropout <p>',
        'chance an attribute is shown as missing in training (default 0)',
        fraction,
      )
      .option(
        '--attribute-noise <sd>',
        'noise on numeric attributes in training, in SDs (default 0)',
        nonNegativeNumber,
      )
      .option(
        '--numeric-encoding <how>',
        "GRU: numeric attributes as 'normal-score' (through their training quantiles, tails capped) or 'standard' ((x - mean) / sd, the default)",
        parseNumericEncoding,
      )
      .option(
        '--attribute-skip',
        'GRU: attributes also enter the code and gap heads directly (default off)',
      )
      .option('--no-attribute-skip', 'GRU: no attribute skip into the heads (the default)')
      .option(
        '--refit-code-head',
        'GRU: after training, refit the code head bias (and the skip) by maximum likelihood on the training rows (default off)',
      )
      .option('--no-refit-code-head', 'GRU: keep the code head as trained (the default)')
      .option(
        '--backend <name>',
        'wasm (default), cpu or tensorflow',
        parseBackendName,
        DEFAULT_BACKEND,
      )
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
      .action((opts: TrainFlags) => trainAction(opts, context)),
  );
};

/** Commander parser of --numeric-encoding. */
function parseNumericEncoding(value: string): NumericEncoding {
  const found = NUMERIC_ENCODINGS.find((e) => e === value);
  if (!found) throw new InvalidArgumentError(`expected one of ${NUMERIC_ENCODINGS.join(', ')}`);
  return found;
}

/** The train action: fits the model, mines its plausibility rules, prints one summary line. */
async function trainAction(opts: TrainFlags, context: CliContext): Promise<void> {
  // loaded here, not at startup: tfjs takes ~1 s to load and --help/--version need none of it
  const { trainModel } = await import('../../model/train-model.js');
  const num = (
    k:
      | 'epochs'
      | 'hidden'
      | 'gapBins'
      | 'valueBins'
      | 'layers'
      | 'batchSize'
      | 'learningRate'
      | 'patience'
      | 'weightDecay'
      | 'attributeDropout'
      | 'attributeNoise',
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
    ...num('valueBins'),
    ...num('layers'),
    ...num('batchSize'),
    ...num('learningRate'),
    ...num('patience'),
    ...num('weightDecay'),
    ...num('attributeDropout'),
    ...num('attributeNoise'),
    ...(opts.valFraction !== undefined ? { validationFraction: opts.valFraction } : {}),
    ...(opts.condition !== undefined ? { condition: opts.condition } : {}),
    ...(opts.attributeSkip !== undefined ? { attributeSkip: opts.attributeSkip } : {}),
    ...(opts.refitCodeHead !== undefined ? { refitCodeHead: opts.refitCodeHead } : {}),
    ...(opts.numericEncoding !== undefined ? { numericEncoding: opts.numericEncoding } : {}),
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
}
