import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const dir = useTempDir('infer-cli');
const colon = join(dir, 'colon');
const syn = join(dir, 'syn');
const contrast = ['--target', 'survival@1095', '--by', 'rx', '--levels', 'Obs,Lev+5FU'];

beforeAll(() => {
  const imported = runTrajsim([
    'import',
    '--patients',
    'data/colon/patients.csv',
    '--events',
    'data/colon/events.csv',
    '--categorical',
    'obstruct,perfor,adhere,node4',
    '--out',
    colon,
    '--quiet',
  ]);
  expect(imported.status).toBe(0);
  const generated = runTrajsim([
    'generate',
    '--model',
    'models/default',
    '--patients',
    '3000',
    '--seed',
    '3',
    '--out',
    syn,
    '--quiet',
  ]);
  expect(generated.status).toBe(0);
}, 120_000);

/** S(t) of a `stats km --json` group at day t (step function). */
function survivalOf(group: { time: number[]; surv: number[] }, t: number): number {
  let s = 1;
  group.time.forEach((u, i) => {
    if (u <= t) s = group.surv[i]!;
  });
  return s;
}

describe('trajsim infer', () => {
  it('prints real, naive synthetic and combined rows, and the full-data estimate equals stats km', () => {
    const r = runTrajsim([
      'infer',
      '--real',
      colon,
      '--real-sample',
      '150',
      '--synthetic',
      syn,
      '--model',
      'models/default',
      '--twins-per-patient',
      '3',
      ...contrast,
      '--json',
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.target).toBe('survival@1095 (rx: Lev+5FU − Obs)');
    expect(out.rows.map((x: { method: string }) => x.method)).toEqual([
      'real',
      'synthetic',
      'combined',
    ]);
    for (const row of out.rows) {
      expect(row.lower).toBeLessThan(row.estimate);
      expect(row.upper).toBeGreaterThan(row.estimate);
    }
    expect(out.counts).toEqual({ real: 150, synthetic: 3000, twins: 450 });
    expect(out.synthetic_weight).toBeGreaterThanOrEqual(0);
    expect(out.synthetic_weight).toBeLessThanOrEqual(1);
    const km = JSON.parse(runTrajsim(['stats', 'km', colon, '--by', 'rx', '--json']).stdout) as {
      groups: { group: string; time: number[]; surv: number[] }[];
    };
    const g = (name: string) => km.groups.find((x) => x.group === name)!;
    expect(out.full_data.patients).toBe(929);
    expect(out.full_data.estimate).toBeCloseTo(
      survivalOf(g('Lev+5FU'), 1095) - survivalOf(g('Obs'), 1095),
      12,
    );
  });

  it('generate --twins-of writes twins that infer --twins uses; twins of other patients are refused', () => {
    const sample = ['--real-sample', '100', '--seed', '5'];
    // The same subsample as a timeline directory is not written by infer; twins of the full
    // data cannot stand in for it, so --twins refuses them.
    const twins = join(dir, 'twins-all');
    const g = runTrajsim([
      'generate',
      '--model',
      'models/default',
      '--twins-of',
      colon,
      '--twins-per-patient',
      '1',
      '--seed',
      '5',
      '--out',
      twins,
      '--quiet',
    ]);
    expect(g.status).toBe(0);
    expect(g.stdout).toMatch(/generated 929 twins/);
    const refused = runTrajsim([
      'infer',
      '--real',
      colon,
      ...sample,
      '--synthetic',
      syn,
      '--twins',
      twins,
      ...contrast,
    ]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/twins are of other patients/);
    const full = runTrajsim([
      'infer',
      '--real',
      colon,
      '--synthetic',
      syn,
      '--twins',
      twins,
      ...contrast,
      '--json',
    ]);
    expect(full.status).toBe(0);
    expect(JSON.parse(full.stdout).counts.twins).toBe(929);
  });

  it('without twins the combined row equals the real row and a note says why', () => {
    const text = runTrajsim(['infer', '--real', colon, '--synthetic', syn, '--target', 'median']);
    expect(text.status).toBe(0);
    expect(text.stderr).toMatch(/no twins of the real patients/);
    const r = runTrajsim([
      'infer',
      '--real',
      colon,
      '--synthetic',
      syn,
      '--target',
      'median',
      '--json',
    ]);
    const out = JSON.parse(r.stdout);
    expect({ ...out.rows[2], method: 'real' }).toEqual(out.rows[0]);
    expect(out.synthetic_weight).toBe(0);
  });

  it('rejects a bad target with exit code 2, naming the forms it accepts', () => {
    const r = runTrajsim(['infer', '--real', colon, '--synthetic', syn, '--target', 'mean']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/survival@DAYS, rmst@DAYS, median or hr:ATTRIBUTE/);
  });

  it('hr: a Cox log hazard ratio adjusted for other attributes', () => {
    const r = runTrajsim([
      'infer',
      '--real',
      colon,
      '--synthetic',
      syn,
      '--target',
      'hr:rx',
      '--levels',
      'Obs,Lev+5FU',
      '--adjust',
      'age,sex,nodes',
      '--json',
    ]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows[0].estimate).toBeLessThan(0); // Lev+5FU lowers the hazard in colon
  });

  it('validate --infer adds the three rows per target to report.json and report.html', () => {
    const out = join(dir, 'fidelity');
    const r = runTrajsim([
      'validate',
      '--real',
      colon,
      '--synthetic',
      syn,
      '--out',
      out,
      '--repeats',
      '1',
      '--infer',
      'survival@1095,median',
      '--infer-by',
      'rx',
      '--infer-levels',
      'Obs,Lev+5FU',
      '--quiet',
    ]);
    expect([0, 1]).toContain(r.status);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.inference.map((x: { target: string }) => x.target)).toEqual([
      'survival@1095 (rx: Lev+5FU − Obs)',
      'median (rx: Lev+5FU − Obs)',
    ]);
    expect(report.inference[0].rows).toHaveLength(3);
    expect(report.metrics.length).toBeGreaterThan(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Inference</h2>');
    expect(html.indexOf('<h2>Inference</h2>')).toBeLessThan(html.indexOf('</main>'));
  });
});
