import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { writeFileAtomic } from '../../core/atomic-output.js';
import { TrajsimError } from '../../core/errors.js';
import { DEFAULT_SEED } from '../../core/rng.js';
import { readRuleEdits } from '../../rules/rules-file.js';
import { defaultThresholds } from '../../validate/default-thresholds.js';
import type { RegisterCommand } from '../context.js';
import { integerIn, nonEmpty, nonNegativeInt } from '../options.js';

interface SummarizeFlags {
  real: string;
  out: string;
  seed: string;
  repeats: number;
  rules?: string;
  firstPatient?: number;
  totalPatients?: number;
  overwrite?: boolean;
}

/** `trajsim summarize`: a shard's exact, mergeable validation summary, for `validate --summaries`. */
export const registerSummarize: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('summarize')
      .description(
        'Write the exact, mergeable validation summary of a synthetic timeline (or one shard of it), so shards\n' +
          'are summarised where they were generated and `trajsim validate --summaries S1.json S2.json ...` merges\n' +
          'them into the report one process reading every shard would write. Use the --real, --seed, --repeats\n' +
          'and --rules that validate will use.',
      )
      .argument('<dir>', 'synthetic timeline directory (a shard)')
      .requiredOption('--real <dir>', 'real timeline directory validate will compare with')
      .requiredOption('--out <file>', 'summary file to write (JSON)')
      .option('--seed <seed>', 'validation seed (as validate --seed)', nonEmpty, DEFAULT_SEED)
      .option('--repeats <n>', 'random half-splits (as validate --repeats)', integerIn(1, 32), 5)
      .option('--rules <file>', 'rule edits (as validate --rules)')
      .option(
        '--first-patient <i>',
        "global index of the shard's first patient (default: from generation.json)",
        nonNegativeInt,
      )
      .option(
        '--total-patients <n>',
        "patients of the whole cohort (default: generation.json's scenario)",
        integerIn(1),
      )
      .option('--overwrite', 'replace --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim summarize /results/shard-0001 --real data/colon --out /results/summary-0001.json',
      )
      .action(async (dir: string, opts: SummarizeFlags) => {
        if (existsSync(opts.out) && !opts.overwrite) {
          throw new TrajsimError('IO', `${opts.out} exists; pass --overwrite to replace it`);
        }
        if ([dir, opts.real].some((d) => resolve(d) === resolve(opts.out))) {
          throw new TrajsimError('IO', `--out ${opts.out} is an input`);
        }
        const { summarizeForValidation } = await import('../../validate/summary-file.js');
        const text = await summarizeForValidation(dir, opts.real, {
          thresholds: defaultThresholds(),
          seed: opts.seed,
          repeats: opts.repeats,
          logger: context.logger,
          ...(opts.rules ? { rules: { edits: readRuleEdits(opts.rules), file: opts.rules } } : {}),
          ...(opts.firstPatient !== undefined ? { firstPatient: opts.firstPatient } : {}),
          ...(opts.totalPatients !== undefined ? { totalPatients: opts.totalPatients } : {}),
        });
        writeFileAtomic(opts.out, text);
        context.out(`summary of ${dir} → ${opts.out}`);
      }),
  );
};
