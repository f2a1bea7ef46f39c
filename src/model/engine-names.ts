/**
 * The names of the generation engines and ONNX devices, in one place that loads neither tfjs
 * nor ONNX Runtime (the CLI parses `--engine` and `--device` before any model runs).
 */
import { parseOneOf } from '../core/closed-set.js';
import { TrajsimError } from '../core/errors.js';

/**
 * The generation engines of a GRU model: `onnx` (ONNX Runtime through onnxruntime-node, CPU
 * or CUDA 12; the default when it loads) and `tfjs` (the network of training, on a tfjs
 * backend: wasm by default). Both run the same two-stage step and the same sampling code.
 */
export const ENGINES = { ONNX: 'onnx', TFJS: 'tfjs' } as const;
export type EngineName = (typeof ENGINES)[keyof typeof ENGINES];

/** Where the ONNX engine runs: ONNX Runtime's CPU provider, or its CUDA 12 provider. */
export const ONNX_DEVICES = { CPU: 'cpu', CUDA: 'cuda' } as const;
export type OnnxDevice = (typeof ONNX_DEVICES)[keyof typeof ONNX_DEVICES];

/**
 * Parses an `--engine` value.
 *
 * @throws TrajsimError INVALID_ARGUMENT naming the allowed values
 * @example
 * parseEngineName('onnx') // => 'onnx'
 */
export function parseEngineName(text: string): EngineName {
  return parseOneOf(text, ENGINES, 'engine', '--engine');
}

/**
 * Parses a `--device` value (cpu or cuda).
 *
 * @throws TrajsimError INVALID_ARGUMENT otherwise
 * @example
 * parseOnnxDevice('cuda') // => 'cuda'
 */
export function parseOnnxDevice(text: string): OnnxDevice {
  if (text !== 'cpu' && text !== 'cuda') {
    throw new TrajsimError('INVALID_ARGUMENT', `unknown device '${text}'; expected cpu or cuda`, {
      field: '--device',
    });
  }
  return text;
}
