// Loading onnxruntime-node and the session options of the step graphs (the onnx engine).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { TrajsimError } from '../core/errors.js';
import { onnxRuntimeUnavailable } from '../core/messages.js';
import type { OnnxDevice } from './engine-names.js';

/** The ONNX Runtime module (onnxruntime-node). */
export type OnnxRuntime = typeof Ort;

export interface OnnxEngineOptions {
  /** Intra-op threads of ONNX Runtime (default: the machine's cores). */
  readonly threads?: number;
  readonly device?: OnnxDevice;
  /** For tests: how onnxruntime-node is imported. */
  readonly importModule?: (name: string) => Promise<unknown>;
}

let cached: OnnxRuntime | undefined;

/**
 * Loads onnxruntime-node. Throws BACKEND, saying what to install, when it cannot be loaded
 * (not installed, or no binary for this platform).
 *
 * @example
 * const ort = await loadOnnxRuntime(); ort.env.versions.node // => '1.30.0'
 */
export async function loadOnnxRuntime(
  importModule?: (name: string) => Promise<unknown>,
): Promise<OnnxRuntime> {
  if (cached && importModule === undefined) return cached;
  try {
    const mod = (await (importModule ?? ((name) => import(name)))(
      'onnxruntime-node',
    )) as OnnxRuntime & {
      default?: OnnxRuntime;
    };
    const ort = (mod.InferenceSession ? mod : mod.default) as OnnxRuntime;
    if (!ort?.InferenceSession) throw new Error('no InferenceSession export');
    if (importModule === undefined) cached = ort;
    return ort;
  } catch (cause) {
    throw new TrajsimError(
      'BACKEND',
      onnxRuntimeUnavailable((cause as Error)?.message?.split('\n')[0] ?? String(cause)),
      { cause },
    );
  }
}

/** Whether onnxruntime-node's CUDA provider library is installed next to its CPU binary. */
export function cudaProviderInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve('onnxruntime-node');
    const bin = join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(bin, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/** ONNX Runtime session options for the step graphs: threads, provider, no spinning. */
export function sessionOptions(options: OnnxEngineOptions): Ort.InferenceSession.SessionOptions {
  const threads = options.threads ?? Math.max(1, cpus().length);
  return {
    executionProviders: options.device === 'cuda' ? [{ name: 'cuda', deviceId: 0 }] : ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Worker threads sleep between runs instead of spinning: the sampler's TypeScript runs
    // between the step and gap calls and needs the cores (on a shared 2-core machine,
    // spinning tripled the wall time of a 2-thread step).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}
