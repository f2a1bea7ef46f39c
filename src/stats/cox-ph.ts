/**
 * Cox proportional hazards regression (Efron or Breslow ties), matching R's `survival::coxph`
 * (its design matrix is built by `cox-design.ts`), for right-censored and counting-process
 * (start, stop] data.
 *
 * Over 400 lines because the fit is one mechanism: the checked input, the partial likelihood
 * with its risk-set sweep (entries leave it for counting-process data) and coxfit6's
 * Newton–Raphson belong together, and splitting them would export internals.
 */

import { TrajsimError } from '../core/errors.js';
import { choleskyFactor, choleskyInverse, choleskySolve } from './cholesky.js';
import { sortedByTime, survivalOrder } from './kaplan-meier.js';
import { normalQuantile, normalUpperTail } from './normal.js';

/** Options of {@link coxPh}. */
export interface CoxOptions {
  /** Tie handling of the partial likelihood; default 'efron' (coxph's default). */
  readonly ties?: 'efron' | 'breslow';
  /** Maximum Newton–Raphson iterations; default 20 (coxph.control iter.max). */
  readonly maxIter?: number;
  /** Convergence: stop when |1 − loglikₒₗd/loglikₙₑw| ≤ tolerance; default 1e-9 (coxph eps). */
  readonly tolerance?: number;
  /**
   * Counting-process start times (`tstart` of `Surv(tstart, tstop, event)`, same unit as
   * time): row i is at risk on (entry[i], time[i]]. Each must be finite, ≥ 0 and < time[i].
   * Default: every row at risk from time 0 (plain right-censored data).
   */
  readonly entry?: ArrayLike<number>;
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

/**
 * Fits a Cox proportional hazards model by maximizing the partial likelihood with
 * Newton–Raphson and step halving, as coxph's `coxfit6` (start at β = 0; after each step, if
 * the log likelihood fell, halve the step; converge when |1 − ℓₒₗd/ℓₙₑw| ≤ tolerance).
 * Ties use Efron's approximation (Efron 1977): for a time with d events, the risk-set sums
 * are reduced by (k/d) of the events' sums for k = 0..d−1; Breslow's uses the full risk set
 * d times. Covariates are centred internally (the estimate is unchanged). Standard errors come
 * from the inverse information at the estimate; p-values are Wald, 2·(1 − Φ(|z|)).
 * With `options.entry` (counting-process data, coxph's `agreg`), the risk set at an event time
 * t holds the rows with entry < t ≤ time: a time-dependent covariate is one row per interval
 * over which it is constant (e.g. built as by R's `tmerge`).
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
 * // counting process: coxph(Surv(entry, time, status) ~ x)
 * coxPh([2, 4, 3], [1, 0, 1], { names: ['x'], columns: [new Float64Array([1, 0, 0])] }, { entry: [0, 2, 0] });
 */
export function coxPh(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  design: { readonly names: readonly string[]; readonly columns: readonly Float64Array[] },
  options: CoxOptions = {},
): CoxResult {
  const { efron, maxIter, eps } = coxSettings(options);
  const { x, sortedTime, sortedStatus, n, p, events } = sortedCentredInput(time, status, design);
  const exits = entryExits(time, options.entry, sortedTime.length);
  const work = new CoxWork(p);
  const evaluate = (beta: Float64Array): number =>
    partialLikelihood(sortedTime, sortedStatus, x, p, beta, efron, work, exits);
  const {
    beta: newBeta,
    loglik0,
    loglik: newLoglik,
    iterations,
    converged,
  } = newtonRaphson(evaluate, work, p, maxIter, eps);

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
 * Rows leaving the risk set, for counting-process data: positions in ascending-time order
 * (as {@link sortedCentredInput} sorts the rows), sorted by entry descending, with their entry
 * times. Undefined without entries.
 */
interface EntryExits {
  readonly rows: Int32Array;
  readonly entry: Float64Array;
}

function entryExits(
  time: ArrayLike<number>,
  entry: ArrayLike<number> | undefined,
  n: number,
): EntryExits | undefined {
  if (entry === undefined) return undefined;
  if (entry.length !== n) {
    throw new TrajsimError(
      'INVALID_ARGUMENT',
      `coxPh: entry has length ${entry.length}, expected ${n} (the length of time)`,
    );
  }
  for (let i = 0; i < n; i++) {
    const e = entry[i]!;
    if (!(e >= 0 && e < time[i]!)) {
      throw new TrajsimError(
        'INVALID_ARGUMENT',
        `coxPh: entry[${i}] is ${e} with time[${i}] ${time[i]}; expected a finite number >= 0 and < time`,
      );
    }
  }
  const order = sortedByTime(time);
  const byEntry = Int32Array.from(order.keys()).sort(
    (i, j) => entry[order[j]!]! - entry[order[i]!]!,
  );
  return { rows: byEntry, entry: Float64Array.from(byEntry, (r) => entry[order[r]!]!) };
}

/**
 * Log partial likelihood at beta; fills work.u (score) and work.imat (information). Rows are
 * in ascending time; risk sets accumulate from the largest time down, and with `exits` a row
 * leaves them once the sweep reaches its entry time (coxph's agreg risk sets).
 */
function partialLikelihood(
  time: Float64Array,
  status: Uint8Array,
  x: Float64Array,
  p: number,
  beta: Float64Array,
  efron: boolean,
  w: CoxWork,
  exits?: EntryExits,
): number {
  const n = time.length;
  const { u, imat, s1, s2, d1, d2, xDeaths, a } = w;
  u.fill(0);
  imat.fill(0);
  s1.fill(0);
  s2.fill(0);
  let s0 = 0;
  let loglik = 0;
  let exit = 0;
  for (let end = n - 1; end >= 0; ) {
    const t = time[end]!;
    let start = end;
    while (start > 0 && time[start - 1] === t) start--;
    // Counting process: rows with entry ≥ t are not at risk at t (all have time > t, so
    // they were added at an earlier step of the sweep).
    while (exits !== undefined && exit < n && exits.entry[exit]! >= t) {
      const off = exits.rows[exit]! * p;
      let eta = 0;
      for (let c = 0; c < p; c++) eta += beta[c]! * x[off + c]!;
      const risk = Math.exp(eta);
      s0 -= risk;
      for (let c = 0; c < p; c++) {
        const xc = x[off + c]!;
        s1[c]! -= risk * xc;
        for (let e = 0; e <= c; e++) s2[c * p + e]! -= risk * xc * x[off + e]!;
      }
      exit++;
    }
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

/** The checked options of {@link coxPh}, with coxph.control's defaults. */
function coxSettings(options: CoxOptions): { efron: boolean; maxIter: number; eps: number } {
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
  return { efron: ties === 'efron', maxIter, eps };
}

/**
 * Checks the input of {@link coxPh} and returns it in ascending-time order: the covariates
 * centred on their means (row-major n×p, as coxph centres them), times, statuses, event count.
 */
function sortedCentredInput(
  time: ArrayLike<number>,
  status: ArrayLike<number>,
  design: { readonly names: readonly string[]; readonly columns: readonly Float64Array[] },
): {
  x: Float64Array;
  sortedTime: Float64Array;
  sortedStatus: Uint8Array;
  n: number;
  p: number;
  events: number;
} {
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
    const col = design.columns[c]!;
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
  return { x, sortedTime, sortedStatus, n, p, events };
}

/**
 * coxfit6's Newton–Raphson with step halving from β = 0: `evaluate(β)` returns the log partial
 * likelihood and leaves its score and information in `work`. Stops when
 * |1 − loglikₒₗd/loglikₙₑw| ≤ eps after a full step, or after maxIter evaluations.
 */
function newtonRaphson(
  evaluate: (beta: Float64Array) => number,
  work: CoxWork,
  p: number,
  maxIter: number,
  eps: number,
): {
  beta: Float64Array;
  loglik0: number;
  loglik: number;
  iterations: number;
  converged: boolean;
} {
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
  return { beta: newBeta, loglik0, loglik: newLoglik, iterations, converged };
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
