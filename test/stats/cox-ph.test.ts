import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { type CoxCovariate, coxDesign } from '../../src/stats/cox-design.js';
import { coxPh } from '../../src/stats/cox-ph.js';
import {
  expectAllClose,
  expectClose,
  loadFixture,
  type RNumber,
  vec,
} from '../fixtures/r/golden.js';

type RCovariate =
  | { name: string; kind: 'numeric'; values: RNumber[] }
  | { name: string; kind: 'categorical'; levels: string[]; codes: number[]; reference?: string };

interface CoxCase {
  name: string;
  ties: 'efron' | 'breslow';
  input: { time: number[]; status: number[]; covariates: RCovariate[] };
  expected: {
    terms: {
      term: string;
      coef: RNumber;
      se: RNumber;
      hr: RNumber;
      lower: RNumber;
      upper: RNumber;
      z: RNumber;
      p: RNumber;
    }[];
    loglik: RNumber[];
    n: number;
    events: number;
    iterations: number;
    rows: number[];
  };
}

const fixture = loadFixture<{ cases: CoxCase[] }>('cox-ph');

function toCovariates(covs: readonly RCovariate[]): CoxCovariate[] {
  return covs.map((c) =>
    c.kind === 'numeric'
      ? { name: c.name, kind: 'numeric', values: vec(c.values) }
      : {
          name: c.name,
          kind: 'categorical',
          levels: c.levels,
          codes: Int32Array.from(c.codes),
          ...(c.reference === undefined ? {} : { reference: c.reference }),
        },
  );
}

function fitCase(c: CoxCase) {
  const design = coxDesign(toCovariates(c.input.covariates));
  const time = Array.from(design.rows, (r) => c.input.time[r]!);
  const status = Array.from(design.rows, (r) => c.input.status[r]!);
  return { design, result: coxPh(time, status, design, { ties: c.ties }) };
}

describe('coxPh', () => {
  it.each(fixture.cases)('Cox matches survival::coxph ($ties ties) on $name', (c) => {
    const { design, result } = fitCase(c);
    const e = c.expected;
    expect(Array.from(design.rows)).toEqual(e.rows);
    expect(result.n).toBe(e.n);
    expect(result.events).toBe(e.events);
    expect(result.iterations).toBe(e.iterations);
    expect(result.converged).toBe(true);
    expectAllClose(result.loglik, e.loglik, 'loglik');
    expect(result.terms.map((t) => t.term)).toEqual(e.terms.map((t) => t.term));
    result.terms.forEach((t, i) => {
      const r = e.terms[i]!;
      for (const key of ['coef', 'se', 'hr', 'lower', 'upper', 'z', 'p'] as const) {
        expectClose(t[key], r[key], `${t.term}.${key}`);
      }
    });
  });

  it('Efron and Breslow agree without tied event times', () => {
    const time = [5, 1, 4, 2, 3, 6, 7];
    const status = [1, 1, 0, 1, 1, 1, 0];
    const design = { names: ['x'], columns: [new Float64Array([0.2, 1, -0.5, 0.3, 2, -1, 0])] };
    const efron = coxPh(time, status, design, { ties: 'efron' });
    const breslow = coxPh(time, status, design, { ties: 'breslow' });
    expect(efron.terms[0]!.coef).toBeCloseTo(breslow.terms[0]!.coef, 12);
    expect(efron.loglik[1]).toBeCloseTo(breslow.loglik[1], 12);
  });

  it('the null log likelihood of untied data is -sum(log n_at_risk)', () => {
    const time = [1, 2, 3, 4];
    const status = [1, 1, 0, 1];
    const r = coxPh(time, status, { names: ['x'], columns: [new Float64Array([1, 0, 1, 0])] });
    expect(r.loglik[0]).toBeCloseTo(-(Math.log(4) + Math.log(3) + Math.log(1)), 14);
  });

  it('reports non-convergence when maxIter is reached', () => {
    const c = fixture.cases[0]!;
    const design = coxDesign(toCovariates(c.input.covariates));
    const time = Array.from(design.rows, (r) => c.input.time[r]!);
    const status = Array.from(design.rows, (r) => c.input.status[r]!);
    const r = coxPh(time, status, design, { maxIter: 1 });
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(1);
  });

  it('does not mutate its inputs', () => {
    const time = new Float64Array([3, 1, 2, 5, 4]);
    const status = new Uint8Array([1, 1, 0, 1, 1]);
    const col = new Float64Array([1, 0, 1, 1, 0]);
    const copies = [time.slice(), status.slice(), col.slice()];
    coxPh(time, status, { names: ['x'], columns: [col] });
    expect([time, status, col]).toEqual(copies);
  });

  it.each([
    [[1, 2], [1], [1, 0], /status has length 1/],
    [[1, 2], [1, 1], [1], /column x has length 1, expected 2/],
    [[1, 2], [1, 1], [1, Number.NaN], /column x\[1\] is NaN/],
    [[-1, 2], [1, 1], [1, 0], /time\[0\] is -1/],
    [[1, 2, 3], [1, 1, 0], [1, 1, 1], /singular/],
  ])('rejects bad input %j %j %j', (time, status, x, message) => {
    const design = { names: ['x'], columns: [Float64Array.from(x)] };
    expect(() => coxPh(time, status, design)).toThrowError(TrajsimError);
    expect(() => coxPh(time, status, design)).toThrowError(message);
  });

  it('rejects bad options', () => {
    const design = { names: ['x'], columns: [new Float64Array([1, 0])] };
    expect(() => coxPh([1, 2], [1, 1], design, { maxIter: 0 })).toThrowError(/maxIter/);
    expect(() => coxPh([1, 2], [1, 1], design, { tolerance: 0 })).toThrowError(/tolerance/);
    expect(() => coxPh([1, 2], [1, 1], { names: [], columns: [] })).toThrowError(/no columns/);
  });
});

describe('coxDesign', () => {
  it('builds treatment contrasts against the alphabetically first level and drops missing rows', () => {
    const d = coxDesign([
      {
        name: 'rx',
        kind: 'categorical',
        levels: ['Obs', 'Lev+5FU', 'Lev'],
        codes: new Int32Array([0, 1, 2, -1, 1]),
      },
      { name: 'age', kind: 'numeric', values: new Float64Array([50, 60, 70, 80, Number.NaN]) },
    ]);
    expect(d.names).toEqual(['rxLev+5FU', 'rxObs', 'age']);
    expect(Array.from(d.rows)).toEqual([0, 1, 2]);
    expect(d.columns.map((c) => Array.from(c))).toEqual([
      [0, 1, 0],
      [1, 0, 0],
      [50, 60, 70],
    ]);
  });

  it('uses a given reference level', () => {
    const d = coxDesign([
      {
        name: 'rx',
        kind: 'categorical',
        levels: ['Lev', 'Lev+5FU', 'Obs'],
        codes: new Int32Array([2, 0, 1]),
        reference: 'Obs',
      },
    ]);
    expect(d.names).toEqual(['rxLev', 'rxLev+5FU']);
    expect(d.columns.map((c) => Array.from(c))).toEqual([
      [0, 1, 0],
      [0, 0, 1],
    ]);
  });

  it('does not mutate its inputs', () => {
    const values = new Float64Array([1, Number.NaN, 3]);
    const codes = new Int32Array([0, 1, -1]);
    coxDesign([
      { name: 'x', kind: 'numeric', values },
      { name: 'g', kind: 'categorical', levels: ['a', 'b'], codes },
    ]);
    expect(Array.from(values)).toEqual([1, Number.NaN, 3]);
    expect(Array.from(codes)).toEqual([0, 1, -1]);
  });

  it('rejects bad covariates', () => {
    const g = (codes: number[], extra: { reference?: string; levels?: string[] } = {}) =>
      coxDesign([
        {
          name: 'g',
          kind: 'categorical',
          levels: extra.levels ?? ['a', 'b'],
          codes: Int32Array.from(codes),
          ...(extra.reference === undefined ? {} : { reference: extra.reference }),
        },
      ]);
    expect(() => g([0, 2])).toThrowError(/g code\[1\] is 2/);
    expect(() => g([0, -2])).toThrowError(/g code\[1\] is -2/);
    expect(() => g([0, 1], { reference: 'z' })).toThrowError(/reference z of g is not a level/);
    expect(() => g([0, 0], { levels: ['a'] })).toThrowError(/at least 2/);
    expect(() =>
      coxDesign([
        { name: 'x', kind: 'numeric', values: new Float64Array(2) },
        { name: 'y', kind: 'numeric', values: new Float64Array(3) },
      ]),
    ).toThrowError(/covariate y has 3 rows, expected 2/);
  });
});
