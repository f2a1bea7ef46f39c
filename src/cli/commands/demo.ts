import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { checkOutputDir } from '../../core/atomic-output.js';
import { TrajsimError } from '../../core/errors.js';
import { DEFAULT_BACKEND, generationBackendLabel } from '../../model/backend-names.js';
import { renderReportHtml } from '../../report/render-report.js';
import { loadScenario } from '../../scenario/load-scenario.js';
import { importTimeline } from '../../timeline/import.js';
import { defaultThresholds } from '../../validate/default-thresholds.js';
import { fidelityReportJson } from '../../validate/fidelity-report.js';
import { validateTimelineDirs } from '../../validate/validate-dirs.js';
import type { RegisterCommand } from '../context.js';
import { writeReportFolder } from './validate.js';

/** What a demo folder holds; demo replaces these and refuses a folder with anything else. */
const DEMO_ENTRIES = new Set(['real-colon', 'synthetic', 'report']);

/** Refuses a demo --out that is an input or holds anything but an earlier demo's output. */
function checkDemoOutput(out: string, inputs: readonly string[]): void {
  checkOutputDir(out, { overwrite: true, inputs });
  if (!existsSync(out)) return;
  const foreign = readdirSync(out).filter((e) => !DEMO_ENTRIES.has(e) && !e.startsWith('.'));
  if (foreign.length > 0) {
    throw new TrajsimError(
      'IO',
      `the folder holds files that are not a demo's output (${foreign.slice(0, 3).join(', ')}); choose another --out`,
      { file: out },
    );
  }
}

/** The package root (two levels above dist/cli/commands or src/cli/commands). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `trajsim demo`: the main job on the embedded default model and bundled data. */
export const registerDemo: RegisterCommand = (program, context) => {
  program.addCommand(
    new Command('demo')
      .description(
        'The main job on the embedded defaults: import the bundled colon data, generate the cohort of\n' +
          'scenarios/demo.json with models/default, validate it against the real data and write report.html.',
      )
      .option('--out <dir>', 'where to write everything', 'demo-output')
      .addHelpText('after', '\nExample:\n  npm run demo   (= trajsim demo --out demo-output)')
      .action(async (opts: { out: string }) => {
        // loaded here, not at startup: tfjs takes ~1 s to load and --help/--version need none of it
        const { loadGenerationModel } = await import('../../generate/load-generation-model.js');
        const { selectBackend } = await import('../../model/backend.js');
        const { loadModel } = await import('../../model/load-model.js');
        const { runGeneration } = await import('../../scenario/run-generation.js');
        const started = performance.now();
        const out = resolve(opts.out);
        const modelDir = join(ROOT, 'models', 'default');
        const scenarioFile = join(ROOT, 'scenarios', 'demo.json');
        if (!existsSync(join(modelDir, 'manifest.json'))) {
          throw new TrajsimError(
            'IO',
            `no default model at ${modelDir}; rebuild it with scripts/train-default-model.sh`,
          );
        }
        checkDemoOutput(out, [modelDir, scenarioFile, join(ROOT, 'data')]);
        mkdirSync(out, { recursive: true });
        const real = join(out, 'real-colon');
        const synthetic = join(out, 'synthetic');
        const reportDir = join(out, 'report');
        context.note('1/3 importing the bundled real data (data/colon, R survival)');
        await importTimeline({
          patients: join(ROOT, 'data', 'colon', 'patients.csv'),
          events: join(ROOT, 'data', 'colon', 'events.csv'),
          categorical: ['obstruct', 'perfor', 'adhere', 'node4'],
          name: 'colon',
          out: real,
          overwrite: true,
          logger: context.logger,
        });
        const loaded = loadModel(modelDir);
        if (loaded.manifest.kind === 'gru')
          await selectBackend(DEFAULT_BACKEND, { logger: context.logger });
        const model = loadGenerationModel(loaded);
        const scenario = loadScenario(scenarioFile);
        context.note(
          `2/3 generating ${scenario.patients} patients from scenarios/demo.json with models/default (${loaded.manifest.kind})`,
        );
        try {
          await runGeneration({
            model,
            modelDir,
            scenario,
            scenarioFile,
            out: synthetic,
            overwrite: true,
            backend: generationBackendLabel(loaded.manifest.kind, DEFAULT_BACKEND),
            logger: context.logger,
          });
        } finally {
          model.stepModel.dispose();
        }
        context.note('3/3 validating the synthetic cohort against the real data');
        const report = await validateTimelineDirs(real, [synthetic], {
          thresholds: defaultThresholds(),
          logger: context.logger,
          provenance: {
            createdAt: new Date().toISOString(),
            commandLine: ['trajsim', ...process.argv.slice(2)],
            thresholdsFile: 'built-in default (thresholds/default.json)',
          },
        });
        writeReportFolder(reportDir, fidelityReportJson(report), renderReportHtml(report), {
          overwrite: true,
          logger: context.logger,
        });
        const failed = report.metrics.filter((m) => m.pass === false);
        const gated = report.metrics.filter((m) => m.pass !== null);
        context.out(
          `demo: ${gated.length - failed.length}/${gated.length} fidelity metrics within thresholds${failed.length ? ` (outside: ${failed.map((m) => m.id).join(', ')})` : ''}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
        const rules = report.plausibility?.rules.filter((r) => r.pass !== null) ?? [];
        if (rules.length > 0) {
          const broken = rules.filter((r) => r.pass === false).length;
          context.out(`plausibility: ${rules.length - broken}/${rules.length} hard rules hold`);
        }
        context.out(`report: ${join(reportDir, 'report.html')}`);
      }),
  );
};
