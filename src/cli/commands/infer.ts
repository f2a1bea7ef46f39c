import { Command } from 'commander';
import { TrajsimError } from '../../core/errors.js';
import { toJsonText } from '../../core/format.js';
import { DEFAULT_SEED } from '../../core/rng.js';
import type { RunInferenceResult } from '../../infer/run-inference.js';
import { type BackendName, DEFAULT_BACKEND, parseBackendName } from '../../model/backend-names.js';
import {
  type InferenceQuery,
  parseInferenceTarget,
} from '../../stats/inference/inference-target.js';
import type { RegisterCommand } from '../context.js';
import { positiveInt } from '../options.js';

interface InferFlags {
  real: string;
  synthetic: string;
  model?: string;
  twins?: string;
  twinsPerPatient: number;
  target: string;
  by?: string;
  levels?: string;
  adjust?: string;
  endpoint: string;
  realSample?: number;
  seed: string;
  backend: BackendName;
  json?: boolean;
}

const list = (s: string | undefined): string[] =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The query of the flags (target, endpoint, --by/--levels contrast, --adjust). */
function queryOf(o: InferFlags): InferenceQuery {
  const levels = list(o.levels);
  if (o.levels !== undefined && levels.length !== 2) {
    throw new TrajsimError('INVALID_ARGUMENT', `--levels '${o.levels}': expected two levels A,B`, {
      field: 'levels',
    });
  }
  const adjust = list(o.adjust);
  return {
    target: parseInferenceTarget(o.target),
    endpoint: o.endpoint,
    ...(o.by !== undefined ? { by: o.by } : {}),
    ...(levels.length === 2 ? { levels: [levels[0] as string, levels[1] as string] as const } : {}),
    ...(adjust.length > 0 ? { adjust } : {}),
  };
}

/** JSON with NaN as null. */
function toJson(r: RunInferenceResult): string {
  return toJsonText(
    {
      target: r.target,
      endpoint: r.query.endpoint,
      rows: r.rows,
      synthetic_weight: r.syntheticWeight,
      variance_ratio: r.varianceRatio,
      paired_correlation: r.pairedCorrelation,
      diagnostics: {
        disagreement_z: r.disagreementZ,
        synthetic_disagrees: r.syntheticDisagrees,
        twins_vs_cohort_z: r.twinsVsCohortZ,
        cohort_mismatch: r.cohortMismatch,
      },
      counts: r.counts,
      twins_per_patient: r.twinsPerPatient,
      ...(r.fullData ? { full_data: r.fullData } : {}),
      notes: r.notes,
    },
    { indent: 2 },
  );
}

const f = (v: number): string =>
  !Number.isFinite(v) ? 'NA' : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);

/** `trajsim infer`: real-only, naive synthetic and combined estimates of one target. */
export const registerInfer: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('infer')
      .description(
        'Estimate a survival quantity from a small real sample helped by a large synthetic cohort, with\n' +
          'valid confidence intervals (prediction-powered / GMM estimator, docs/inference.md). Prints three\n' +
          'rows — real only, synthetic only (naive), combined — with SE and 95% CI, the weight given to the\n' +
          'synthetic data and diagnostics. The synthetic bias is estimated from twins of the real patients\n' +
          '(--model generates them; --twins reads ones from generate --twins-of); without twins, combined = real.',
      )
      .requiredOption('--real <dir>', 'real timeline directory (the small sample)')
      .requiredOption('--synthetic <dir>', 'synthetic cohort (a large generated timeline)')
      .requiredOption(
        '--target <t>',
        'survival@DAYS, rmst@DAYS, median, or hr:ATTRIBUTE (Cox log hazard ratio)',
      )
      .option('--model <dir>', 'model that made the cohort: generates twins of the real patients')
      .option('--twins <dir>', 'twins timeline of the real patients (from generate --twins-of)')
      .option('--twins-per-patient <k>', 'twins per real patient with --model', positiveInt, 10)
      .option('--by <attribute>', 'a categorical attribute: the target is the difference B − A')
      .option('--levels <A,B>', 'the two levels of --by (or of hr: the reference A and B)')
      .option('--adjust <x,y>', 'other attributes in the Cox model (hr:)')
      .option(
        '--endpoint <code>',
        "'DEATH' (overall survival) or a code (time to its first occurrence)",
        'DEATH',
      )
      .option(
        '--real-sample <n>',
        'use a seeded random subsample of n real patients (and report the full-data estimate)',
        positiveInt,
      )
      .option('--seed <seed>', 'seed of the subsample and of the twins', DEFAULT_SEED)
      .option(
        '--backend <name>',
        'wasm (default), cpu or tensorflow',
        parseBackendName,
        DEFAULT_BACKEND,
      )
      .option('--json', 'print JSON')
      .addHelpText(
        'after',
        '\nExample:\n' +
          '  trajsim infer --real out/colon --real-sample 150 --synthetic out/syn-20k --model models/default \\\n' +
          '    --target survival@1095 --by rx --levels Obs,Lev+5FU',
      )
      .action(async (o: InferFlags) => {
        if (o.model !== undefined && o.twins !== undefined) {
          throw new TrajsimError('INVALID_ARGUMENT', 'give --model or --twins, not both', {
            field: 'twins',
          });
        }
        // loaded here, not at startup: it loads tfjs (~1 s), which --help needs none of
        const { runInference } = await import('../../infer/run-inference.js');
        const r = await runInference({
          realDir: o.real,
          syntheticDir: o.synthetic,
          query: queryOf(o),
          ...(o.model !== undefined ? { model: o.model } : {}),
          ...(o.twins !== undefined ? { twinsDir: o.twins } : {}),
          twinsPerPatient: o.twinsPerPatient,
          ...(o.realSample !== undefined ? { realSample: o.realSample } : {}),
          seed: o.seed,
          backend: o.backend,
          logger: context.logger,
        });
        if (o.json) return context.out(toJson(r));
        context.out(`target ${r.target}, endpoint ${r.query.endpoint}`);
        context.out(
          `  real ${r.counts.real} patients; synthetic cohort ${r.counts.synthetic}; twins ${r.counts.twins}${r.twinsPerPatient ? ` (${r.twinsPerPatient} per real patient)` : ''}`,
        );
        context.out(
          `  ${'method'.padEnd(10)} ${'estimate'.padStart(10)} ${'se'.padStart(10)}   95% CI`,
        );
        for (const row of r.rows) {
          context.out(
            `  ${row.method.padEnd(10)} ${f(row.estimate).padStart(10)} ${f(row.se).padStart(10)}   [${f(row.lower)}, ${f(row.upper)}]`,
          );
        }
        context.out(
          `  synthetic weight ${f(r.syntheticWeight)}; variance vs real only ${f(r.varianceRatio)}; real–twin correlation ${f(r.pairedCorrelation)}`,
        );
        if (r.fullData) {
          context.out(
            `  all ${r.fullData.patients} real patients: ${f(r.fullData.estimate)} (se ${f(r.fullData.se)})`,
          );
        }
        for (const note of r.notes) context.note(`note: ${note}`);
      }),
  );
};
