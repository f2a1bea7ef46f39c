/**
 * Test-only statistics and utilities for the reference-process tests. They are independent
 * of the simulator (nothing here reads its rates), so recovering a documented number with
 * them is evidence, not a tautology.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PatientSink } from '../../src/reference/reference-process.js';

/** A temporary directory removed by the returned cleanup function. */
export function tempRoot(): { root: string; path: (name: string) => string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'trajsim-reference-'));
  return {
    root,
    path: (name) => join(root, name),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** An in-memory {@link PatientSink}: columnar, like a Timeline without the files. */
export class MemorySink implements PatientSink {
  ids: string[] = [];
  indexDay: number[] = [];
  attributes: number[][] = [];
  offsets: number[] = [0];
  day: number[] = [];
  code: number[] = [];
  addPatient(id: string, indexDay: number, attributeValues: ArrayLike<number>): void {
    if (this.ids.length > 0) this.offsets.push(this.day.length);
    this.ids.push(id);
    this.indexDay.push(indexDay);
    this.attributes.push(Array.from(attributeValues));
  }
  addEvent(day: number, code: number, value: number): void {
    if (!Number.isNaN(value)) throw new Error('reference events carry no value');
    this.day.push(day);
    this.code.push(code);
  }
  /** Offsets including the end of the last patient. */
  finalOffsets(): number[] {
    return [...this.offsets, this.day.length];
  }
}

/**
 * Kaplan–Meier product-limit estimate on integer days: returns S(d) = Π_{t ≤ d} (1 − d_t / n_t)
 * for d = 0..maxDay and the number at risk at the start of each day.
 */
export function kaplanMeierByDay(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  maxDay: number,
): { survival: Float64Array; atRisk: Float64Array } {
  const deaths = new Float64Array(maxDay + 2);
  const leaving = new Float64Array(maxDay + 2);
  for (let i = 0; i < time.length; i++) {
    const t = Math.min(time[i]!, maxDay + 1);
    leaving[t]!++;
    if (event[i] === 1 && t <= maxDay) deaths[t]!++;
  }
  const survival = new Float64Array(maxDay + 1);
  const atRisk = new Float64Array(maxDay + 1);
  let n = time.length;
  let s = 1;
  for (let d = 0; d <= maxDay; d++) {
    atRisk[d] = n;
    if (n > 0) s *= 1 - deaths[d]! / n;
    survival[d] = s;
    n -= leaving[d]!;
  }
  return { survival, atRisk };
}

/** Result of {@link coxFit}. */
export interface CoxFit {
  readonly beta: Float64Array;
  readonly se: Float64Array;
  readonly iterations: number;
}

/**
 * Cox proportional-hazards fit by Newton–Raphson on the partial likelihood, counting-process
 * form: row i is at risk on (start_i, stop_i] with covariates X[i, ·] (row-major, p columns)
 * and `status` 1 if the event happened at stop_i. Ties by Breslow's approximation:
 * ℓ(β) = Σ_t [Σ_{i∈D_t} x_iβ − d_t log Σ_{j∈R_t} exp(x_jβ)]. Standard errors from the
 * inverse observed information.
 */
export function coxFit(
  start: ArrayLike<number>,
  stop: ArrayLike<number>,
  status: ArrayLike<number>,
  x: Float64Array,
  p: number,
): CoxFit {
  const n = stop.length;
  // Centre columns (does not change β; keeps exp() tame).
  const xc = Float64Array.from(x);
  for (let j = 0; j < p; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += xc[i * p + j]!;
    m /= n;
    for (let i = 0; i < n; i++) xc[i * p + j]! -= m;
  }
  const byStop = Array.from({ length: n }, (_, i) => i).sort((a, b) => stop[b]! - stop[a]!);
  const byStart = Array.from({ length: n }, (_, i) => i).sort((a, b) => start[b]! - start[a]!);
  const beta = new Float64Array(p);
  const risk = new Float64Array(n);
  const evaluate = (b: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let eta = 0;
      for (let j = 0; j < p; j++) eta += xc[i * p + j]! * b[j]!;
      risk[i] = eta;
    }
    let loglik = 0;
    const grad = new Float64Array(p);
    const info = new Float64Array(p * p);
    let s0 = 0;
    const s1 = new Float64Array(p);
    const s2 = new Float64Array(p * p);
    const update = (i: number, sign: number) => {
      const w = sign * Math.exp(risk[i]!);
      s0 += w;
      for (let j = 0; j < p; j++) {
        const wj = w * xc[i * p + j]!;
        s1[j]! += wj;
        for (let k = 0; k <= j; k++) s2[j * p + k]! += wj * xc[i * p + k]!;
      }
    };
    let a = 0;
    let r = 0;
    while (a < n) {
      const t = stop[byStop[a]!]!;
      // Add everyone with stop >= t, collecting the events at t.
      let d = 0;
      const sumX = new Float64Array(p);
      let sumEta = 0;
      while (a < n && stop[byStop[a]!]! === t) {
        const i = byStop[a]!;
        update(i, 1);
        if (status[i] === 1) {
          d++;
          sumEta += risk[i]!;
          for (let j = 0; j < p; j++) sumX[j]! += xc[i * p + j]!;
        }
        a++;
      }
      // Remove everyone whose interval starts at or after t.
      while (r < n && start[byStart[r]!]! >= t) {
        update(byStart[r]!, -1);
        r++;
      }
      if (d === 0) continue;
      loglik += sumEta - d * Math.log(s0);
      for (let j = 0; j < p; j++) {
        const mj = s1[j]! / s0;
        grad[j]! += sumX[j]! - d * mj;
        for (let k = 0; k <= j; k++) {
          info[j * p + k]! += d * (s2[j * p + k]! / s0 - mj * (s1[k]! / s0));
        }
      }
    }
    for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) info[k * p + j] = info[j * p + k]!;
    return { loglik, grad, info };
  };
  let current = evaluate(beta);
  let iterations = 0;
  for (; iterations < 30; iterations++) {
    const step = solve(current.info, current.grad, p);
    let scale = 1;
    let next = beta.map((b, j) => b + step[j]!);
    let candidate = evaluate(next);
    while (candidate.loglik < current.loglik - 1e-9 && scale > 1e-4) {
      scale /= 2;
      next = beta.map((b, j) => b + scale * step[j]!);
      candidate = evaluate(next);
    }
    beta.set(next);
    current = candidate;
    if (Math.max(...step.map(Math.abs)) * scale < 1e-9) break;
  }
  const inverse = invert(current.info, p);
  const se = Float64Array.from({ length: p }, (_, j) => Math.sqrt(inverse[j * p + j]!));
  return { beta, se, iterations };
}

/** Solves A y = b for symmetric positive-definite A (Cholesky). */
function solve(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = cholesky(a, p);
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * y[k]!;
    y[i] = s / l[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * y[k]!;
    y[i] = s / l[i * p + i]!;
  }
  return y;
}

function cholesky(a: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j]!;
      for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error('information matrix is not positive definite');
        l[i * p + i] = Math.sqrt(s);
      } else {
        l[i * p + j] = s / l[j * p + j]!;
      }
    }
  }
  return l;
}

function invert(a: Float64Array, p: number): Float64Array {
  const out = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    const e = new Float64Array(p);
    e[j] = 1;
    const col = solve(a, e, p);
    for (let i = 0; i < p; i++) out[i * p + j] = col[i]!;
  }
  return out;
}
