import seedrandom from 'seedrandom';

/**
 * The root seed used when none is given, by the library and the CLI alike (so the same call
 * through either gives the same result).
 *
 * @example
 * new Rng(DEFAULT_SEED).seed // => '1'
 */
export const DEFAULT_SEED = '1';

/**
 * A seeded random stream (seedrandom's Alea generator). Every random choice in trajsim comes
 * from an `Rng`; independent sub-streams come from {@link Rng.fork}, so adding a draw in one
 * place never shifts the draws of another.
 *
 * @example
 * const rng = new Rng('42');
 * const patientRng = rng.fork('patient').fork(17);
 * patientRng.uniform(); // same value on every run, every machine
 */
export class Rng {
  readonly seed: string;
  private readonly prng: seedrandom.PRNG;
  private spareNormal = Number.NaN;

  constructor(seed: string | number) {
    this.seed = String(seed);
    this.prng = seedrandom.alea(this.seed);
  }

  /** An independent stream identified by this stream's seed and `label`. */
  fork(label: string | number): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Uniform on [0, 1), 53 bits. */
  uniform(): number {
    return this.prng.double();
  }

  /** Uniform on (0, 1): never 0, safe for logarithms. */
  uniformOpen(): number {
    let u = this.prng.double();
    while (u === 0) u = this.prng.double();
    return u;
  }

  /** Integer uniform on [0, n). */
  int(n: number): number {
    return Math.floor(this.prng.double() * n);
  }

  /** Standard normal (Marsaglia polar method; caches the second variate). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return z;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.prng.double() - 1;
      v = 2 * this.prng.double() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return u * f;
  }

  /** Exponential with the given rate (per unit time). */
  exponential(rate: number): number {
    return -Math.log(this.uniformOpen()) / rate;
  }

  /** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    let u = this.prng.double() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    // Rounding left u >= 0: return the last index with positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return weights.length - 1;
  }

  /** In-place Fisher–Yates shuffle of `array`, returned for chaining. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
    return array;
  }
}
