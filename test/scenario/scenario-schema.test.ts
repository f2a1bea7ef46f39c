import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TrajsimError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { resolveAttributeRequests } from '../../src/scenario/attribute-requests.js';
import { compileCriteria } from '../../src/scenario/criteria.js';
import { parseScenario } from '../../src/scenario/load-scenario.js';
import { scenarioJsonSchema } from '../../src/scenario/schema.js';
import type { AttributeSpec } from '../../src/timeline/types.js';

function scenarioError(json: unknown): TrajsimError {
  try {
    parseScenario(JSON.stringify(json), 's.json');
  } catch (e) {
    return e as TrajsimError;
  }
  throw new Error('expected a scenario error');
}

const BASE = { name: 'x', patients: 10, seed: 1 };

describe('scenario files', () => {
  it('name the JSON path, the bad value and what is allowed', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ ...BASE, patients: 0 }, 'patients', /expected number to be >0 \(found 0\)/],
      [
        { ...BASE, attributes: { age: { distribution: 'normal', mean: 70 } } },
        'attributes.age.sd',
        /normal needs mean and sd/,
      ],
      [
        { ...BASE, criteria: [{ code: 'RECURRENCE', within_days: -1 }] },
        'criteria[0].within_days',
        />=0 \(found -1\)/,
      ],
      [
        { ...BASE, index_date: { from: '2021-02-30', to: '2022-01-01' } },
        'index_date.from',
        /YYYY-MM-DD \(found "2021-02-30"\)/,
      ],
      [
        { ...BASE, index_date: { from: '2023-01-01', to: '2022-01-01' } },
        'index_date.from',
        /from is after to/,
      ],
      [{ ...BASE, horizon: 5 }, 'horizon', /unknown field/],
      [
        { ...BASE, attributes: { stage: { weights: { I: -1 } } } },
        'attributes.stage.weights.I',
        />=0/,
      ],
      [{ ...BASE, criteria: [{}] }, 'criteria[0]', /min_events, max_events or both/],
      [{ ...BASE, name: 'bell\u0007' }, 'name', /without control characters/],
      // a misspelled distribution names the allowed ones (not the weights branch of the union)
      [
        { ...BASE, attributes: { age: { distribution: 'gaussian', mean: 60, sd: 5 } } },
        'attributes.age.distribution',
        /"normal"\|"uniform"\|"lognormal" \(found "gaussian"\)/,
      ],
    ];
    // a scenario name is a label: spaces are fine
    expect(
      parseScenario(JSON.stringify({ ...BASE, name: 'stage III, over 70' }), 's.json').name,
    ).toBe('stage III, over 70');
    for (const [json, field, message] of cases) {
      const e = scenarioError(json);
      expect(e.code).toBe('SCENARIO');
      expect(e.file).toBe('s.json');
      expect(e.field).toBe(field);
      expect(e.reason).toMatch(message);
    }
  });

  it('fill in defaults', () => {
    const s = parseScenario(JSON.stringify(BASE), 's.json');
    expect(s.criteria).toEqual([]);
    expect(s.interventions).toEqual([]);
    expect(s.attributes).toEqual({});
    expect(s.min_acceptance_rate).toBe(0.001);
  });

  it('match the published JSON Schema (regenerate with npm run schema)', () => {
    const published = JSON.parse(readFileSync('schema/scenario.schema.json', 'utf8'));
    const { title: _t, $id: _i, ...rest } = published;
    expect(rest).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });
});

describe('criteria', () => {
  const vocab = ['DEATH', 'DIAGNOSIS', 'END_OF_FOLLOWUP', 'RECURRENCE'];
  // patient: DIAGNOSIS@0, RECURRENCE@400, DEATH@900
  const codes = Int32Array.of(1, 3, 0);
  const days = Int32Array.of(0, 400, 900);
  it('evaluate code windows, absences and event counts', () => {
    const check = (c: object) => compileCriteria([c as never], vocab).accept(codes, days, 0, 3);
    expect(check({ code: 'RECURRENCE', within_days: 730 })).toBe(true);
    expect(check({ code: 'RECURRENCE', within_days: 399 })).toBe(false);
    expect(check({ code: 'RECURRENCE', after_days: 401 })).toBe(false);
    expect(check({ not_code: 'DEATH', within_days: 899 })).toBe(true);
    expect(check({ not_code: 'DEATH' })).toBe(false);
    expect(check({ min_events: 3 })).toBe(true);
    expect(check({ min_events: 4 })).toBe(false);
    expect(check({ max_events: 2 })).toBe(false);
  });
  it('tally each criterion and the acceptance', () => {
    const { accept, tally } = compileCriteria(
      [
        { code: 'RECURRENCE', within_days: 730 },
        { not_code: 'DEATH', within_days: 90 },
      ],
      vocab,
    );
    accept(codes, days, 0, 3);
    accept(codes, days, 0, 1);
    expect(tally.candidates).toBe(2);
    expect(tally.accepted).toBe(1);
    expect(Array.from(tally.met)).toEqual([1, 2]);
    expect(tally.labels).toEqual(['RECURRENCE within 730 days', 'no DEATH within 90 days']);
  });
  it('refuse a code the model does not know, listing the known ones', () => {
    expect(() => compileCriteria([{ code: 'RELAPSE' }], vocab)).toThrow(
      /'RELAPSE' is not in the model's vocabulary; known codes: DEATH, DIAGNOSIS/,
    );
  });
});

describe('attribute requests', () => {
  const attrs: AttributeSpec[] = [
    { name: 'age', kind: 'numeric' },
    { name: 'stage', kind: 'categorical', levels: ['I', 'II', 'III', 'IV'] },
  ];
  it('refuse unknown attributes and levels, listing what the model knows', () => {
    expect(() => resolveAttributeRequests({ grade: 'G1' }, attrs)).toThrow(
      /no attribute 'grade'; it has: age \(numeric\), stage \(categorical\)/,
    );
    expect(() => resolveAttributeRequests({ stage: 'V' }, attrs)).toThrow(
      /'V' is not a level of stage the model knows; known levels: I, II, III, IV/,
    );
    expect(() => resolveAttributeRequests({ age: 'old' }, attrs)).toThrow(/age is numeric/);
    expect(() =>
      resolveAttributeRequests({ stage: { distribution: 'uniform', min: 1, max: 2 } }, attrs),
    ).toThrow(/stage is categorical/);
  });
  it('draw category weights and truncated normals as requested', () => {
    const [age, stage] = resolveAttributeRequests(
      {
        age: { distribution: 'normal', mean: 72, sd: 8, min: 70, max: 90 },
        stage: { weights: { III: 3, IV: 1 } },
      },
      attrs,
    );
    const rng = new Rng('attr');
    const n = 20_000;
    let iv = 0;
    let minAge = Number.POSITIVE_INFINITY;
    let maxAge = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const s = stage!.sample(rng);
      expect(s === 2 || s === 3).toBe(true);
      if (s === 3) iv++;
      const a = age!.sample(rng);
      minAge = Math.min(minAge, a);
      maxAge = Math.max(maxAge, a);
    }
    // share of IV: 0.25, binomial SE = sqrt(.25*.75/20000) ≈ 0.0031; allow 4 SE
    expect(Math.abs(iv / n - 0.25)).toBeLessThan(0.0125);
    expect(minAge).toBeGreaterThanOrEqual(70);
    expect(maxAge).toBeLessThanOrEqual(90);
    expect(stage!.requestedShares).toEqual([0, 0, 0.75, 0.25]);
  });
});
