import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { AtomicDir, checkOutputDir, type OutputOptions } from '../../core/atomic-output.js';
import { formatNumber } from '../../core/format.js';
import { DEFAULT_SEED } from '../../core/rng.js';
import { renderReportHtml } from '../../report/render-report.js';
import { defaultThresholds } from '../../validate/default-thresholds.js';
import { type FidelityReport, fidelityReportJson } from '../../validate/fidelity-report.js';
import { readThresholds } from '../../validate/thresholds.js';
import { validateTimelineDirs } from '../../validate/validate-dirs.js';
import { type RegisterCommand, setExitCode } from '../context.js';
import { integerIn, nonEmpty, nonNegativeInt } from '../options.js';

const fmt = (v: number): string => formatNumber(v);

/** One line per failed metric: value, threshold, noise floor. */
export function failureLines(report: FidelityReport): string[] {
  return report.metrics
    .filter((m) => m.pass === false)
    .map((m) => {
      const t = m.threshold;
      const bounds = [
        t.maxRatio !== undefined
          ? `maxRatio ${t.maxRatio}${t.tolerance !== undefined ? ` (tolerance ${t.tolerance})` : ''}`
          : '',
        t.maxValue !== undefined ? `maxValue ${t.maxValue}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return `FAIL ${m.id}: value ${fmt(m.value)} ${m.unit}, ratio ${fmt(m.ratio)} (matched ${fmt(m.matched.mean)} vs noise floor ${fmt(m.noiseFloor.mean)}, SD ${fmt(m.noiseFloor.sd)}); threshold ${bounds}`;
    });
}

/**
 * Writes report.json and report.html as one folder, atomically (both or neither).
 *
 * @param out - the report folder
 * @param json - report.json text
 * @param html - report.html text
 * @param options - overwrite, inputs, logger
 * @throws TrajsimError IO when the folder is taken or cannot be written (disk full, permission)
 * @example
 * writeReportFolder('out/fidelity', '{}\n', '<html></html>', { kind: 'report' })
 */
export function writeReportFolder(
  out: string,
  json: string,
  html: string,
  options: OutputOptions = {},
): void {
  const dir = AtomicDir.create(out, { ...options, kind: 'report' });
  try {
    writeFileSync(dir.file('report.json'), json);
    writeFileSync(dir.file('report.html'), html);
    dir.commit();
  } catch (error) {
    dir.abort();
    throw error;
  }
}

/** `trajsim validate`: fidelity of synthetic timelines against real ones, with a gate. */
export const registerValidate: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('validate')
      .description(
        'Compare synthetic timelines (one or more shard directories, merged) with a real timeline:\n' +
          'structure, inter-event times, time to first events, survival (KM, RMST, log-rank, per-level KM,\n' +
          'Cox HRs) and constraint violations, each against its real-vs-real noise floor. Writes\n' +
          'OUT/report.json and a self-contained OUT/report.html; exits 1 when a threshold fails.',
      )
      .requiredOption('--real <dir>', 'real timeline directory')
      .requiredOption('--synthetic <dirs...>', 'synthetic timeline directories (shards, in order)')
      .requiredOption('--out <dir>', 'output directory for report.json and report.html')
      .option('--thresholds <file>', 'thresholds JSON (default: thresholds/default.json)')
      .option(
        '--horizon-days <d>',
        'compare curves on days 0..D (default: 90th percentile of real follow-up)',
        nonNegativeInt,
      )
      .option('--seed <seed>', 'seed of the random halves and subsamples', nonEmpty, DEFAULT_SEED)
      .option(
        '--repeats <n>',
        'random half-splits of the real data for the noise floor',
        integerIn(1, 32),
        5,
      )
      .option('--json', 'print report.json to stdout')
      .option('--overwrite', 'replace the report in --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim validate --real data/real --synthetic out/syn-0 out/syn-1 --out out/fidelity',
      )
      .action(
        async (
          opts: {
            real: string;
            synthetic: string[];
            out: string;
            thresholds?: string;
            horizonDays?: number;
            seed: string;
            repeats: number;
            json?: boolean;
            overwrite?: boolean;
          },
          command: Command,
        ) => {
          const output: OutputOptions = {
            overwrite: opts.overwrite ?? false,
            kind: 'report',
            inputs: [opts.real, ...opts.synthetic, opts.thresholds],
            logger: context.logger,
          };
          checkOutputDir(opts.out, output);
          const thresholds = opts.thresholds
            ? readThresholds(opts.thresholds)
            : defaultThresholds();
          const report = await validateTimelineDirs(opts.real, opts.synthetic, {
            thresholds,
            seed: opts.seed,
            repeats: opts.repeats,
            logger: context.logger,
            provenance: {
              createdAt: new Date().toISOString(),
              commandLine: ['trajsim', ...process.argv.slice(2)],
              thresholdsFile: opts.thresholds ?? 'built-in default (thresholds/default.json)',
            },
            ...(opts.horizonDays !== undefined ? { horizonDays: opts.horizonDays } : {}),
          });
          const json = fidelityReportJson(report);
          writeReportFolder(opts.out, json, renderReportHtml(report), output);
          const failures = failureLines(report);
          if (opts.json) context.out(json.trimEnd());
          else {
            const gated = report.metrics.filter((m) => m.pass !== null).length;
            context.out(
              `${report.passed ? 'PASS' : 'FAIL'}: ${gated - failures.length}/${gated} gated metrics pass (${report.synthetic.patients} synthetic vs ${report.real.patients} real patients)`,
            );
            context.out(`report: ${join(opts.out, 'report.html')}`);
          }
          for (const f of report.findings)
            if (f.code === 'CONSTRAINT_VIOLATION') context.note(`${f.severity}: ${f.message}`);
          if (!report.passed) {
            for (const line of failures) process.stderr.write(`${line}\n`);
            setExitCode(command, 1);
          }
        },
      ),
  );
};
