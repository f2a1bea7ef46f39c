import { readFileSync } from 'node:fs';
import { parseThresholds, type Thresholds } from './thresholds.js';

/** Location of the thresholds file shipped with trajsim (`thresholds/default.json`). */
export const DEFAULT_THRESHOLDS_URL = new URL('../../thresholds/default.json', import.meta.url);

/**
 * The default thresholds shipped with trajsim, read and validated.
 *
 * @throws TrajsimError INVALID_INPUT if the shipped file is broken.
 *
 * @example
 * defaultThresholds().defaults.maxRatio // => 3
 */
export function defaultThresholds(): Thresholds {
  return parseThresholds(
    readFileSync(DEFAULT_THRESHOLDS_URL, 'utf8'),
    DEFAULT_THRESHOLDS_URL.pathname,
  );
}
