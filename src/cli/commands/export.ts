import { Command, Option } from 'commander';
import { exportTimeline } from '../../timeline/export.js';
import { exportOmop } from '../../timeline/omop/export-omop.js';
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
        new Option('--format <format>', 'output format')
          .choices(['csv', 'parquet', 'omop'])
          .default('csv'),
      )
      .option('--no-dates', 'omit the absolute date column (index_date + day) from events.csv')
      .option(
        '--concept-map <file>',
        'with --format omop: concept-map CSV (code,domain,concept_id,episode_role); see docs/interop.md',
      )
      .addOption(
        new Option('--omop-format <format>', 'with --format omop: table files as CSV or Parquet')
          .choices(['csv', 'parquet'])
          .default('csv'),
      )
      .option('--overwrite', 'replace --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim export out/synthetic --out out/synthetic-csv\n  trajsim export out/synthetic --format parquet --out out/synthetic-pq\n  trajsim export out/synthetic --format omop --concept-map data/omop-concept-map.csv --out out/synthetic-omop\n  trajsim export out/synthetic --format omop --omop-format parquet --concept-map data/omop-concept-map.csv --out out/synthetic-omop-pq',
      )
      .action(
        async (
          dir: string,
          opts: {
            out: string;
            format: 'csv' | 'parquet' | 'omop';
            dates: boolean;
            conceptMap?: string;
            omopFormat: 'csv' | 'parquet';
            overwrite?: boolean;
          },
        ) => {
          if (opts.format === 'omop') {
            const summary = await exportOmop(dir, opts.out, {
              ...(opts.conceptMap ? { conceptMap: opts.conceptMap } : {}),
              format: opts.omopFormat,
              overwrite: opts.overwrite ?? false,
              logger: context.logger,
            });
            const unmapped = Object.values(summary.unmapped).reduce((s, n) => s + n, 0);
            context.out(
              `exported ${dir} → OMOP CDM tables in ${opts.out} (${summary.rows.person} persons, ${summary.rows.episode} episodes, ${unmapped} events with unmapped codes)`,
            );
            return;
          }
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
