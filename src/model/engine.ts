import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { TrajsimError } from '../core/errors.js';
import {
  generationEngineInUse,
  type Logger,
  MESSAGES,
  onnxEngineFallback,
  SILENT_LOGGER,
} from '../core/messages.js';
import { type BackendName, MARKOV_BACKEND_LABEL } from './backend-names.js';
import type { EngineName, OnnxDevice } from './engine-names.js';
import type { GruStepModel } from './gru-step-model.js';
import { MarkovStepModel } from './markov.js';
import { ONNX_FILES, type OnnxModelFiles } from './onnx-export.js';
import { loadOnnxRuntime } from './onnx-runtime.js';
import { OnnxStepModel } from './onnx-step-model.js';
import type { LoadedModel } from './read-model.js';

export { ENGINES, type EngineName, parseEngineName, parseOnnxDevice } from './engine-names.js';

export interface EngineOptions {
  /** Default: onnx when onnxruntime-node loads, else tfjs. */
  readonly engine?: EngineName;
  /** tfjs backend of the tfjs engine (default wasm). */
  readonly backend?: BackendName;
  /** ONNX Runtime intra-op threads (default: the machine's cores). */
  readonly threads?: number;
  /** ONNX device (default cpu); cuda needs the onnx engine. */
  readonly device?: OnnxDevice;
  readonly logger?: Logger;
  /** For tests: how onnxruntime-node is imported. */
  readonly importModule?: (name: string) => Promise<unknown>;
}

/** A step model with a one-line description of the engine that runs it. */
export interface EngineStepModel {
  readonly stepModel: GruStepModel | OnnxStepModel | MarkovStepModel;
  /** What generation.json records, e.g. 'onnx (onnxruntime-node 1.30.0, cpu)', 'tfjs (wasm)', 'none (markov)'. */
  readonly engine: string;
}

/** The model folder's exported ONNX files, when all three are there. */
function onnxFilesOf(dir: string): OnnxModelFiles | undefined {
  const path = (name: string) => join(dir, ONNX_FILES.DIR, name);
  const names = [ONNX_FILES.START, ONNX_FILES.STEP, ONNX_FILES.GAP];
  if (!names.every((n) => existsSync(path(n)))) return undefined;
  const read = (name: string) => new Uint8Array(readFileSync(path(name)));
  return { start: read(ONNX_FILES.START), step: read(ONNX_FILES.STEP), gap: read(ONNX_FILES.GAP) };
}

/**
 * Chooses the engine and builds the step model of a loaded model: the one function that
 * does. Without `engine`, uses onnx when onnxruntime-node loads and tfjs otherwise; logs one
 * line saying which. Loads tfjs only for the tfjs engine (this module imports none of it). The onnx engine reads the folder's onnx/ files, or exports the graphs
 * from weights.bin in memory for folders without them. Throws BACKEND when the asked engine,
 * backend or device is unavailable, INVALID_ARGUMENT for `--device cuda` with tfjs.
 *
 * @example
 * const { stepModel, engine } = await createEngineStepModel(loadModel('models/default'));
 * engine // => 'onnx (onnxruntime-node 1.30.0, cpu)'
 */
export async function createEngineStepModel(
  model: LoadedModel,
  options: EngineOptions = {},
): Promise<EngineStepModel> {
  const logger = options.logger ?? SILENT_LOGGER;
  const m = model.manifest;
  if (m.kind !== 'gru') {
    return { stepModel: new MarkovStepModel(m, model.markov!), engine: MARKOV_BACKEND_LABEL };
  }
  if (options.device === 'cuda' && options.engine === 'tfjs') {
    throw new TrajsimError('INVALID_ARGUMENT', '--device cuda needs --engine onnx', {
      field: '--device',
    });
  }
  let engine = options.engine;
  if (engine === undefined) {
    try {
      await loadOnnxRuntime(options.importModule);
      engine = 'onnx';
    } catch (error) {
      if (options.device === 'cuda') throw error;
      logger.info(MESSAGES.INFO, onnxEngineFallback((error as Error).message.split(':')[0] ?? ''));
      engine = 'tfjs';
    }
  }
  let result: EngineStepModel;
  let detail = '';
  if (engine === 'onnx') {
    const threads = options.threads ?? Math.max(1, cpus().length);
    const device = options.device ?? 'cpu';
    const files = onnxFilesOf(model.dir);
    const stepModel = await OnnxStepModel.create(
      m,
      model.weights!,
      {
        threads,
        device,
        ...(options.importModule ? { importModule: options.importModule } : {}),
      },
      files,
    );
    const ort = await loadOnnxRuntime(options.importModule);
    result = {
      stepModel,
      engine: `onnx (onnxruntime-node ${ort.env.versions?.node ?? '?'}, ${device})`,
    };
    detail = `, ${threads} thread${threads === 1 ? '' : 's'}`;
  } else {
    // tfjs only on this branch: the onnx engine (and every generation worker on it) never loads it
    const [{ selectBackend }, { GruStepModel }] = await Promise.all([
      import('./backend.js'),
      import('./gru-step-model.js'),
    ]);
    const backend = await selectBackend(options.backend ?? 'wasm', { logger });
    result = { stepModel: new GruStepModel(m, model.weights!), engine: `tfjs (${backend})` };
  }
  logger.info(MESSAGES.INFO, generationEngineInUse(`${result.engine}${detail}`));
  return result;
}
