import { Command } from 'commander';
import { mergeTimelines } from '../../timeline/merge.js';
import { mergedGenerationRecord } from '../../timeline/merge-shards.js';
import { TIMELINE_FILES } from '../../timeline/types.js';
import type { RegisterCommand } from '../context.js';

/** `trajsim merge`: shards → one timeline. */
export const registerMerge: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('merge')
      .description(
        'Concatenate timeline directories (e.g. the shards of `generate --shard k/N`, in shard order) into one.\n' +
          'Merging all shards of a run gives the same bytes as the unsharded run.',
      )
      .argument('<dirs...>', 'input timeline directories, in order')
      .requiredOption('--out <dir>', 'output timeline directory (created atomically)')
      .option('--name <name>', 'dataset name (default: the first input’s)')
      .option('--overwrite', 'replace --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim merge out/cohort-1of4 out/cohort-2of4 out/cohort-3of4 out/cohort-4of4 --out out/cohort',
      )
      .action(async (dirs: string[], opts: { out: string; name?: string; overwrite?: boolean }) => {
        const generation = mergedGenerationRecord(dirs);
        const m = await mergeTimelines(dirs, opts.out, {
          ...(generation
            ? { extraFiles: () => ({ [TIMELINE_FILES.GENERATION]: generation }) }
            : {}),
          ...(opts.name ? { name: opts.name } : {}),
          overwrite: opts.overwrite ?? false,
          logger: context.logger,
        });
        context.out(
          `merged ${dirs.length} timelines: ${m.counts.patients} patients, ${m.counts.events} events → ${opts.out}`,
        );
      }),
  );
};
