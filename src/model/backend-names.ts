/**
 * The names of the tfjs backends and of the "no backend" a Markov model records, in one
 * place that does not load tfjs (the CLI parses `--backend` before any model runs).
 */
import { parseOneOf } from '../core/closed-set.js';

/** The tfjs backends trajsim can select (see `selectBackend`). */
export const BACKENDS = { WASM: 'wasm', CPU: 'cpu', TENSORFLOW: 'tensorflow' } as const;
export type BackendName = (typeof BACKENDS)[keyof typeof BACKENDS];

/** The backend used when none is asked for. */
export const DEFAULT_BACKEND: BackendName = BACKENDS.WASM;

/** What generation.json records as the backend of a Markov model (it runs no tfjs). */
export const MARKOV_BACKEND_LABEL = 'none (markov)';

/**
 * The backend label a generation records: the tfjs backend for a GRU, {@link MARKOV_BACKEND_LABEL}
 * for a Markov model.
 *
 * @param kind - the model's kind
 * @param backend - the tfjs backend selected for a GRU
 * @example
 * generationBackendLabel('markov', 'wasm') // => 'none (markov)'
 */
export function generationBackendLabel(kind: 'gru' | 'markov', backend: BackendName): string {
  return kind === 'gru' ? backend : MARKOV_BACKEND_LABEL;
}

/**
 * Parses a `--backend` value.
 *
 * @param text - the flag's text
 * @throws TrajsimError INVALID_ARGUMENT naming the allowed values
 * @example
 * parseBackendName('cpu') // => 'cpu'
 */
export function parseBackendName(text: string): BackendName {
  return parseOneOf(text, BACKENDS, 'backend', '--backend');
}
