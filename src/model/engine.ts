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
import { type BackendName, selectBackend } from './backend.js';
import { GruStepModel } from './gru-step-model.js';
import type { LoadedModel } from './load-model.js';
import { MarkovStepModel } from './markov.js';
import { ONNX_FILES, type OnnxModelFiles } from './onnx-export.js';
import { loadOnnxRuntime, type OnnxDevice, OnnxStepModel } from './onnx-step-model.js';

/**
 * The generation engines of a GRU model: `onnx` (ONNX Runtime through onnxruntime-node, CPU
 * or CUDA 12; the default when it loads) and `tfjs` (the network of training, on a tfjs
 * backend: wasm by default). Both run the same two-stage step and the same sampling code.
 */
export const ENGINES = { ONNX: 'onnx', TFJS: 'tfjs' } as const;
export type EngineName = (typeof ENGINES)[keyof typeof ENGINES];

/** Parses an `--engine` value. Throws INVALID_ARGUMENT naming the allowed values. */
export function parseEngineName(text: string): EngineName {
  const names = Object.values(ENGINES) as string[];
  if (!names.includes(text)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `unknown engine '${text}'; expected one of ${names.join(', ')}`,
      { field: '--engine' },
    );
  }
  return text as EngineName;
}

/** Parses a `--device` value (cpu or cuda). Throws INVALID_ARGUMENT otherwise. */
export function parseOnnxDevice(text: string): OnnxDevice {
  if (text !== 'cpu' && text !== 'cuda') {
    throw new TrajsimError('INVALID_ARGUMENT', `unknown device '${text}'; expected cpu or cuda`, {
      field: '--device',
    });
  }
  return text;
}

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
  /** e.g. 'onnx (onnxruntime-node 1.30.0, cpu, 2 threads)', 'tfjs (wasm)', 'markov'. */
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
 * line saying which. The onnx engine reads the folder's onnx/ files, or exports the graphs
 * from weights.bin in memory for folders without them. Throws BACKEND when the asked engine,
 * backend or device is unavailable, INVALID_ARGUMENT for `--device cuda` with tfjs.
 *
 * @example
 * const { stepModel, engine } = await createEngineStepModel(loadModel('models/default'));
 * engine // => 'onnx (onnxruntime-node 1.30.0, cpu, 2 threads)'
 */
export async function createEngineStepModel(
  model: LoadedModel,
  options: EngineOptions = {},
): Promise<EngineStepModel> {
  const logger = options.logger ?? SILENT_LOGGER;
  const m = model.manifest;
  if (m.kind !== 'gru') {
    return { stepModel: new MarkovStepModel(m, model.markov!), engine: 'markov' };
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
      logger.info(
        MESSAGES.BACKEND_FALLBACK,
        onnxEngineFallback((error as Error).message.split(':')[0] ?? ''),
      );
      engine = 'tfjs';
    }
  }
  let result: EngineStepModel;
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
      engine: `onnx (onnxruntime-node ${ort.env.versions?.node ?? '?'}, ${device}, ${threads} thread${threads === 1 ? '' : 's'})`,
    };
  } else {
    const backend = await selectBackend(options.backend ?? 'wasm', { logger });
    result = { stepModel: new GruStepModel(m, model.weights!), engine: `tfjs (${backend})` };
  }
  logger.info(MESSAGES.INFO, generationEngineInUse(result.engine));
  return result;
}
