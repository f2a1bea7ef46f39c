import { beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/report/render-report.js';
import { auditRules } from '../../src/rules/audit-rules.js';
import { mineRules } from '../../src/rules/mine-rules.js';
import { proportionDifferenceInterval, wilsonInterval } from '../../src/stats/wilson-interval.js';
import type { Timeline } from '../../src/timeline/types.js';
import { defaultThresholds } from '../../src/validate/default-thresholds.js';
import { plausibilitySection } from '../../src/validate/metrics/plausibility.js';
import { validateTimelineDirs } from '../../src/validate/validate-dirs.js';
import { useTempDir } from '../helpers/tmp.js';
import { importBundled } from '../rules/helpers.js';

const dir = useTempDir('plausibility');
let colon: Timeline;

beforeAll(async () => {
  colon = await importBundled('colon', dir);
});

/** A "broken generator": colon with a second RECURRENCE, on the day of the first, for every `every`-th recurring patient. */
function duplicateRecurrence(t: Timeline, every: number): { timeline: Timeline; ids: string[] } {
  const rec = t.events.codes.indexOf('RECURRENCE');
  const day: number[] = [];
  const code: number[] = [];
  const patient: number[] = [];
  const offsets = [0];
  const ids: string[] = [];
  let seen = 0;
  for (let p = 0; p < t.patients.ids.length; p++) {
    let duplicated = false;
    for (let e = t.offsets[p]!; e < t.offsets[p + 1]!; e++) {
      const copies = t.events.code[e] === rec && seen++ % every === 0 ? 2 : 1;
      if (copies === 2) duplicated = true;
      for (let k = 0; k < copies; k++) {
        day.push(t.events.day[e]!);
        code.push(t.events.code[e]!);
        patient.push(p);
      }
    }
    if (duplicated) ids.push(t.patients.ids[p]!);
    offsets.push(day.length);
  }
  return {
    ids,
    timeline: {
      ...t,
      name: 'broken',
      events: {
        ...t.events,
        day: Int32Array.from(day),
        code: Int32Array.from(code),
        patient: Int32Array.from(patient),
        value: new Float64Array(day.length).fill(Number.NaN),
      },
      offsets: Int32Array.from(offsets),
    },
  };
}

describe('plausibility audit', () => {
  it('Wilson and Newcombe intervals match the closed forms (values as R prop.test(correct = FALSE))', () => {
    // closed-form values computed outside trajsim (z = qnorm(0.975))
    expect(wilsonInterval(0, 929).upper).toBeCloseTo(0.004118018967071349, 12);
    expect(wilsonInterval(0, 929).lower).toBe(0);
    const w = wilsonInterval(21, 2000);
    expect(w.lower).toBeCloseTo(0.006877887380873444, 12);
    expect(w.upper).toBeCloseTo(0.015998901907473176, 12);
    // 21 of 2000 vs 0 of 929: beyond noise; 3 of 2000: not
    expect(proportionDifferenceInterval(21, 2000, 0, 929).lower).toBeCloseTo(
      0.0105 - Math.hypot(0.0105 - 0.006877887380873444, 0.004118018967071349),
      12,
    );
    expect(proportionDifferenceInterval(21, 2000, 0, 929).lower).toBeGreaterThan(0);
    expect(proportionDifferenceInterval(3, 2000, 0, 929).lower).toBeLessThan(0);
  });

  it('catches a generator that duplicates RECURRENCE, names the rule and the patients', () => {
    const rules = mineRules(colon).rules;
    const { timeline, ids } = duplicateRecurrence(colon, 10);
    expect(ids.length).toBe(47); // every 10th of the 468 recurring patients
    const section = plausibilitySection(auditRules(colon, rules), auditRules(timeline, rules));
    expect(section.passed).toBe(false);
    const failed = section.rules.filter((r) => r.pass === false);
    expect(failed.map((r) => r.id)).toEqual(['max_count:RECURRENCE']);
    expect(failed[0]!.synthetic.violating).toBe(47);
    expect(failed[0]!.synthetic.examples).toEqual(ids.slice(0, 5));
    expect(failed[0]!.real.violating).toBe(0);
    expect(failed[0]!.rule).toBe('RECURRENCE occurs at most once');
  });

  it('validate reports a Plausibility section; real data against itself passes every rule', async () => {
    const report = await validateTimelineDirs(`${dir}/colon`, [`${dir}/colon`], {
      thresholds: defaultThresholds(),
      repeats: 2,
      seed: '1',
    });
    expect(report.plausibility?.passed).toBe(true);
    expect(report.plausibility?.rules.length).toBe(mineRules(colon).rules.length);
    expect(report.plausibility?.rules.every((r) => r.synthetic.violating === 0)).toBe(true);
    const html = renderReportHtml(report);
    expect(html).toContain('<h2>Plausibility</h2>');
    expect(html).toContain('RECURRENCE occurs at most once');
  });
});
