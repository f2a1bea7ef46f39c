import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { coxPh } from '../../src/stats/cox-ph.js';
import { expectClose, loadFixture, type RNumber } from '../fixtures/r/golden.js';

interface RFit {
  terms: { term: string; coef: RNumber; se: RNumber; z: RNumber; p: RNumber }[];
  loglik: RNumber[];
  n: number;
  events: number;
}

interface DirectCase extends RFit {
  name: string;
  ties: 'efron' | 'breslow';
  input: Record<string, number[]>;
}

const fixture = loadFixture<{ direct: DirectCase[] }>('cox-counting');

describe('counting-process Cox matches survival::coxph(Surv(tstart, tstop, event) ~ x)', () => {
  for (const c of fixture.direct) {
    it(`${c.name} (coef, se, z, p, loglik to 1e-6)`, () => {
      const names = Object.keys(c.input).filter((k) => k.startsWith('x'));
      const fit = coxPh(
        c.input['tstop']!,
        c.input['event']!,
        { names, columns: names.map((k) => Float64Array.from(c.input[k]!)) },
        { ties: c.ties, entry: c.input['tstart']! },
      );
      expect(fit.n).toBe(c.n);
      expect(fit.events).toBe(c.events);
      expect(fit.converged).toBe(true);
      c.terms.forEach((t, i) => {
        const got = fit.terms[i]!;
        expect(got.term).toBe(t.term);
        expectClose(got.coef, t.coef, `${t.term} coef`);
        expectClose(got.se, t.se, `${t.term} se`);
        expectClose(got.z, t.z, `${t.term} z`);
        expectClose(got.p, t.p, `${t.term} p`);
      });
      expectClose(fit.loglik[0], c.loglik[0]!, 'loglik null');
      expectClose(fit.loglik[1], c.loglik[1]!, 'loglik');
    });
  }

  it('entry times of 0 give the right-censored fit', () => {
    const time = [5, 3, 9, 2, 7, 4];
    const status = [1, 0, 1, 1, 0, 1];
    const design = { names: ['x'], columns: [Float64Array.of(0.5, 1, -1, 2, 0, 0.3)] };
    const plain = coxPh(time, status, design);
    const counting = coxPh(time, status, design, { entry: [0, 0, 0, 0, 0, 0] });
    expect(counting.terms[0]!.coef).toBeCloseTo(plain.terms[0]!.coef, 12);
    expect(counting.loglik[1]).toBeCloseTo(plain.loglik[1], 12);
  });

  it('rejects an entry that is not before its stop time, naming the row', () => {
    const design = { names: ['x'], columns: [Float64Array.of(1, 0)] };
    expect(() => coxPh([2, 3], [1, 1], design, { entry: [0, 3] })).toThrow(TrajsimError);
    expect(() => coxPh([2, 3], [1, 1], design, { entry: [0, 3] })).toThrow(/entry\[1\] is 3/);
    expect(() => coxPh([2, 3], [1, 1], design, { entry: [0] })).toThrow(/entry has length 1/);
  });
});
