import { beforeAll, describe, expect, it } from 'vitest';
import { simulateReference } from '../../src/reference/reference-process.js';
import { describeRuleWithSupport } from '../../src/rules/describe-rule.js';
import { mineRules } from '../../src/rules/mine-rules.js';
import { ruleId } from '../../src/rules/rule-schema.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { useTempDir } from '../helpers/tmp.js';
import { importBundled, subsetTimeline } from './helpers.js';

const dir = useTempDir('mine-rules');
let colon: Timeline;
let reference: Timeline;

beforeAll(async () => {
  colon = await importBundled('colon', dir);
  await simulateReference(`${dir}/reference`, { patients: 20_000, seed: 1 });
  reference = await readTimeline(`${dir}/reference`);
});

/**
 * The rules the reference process obeys by construction (docs/reference-process.md,
 * "Plausibility rules it obeys"), written from its definition, not from the miner.
 */
const REFERENCE_RULES_BY_CONSTRUCTION = [
  // diagnosis: day 0, first, once, in everyone
  'required:DIAGNOSIS',
  'first:DIAGNOSIS',
  'day_range:DIAGNOSIS',
  'max_count:DIAGNOSIS',
  // one first line (4 options), each line 2..4 at most once, at most 4 lines, so at most 4 disease events
  'max_count:TREATMENT:SURGERY',
  'max_count:TREATMENT:CHEMO',
  'max_count:TREATMENT:TARGETED',
  'max_count:TREATMENT:IMMUNO',
  'max_count:TREATMENT:LINE2',
  'max_count:TREATMENT:LINE3',
  'max_count:TREATMENT:LINE4',
  'max_count:TREATMENT:*',
  'max_count:PROGRESSION',
  // clinical events only once a line has started; lines in order
  'precedence:TREATMENT:*>RESPONSE',
  'precedence:TREATMENT:*>PROGRESSION',
  'precedence:TREATMENT:*>RECURRENCE',
  'precedence:TREATMENT:*>TREATMENT:LINE2',
  'precedence:TREATMENT:LINE2>TREATMENT:LINE3',
  'precedence:TREATMENT:LINE3>TREATMENT:LINE4',
  // the first-line options exclude each other
  'exclusive:TREATMENT:CHEMO|TREATMENT:IMMUNO',
  'exclusive:TREATMENT:CHEMO|TREATMENT:SURGERY',
  'exclusive:TREATMENT:CHEMO|TREATMENT:TARGETED',
  'exclusive:TREATMENT:IMMUNO|TREATMENT:SURGERY',
  'exclusive:TREATMENT:IMMUNO|TREATMENT:TARGETED',
  'exclusive:TREATMENT:SURGERY|TREATMENT:TARGETED',
  // the first-line table: zero probabilities
  'code_requires_level:TREATMENT:IMMUNO@stage', // stage III, IV only
  'code_requires_level:TREATMENT:SURGERY@stage', // never stage IV
  'code_requires_level:TREATMENT:TARGETED@stage', // never stage I
  'code_requires_level:TREATMENT:TARGETED@biomarker', // biomarker pos only
];

describe('rule mining', () => {
  it('finds exactly the rules the reference process obeys by construction (20 000 patients, seed 1)', () => {
    const mined = mineRules(reference);
    expect(mined.rules.map(ruleId).sort()).toEqual([...REFERENCE_RULES_BY_CONSTRUCTION].sort());
    for (const r of mined.rules) expect(r.support?.exceptions).toBe(0);
    const levels = Object.fromEntries(
      mined.rules.flatMap((r) =>
        r.kind === 'code_requires_level' ? [[ruleId(r), r.levels.join(',')]] : [],
      ),
    );
    expect(levels).toEqual({
      'code_requires_level:TREATMENT:IMMUNO@stage': 'III,IV',
      'code_requires_level:TREATMENT:SURGERY@stage': 'I,II,III',
      'code_requires_level:TREATMENT:TARGETED@stage': 'II,III,IV',
      'code_requires_level:TREATMENT:TARGETED@biomarker': 'pos',
    });
    const maxima = Object.fromEntries(
      mined.rules.flatMap((r) => (r.kind === 'max_count' ? [[r.code, r.max]] : [])),
    );
    expect(maxima['TREATMENT:*']).toBe(4);
    expect(maxima['PROGRESSION']).toBe(4);
    expect(maxima['TREATMENT:SURGERY']).toBe(1);
  });

  it('finds the colon trial arm from the rx × TREATMENT_START contingency table, both ways', () => {
    const rules = mineRules(colon).rules;
    const ids = rules.map(ruleId);
    for (const arm of ['Lev', 'Lev+5FU', 'Obs']) {
      expect(ids).toContain(`code_requires_level:TREATMENT_START:${arm}@rx`);
      expect(ids).toContain(`level_requires_code:rx=${arm}>TREATMENT_START:${arm}`);
    }
    // counts from data/colon/events.csv: 929 patients, 468 with a RECURRENCE, none twice
    const lines = rules.map(describeRuleWithSupport);
    expect(lines).toContain(
      'RECURRENCE occurs at most once: 468 of 468 patients with one keep it, 0 exceptions [hard, mined; max_count:RECURRENCE]',
    );
    expect(ids).toEqual(
      expect.arrayContaining([
        'required:DIAGNOSIS',
        'required:TREATMENT_START:*',
        'max_count:TREATMENT_START:*',
        'first:DIAGNOSIS',
        'day_range:TREATMENT_START:*',
      ]),
    );
    // rx is the only attribute that determines a code
    expect(rules.filter((r) => 'attribute' in r && r.attribute !== 'rx').map(ruleId)).toEqual([]);
  });

  it('states no law from small data: 25 patients give no rule (each needs 30 at risk)', () => {
    const small = subsetTimeline(
      colon,
      Array.from({ length: 25 }, (_, i) => i * 37),
    );
    expect(mineRules(small).rules).toEqual([]);
    expect(mineRules(small, { minAtRisk: 20 }).rules.map(ruleId)).toContain('required:DIAGNOSIS');
  });
});
