import { Command, Option } from 'commander';
import { TrajsimError } from '../../core/errors.js';
import { importTimeline } from '../../timeline/import.js';
import { importOmop } from '../../timeline/omop/import-omop.js';
import type { RegisterCommand } from '../context.js';
import { commaList } from '../options.js';

/** `trajsim import`: CSV/Arrow tables → a checked timeline directory. */
export const registerImport: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('import')
      .description(
        'Import patients and events tables (CSV, Arrow IPC or Parquet; or OMOP CDM tables with --format omop) into a timeline directory, checking every invariant.\n' +
          'patients: patient_id, index_date (YYYY-MM-DD), then attribute columns (numeric or categorical; empty or NA = missing).\n' +
          'events:   patient_id, day (integer days since index_date, >= 0), code, value (optional number).\n' +
          'Each patient ends with exactly one DEATH or END_OF_FOLLOWUP. The first problem is reported as file:line: field: reason\n' +
          'and nothing is written.',
      )
      .option('--patients <file>', 'patients table (.csv, .arrow or .parquet)')
      .option('--events <file>', 'events table (.csv, .arrow or .parquet)')
      .addOption(
        new Option('--format <format>', 'tables (patients + events) or omop (--omop DIR)')
          .choices(['tables', 'omop'])
          .default('tables'),
      )
      .option(
        '--omop <dir>',
        'with --format omop: directory of OMOP CDM CSV tables (trajsim export --format omop)',
      )
      .requiredOption('--out <dir>', 'output timeline directory (created atomically)')
      .option(
        '--name <name>',
        'dataset name recorded in timeline.json (default: the --out directory name)',
      )
      .option(
        '--categorical <columns>',
        'comma-separated attribute columns to treat as categorical',
        commaList,
      )
      .option(
        '--numeric <columns>',
        'comma-separated attribute columns that must be numeric',
        commaList,
      )
      .option('--overwrite', 'replace --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim import --patients data/colon/patients.csv --events data/colon/events.csv --out out/colon',
      )
      .action(
        async (opts: {
          patients?: string;
          events?: string;
          format: 'tables' | 'omop';
          omop?: string;
          out: string;
          name?: string;
          categorical?: string[];
          numeric?: string[];
          overwrite?: boolean;
        }) => {
          if (opts.format === 'omop' && !opts.omop)
            throw new TrajsimError('INVALID_ARGUMENT', '--format omop needs --omop DIR');
          if (opts.format === 'tables' && (!opts.patients || !opts.events))
            throw new TrajsimError(
              'INVALID_ARGUMENT',
              'import needs --patients and --events (or --format omop --omop DIR)',
            );
          const manifest =
            opts.format === 'omop'
              ? await importOmop({
                  omop: opts.omop!,
                  out: opts.out,
                  ...(opts.name ? { name: opts.name } : {}),
                  overwrite: opts.overwrite ?? false,
                  logger: context.logger,
                })
              : await importTimeline({
                  patients: opts.patients!,
                  events: opts.events!,
                  out: opts.out,
                  ...(opts.name ? { name: opts.name } : {}),
                  ...(opts.categorical ? { categorical: opts.categorical } : {}),
                  ...(opts.numeric ? { numeric: opts.numeric } : {}),
                  overwrite: opts.overwrite ?? false,
                  logger: context.logger,
                });
          const c = manifest.counts;
          context.out(
            `imported ${c.patients} patients, ${c.events} events (${c.deaths} deaths, ${c.censored} censored), ${manifest.codes.length} codes, ${manifest.attributes.length} attributes → ${opts.out}`,
          );
        },
      ),
  );
};
