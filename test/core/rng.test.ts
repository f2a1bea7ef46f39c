import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';

// Rng runs Baagøe's Alea inlined; seedrandom's alea (the implementation it replaced, still a
// dependency) is the reference: every draw, for seeds like the sampler's, must be the same
// double, or every generated cohort would change.
describe('Rng: the inlined Alea draws exactly what seedrandom.alea draws', () => {
  const seeds = ['1', '42', '', 'patient', '1/patient/0', '1/patient/123456/attributes', 'é∑/😀'];

  it('uniform, int, uniformOpen and normal for seeds and forks, 2,000 draws each', () => {
    for (const seed of [...seeds, ...seeds.map((s) => `${s}/index-date`)]) {
      const ours = new Rng(seed);
      const ref = seedrandom.alea(seed);
      for (let i = 0; i < 500; i++) expect(ours.uniform()).toBe(ref.double());
      for (let i = 0; i < 500; i++) expect(ours.int(1000)).toBe(Math.floor(ref.double() * 1000));
      for (let i = 0; i < 500; i++) {
        let u = ref.double();
        while (u === 0) u = ref.double();
        expect(ours.uniformOpen()).toBe(u);
      }
      for (let i = 0; i < 500; i++) expect(ours.uniform()).toBe(ref.double());
    }
  });

  it('a fork is the stream of the joined seed', () => {
    const fork = new Rng('7').fork('patient').fork(3);
    const ref = seedrandom.alea('7/patient/3');
    expect(fork.seed).toBe('7/patient/3');
    for (let i = 0; i < 100; i++) expect(fork.uniform()).toBe(ref.double());
  });

  it('interleaved streams do not share state (the mash state is per seeding only)', () => {
    const a = new Rng('a');
    const b = new Rng('b');
    const refA = seedrandom.alea('a');
    const refB = seedrandom.alea('b');
    for (let i = 0; i < 100; i++) {
      expect(a.uniform()).toBe(refA.double());
      new Rng(`x${i}`); // a seeding between draws
      expect(b.uniform()).toBe(refB.double());
    }
  });
});
