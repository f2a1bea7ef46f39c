/**
 * The CLI's option parsers, in one place. Each turns a flag's text into a value or throws
 * commander's `InvalidArgumentError`, which the CLI reports as a usage error (exit 2) naming
 * the flag. Integers accept `_` as a digit separator (`--patients 1_000_000`).
 */
import { InvalidArgumentError } from 'commander';
import { parseShard, type Shard } from '../core/shard.js';

/**
 * The largest `--hidden` the CLI accepts: a GRU layer holds about 3·hidden² float32 weights
 * plus Adam's two moments (4096 → ~0.6 GB per layer); 100000 would need ~360 GB.
 */
export const MAX_HIDDEN = 4096;

function integerOf(value: string): number {
  const text = value.trim().replaceAll('_', '');
  return text === '' ? Number.NaN : Number(text);
}

/**
 * A parser for a safe integer in `[min, max]`.
 *
 * @param min - smallest accepted value
 * @param max - largest accepted value (default: Number.MAX_SAFE_INTEGER)
 * @throws InvalidArgumentError when the text is not such an integer
 * @example
 * integerIn(1, 32)('4') // => 4
 */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = integerOf(value);
    if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected an integer >= ${min}`
          : `expected an integer ${min}..${max}`,
      );
    }
    return n;
  };
}

/**
 * A positive integer (>= 1).
 *
 * @throws InvalidArgumentError otherwise
 * @example
 * positiveInt('1_000') // => 1000
 */
export const positiveInt: (value: string) => number = integerIn(1);

/**
 * An integer >= 0.
 *
 * @throws InvalidArgumentError otherwise
 * @example
 * nonNegativeInt('0') // => 0
 */
export const nonNegativeInt: (value: string) => number = integerIn(0);

/**
 * 0 or an integer >= 2 (the gap-bin count: 0 selects the log-logistic mixture).
 *
 * @throws InvalidArgumentError otherwise
 * @example
 * zeroOrAtLeastTwo('128') // => 128
 */
export function zeroOrAtLeastTwo(value: string): number {
  const n = integerOf(value);
  if (!(Number.isSafeInteger(n) && (n === 0 || n >= 2))) {
    throw new InvalidArgumentError('expected 0 or an integer >= 2');
  }
  return n;
}

function finiteOf(value: string): number {
  return value.trim() === '' ? Number.NaN : Number(value);
}

/**
 * A finite number > 0.
 *
 * @throws InvalidArgumentError otherwise
 * @example
 * positiveNumber('1.5') // => 1.5
 */
export function positiveNumber(value: string): number {
  const n = finiteOf(value);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/**
 * A finite number >= 0 (e.g. days).
 *
 * @throws InvalidArgumentError otherwise
 * @example
 * nonNegativeNumber('365.25') // => 365.25
 */
export function nonNegativeNumber(value: string): number {
  const n = finiteOf(value);
  if (!(Number.isFinite(n) && n >= 0)) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

/**
 * A fraction in [0, 1).
 *
 * @throws InvalidArgumentError otherwise
 * @example
 * fraction('0.2') // => 0.2
 */
export function fraction(value: string): number {
  const n = finiteOf(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError('expected a number in [0, 1)');
  return n;
}

/**
 * A non-empty text (e.g. a seed).
 *
 * @throws InvalidArgumentError when empty
 * @example
 * nonEmpty('42') // => '42'
 */
export function nonEmpty(value: string): string {
  if (value.length === 0) throw new InvalidArgumentError('expected a non-empty value');
  return value;
}

/**
 * A comma-separated list (empty items dropped).
 *
 * @example
 * commaList('a, b,,c') // => ['a', 'b', 'c']
 */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * A shard `k/N` (1-based k).
 *
 * @throws InvalidArgumentError when the text is not `k/N` with 1 <= k <= N
 * @example
 * shard('2/4') // => { index: 2, count: 4 }
 */
export function shard(value: string): Shard {
  try {
    return parseShard(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

// --- f18-robustness: resource limits of CLI flags (docs/limits.md) ---

/**
 * Most patients one run may ask for (the scenario schema's limit, enforced on --patients too).
 *
 * @example
 * integerIn(1, MAX_PATIENTS)('1000000000000') // throws: expected an integer 1..1000000000
 */
export const MAX_PATIENTS = 1_000_000_000;

/**
 * Largest --batch-size: a batch holds batch × (hidden + vocabulary) floats per step in several
 * tensors; 65,536 stays well under a few GB for the largest models trajsim trains.
 *
 * @example
 * integerIn(1, MAX_BATCH_SIZE)('3000000') // throws: expected an integer 1..65536
 */
export const MAX_BATCH_SIZE = 65_536;
