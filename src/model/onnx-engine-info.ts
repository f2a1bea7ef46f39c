import { cudaProviderInstalled, loadOnnxRuntime } from './onnx-runtime.js';

/** What `trajsim backends` says of the onnx generation engine. */
export interface OnnxEngineInfo {
  readonly engine: 'onnx';
  /** Whether onnxruntime-node loads here. */
  readonly available: boolean;
  /** onnxruntime-node's version (when it loads). */
  readonly version?: string;
  /** Execution providers trajsim can use and whether each is usable here (cpu; cuda when its library is installed). */
  readonly providers: { readonly cpu: boolean; readonly cuda: boolean };
  /** Why it is unavailable, or what is missing for cuda. */
  readonly detail: string;
}

/**
 * Checks the onnx generation engine: loads onnxruntime-node, reads its version, and sees which
 * execution providers are usable (cpu is bundled; cuda needs libonnxruntime_providers_cuda.so,
 * installed by the opt-in recipe of docs/model.md). Never throws: an unavailable engine is a row.
 *
 * @param importModule - for tests: how onnxruntime-node is imported
 * @example
 * await onnxEngineInfo()
 * // => { engine: 'onnx', available: true, version: '1.30.0', providers: { cpu: true, cuda: false }, detail: 'cuda: provider library not installed (docs/model.md)' }
 */
export async function onnxEngineInfo(
  importModule?: (name: string) => Promise<unknown>,
): Promise<OnnxEngineInfo> {
  try {
    const ort = await loadOnnxRuntime(importModule);
    const listed = (
      ort as unknown as { listSupportedBackends?: () => { name: string }[] }
    ).listSupportedBackends?.();
    const cpu = listed ? listed.some((b) => b.name === 'cpu') : true;
    const cuda = cudaProviderInstalled();
    return {
      engine: 'onnx',
      available: true,
      version: ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown',
      providers: { cpu, cuda },
      detail: cuda
        ? 'default engine'
        : 'default engine; cuda: provider library not installed (docs/model.md)',
    };
  } catch (error) {
    return {
      engine: 'onnx',
      available: false,
      providers: { cpu: false, cuda: false },
      detail: (error as Error).message,
    };
  }
}
