/**
 * The catalog of warnings and progress messages. Library code never prints: it calls a
 * {@link Logger}, which the CLI connects to stderr and tests can capture.
 */
export const MESSAGES = {
  RARE_CODE_GROUPED: 'RARE_CODE_GROUPED',
  UNKNOWN_LEVEL: 'UNKNOWN_LEVEL',
  BACKEND_FALLBACK: 'BACKEND_FALLBACK',
  LOW_ACCEPTANCE: 'LOW_ACCEPTANCE',
  PROGRESS: 'PROGRESS',
  INFO: 'INFO',
} as const;

export type MessageCode = (typeof MESSAGES)[keyof typeof MESSAGES];

export interface Logger {
  warn(code: MessageCode, message: string): void;
  info(code: MessageCode, message: string): void;
  /** Progress of long work; `done` of `total` units (total NaN when unknown). */
  progress?(label: string, done: number, total: number, detail?: string): void;
}

/** A logger that drops everything: the default for library calls. */
export const SILENT_LOGGER: Logger = {
  warn() {},
  info() {},
};

/** A logger that records every message; for tests. */
export function createMemoryLogger(): Logger & {
  readonly records: { level: 'warn' | 'info'; code: MessageCode; message: string }[];
} {
  const records: { level: 'warn' | 'info'; code: MessageCode; message: string }[] = [];
  return {
    records,
    warn(code, message) {
      records.push({ level: 'warn', code, message });
    },
    info(code, message) {
      records.push({ level: 'info', code, message });
    },
  };
}

// --- f11-engine ---

/**
 * The one line saying which generation engine runs.
 *
 * @example
 * generationEngineInUse('tfjs (wasm)') // => 'generation engine: tfjs (wasm)'
 */
export function generationEngineInUse(engine: string): string {
  return `generation engine: ${engine}`;
}

/**
 * Why the default engine fell back from onnx to tfjs.
 *
 * @example
 * onnxEngineFallback('not installed') // => 'onnxruntime-node is not available (not installed); using the tfjs engine'
 */
export function onnxEngineFallback(reason: string): string {
  return `onnxruntime-node is not available (${reason}); using the tfjs engine`;
}

/**
 * The error of `--engine onnx` when onnxruntime-node cannot be loaded.
 *
 * @example
 * onnxRuntimeUnavailable("Cannot find package 'onnxruntime-node'") // => 'the onnx engine needs onnxruntime-node ...'
 */
export function onnxRuntimeUnavailable(reason: string): string {
  return `the onnx engine needs onnxruntime-node (a dependency of trajsim; it ships CPU binaries for linux/darwin/win32 x64 and arm64), which could not be loaded: ${reason}. Use --engine tfjs otherwise.`;
}

/**
 * The error of `--device cuda` where ONNX Runtime's CUDA provider is missing or fails, with
 * the recipe.
 *
 * @example
 * cudaProviderUnavailable('no GPU') // => '--device cuda needs ONNX Runtime's CUDA 12 provider (no GPU). ...'
 */
export function cudaProviderUnavailable(reason: string): string {
  return (
    `--device cuda needs ONNX Runtime's CUDA 12 provider (${reason}). On a Linux x64 machine with an NVIDIA GPU, ` +
    'CUDA 12.x and cuDNN 9: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node (downloads the provider ' +
    'from NuGet; see docs/model.md, "Generation on a GPU"). Run without --device cuda to use the CPU.'
  );
}
