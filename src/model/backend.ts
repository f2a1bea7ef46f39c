import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { TrajsimError } from '../core/errors.js';
import { type Logger, MESSAGES, SILENT_LOGGER, usingNativeTensorflow } from '../core/messages.js';
import { type BackendName, DEFAULT_BACKEND } from './backend-names.js';

/**
 * The compute backends trajsim can run its network on.
 * - `wasm` (default): @tensorflow/tfjs-backend-wasm, a dependency; runs wherever Node runs.
 * - `cpu`: tfjs's plain-JavaScript kernels (slow; always available).
 * - `tensorflow`: native TensorFlow through `@tensorflow/tfjs-node-gpu` or
 *   `@tensorflow/tfjs-node`, used only when the user installed one (never a dependency).
 */
export { BACKENDS, type BackendName, parseBackendName } from './backend-names.js';

/** The packages tried, in order, for the `tensorflow` backend. */
export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Imports a module by name; injectable so tests can simulate installed or absent packages. */
export type ModuleImporter = (name: string) => Promise<unknown>;

const defaultImporter: ModuleImporter = (name) => import(name);

export interface BackendOptions {
  readonly logger?: Logger;
  /** For tests: how native packages are imported. */
  readonly importModule?: ModuleImporter;
}

let wasmPathsSet = false;

/** Directory of the wasm binaries inside the installed @tensorflow/tfjs-backend-wasm. */
function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  // main is .../tfjs-backend-wasm/dist/tf-backend-wasm.node.js
  return `${join(dirname(main))}/`;
}

/**
 * Finds the first installed native TensorFlow package. Returns its name, or throws BACKEND
 * with what to install when none is.
 *
 * @example
 * await loadNativeTensorflow() // => '@tensorflow/tfjs-node' when installed; throws BACKEND otherwise
 */
export async function loadNativeTensorflow(
  importModule: ModuleImporter = defaultImporter,
): Promise<string> {
  const failures: string[] = [];
  for (const name of NATIVE_PACKAGES) {
    try {
      await importModule(name);
      return name;
    } catch (cause) {
      failures.push(`${name}: ${(cause as Error)?.message?.split('\n')[0] ?? String(cause)}`);
    }
  }
  throw new TrajsimError(
    'BACKEND',
    'the tensorflow backend needs @tensorflow/tfjs-node-gpu (NVIDIA GPU, CUDA) or @tensorflow/tfjs-node (CPU), ' +
      'version 4.22.0, installed next to trajsim (npm install @tensorflow/tfjs-node@4.22.0); ' +
      `neither could be loaded (${failures.join('; ')}). Use --backend wasm (the default) otherwise.`,
  );
}

/**
 * Chooses and initialises the tfjs backend: the one function that does. Returns the name of
 * the backend now active. Throws BACKEND when `tensorflow` is asked for and no native
 * package is installed, or when the backend fails to start.
 *
 * @example
 * await selectBackend('wasm') // => 'wasm'
 */
export async function selectBackend(
  name: BackendName = DEFAULT_BACKEND,
  options: BackendOptions = {},
): Promise<BackendName> {
  const logger = options.logger ?? SILENT_LOGGER;
  // tfjs prints notes of its own on the console (the cpu backend's "Hi, looks like you are
  // running TensorFlow.js in Node.js" banner); production mode silences them and changes
  // no numbers (it only turns tfjs's own console warnings off).
  tf.enableProdMode();
  if (name === 'wasm' && !wasmPathsSet) {
    setWasmPaths(wasmDirectory());
    wasmPathsSet = true;
  }
  if (name === 'tensorflow') {
    const pkg = await loadNativeTensorflow(options.importModule);
    logger.info(MESSAGES.INFO, usingNativeTensorflow(pkg));
  }
  if (tf.engine().backendName === name) return name;
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (cause) {
    throw new TrajsimError('BACKEND', `the ${name} backend failed to start`, { cause });
  }
  if (!ok || tf.getBackend() !== name) {
    throw new TrajsimError('BACKEND', `the ${name} backend failed to start`);
  }
  return name;
}

/**
 * The backend now active (undefined before any {@link selectBackend}).
 *
 * @example
 * await selectBackend('cpu');
 * activeBackend() // => 'cpu'
 */
export function activeBackend(): string | undefined {
  try {
    return tf.engine().backendName ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Live tensors on the active backend (a test checks it returns to its baseline).
 *
 * @example
 * const before = liveTensors();
 * tf.tidy(() => tf.ones([2]).sum());
 * liveTensors() - before // => 0
 */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
