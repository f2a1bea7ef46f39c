/**
 * Cox proportional hazards regression (Efron or Breslow ties) and its design matrix, matching
 * R's `survival::coxph`.
 */

import { TrajsimError } from '../core/errors.js';
import { choleskyFactor, choleskyInverse, choleskySolve } from './cholesky.js';
import { survivalOrder } from './kaplan-meier.js';
import { normalQuantile, normalUpperTail } from './normal.js';

/** Options of {@link coxPh}. */
export interface CoxOptions {
  /** Tie handling of the partial likelihood; default 'efron' (coxph's default). */
  readonly ties?: 'efron' | 'breslow';
  /** Maximum Newton–Raphson iterations; default 20 (coxph.control iter.max). */
  readonly maxIter?: number;
  /** Convergence: stop when |1 − loglikₒₗd/loglikₙₑw| ≤ tolerance; default 1e-9 (coxph eps). */
  readonly tolerance?: number;
}

/** A fitted Cox model, as `summary(coxph(...))`. */
export interface CoxResult {
  /**
   * One row per design column: coefficient, its standard error (inverse information), hazard
   * ratio exp(coef), 95% Wald limits exp(coef ∓ 1.96·se), z = coef/se and p = 2·P(Z > |z|).
   */
  readonly terms: readonly {
    term: string;
    coef: number;
    se: number;
    hr: number;
    lower: number;
    upper: number;
    z: number;
    p: number;
  }[];
  /** Log partial likelihood at β = 0 and at the estimate (coxph's `loglik`). */
  readonly loglik: readonly [number, number];
  /** Observations used. */
  readonly n: number;
  /** Events. */
  readonly events: number;
  /** Newton–Raphson iterations (coxph's `iter`). */
  readonly iterations: number;
  /** False when maxIter was reached before the convergence criterion held. */
  readonly converged: boolean;
}

/** A covariate for {@link coxDesign}: numeric (NaN missing) or categorical (code −1 missing). */
export type CoxCovariate =
  | { name: string; kind: 'numeric'; values: Float64Array }
  | {
      name: string;
      kind: 'categorical';
      levels: readonly string[];
      codes: Int32Array;
      reference?: string;
    };

/**
 * Fits a Cox proportional hazards model by maximizing the partial likelihood with
 * Newton–Raphson and step halving, as coxph's `coxfit6` (start at β = 0; after each step, if
 * the log likelihood fell, halve the step; converge when |1 − ℓₒₗd/ℓₙₑw| ≤ tolerance).
 * Ties use Efron's approximation (Efron 1977): for a time with d events, the risk-set sums
 * are reduced by (k/d) of the events' sums for k = 0..d−1; Breslow's uses the full risk set
 * d times. Covariates are centred internally (the estimate is unchanged). Standard errors come
 * from the inverse information at the estimate; p-values are Wald, 2·(1 − Φ(|z|)).
 *
 * @param time - follow-up times (e.g. days), finite and ≥ 0.
 * @param status - 1 event, 0 censored.
 * @param design - column names and columns (one Float64Array per covariate, rows as time),
 *   e.g. from {@link coxDesign} with time/status subset to its `rows`.
 * @param options - ties ('efron' default), maxIter (20), tolerance (1e-9).
 * @returns per-term estimates, log likelihoods, counts, iterations and convergence.
 * @throws TrajsimError INVALID_ARGUMENT for length mismatches, bad times/statuses, NaN or
 *   infinite covariates (naming column, index and value), bad options, or a singular
 *   information matrix (collinear or constant columns).
 * @example
 * const fit = coxPh([1, 2, 3, 4], [1, 1, 1, 0], { names: ['x'], columns: [new Float64Array([1, 0, 1, 0])] });
 * fit.terms[0]?.coef // => 0.94061364... (log-hazard ratio, Efron ties; coxph agrees)
 */
export function coxPh(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  design: { readonly names: readonly string[]; readonly columns: readonly Float64Array[] },
  options: CoxOptions = {},
): CoxResult {
  const ties = options.ties ?? 'efron';
  const maxIter = options.maxIter ?? 20;
  const eps = options.tolerance ?? 1e-9;
  if (ties !== 'efron' && ties !== 'breslow') {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `coxPh: ties is ${String(ties)}; expected 'efron' or 'breslow'`,
    );
  }
  if (!(Number.isInteger(maxIter) && maxIter >= 1)) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `coxPh: maxIter is ${maxIter}; expected an integer >= 1`,
    );
  }
  if (!(eps > 0)) {
    throw new TrajsimError('INVALID_ARGUMENT', `coxPh: tolerance is ${eps}; expected a number > 0`);
  }
  const order = survivalOrder('coxPh', time, status);
  const n = time.length;
  const p = design.columns.length;
  if (design.names.length !== p) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `coxPh: design has ${design.names.length} names for ${p} columns`,
    );
  }
  if (p === 0) throw new TrajsimError('INVALID_ARGUMENT', 'coxPh: design has no columns');

  // Centred covariates, row-major in ascending-time order.
  const x = new Float64Array(n * p);
  for (let c = 0; c < p; c++) {
    const col = design.columns[c] as Float64Array;
    const name = design.names[c]!;
    if (col.length !== n) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `coxPh: column ${name} has length ${col.length}, expected ${n} (the length of time)`,
      );
    }
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      if (!Number.isFinite(v)) {
        throw new TrajsimError(
          'INVALID_ARGUMENT',
          `coxPh: column ${name}[${i}] is ${v}; expected a finite number (drop missing rows with coxDesign)`,
        );
      }
      mean += v;
    }
    mean /= n;
    for (let r = 0; r < n; r++) x[r * p + c] = col[order[r]!]! - mean;
  }
  const sortedTime = new Float64Array(n);
  const sortedStatus = new Uint8Array(n);
  let events = 0;
  for (let r = 0; r < n; r++) {
    sortedTime[r] = time[order[r]!]!;
    sortedStatus[r] = status[order[r]!]!;
    events += sortedStatus[r]!;
  }

  const efron = ties === 'efron';
  const work = new CoxWork(p);
  const evaluate = (beta: Float64Array): number =>
    partialLikelihood(sortedTime, sortedStatus, x, p, beta, efron, work);

  // coxfit6: Newton–Raphson with step halving.
  const beta = new Float64Array(p);
  const newBeta = new Float64Array(p);
  const loglik0 = evaluate(beta);
  let loglik = loglik0;
  const step = informationSolve(work.imat, work.u, p);
  for (let c = 0; c < p; c++) newBeta[c] = beta[c]! + step[c]!;
  let halving = false;
  let converged = false;
  let iterations = 0;
  let newLoglik = loglik;
  for (iterations = 1; iterations <= maxIter; iterations++) {
    newLoglik = evaluate(newBeta);
    if (!halving && Math.abs(1 - loglik / newLoglik) <= eps) {
      converged = true;
      break;
    }
    if (iterations === maxIter) break;
    if (newLoglik < loglik) {
      halving = true;
      for (let c = 0; c < p; c++) newBeta[c] = (newBeta[c]! + beta[c]!) / 2;
    } else {
      halving = false;
      loglik = newLoglik;
      const a = informationSolve(work.imat, work.u, p);
      for (let c = 0; c < p; c++) {
        beta[c] = newBeta[c]!;
        newBeta[c] = newBeta[c]! + a[c]!;
      }
    }
  }
  if (iterations > maxIter) iterations = maxIter;

  // Variance: the inverse information at the final estimate (work holds it from evaluate).
  const variance = choleskyInverse(informationFactor(work.imat, p), p);
  const z975 = normalQuantile(0.975);
  const terms = [];
  for (let c = 0; c < p; c++) {
    const coef = newBeta[c]!;
    const se = Math.sqrt(variance[c * p + c]!);
    const zc = coef / se;
    terms.push({
      term: design.names[c]!,
      coef,
      se,
      hr: Math.exp(coef),
      lower: Math.exp(coef - z975 * se),
      upper: Math.exp(coef + z975 * se),
      z: zc,
      p: 2 * normalUpperTail(Math.abs(zc)),
    });
  }
  return {
    terms,
    loglik: [loglik0, newLoglik],
    n,
    events,
    iterations,
    converged,
  };
}

/** Scratch space for one evaluation of the partial likelihood. */
class CoxWork {
  readonly u: Float64Array;
  readonly imat: Float64Array;
  readonly s1: Float64Array;
  readonly s2: Float64Array;
  readonly d1: Float64Array;
  readonly d2: Float64Array;
  readonly xDeaths: Float64Array;
  readonly a: Float64Array;
  constructor(p: number) {
    this.u = new Float64Array(p);
    this.imat = new Float64Array(p * p);
    this.s1 = new Float64Array(p);
    this.s2 = new Float64Array(p * p);
    this.d1 = new Float64Array(p);
    this.d2 = new Float64Array(p * p);
    this.xDeaths = new Float64Array(p);
    this.a = new Float64Array(p);
  }
}

/**
 * Log partial likelihood at beta; fills work.u (score) and work.imat (information). Rows are
 * in ascending time; risk sets accumulate from the largest time down.
 */
function partialLikelihood(
  time: Float64Array,
  status: Uint8Array,
  x: Float64Array,
  p: number,
  beta: Float64Array,
  efron: boolean,
  w: CoxWork,
): number {
  const n = time.length;
  const { u, imat, s1, s2, d1, d2, xDeaths, a } = w;
  u.fill(0);
  imat.fill(0);
  s1.fill(0);
  s2.fill(0);
  let s0 = 0;
  let loglik = 0;
  for (let end = n - 1; end >= 0; ) {
    const t = time[end]!;
    let start = end;
    while (start > 0 && time[start - 1] === t) start--;
    let deaths = 0;
    let d0 = 0;
    d1.fill(0);
    d2.fill(0);
    xDeaths.fill(0);
    for (let r = start; r <= end; r++) {
      const off = r * p;
      let eta = 0;
      for (let c = 0; c < p; c++) eta += beta[c]! * x[off + c]!;
      const risk = Math.exp(eta);
      s0 += risk;
      for (let c = 0; c < p; c++) {
        const xc = x[off + c]!;
        s1[c]! += risk * xc;
        for (let e = 0; e <= c; e++) s2[c * p + e]! += risk * xc * x[off + e]!;
      }
      if (status[r] === 1) {
        deaths++;
        loglik += eta;
        d0 += risk;
        for (let c = 0; c < p; c++) {
          const xc = x[off + c]!;
          xDeaths[c]! += xc;
          d1[c]! += risk * xc;
          for (let e = 0; e <= c; e++) d2[c * p + e]! += risk * xc * x[off + e]!;
        }
      }
    }
    if (deaths > 0) {
      for (let c = 0; c < p; c++) u[c]! += xDeaths[c]!;
      for (let k = 0; k < deaths; k++) {
        const frac = efron ? k / deaths : 0;
        const denom = s0 - frac * d0;
        loglik -= Math.log(denom);
        for (let c = 0; c < p; c++) {
          a[c] = (s1[c]! - frac * d1[c]!) / denom;
          u[c]! -= a[c]!;
        }
        for (let c = 0; c < p; c++) {
          for (let e = 0; e <= c; e++) {
            const s2ce = (s2[c * p + e]! - frac * d2[c * p + e]!) / denom;
            imat[c * p + e]! += s2ce - a[c]! * a[e]!;
          }
        }
      }
    }
    end = start - 1;
  }
  for (let c = 0; c < p; c++) for (let e = 0; e < c; e++) imat[e * p + c] = imat[c * p + e]!;
  return loglik;
}

/** Solves I x = u for the information matrix I (Cholesky; a singular I names its column). */
function informationSolve(imat: Float64Array, u: Float64Array, p: number): Float64Array {
  return choleskySolve(informationFactor(imat, p), u, p);
}

function informationFactor(imat: Float64Array, p: number): Float64Array {
  return choleskyFactor(imat, p, {
    relativeTolerance: 1e-12,
    singular: (i) =>
      new TrajsimError(
        'INVALID_ARGUMENT',
        `coxPh: the information matrix is singular at column ${i}; the design has a constant or collinear column`,
      ),
  });
}

/**
 * Design columns for covariates: numeric as is; categorical as treatment contrasts, reference =
 * alphabetically first level unless given; rows with any missing covariate are dropped
 * (returns the kept row indices), as coxph's na.action=na.omit. Term names like R: `sexmale`,
 * `rxLev+5FU`.
 *
 * Categorical columns are 0/1 indicators, one per non-reference level, in sorted level order
 * (levels sorted by UTF-16 code unit, like R's `sort(method = "radix")`, not by locale), so the
 * columns equal R's `model.matrix` for a factor with those levels and that reference.
 *
 * @param covariates - numeric (`values`, NaN missing) or categorical (`levels`, `codes`
 *   indexing levels with −1 missing, optional `reference` level); all of one length.
 * @returns `names` of the columns, the `columns` over the kept rows, the kept `rows`, and the
 *   reference level of each categorical covariate (`references`, in covariate order).
 * @throws TrajsimError INVALID_ARGUMENT for covariates of different lengths, a code outside
 *   −1..levels−1 (naming covariate, index and value), a reference not among the levels, or a
 *   categorical covariate with fewer than two levels.
 * @example
 * const d = coxDesign([
 *   { name: 'sex', kind: 'categorical', levels: ['male', 'female'], codes: new Int32Array([0, 1, -1]) },
 *   { name: 'age', kind: 'numeric', values: new Float64Array([60, 70, 80]) },
 * ]);
 * d.names // => ['sexmale', 'age']
 * d.columns // => [Float64Array [1, 0], Float64Array [60, 70]]
 * d.rows // => Int32Array [0, 1]
 * d.references // => [{ covariate: 'sex', level: 'female' }]
 */
export function coxDesign(covariates: readonly CoxCovariate[]): {
  names: string[];
  columns: Float64Array[];
  rows: Int32Array;
  references: { covariate: string; level: string }[];
} {
  const first = covariates[0];
  const n = first === undefined ? 0 : lengthOf(first);
  const keep = new Uint8Array(n).fill(1);
  for (const cov of covariates) {
    if (lengthOf(cov) !== n) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `coxDesign: covariate ${cov.name} has ${lengthOf(cov)} rows, expected ${n}`,
      );
    }
    if (cov.kind === 'numeric') {
      for (let i = 0; i < n; i++) if (Number.isNaN(cov.values[i])) keep[i] = 0;
    } else {
      const nLevels = cov.levels.length;
      for (let i = 0; i < n; i++) {
        const code = cov.codes[i]!;
        if (code === -1) keep[i] = 0;
        else if (!(code >= 0 && code < nLevels)) {
          throw new TrajsimError(
            'INVALID_ARGUMENT',
            `coxDesign: ${cov.name} code[${i}] is ${code}; expected -1 (missing) or 0..${nLevels - 1}`,
          );
        }
      }
    }
  }
  let kept = 0;
  for (let i = 0; i < n; i++) kept += keep[i]!;
  const rows = new Int32Array(kept);
  for (let i = 0, r = 0; i < n; i++) if (keep[i] === 1) rows[r++] = i;

  const names: string[] = [];
  const columns: Float64Array[] = [];
  const references: { covariate: string; level: string }[] = [];
  for (const cov of covariates) {
    if (cov.kind === 'numeric') {
      const col = new Float64Array(kept);
      for (let r = 0; r < kept; r++) col[r] = cov.values[rows[r]!]!;
      names.push(cov.name);
      columns.push(col);
      continue;
    }
    if (cov.levels.length < 2) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `coxDesign: ${cov.name} has ${cov.levels.length} level(s); a categorical covariate needs at least 2`,
      );
    }
    const sorted = cov.levels
      .map((level, code) => ({ level, code }))
      .sort((a, b) => (a.level < b.level ? -1 : a.level > b.level ? 1 : 0));
    const reference = cov.reference ?? sorted[0]!.level;
    if (!cov.levels.includes(reference)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `coxDesign: reference ${reference} of ${cov.name} is not a level; levels are ${cov.levels.join(', ')}`,
      );
    }
    references.push({ covariate: cov.name, level: reference });
    for (const { level, code } of sorted) {
      if (level === reference) continue;
      const col = new Float64Array(kept);
      for (let r = 0; r < kept; r++) col[r] = cov.codes[rows[r]!] === code ? 1 : 0;
      names.push(`${cov.name}${level}`);
      columns.push(col);
    }
  }
  return { names, columns, rows, references };
}

function lengthOf(cov: CoxCovariate): number {
  return cov.kind === 'numeric' ? cov.values.length : cov.codes.length;
}
