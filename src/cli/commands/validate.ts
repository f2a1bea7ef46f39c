import { join } from 'node:path';
import { Command } from 'commander';
import { checkOutputDir, type OutputOptions } from '../../core/atomic-output.js';
import { TrajsimError } from '../../core/errors.js';
import { formatNumber } from '../../core/format.js';
import type { Logger } from '../../core/messages.js';
import { privacyNeedsTrain } from '../../core/messages.js';
import { DEFAULT_SEED } from '../../core/rng.js';
import type { RunInferenceResult } from '../../infer/run-inference.js';
import { withInferenceHtml, withInferenceJson } from '../../report/inference-section.js';
import { renderReportHtml } from '../../report/render-report.js';
import { writeReportFolder } from '../../report/write-report.js';
import { readRuleEdits } from '../../rules/rules-file.js';
import {
  type InferenceQuery,
  parseInferenceTarget,
} from '../../stats/inference/inference-target.js';
import { defaultThresholds } from '../../validate/default-thresholds.js';
import { type FidelityReport, fidelityReportJson } from '../../validate/fidelity-report.js';
import { readThresholds } from '../../validate/thresholds.js';
import { type ValidateDirsOptions, validateTimelineDirs } from '../../validate/validate-dirs.js';
import { type RegisterCommand, setExitCode } from '../context.js';
import { integerIn, nonEmpty, nonNegativeInt } from '../options.js';
import { privacyFailureLines, privacyThresholdsOption } from './privacy.js';

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

/** The privacy part of the validate options, from --train/--holdout/--model. */
function privacyOptions(opts: {
  train?: string;
  holdout?: string;
  model?: string;
  privacyThresholds?: string;
  seed: string;
}): Pick<ValidateDirsOptions, 'privacy'> {
  if (!opts.train) {
    if (opts.holdout || opts.model) {
      throw new TrajsimError('INVALID_ARGUMENT', privacyNeedsTrain());
    }
    return {};
  }
  return {
    privacy: {
      train: opts.train,
      thresholds: privacyThresholdsOption(opts.privacyThresholds),
      seed: opts.seed,
      ...(opts.holdout ? { holdout: opts.holdout } : {}),
      ...(opts.model ? { model: opts.model } : {}),
    },
  };
}

interface InferFlags {
  real: string;
  synthetic: string[];
  seed: string;
  infer: string;
  inferBy?: string;
  inferLevels?: string;
  inferModel?: string;
}

/** `validate --infer`: the inference rows of each target (src/infer/run-inference.ts). */
async function inferForReport(opts: InferFlags, logger: Logger): Promise<RunInferenceResult[]> {
  if (opts.synthetic.length !== 1) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `--infer takes one synthetic directory, got ${opts.synthetic.length} (merge shards with trajsim merge)`,
      { field: 'infer' },
    );
  }
  const levels = (opts.inferLevels ?? '').split(',').filter(Boolean);
  if (opts.inferLevels !== undefined && levels.length !== 2) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `--infer-levels '${opts.inferLevels}': expected A,B`,
      {
        field: 'infer-levels',
      },
    );
  }
  const queries = opts.infer.split(',').map((spec): InferenceQuery => {
    const target = parseInferenceTarget(spec);
    return {
      target,
      endpoint: 'DEATH',
      ...(opts.inferBy !== undefined && target.kind !== 'hr' ? { by: opts.inferBy } : {}),
      ...(levels.length === 2
        ? { levels: [levels[0] as string, levels[1] as string] as const }
        : {}),
    };
  });
  const { runInferences } = await import('../../infer/run-inference.js'); // loads tfjs: only when asked
  return runInferences({
    realDir: opts.real,
    syntheticDir: opts.synthetic[0] as string,
    queries,
    ...(opts.inferModel !== undefined ? { model: opts.inferModel } : {}),
    seed: opts.seed,
    logger,
  });
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
      .option(
        '--rules <file>',
        'rule edits (add / remove / relax) applied to the plausibility rules mined from --real',
      )
      .option(
        '--train <dir>',
        'training timeline of the generator: adds the Privacy section (docs/privacy.md)',
      )
      .option(
        '--holdout <dir>',
        'real patients not used in training (default: the --real timeline)',
      )
      .option('--model <dir>', 'with --train: the GRU model, for the likelihood membership attack')
      .option(
        '--privacy-thresholds <file>',
        'privacy thresholds JSON (default: thresholds/privacy.json)',
      )
      .option('--json', 'print report.json to stdout')
      .option(
        '--infer <targets>',
        'also estimate these targets (survival@DAYS,rmst@DAYS,median,hr:ATTR): real, naive synthetic, combined',
      )
      .option('--infer-by <attribute>', 'with --infer: contrast B − A of this attribute')
      .option('--infer-levels <A,B>', 'with --infer: the two levels')
      .option(
        '--infer-model <dir>',
        'with --infer: model that generates twins of the real patients',
      )
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
            rules?: string;
            infer?: string;
            inferBy?: string;
            inferLevels?: string;
            inferModel?: string;
            train?: string;
            holdout?: string;
            model?: string;
            privacyThresholds?: string;
            overwrite?: boolean;
          },
          command: Command,
        ) => {
          const output: OutputOptions = {
            overwrite: opts.overwrite ?? false,
            kind: 'report',
            inputs: [
              opts.real,
              ...opts.synthetic,
              opts.thresholds,
              opts.train,
              opts.holdout,
              opts.model,
              opts.privacyThresholds,
            ],
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
            ...(opts.rules
              ? { rules: { edits: readRuleEdits(opts.rules), file: opts.rules } }
              : {}),
            ...(opts.horizonDays !== undefined ? { horizonDays: opts.horizonDays } : {}),
            ...privacyOptions(opts),
          });
          const inference = opts.infer
            ? await inferForReport(opts as InferFlags, context.logger)
            : [];
          const json = withInferenceJson(fidelityReportJson(report), inference);
          writeReportFolder(
            opts.out,
            json,
            withInferenceHtml(renderReportHtml(report), inference),
            output,
          );
          const failures = failureLines(report);
          if (opts.json) context.out(json.trimEnd());
          else {
            const gated = report.metrics.filter((m) => m.pass !== null).length;
            context.out(
              `${report.passed ? 'PASS' : 'FAIL'}: ${gated - failures.length}/${gated} gated metrics pass (${report.synthetic.patients} synthetic vs ${report.real.patients} real patients)`,
            );
            const p = report.plausibility;
            if (p) {
              const broken = p.rules.filter((r) => r.pass === false).length;
              const hard = p.rules.filter((r) => r.pass !== null).length;
              context.out(
                `plausibility: ${hard - broken}/${hard} hard rules hold (synthetic violation rate within the real one's noise)`,
              );
            }
            context.out(`report: ${join(opts.out, 'report.html')}`);
          }
          for (const f of report.findings)
            if (f.code === 'CONSTRAINT_VIOLATION' || f.code === 'PLAUSIBILITY_FAILED')
              context.note(`${f.severity}: ${f.message}`);
          if (!report.passed) {
            for (const line of failures) process.stderr.write(`${line}\n`);
            if (report.privacy) {
              for (const line of privacyFailureLines(report.privacy))
                process.stderr.write(`${line}\n`);
            }
            setExitCode(command, 1);
          }
        },
      ),
  );
};
