import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { renderReportHtml } from '../../report/render-report.js';
import { defaultThresholds } from '../../validate/default-thresholds.js';
import { type FidelityReport, fidelityReportJson } from '../../validate/fidelity-report.js';
import { readThresholds } from '../../validate/thresholds.js';
import { validateTimelineDirs } from '../../validate/validate-dirs.js';
import { setExitCode } from '../main.js';
import type { RegisterCommand } from './index.js';

function nonNegativeInt(value: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer >= 0');
  return n;
}

function repeatsInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 32)
    throw new InvalidArgumentError('expected an integer 1..32');
  return n;
}

const fmt = (v: number): string =>
  Number.isNaN(v)
    ? 'NaN'
    : !Number.isFinite(v)
      ? String(v)
      : Number.isInteger(v)
        ? String(v)
        : v.toPrecision(3);

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

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
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
      .option('--seed <seed>', 'seed of the random halves and subsamples', '1')
      .option(
        '--repeats <n>',
        'random half-splits of the real data for the noise floor',
        repeatsInt,
        5,
      )
      .option('--json', 'print report.json to stdout')
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
          },
          command: Command,
        ) => {
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
          mkdirSync(opts.out, { recursive: true });
          const json = fidelityReportJson(report);
          writeAtomic(join(opts.out, 'report.json'), json);
          writeAtomic(join(opts.out, 'report.html'), renderReportHtml(report));
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
