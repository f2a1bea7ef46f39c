import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelManifest } from '../../src/model/manifest.js';
import { fitMarkov, type MarkovParameters, MarkovStepModel } from '../../src/model/markov.js';
import { compileCriteria } from '../../src/scenario/criteria.js';
import { scenarioSchema } from '../../src/scenario/schema.js';
import type { Timeline } from '../../src/timeline/types.js';
import { importNafldSubset } from '../helpers/nafld.js';
import { useTempDir } from '../helpers/tmp.js';

const PATIENTS = 3000;
const root = useTempDir('value-criteria');
let nafld: Timeline;
let manifest: ModelManifest;
let markov: MarkovParameters;
let model: MarkovStepModel;

beforeAll(async () => {
  nafld = await importNafldSubset(root, PATIENTS);
  ({ manifest, markov } = fitMarkov(nafld, { seed: 1, condition: 'none' }));
  model = new MarkovStepModel(manifest, markov);
}, 60_000);

/** Patients of the raw CSV subset with an event of `code` on day <= `within` and value in (lo, hi): counted from the text. */
function countFromCsv(code: string, within: number, lo: number, hi: number): number {
  const ids = new Set(
    readFileSync('data/nafld/patients.csv', 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1, PATIENTS + 1)
      .map((l) => l.split(',')[0]),
  );
  const hit = new Set<string>();
  for (const line of readFileSync('data/nafld/events.csv', 'utf8').trimEnd().split('\n').slice(1)) {
    const [id, day, c, value] = line.split(',');
    if (!ids.has(id!) || c !== code || value === '' || value === undefined) continue;
    const v = Number(value);
    if (Number(day) <= within && v > lo && v < hi) hit.add(id!);
  }
  return hit.size;
}

/** Accepted patients of the timeline under one criterion (codes mapped to the model vocabulary). */
function accepted(criterion: object): number {
  const vocab = manifest.vocabulary.codes;
  const map = nafld.events.codes.map((c) => vocab.indexOf(c));
  const codes = Int32Array.from(nafld.events.code, (c) => map[c]!);
  const { accept } = compileCriteria([criterion as never], vocab, model.valuedCodes);
  let n = 0;
  for (let p = 0; p < nafld.patients.ids.length; p++) {
    const [s, e] = [nafld.offsets[p]!, nafld.offsets[p + 1]!];
    if (accept(codes, nafld.events.day, s, e, nafld.events.value)) n++;
  }
  return n;
}

describe('scenario criteria on event values (Markov model on a nafld subset)', () => {
  it('value_above / value_below select the patients the raw data says (strict bounds)', () => {
    const above = accepted({ code: 'LAB:hdl', value_above: 60, within_days: 365 });
    expect(above).toBe(countFromCsv('LAB:hdl', 365, 60, Number.POSITIVE_INFINITY));
    expect(above).toBeGreaterThan(50);
    const below = accepted({ code: 'LAB:hdl', value_below: 40, within_days: 365 });
    expect(below).toBe(countFromCsv('LAB:hdl', 365, Number.NEGATIVE_INFINITY, 40));
    const between = accepted({ code: 'LAB:sbp', value_above: 120, value_below: 140 });
    expect(between).toBe(countFromCsv('LAB:sbp', Number.POSITIVE_INFINITY, 120, 140));
  });

  it('bounds are exclusive and events without a value never match', () => {
    const vocab = manifest.vocabulary.codes;
    const hdl = vocab.indexOf('LAB:hdl');
    const check = (c: object, value: number) =>
      compileCriteria([c as never], vocab, model.valuedCodes).accept(
        Int32Array.of(hdl),
        Int32Array.of(10),
        0,
        1,
        Float64Array.of(value),
      );
    expect(check({ code: 'LAB:hdl', value_above: 60 }, 60)).toBe(false);
    expect(check({ code: 'LAB:hdl', value_above: 60 }, 60.5)).toBe(true);
    expect(check({ code: 'LAB:hdl', value_below: 60 }, 60)).toBe(false);
    expect(check({ code: 'LAB:hdl', value_below: 60 }, Number.NaN)).toBe(false);
    expect(check({ code: 'LAB:hdl', value_above: 60, after_days: 11 }, 70)).toBe(false);
  });

  it('refuse a value criterion on a code that is not valued, listing the valued codes', () => {
    const vocab = manifest.vocabulary.codes;
    expect(() =>
      compileCriteria([{ code: 'DEATH', value_above: 1 }], vocab, model.valuedCodes),
    ).toThrow(
      "code 'DEATH' is not a valued code of the model (value criteria need one); valued codes: LAB:fib4, LAB:hdl, LAB:sbp, LAB:smoke",
    );
    // a model without values (older Markov folder): no valued codes at all
    expect(() => compileCriteria([{ code: 'LAB:hdl', value_below: 40 }], vocab)).toThrow(
      /valued codes: none/,
    );
    expect(() =>
      compileCriteria([{ code: 'DEATH' }, { code: 'DEATH', value_below: 1 }], vocab),
    ).toThrow(expect.objectContaining({ code: 'SCENARIO', field: 'criteria[1].value_below' }));
  });

  it('label value criteria and refuse empty intervals in the schema', () => {
    const { tally } = compileCriteria(
      [{ code: 'LAB:hdl', value_above: 60, within_days: 365 }],
      manifest.vocabulary.codes,
      model.valuedCodes,
    );
    expect(tally.labels).toEqual(['LAB:hdl with value > 60 within 365 days']);
    const bad = scenarioSchema.safeParse({
      name: 'x',
      patients: 1,
      seed: 1,
      criteria: [{ code: 'LAB:hdl', value_above: 60, value_below: 50 }],
    });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/value_above must be less than value_below/);
  });
});
