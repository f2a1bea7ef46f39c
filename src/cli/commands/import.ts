import { Command } from 'commander';
import { importTimeline } from '../../timeline/import.js';
import type { RegisterCommand } from '../context.js';
import { commaList } from '../options.js';

/** `trajsim import`: CSV/Arrow tables → a checked timeline directory. */
export const registerImport: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('import')
      .description(
        'Import patients and events tables (CSV or Arrow IPC) into a timeline directory, checking every invariant.\n' +
          'patients: patient_id, index_date (YYYY-MM-DD), then attribute columns (numeric or categorical; empty or NA = missing).\n' +
          'events:   patient_id, day (integer days since index_date, >= 0), code, value (optional number).\n' +
          'Each patient ends with exactly one DEATH or END_OF_FOLLOWUP. The first problem is reported as file:line: field: reason\n' +
          'and nothing is written.',
      )
      .requiredOption('--patients <file>', 'patients table (.csv or .arrow)')
      .requiredOption('--events <file>', 'events table (.csv or .arrow)')
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
          patients: string;
          events: string;
          out: string;
          name?: string;
          categorical?: string[];
          numeric?: string[];
          overwrite?: boolean;
        }) => {
          const manifest = await importTimeline({
            patients: opts.patients,
            events: opts.events,
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
