import type { RegisterCommand } from '../context.js';
import { registerBackends } from './backends.js';
import { registerDemo } from './demo.js';
import { registerExport } from './export.js';
import { registerExportOnnx } from './export-onnx.js';
import { registerGenerate } from './generate.js';
import { registerImport } from './import.js';
import { registerInfer } from './infer.js';
import { registerInspect } from './inspect.js';
import { registerMerge } from './merge.js';
import { registerPrivacy } from './privacy.js';
import { registerReference } from './reference.js';
import { registerRules } from './rules.js';
import { registerStats } from './stats.js';
import { registerSummarize } from './summarize.js';
import { registerTrain } from './train.js';
import { registerTwins } from './twins.js';
import { registerValidate } from './validate.js';

export type { RegisterCommand } from '../context.js';

/**
 * Every subcommand, in the order `trajsim --help` lists them (the pipeline's order).
 * Add one import and one entry per command file.
 */
export const COMMANDS: readonly RegisterCommand[] = [
  registerImport,
  registerExport,
  registerInspect,
  registerReference,
  registerTrain,
  registerRules,
  registerExportOnnx,
  registerGenerate,
  registerBackends,
  registerMerge,
  registerPrivacy,
  registerSummarize,
  registerValidate,
  registerStats,
  registerInfer,
  registerTwins,
  registerDemo,
];
