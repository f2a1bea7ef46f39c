import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkOutputDir } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import {
  demoNoDefaultModel,
  demoOutputForeign,
  demoStep,
  type Logger,
  MESSAGES,
  SILENT_LOGGER,
} from '../core/messages.js';
import { loadGenerationModel } from '../generate/load-generation-model.js';
import { createEngineStepModel, type EngineName } from '../model/engine.js';
import { loadModel } from '../model/read-model.js';
import { loadScenario } from '../scenario/load-scenario.js';
import { runGeneration } from '../scenario/run-generation.js';
import { importTimeline } from '../timeline/import.js';
import { defaultThresholds } from '../validate/default-thresholds.js';
import { type FidelityReport, fidelityReportJson } from '../validate/fidelity-report.js';
import { validateTimelineDirs } from '../validate/validate-dirs.js';
import { renderReportHtml } from './render-report.js';
import { writeReportFolder } from './write-report.js';

/** What a demo folder holds; runDemo replaces these and refuses a folder with anything else. */
export const DEMO_ENTRIES: ReadonlySet<string> = new Set(['real-colon', 'synthetic', 'report']);

/** The package root (two levels above dist/report or src/report). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunDemoOptions {
  /** The demo folder (created; an earlier demo's output in it is replaced). */
  readonly out: string;
  /** Where models/default, scenarios/demo.json and data/colon are (default: the package root). */
  readonly root?: string;
  /** Generation engine (default: onnx when onnxruntime-node loads, else tfjs; as `trajsim generate`). */
  readonly engine?: EngineName;
  /** The command line recorded in the report's provenance. */
  readonly commandLine?: readonly string[];
  /** Step notes, the engine in use, warnings. */
  readonly logger?: Logger;
}

export interface RunDemoResult {
  /** The fidelity report of the demo cohort against the real data. */
  readonly report: FidelityReport;
  /** The folder holding report.json and report.html. */
  readonly reportDir: string;
  /** The engine that generated, e.g. 'onnx (onnxruntime-node 1.20.1, cpu)' or 'tfjs (wasm)'. */
  readonly engine: string;
  /** Wall-clock seconds of the whole run. */
  readonly seconds: number;
}

/** Refuses a demo out that is an input or holds anything but an earlier demo's output. */
function checkDemoOutput(out: string, inputs: readonly string[]): void {
  checkOutputDir(out, { overwrite: true, inputs });
  if (!existsSync(out)) return;
  const foreign = readdirSync(out).filter((e) => !DEMO_ENTRIES.has(e) && !e.startsWith('.'));
  if (foreign.length > 0) {
    throw new TrajsimError('IO', demoOutputForeign(foreign.slice(0, 3)), { file: out });
  }
}

/**
 * The main job on the embedded defaults (`trajsim demo`): imports the bundled colon data,
 * generates the cohort of scenarios/demo.json with models/default on the same default engine
 * as `trajsim generate`, validates it against the real data with the default thresholds and
 * writes report.json + report.html into OUT/report. Writes OUT/real-colon, OUT/synthetic and
 * OUT/report, replacing an earlier demo's.
 *
 * @param options - out folder, package root, engine, logger
 * @returns the report, its folder, the engine used and the seconds taken
 * @throws TrajsimError IO when the default model is missing or OUT holds other files or is an
 *   input; BACKEND when the asked engine cannot load
 * @example
 * const { report, reportDir } = await runDemo({ out: 'demo-output' });
 * report.passed // => true on the bundled data
 */
export async function runDemo(options: RunDemoOptions): Promise<RunDemoResult> {
  const logger = options.logger ?? SILENT_LOGGER;
  const started = performance.now();
  const root = options.root ?? PACKAGE_ROOT;
  const out = resolve(options.out);
  const modelDir = join(root, 'models', 'default');
  const scenarioFile = join(root, 'scenarios', 'demo.json');
  if (!existsSync(join(modelDir, 'manifest.json'))) {
    throw new TrajsimError('IO', demoNoDefaultModel(modelDir));
  }
  checkDemoOutput(out, [modelDir, scenarioFile, join(root, 'data')]);
  mkdirSync(out, { recursive: true });
  const real = join(out, 'real-colon');
  const synthetic = join(out, 'synthetic');
  const reportDir = join(out, 'report');
  logger.info(
    MESSAGES.INFO,
    demoStep(1, 'importing the bundled real data (data/colon, R survival)'),
  );
  await importTimeline({
    patients: join(root, 'data', 'colon', 'patients.csv'),
    events: join(root, 'data', 'colon', 'events.csv'),
    categorical: ['obstruct', 'perfor', 'adhere', 'node4'],
    name: 'colon',
    out: real,
    overwrite: true,
    logger,
  });
  const loaded = loadModel(modelDir);
  const scenario = loadScenario(scenarioFile);
  const { stepModel, engine } = await createEngineStepModel(loaded, {
    ...(options.engine ? { engine: options.engine } : {}),
    logger,
  });
  const model = loadGenerationModel(loaded, stepModel);
  logger.info(
    MESSAGES.INFO,
    demoStep(
      2,
      `generating ${scenario.patients} patients from scenarios/demo.json with models/default (${loaded.manifest.kind}, ${engine})`,
    ),
  );
  try {
    await runGeneration({
      model,
      modelDir,
      scenario,
      scenarioFile,
      out: synthetic,
      overwrite: true,
      backend: engine,
      logger,
    });
  } finally {
    model.stepModel.dispose();
  }
  logger.info(MESSAGES.INFO, demoStep(3, 'validating the synthetic cohort against the real data'));
  const report = await validateTimelineDirs(real, [synthetic], {
    thresholds: defaultThresholds(),
    logger,
    provenance: {
      createdAt: new Date().toISOString(),
      commandLine: [...(options.commandLine ?? ['trajsim', 'demo', '--out', options.out])],
      thresholdsFile: 'built-in default (thresholds/default.json)',
    },
  });
  writeReportFolder(reportDir, fidelityReportJson(report), renderReportHtml(report), {
    overwrite: true,
    logger,
  });
  return { report, reportDir, engine, seconds: (performance.now() - started) / 1000 };
}
