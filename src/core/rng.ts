/**
 * The root seed used when none is given, by the library and the CLI alike (so the same call
 * through either gives the same result).
 *
 * @example
 * new Rng(DEFAULT_SEED).seed // => '1'
 */
export const DEFAULT_SEED = '1';

/** The state of Baagøe's Mash hash between calls (one seeding at a time: no closure). */
let mashN = 0;

/** Mash: hashes `data` into the running state {@link mashN}; returns a fraction in [0, 1). */
function mash(data: string): number {
  let n = mashN;
  for (let i = 0; i < data.length; i++) {
    n += data.charCodeAt(i);
    let h = 0.02519603282416938 * n;
    n = h >>> 0;
    h -= n;
    h *= n;
    n = h >>> 0;
    h -= n;
    n += h * 0x100000000; // 2^32
  }
  mashN = n;
  return (n >>> 0) * 2.3283064365386963e-10; // 2^-32
}

mashN = 0xefc8249d;
const SPACES_S0 = mash(' ');
const SPACES_S1 = mash(' ');
const SPACES_S2 = mash(' ');
/** Mash's state after the three spaces every Alea seeding starts with. */
const MASH_AFTER_SPACES = mashN;

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
  // Alea's state (Baagøe's algorithm, as seedrandom.alea runs it, inlined: no closures, one
  // call per draw; test/core/rng.test.ts checks every draw equals seedrandom's)
  private s0: number;
  private s1: number;
  private s2: number;
  private c = 1;
  private spareNormal = Number.NaN;

  constructor(seed: string | number) {
    this.seed = String(seed);
    // Alea's seeding: s_k = mash(' ') − mash(seed) mod 1, one mash state throughout; the
    // three mash(' ') from the fixed start are constants
    mashN = MASH_AFTER_SPACES;
    let s0 = SPACES_S0 - mash(this.seed);
    if (s0 < 0) s0 += 1;
    let s1 = SPACES_S1 - mash(this.seed);
    if (s1 < 0) s1 += 1;
    let s2 = SPACES_S2 - mash(this.seed);
    if (s2 < 0) s2 += 1;
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
  }

  /** Alea's next 32-bit fraction in [0, 1). */
  private next(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10; // 2^-32
    this.s0 = this.s1;
    this.s1 = this.s2;
    this.c = t | 0;
    this.s2 = t - this.c;
    return this.s2;
  }

  /** An independent stream identified by this stream's seed and `label`. */
  fork(label: string | number): Rng {
    return new Rng(`${this.seed}/${label}`);
  }

  /** Uniform on [0, 1), 53 bits. */
  uniform(): number {
    const hi = this.next();
    return hi + ((this.next() * 0x200000) | 0) * 1.1102230246251565e-16; // 2^-53
  }

  /** Uniform on (0, 1): never 0, safe for logarithms. */
  uniformOpen(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return u;
  }

  /** Integer uniform on [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
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
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
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
    let u = this.uniform() * total;
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
