import { Command, Option } from 'commander';
import { exportTimeline } from '../../timeline/export.js';
import type { RegisterCommand } from '../context.js';

/** `trajsim export`: a timeline directory → CSV tables. */
export const registerExport: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('export')
      .description(
        'Export a timeline directory as patients.csv and events.csv (the import format), or as Parquet.',
      )
      .argument('<dir>', 'timeline directory')
      .requiredOption('--out <dir>', 'output directory (created atomically)')
      .addOption(
        new Option('--format <format>', 'output format').choices(['csv', 'parquet']).default('csv'),
      )
      .option('--no-dates', 'omit the absolute date column (index_date + day) from events.csv')
      .option('--overwrite', 'replace --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim export out/synthetic --out out/synthetic-csv\n  trajsim export out/synthetic --format parquet --out out/synthetic-pq',
      )
      .action(
        async (
          dir: string,
          opts: { out: string; format: 'csv' | 'parquet'; dates: boolean; overwrite?: boolean },
        ) => {
          await exportTimeline(dir, opts.out, {
            format: opts.format,
            dates: opts.dates,
            overwrite: opts.overwrite ?? false,
            logger: context.logger,
          });
          context.out(
            `exported ${dir} → ${opts.out}/patients.${opts.format}, ${opts.out}/events.${opts.format}`,
          );
        },
      ),
  );
};
