import type { Rng } from '../core/rng.js';

/**
 * Draws the next code of one patient from its row of code probabilities: the one point where
 * the model's probabilities become a sampled code (one uniform from the patient's stream), so
 * a rule mask or any other adjustment of the probabilities hooks in here.
 *
 * @param rowProbs - the row's probabilities over the model's codes (non-negative, not all 0)
 * @param rng - the patient's own stream
 * @returns the code index
 * @example
 * sampleCode(Float32Array.of(0, 1, 0), new Rng(1)) // => 1
 */
export function sampleCode(rowProbs: Float32Array, rng: Rng): number {
  return rng.categorical(rowProbs);
}
