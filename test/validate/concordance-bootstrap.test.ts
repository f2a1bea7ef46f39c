import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { bootstrapConcordance } from '../../src/validate/concordance-bootstrap.js';

describe('bootstrapConcordance (paired)', () => {
  // 400 patients: exponential times with hazard exp(x), x standard normal; 30% censored early.
  const rng = new Rng('bootstrap-test');
  const n = 400;
  const x = Float64Array.from({ length: n }, () => rng.normal());
  const time = Float64Array.from(x, (v) => Math.ceil(100 * rng.exponential(Math.exp(v))));
  const status = Uint8Array.from({ length: n }, () => (rng.uniform() < 0.7 ? 1 : 0));
  const noise = Float64Array.from({ length: n }, () => rng.normal());

  it('gives the same intervals for the same seed, and a zero-width difference for the reference itself', () => {
    const run = () =>
      bootstrapConcordance(time, status, [x, noise], {
        replicates: 60,
        reference: 0,
        rng: new Rng(7).fork('b'),
        weighting: 'uno',
      });
    const a = run();
    expect(run()).toEqual(a);
    expect(a.replicates).toBe(60);
    expect(a.differences[0]).toEqual({ lower: 0, upper: 0, se: 0 });
  });

  it('separates an informative score from noise: the noise C interval covers 0.5, the difference excludes 0', () => {
    const b = bootstrapConcordance(time, status, [x, noise], {
      replicates: 200,
      reference: 0,
      rng: new Rng(1),
    });
    const informative = b.intervals[0]!;
    const random = b.intervals[1]!;
    expect(informative.lower).toBeGreaterThan(0.6);
    expect(random.lower).toBeLessThan(0.5);
    expect(random.upper).toBeGreaterThan(0.5);
    // n = 400: the standard error of a C-index is about 0.02–0.03.
    expect(random.se).toBeGreaterThan(0.01);
    expect(random.se).toBeLessThan(0.05);
    expect(b.differences[1]!.upper).toBeLessThan(0);
  });

  it('rejects fewer than 2 replicates', () => {
    expect(() =>
      bootstrapConcordance(time, status, [x], { replicates: 1, reference: 0, rng: new Rng(1) }),
    ).toThrow(/replicates is 1/);
  });
});
