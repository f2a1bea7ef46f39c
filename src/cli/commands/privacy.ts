import { Command } from 'commander';
import { checkOutputDir } from '../../core/atomic-output.js';
// validate/privacy/privacy-dirs.js is imported in the action: the likelihood attack needs tfjs,
// which no command loads at startup
import { parseBackendName } from '../../model/backend-names.js';
import { writePrivacyReport } from '../../report/write-report.js';
import { privacyFailureLines } from '../../validate/failure-lines.js';
import {
  defaultPrivacyThresholds,
  type PrivacyThresholds,
  privacyReportJson,
  readPrivacyThresholds,
} from '../../validate/privacy/privacy-report.js';
import { type RegisterCommand, setExitCode } from '../context.js';
import { integerIn, nonNegativeNumber, positiveNumber } from '../options.js';

/** Reads `--privacy-thresholds FILE`, else the shipped thresholds/privacy.json. */
export function privacyThresholdsOption(file: string | undefined): PrivacyThresholds {
  return file ? readPrivacyThresholds(file) : defaultPrivacyThresholds();
}

/** `trajsim privacy`: privacy risk of a synthetic cohort against training and holdout data. */
export const registerPrivacy: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('privacy')
      .description(
        'Measure the privacy risk of a synthetic cohort (docs/privacy.md): exact copies of training\n' +
          'records, holdout DCR share and nearest-neighbour distance ratio, membership inference\n' +
          '(distance, DOMIAS-style density ratio, and the model likelihood with --model) as AUC and\n' +
          'TPR at 1% FPR, attribute inference on the rarest attribute combinations; 95% intervals and\n' +
          'a gate (thresholds/privacy.json). Exits 1 when the gate fails.',
      )
      .requiredOption('--train <dir>', 'timeline the generator was trained on')
      .requiredOption(
        '--holdout <dir>',
        'real timeline of the same population, not used in training',
      )
      .requiredOption('--synthetic <dirs...>', 'synthetic timeline directories (shards, in order)')
      .option(
        '--model <dir>',
        'the GRU model that generated the cohort (adds the likelihood attack)',
      )
      .option('--backend <name>', 'tfjs backend of the likelihood attack', parseBackendName, 'wasm')
      .option('--out <dir>', 'write OUT/privacy.json and OUT/privacy.html')
      .option(
        '--privacy-thresholds <file>',
        'privacy thresholds JSON (default: thresholds/privacy.json)',
      )
      .option('--seed <seed>', 'seed of the subsamples and bootstrap', '1')
      .option(
        '--max-queries <n>',
        'synthetic records sampled for the DCR metrics',
        integerIn(1),
        2000,
      )
      .option('--attack-records <n>', 'members and non-members per attack', integerIn(1), 1000)
      .option(
        '--time-scale-days <d>',
        'τ of the distance: a shift of τ days costs one edit',
        positiveNumber,
        30,
      )
      .option(
        '--attribute-weight <w>',
        'weight of the Gower attribute part of the distance',
        nonNegativeNumber,
        2,
      )
      .option('--json', 'print the privacy report as JSON to stdout')
      .option('--overwrite', 'replace the privacy report in --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim privacy --train out/train --holdout out/holdout --synthetic out/syn --model models/colon --out out/privacy',
      )
      .action(
        async (
          opts: {
            train: string;
            holdout: string;
            synthetic: string[];
            model?: string;
            backend: ReturnType<typeof parseBackendName>;
            out?: string;
            privacyThresholds?: string;
            seed: string;
            maxQueries: number;
            attackRecords: number;
            timeScaleDays: number;
            attributeWeight: number;
            json?: boolean;
            overwrite?: boolean;
          },
          command: Command,
        ) => {
          if (opts.out) {
            checkOutputDir(opts.out, {
              overwrite: opts.overwrite ?? false,
              kind: 'privacy',
              inputs: [opts.train, opts.holdout, ...opts.synthetic, opts.model],
            });
          }
          const { assessPrivacyDirs } = await import('../../validate/privacy/privacy-dirs.js');
          const report = await assessPrivacyDirs(opts.train, opts.holdout, opts.synthetic, {
            thresholds: privacyThresholdsOption(opts.privacyThresholds),
            seed: opts.seed,
            maxQueries: opts.maxQueries,
            maxAttackRecords: opts.attackRecords,
            timeScaleDays: opts.timeScaleDays,
            attributeWeight: opts.attributeWeight,
            holdoutSource: `--holdout ${opts.holdout}`,
            backend: opts.backend,
            logger: context.logger,
            ...(opts.model ? { model: opts.model } : {}),
          });
          const json = opts.out
            ? writePrivacyReport(opts.out, report, {
                overwrite: opts.overwrite ?? false,
                inputs: [opts.train, opts.holdout, ...opts.synthetic, opts.model],
                logger: context.logger,
              })
            : privacyReportJson(report);
          if (opts.json) context.out(json.trimEnd());
          else {
            const gated = report.metrics.filter((m) => m.pass !== null).length;
            const failures = report.metrics.filter((m) => m.pass === false).length;
            context.out(
              `${report.passed ? 'PASS' : 'FAIL'}: ${gated - failures}/${gated} gated privacy metrics pass (${report.synthetic.patients} synthetic, ${report.train.patients} training, ${report.holdout.patients} holdout patients)`,
            );
            for (const m of report.metrics) {
              context.out(
                `  ${m.id}: ${m.value.toPrecision(3)} [${m.lower.toPrecision(3)}, ${m.upper.toPrecision(3)}]${m.pass === false ? ' FAIL' : m.pass === true ? ' pass' : ''}`,
              );
            }
          }
          if (!report.passed) {
            for (const line of privacyFailureLines(report)) process.stderr.write(`${line}\n`);
            setExitCode(command, 1);
          }
        },
      ),
  );
};
