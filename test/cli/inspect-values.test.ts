import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('inspect-values');

/** Per-code values read straight from data/nafld/events.csv (no trajsim code involved). */
function csvValues(): Map<string, { events: number; values: number[] }> {
  const lines = readFileSync('data/nafld/events.csv', 'utf8').trim().split('\n').slice(1);
  const out = new Map<string, { events: number; values: number[] }>();
  for (const line of lines) {
    const [, , code, value] = line.split(',');
    const entry = out.get(code!) ?? { events: 0, values: [] };
    entry.events++;
    if (value !== undefined && value !== '') entry.values.push(Number(value));
    out.set(code!, entry);
  }
  return out;
}

describe('trajsim inspect shows per-code value summaries (nafld)', () => {
  const out = join(root, 'nafld');
  let imported: ReturnType<typeof runTrajsim>;
  beforeAll(() => {
    imported = runTrajsim([
      'import',
      '--patients',
      'data/nafld/patients.csv',
      '--events',
      'data/nafld/events.csv',
      '--out',
      out,
    ]);
  });

  it('--json carries n with value, missing share, min/median/mean/max and integer-ness per valued code', () => {
    expect(imported.status).toBe(0);
    const r = runTrajsim(['inspect', out, '--json']);
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout) as {
      values: {
        code: string;
        events: number;
        withValue: number;
        missingShare: number;
        min: number;
        median: number;
        mean: number;
        max: number;
        integer: boolean;
      }[];
    };
    const expected = [...csvValues()].filter(([, v]) => v.values.length > 0);
    expect(d.values.map((v) => v.code).sort()).toEqual(expected.map(([c]) => c).sort());
    for (const [code, e] of expected) {
      const got = d.values.find((v) => v.code === code)!;
      const sorted = [...e.values].sort((a, b) => a - b);
      const n = sorted.length;
      const mid = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
      expect(got.events).toBe(e.events);
      expect(got.withValue).toBe(n);
      expect(got.missingShare).toBe((e.events - n) / e.events);
      expect(got.min).toBe(sorted[0]);
      expect(got.max).toBe(sorted[n - 1]);
      expect(got.median).toBeCloseTo(mid, 9);
      expect(got.mean).toBeCloseTo(sorted.reduce((s, v) => s + v, 0) / n, 9);
      expect(got.integer).toBe(sorted.every(Number.isInteger));
    }
    // The README's figures: HDL median 48, systolic pressure median 136, smoking 0/1.
    expect(d.values.find((v) => v.code === 'LAB:hdl')?.median).toBe(48);
    expect(d.values.find((v) => v.code === 'LAB:sbp')?.median).toBe(136);
    expect(d.values.find((v) => v.code === 'LAB:smoke')).toMatchObject({
      min: 0,
      max: 1,
      integer: true,
    });
  });

  it('the text output lists the values block', () => {
    const r = runTrajsim(['inspect', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/values \(with value \/ events/);
    expect(r.stdout).toMatch(/LAB:hdl +67232\/67232, missing 0%; min 2, median 48/);
  });
});
