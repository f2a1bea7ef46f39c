import { TrajsimError } from '../core/errors.js';

/** Options of {@link choleskyFactor}. */
export interface CholeskyOptions {
  /**
   * A pivot (the value whose square root becomes a diagonal entry of L) must exceed
   * `relativeTolerance × max |A_ii|`; otherwise the matrix is treated as singular. Default 0:
   * every pivot must be strictly positive.
   */
  readonly relativeTolerance?: number;
  /** Builds the error thrown for a singular matrix, given the 0-based failing column. */
  readonly singular?: (column: number) => Error;
}

/**
 * Cholesky factor L (lower triangular, row-major n×n) of a symmetric positive definite matrix
 * A = L Lᵀ, by the Cholesky–Banachiewicz recurrence
 * L_ij = (A_ij − Σ_{k<j} L_ik L_jk) / L_jj, L_ii = √(A_ii − Σ_{k<i} L_ik²).
 * Only the lower triangle of A is read; A is not modified.
 *
 * @param a - the n×n matrix, row-major (length n²).
 * @param n - its order.
 * @param options - the singularity tolerance and the error to throw.
 * @returns L, row-major, zeros above the diagonal.
 * @throws TrajsimError INVALID_ARGUMENT (or the error `options.singular` builds) when a pivot is
 *   not above `relativeTolerance × max |A_ii|` (A is singular or not positive definite), or when
 *   `a.length` is not n².
 * @example
 * choleskyFactor(new Float64Array([4, 12, -16, 12, 37, -43, -16, -43, 98]), 3)
 * // => Float64Array [2, 0, 0, 6, 1, 0, -8, 5, 3]
 */
export function choleskyFactor(
  a: Float64Array,
  n: number,
  options: CholeskyOptions = {},
): Float64Array {
  if (a.length !== n * n) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `choleskyFactor: the matrix has ${a.length} entries, expected ${n}×${n}`,
    );
  }
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(a[i * n + i]!));
  const tolerance = options.relativeTolerance ?? 0;
  const threshold = tolerance === 0 ? 0 : tolerance * maxDiag;
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(sum > threshold)) {
          throw (
            options.singular?.(i) ??
            new TrajsimError(
              'INVALID_ARGUMENT',
              `choleskyFactor: the matrix is singular or not positive definite at column ${i}`,
            )
          );
        }
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j]!;
      }
    }
  }
  return l;
}

/**
 * Solves A x = b given the Cholesky factor L of A (A = L Lᵀ): forward substitution L y = b,
 * then back substitution Lᵀ x = y.
 *
 * @param l - the factor from {@link choleskyFactor} (row-major n×n).
 * @param b - the right-hand side (length n); not modified.
 * @param n - the order.
 * @returns x (length n).
 * @example
 * const l = choleskyFactor(new Float64Array([4, 2, 2, 3]), 2);
 * choleskySolve(l, new Float64Array([2, 1]), 2) // => Float64Array [0.5, 0]
 */
export function choleskySolve(l: Float64Array, b: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * y[k]!;
    y[i] = sum / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k]!;
    x[i] = sum / l[i * n + i]!;
  }
  return x;
}

/**
 * Inverse of A given its Cholesky factor L, solved column by column (A⁻¹ e_c for each unit
 * vector e_c).
 *
 * @param l - the factor from {@link choleskyFactor} (row-major n×n).
 * @param n - the order.
 * @returns A⁻¹, row-major n×n (symmetric).
 * @example
 * choleskyInverse(choleskyFactor(new Float64Array([4, 2, 2, 3]), 2), 2)
 * // => Float64Array [0.375, -0.25, -0.25, 0.5]
 */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    e.fill(0);
    e[c] = 1;
    const col = choleskySolve(l, e, n);
    for (let r = 0; r < n; r++) inv[r * n + c] = col[r]!;
  }
  return inv;
}
