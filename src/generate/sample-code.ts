import type { Rng } from '../core/rng.js';

/**
 * Draws the next code of the patient in row `row` from the code probabilities of a step
 * ([rows × codeCount], row-major): the one point where the model's probabilities become a
 * sampled code, so a rule mask or any other adjustment of the probabilities hooks in here.
 * Uses one uniform from the patient's stream; the same arithmetic as `Rng.categorical` on
 * the row (without allocating a view per row).
 *
 * @param probs - probabilities of every current row (non-negative; a row not all 0)
 * @param row - the row of the patient
 * @param codeCount - codes per row (the model's vocabulary size V)
 * @param rng - the patient's own stream
 * @returns the code index, 0..codeCount − 1
 * @example
 * sampleCode(Float32Array.of(0.2, 0.8, 0, 0, 1, 0), 1, 3, new Rng(1)) // => 1 (row 1 is [0, 1, 0])
 */
export function sampleCode(probs: Float32Array, row: number, codeCount: number, rng: Rng): number {
  const at = row * codeCount;
  let total = 0;
  for (let c = 0; c < codeCount; c++) total += probs[at + c]!;
  let u = rng.uniform() * total;
  for (let c = 0; c < codeCount; c++) {
    u -= probs[at + c]!;
    if (u < 0) return c;
  }
  // Rounding left u >= 0: the last code with positive probability.
  for (let c = codeCount - 1; c >= 0; c--) if (probs[at + c]! > 0) return c;
  return codeCount - 1;
}
