import { describe, expect, it } from 'vitest';
import { TRUE_SURVIVAL_TABLE } from '../../src/reference/true-survival.js';
import { makeTrueSurvivalTable } from '../../src/reference/true-survival-table.js';

describe('makeTrueSurvivalTable', () => {
  it('reproduces the committed table (stage III, days 0..400) to the last stored digit', () => {
    const t = makeTrueSurvivalTable({ stages: ['III'], horizonDays: 400 });
    expect(t.parametersHash).toBe(TRUE_SURVIVAL_TABLE.parametersHash);
    expect(t.parametersVersion).toBe(TRUE_SURVIVAL_TABLE.parametersVersion);
    expect(Object.keys(t.survival)).toEqual(['III']);
    expect(t.survival.III).toEqual(TRUE_SURVIVAL_TABLE.survival.III.slice(0, 401));
  });
});
