import { describe, expect, it } from 'vitest';
import { choleskyFactor, choleskyInverse, choleskySolve } from '../../src/stats/cholesky.js';

function expectClose(actual: Float64Array, expected: number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tolerance);
  }
}

describe('choleskyFactor', () => {
  it('factors the textbook 3x3 matrix into its hand-computed integer L', () => {
    // A = [[4,12,-16],[12,37,-43],[-16,-43,98]] = L Lᵀ with L = [[2,0,0],[6,1,0],[-8,5,3]].
    const l = choleskyFactor(new Float64Array([4, 12, -16, 12, 37, -43, -16, -43, 98]), 3);
    expect(Array.from(l)).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
  });

  it('refuses a singular matrix, naming the failing column, or throws the caller error', () => {
    const a = new Float64Array([1, 1, 1, 1]);
    expect(() => choleskyFactor(a, 2)).toThrow(/singular.*column 1/);
    expect(() => choleskyFactor(a, 2, { singular: (c) => new Error(`bad ${c}`) })).toThrow('bad 1');
  });

  it('treats a pivot below the relative tolerance as singular', () => {
    const a = new Float64Array([1, 1, 1, 1 + 1e-14]);
    expect(() => choleskyFactor(a, 2)).not.toThrow();
    expect(() => choleskyFactor(a, 2, { relativeTolerance: 1e-12 })).toThrow(/singular/);
  });

  it('refuses a matrix whose length is not n squared', () => {
    expect(() => choleskyFactor(new Float64Array(3), 2)).toThrow(/3 entries/);
  });
});

describe('choleskySolve', () => {
  it('solves a hand-computed 2x2 system', () => {
    // [[4,2],[2,3]] x = [2,1]  =>  x = [0.5, 0]
    const l = choleskyFactor(new Float64Array([4, 2, 2, 3]), 2);
    expectClose(choleskySolve(l, new Float64Array([2, 1]), 2), [0.5, 0], 1e-15);
  });

  it('solves the 3x3 textbook system with its known integer solution', () => {
    // A [1,2,3]ᵀ = [4+24-48, 12+74-129, -16-86+294] = [-20, -43, 192]
    const l = choleskyFactor(new Float64Array([4, 12, -16, 12, 37, -43, -16, -43, 98]), 3);
    expectClose(choleskySolve(l, new Float64Array([-20, -43, 192]), 3), [1, 2, 3], 1e-12);
  });
});

describe('choleskyInverse', () => {
  it('inverts the 4x4 Hilbert matrix to its known integer inverse', () => {
    const n = 4;
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = 1 / (i + j + 1);
    // The inverse of the Hilbert matrix of order 4 (integers; e.g. Choi 1983, Table 1).
    const expected = [
      16, -120, 240, -140, -120, 1200, -2700, 1680, 240, -2700, 6480, -4200, -140, 1680, -4200,
      2800,
    ];
    expectClose(choleskyInverse(choleskyFactor(h, n), n), expected, 1e-8);
  });

  it('inverts a hand-computed 2x2 matrix', () => {
    // [[4,2],[2,3]]⁻¹ = [[3,-2],[-2,4]] / 8
    const l = choleskyFactor(new Float64Array([4, 2, 2, 3]), 2);
    expectClose(choleskyInverse(l, 2), [0.375, -0.25, -0.25, 0.5], 1e-15);
  });
});
