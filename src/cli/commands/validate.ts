import { join } from 'node:path';
import { Command } from 'commander';
import { checkOutputDir, type OutputOptions } from '../../core/atomic-output.js';
import { TrajsimError } from '../../core/errors.js';
import { privacyNeedsTrain } from '../../core/messages.js';
import { DEFAULT_SEED } from '../../core/rng.js';
import { readTwinsEvaluation } from '../../report/twins-evaluation-section.js';
import { writeFidelityReport } from '../../report/write-report.js';
import { readRuleEdits } from '../../rules/rules-file.js';
import { defaultThresholds } from '../../validate/default-thresholds.js';
import { failureLines, privacyFailureLines } from '../../validate/failure-lines.js';
import { readThresholds } from '../../validate/thresholds.js';
import { type ValidateDirsOptions, validateTimelineDirs } from '../../validate/validate-dirs.js';
import { type CliContext, type RegisterCommand, setExitCode } from '../context.js';
import { integerIn, nonEmpty, nonNegativeInt } from '../options.js';
import { privacyThresholdsOption } from './privacy.js';

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
      .option('--synthetic <dirs...>', 'synthetic timeline directories (shards, in order)')
      .option(
        '--summaries <files...>',
        'instead of --synthetic: shard summaries from trajsim summarize (in shard order), merged exactly',
      )
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
      .option(
        '--twins-evaluation <file>',
        'add the digital-twin evaluation (JSON of scripts/twins-evaluate.mjs) to report.html',
      )
      .option('--overwrite', 'replace the report in --out if it exists')
      .addHelpText(
        'after',
        '\nExample:\n  trajsim validate --real data/real --synthetic out/syn-0 out/syn-1 --out out/fidelity',
      )
      .action((opts: ValidateFlags, command: Command) => validateAction(opts, command, context)),
  );
};

/** The flags of `trajsim validate`. */
interface ValidateFlags {
  real: string;
  synthetic?: string[];
  summaries?: string[];
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
  twinsEvaluation?: string;
  overwrite?: boolean;
}

/** --synthetic dirs or --summaries files (exactly one); summaries cannot feed privacy or inference. */
function syntheticInput(
  opts: ValidateFlags,
): { dirs: string[]; summaries?: undefined } | { summaries: string[]; dirs?: undefined } {
  if (opts.summaries && opts.synthetic) {
    throw new TrajsimError('INVALID_ARGUMENT', 'give --synthetic or --summaries, not both', {
      field: '--summaries',
    });
  }
  if (opts.summaries) {
    for (const [flag, given] of [
      ['--train', opts.train],
      ['--infer', opts.infer],
    ] as const) {
      if (given !== undefined) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `${flag} needs the synthetic timelines (--synthetic), not summaries`,
          { field: flag },
        );
      }
    }
    return { summaries: opts.summaries };
  }
  if (!opts.synthetic) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      "required option '--synthetic <dirs...>' not specified (or --summaries <files...>)",
      { field: '--synthetic' },
    );
  }
  return { dirs: opts.synthetic };
}

/** `trajsim validate`'s work: check the output, validate, infer if asked, write and print the report. */
async function validateAction(
  opts: ValidateFlags,
  command: Command,
  context: CliContext,
): Promise<void> {
  const output: OutputOptions = {
    overwrite: opts.overwrite ?? false,
    kind: 'report',
    inputs: [
      opts.real,
      ...(opts.synthetic ?? []),
      ...(opts.summaries ?? []),
      opts.thresholds,
      opts.train,
      opts.holdout,
      opts.model,
      opts.privacyThresholds,
      opts.twinsEvaluation,
    ],
    logger: context.logger,
  };
  const synthetic = syntheticInput(opts);
  checkOutputDir(opts.out, output);
  const twins = opts.twinsEvaluation ? readTwinsEvaluation(opts.twinsEvaluation) : undefined;
  const thresholds = opts.thresholds ? readThresholds(opts.thresholds) : defaultThresholds();
  const validate =
    'summaries' in synthetic
      ? (await import('../../validate/summary-file.js')).validateSummaryFiles
      : validateTimelineDirs;
  const report = await validate(opts.real, synthetic.summaries ?? synthetic.dirs, {
    thresholds,
    seed: opts.seed,
    repeats: opts.repeats,
    logger: context.logger,
    provenance: {
      createdAt: new Date().toISOString(),
      commandLine: ['trajsim', ...process.argv.slice(2)],
      thresholdsFile: opts.thresholds ?? 'built-in default (thresholds/default.json)',
    },
    ...(opts.rules ? { rules: { edits: readRuleEdits(opts.rules), file: opts.rules } } : {}),
    ...(opts.horizonDays !== undefined ? { horizonDays: opts.horizonDays } : {}),
    ...privacyOptions(opts),
  });
  // loaded only when asked: inference loads tfjs
  const inference = opts.infer
    ? await (await import('../../infer/report-inference.js')).inferencesForReport({
        realDir: opts.real,
        syntheticDirs: synthetic.dirs ?? [],
        targets: opts.infer,
        ...(opts.inferBy !== undefined ? { by: opts.inferBy } : {}),
        ...(opts.inferLevels !== undefined ? { levels: opts.inferLevels } : {}),
        ...(opts.inferModel !== undefined ? { model: opts.inferModel } : {}),
        seed: opts.seed,
        logger: context.logger,
      })
    : [];
  const json = writeFidelityReport(opts.out, report, inference, output, twins);
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
      for (const line of privacyFailureLines(report.privacy)) process.stderr.write(`${line}\n`);
    }
    setExitCode(command, 1);
  }
}
