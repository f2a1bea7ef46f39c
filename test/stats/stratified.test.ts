import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import {
  coxByAttributes,
  groupByAttribute,
  kmByGroup,
  logRankByAttribute,
} from '../../src/stats/stratified.js';
import type { Attribute, Timeline } from '../../src/timeline/types.js';

const CODES = ['DIAGNOSIS', 'DEATH', 'END_OF_FOLLOWUP'] as const;

/** One patient per entry: DIAGNOSIS on day 0, then DEATH (status 1) or END_OF_FOLLOWUP on `day`. */
function timeline(
  exits: readonly (readonly [day: number, died: 0 | 1])[],
  attributes: Attribute[],
): Timeline {
  const n = exits.length;
  const offsets = Int32Array.from({ length: n + 1 }, (_, p) => 2 * p);
  return {
    name: 'hand-made',
    patients: { ids: exits.map((_, p) => `P${p + 1}`), indexDay: new Int32Array(n), attributes },
    events: {
      patient: Int32Array.from({ length: 2 * n }, (_, e) => e >> 1),
      day: Int32Array.from({ length: 2 * n }, (_, e) => (e % 2 === 0 ? 0 : exits[e >> 1]![0])),
      code: Int32Array.from({ length: 2 * n }, (_, e) =>
        e % 2 === 0 ? 0 : exits[e >> 1]![1] === 1 ? 1 : 2,
      ),
      value: new Float64Array(2 * n).fill(Number.NaN),
      codes: CODES,
    },
    offsets,
  };
}

// treated = 0: deaths on days 1 and 3; treated = 1: death on day 2, censored on day 4;
// a fifth patient with treated missing dies on day 5.
const TL = timeline(
  [
    [1, 1],
    [2, 1],
    [3, 1],
    [4, 0],
    [5, 1],
  ],
  [
    { name: 'treated', kind: 'numeric', values: new Float64Array([0, 1, 0, 1, Number.NaN]) },
    {
      name: 'arm',
      kind: 'categorical',
      levels: ['b', 'a'],
      codes: new Int32Array([0, 1, 0, 1, -1]),
    },
    { name: 'age', kind: 'numeric', values: Float64Array.from({ length: 5 }, (_, i) => 60 + i) },
  ],
);

describe('groupByAttribute', () => {
  it('groups a numeric attribute with few values by its sorted distinct values, missing as -1', () => {
    const g = groupByAttribute(TL, 'treated');
    expect(g.names).toEqual(['0', '1']);
    expect(Array.from(g.ids)).toEqual([0, 1, 0, 1, -1]);
  });

  it('refuses a numeric attribute with more than 10 distinct values and an unknown name', () => {
    const many = timeline(
      Array.from({ length: 11 }, () => [1, 1] as const),
      [{ name: 'x', kind: 'numeric', values: Float64Array.from({ length: 11 }, (_, i) => i) }],
    );
    expect(() => groupByAttribute(many, 'x')).toThrowError(/11 distinct values/);
    expect(() => groupByAttribute(TL, 'stage')).toThrowError(TrajsimError);
    expect(() => groupByAttribute(TL, 'stage')).toThrowError(
      /no attribute 'stage'.*attributes are treated, arm, age/,
    );
  });
});

describe('kmByGroup', () => {
  it('gives each group its size, its curve and its RMST at the smallest group maximum time', () => {
    const r = kmByGroup(TL, { endpoint: 'DEATH', by: 'treated' });
    expect(r.groups.map((g) => [g.group, g.n])).toEqual([
      ['0', 2],
      ['1', 2],
    ]);
    expect(Array.from(r.groups[0]!.km.surv)).toEqual([0.5, 0]);
    expect(Array.from(r.groups[1]!.km.surv)).toEqual([0.5]); // event times only, as summary(survfit)
    // τ = min(3, 4) = 3; ∫₀³ S: group 0 = 1·1 + 0.5·2 = 2, group 1 = 1·2 + 0.5·1 = 2.5.
    expect(r.tauDays).toBe(3);
    expect(r.groups.map((g) => g.rmst.value)).toEqual([2, 2.5]);
    expect(r.tauBeyondFollowUp).toEqual([]);
  });

  it('names the groups whose follow-up ends before an explicit tau', () => {
    expect(
      kmByGroup(TL, { endpoint: 'DEATH', by: 'treated', rmstTauDays: 3.5 }).tauBeyondFollowUp,
    ).toEqual(['0']);
    expect(kmByGroup(TL, { endpoint: 'DEATH' }).groups.map((g) => [g.group, g.n])).toEqual([
      ['all', 5],
    ]);
  });
});

describe('logRankByAttribute', () => {
  it('matches the hand-computed Mantel-Cox statistic on a numeric 0/1 attribute, dropping missing', () => {
    // O₀ − E₀ = 2 − (1/2 + 1/3 + 1/2) = 2/3; V = 1/4 + 2/9 + 1/4 = 13/18; χ² = (4/9)/(13/18) = 8/13.
    const r = logRankByAttribute(TL, { endpoint: 'DEATH', by: 'treated' });
    expect(r.chisq).toBeCloseTo(8 / 13, 12);
    expect(r.df).toBe(1);
    expect(r.p).toBeCloseTo(0.43276758066778465, 10); // erfc(√(4/13))
    expect(r.groups).toEqual(['0', '1']);
  });
});

describe('coxByAttributes', () => {
  it('names the reference level of each categorical covariate, default or chosen', () => {
    const byDefault = coxByAttributes(TL, { endpoint: 'DEATH', covariates: ['arm', 'age'] });
    expect(byDefault.references).toEqual([{ covariate: 'arm', level: 'a' }]);
    expect(byDefault.fit.terms.map((t) => t.term)).toEqual(['armb', 'age']);
    const chosen = coxByAttributes(TL, {
      endpoint: 'DEATH',
      covariates: ['arm'],
      references: new Map([['arm', 'b']]),
    });
    expect(chosen.references).toEqual([{ covariate: 'arm', level: 'b' }]);
    expect(chosen.fit.terms.map((t) => t.term)).toEqual(['arma']);
    // Swapping the reference negates the coefficient.
    const coef = coxByAttributes(TL, { endpoint: 'DEATH', covariates: ['arm'] }).fit.terms[0]!.coef;
    expect(chosen.fit.terms[0]!.coef).toBeCloseTo(-coef, 9);
  });

  it('refuses no covariates, an unknown attribute, and a reference that is not a covariate level', () => {
    const bad = (covariates: string[], references?: [string, string][]) => () =>
      coxByAttributes(TL, {
        endpoint: 'DEATH',
        covariates,
        ...(references ? { references: new Map(references) } : {}),
      });
    expect(bad([])).toThrowError(/at least one covariate/);
    expect(bad(['stage'])).toThrowError(/no attribute 'stage'/);
    expect(bad(['arm'], [['arm', 'c']])).toThrowError(/arm=c: no such level; levels are b, a/);
    expect(bad(['age'], [['arm', 'a']])).toThrowError(
      /'arm', which is not a categorical covariate/,
    );
  });
});
