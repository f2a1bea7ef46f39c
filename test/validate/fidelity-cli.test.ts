import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { simulateReference } from '../../src/reference/reference-process.js';

const root = mkdtempSync(join(tmpdir(), 'trajsim-validate-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = (name: string) => join(root, name);

/** Runs the CLI, capturing stdout and stderr. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const code = await runCli(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  await simulateReference(dir('real'), { patients: 3000, seed: 'real' });
  await simulateReference(dir('syn0'), { patients: 1600, seed: 'syn' });
  await simulateReference(dir('syn1'), { patients: 1400, seed: 'syn', firstPatient: 1600 });
  await simulateReference(dir('bad'), {
    patients: 3000,
    seed: 'syn',
    removeTransition: 'RECURRENCE',
  });
  writeFileSync(
    join(dir('syn0'), 'generation.json'),
    JSON.stringify({ requested: { patients: 3000 }, achieved: { patients: 3000 } }),
  );
});

describe('trajsim validate', () => {
  it('passes two shards of an independent sample, writing report.json and report.html', async () => {
    const r = await cli([
      'validate',
      '--real',
      dir('real'),
      '--synthetic',
      dir('syn0'),
      dir('syn1'),
      '--out',
      dir('ok'),
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PASS: /);
    const report = JSON.parse(readFileSync(join(dir('ok'), 'report.json'), 'utf8'));
    expect(report.synthetic.patients).toBe(3000);
    expect(report.passed).toBe(true);
    expect(report.generation[0].content.achieved.patients).toBe(3000);
    expect(existsSync(join(dir('ok'), 'report.html'))).toBe(true);
  });

  it('exits 1 on a perturbed cohort and prints each failed metric with value, threshold and noise floor', async () => {
    const r = await cli([
      'validate',
      '--real',
      dir('real'),
      '--synthetic',
      dir('bad'),
      '--out',
      dir('fail'),
      '--quiet',
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL: /);
    expect(r.err).toMatch(
      /FAIL time_to_first\.RECURRENCE\.cif_sup: value [\d.]+ probability, ratio [\d.]+ \(matched [\d.]+ vs noise floor [\d.]+, SD [\d.]+\); threshold maxRatio 5 \(tolerance 0\.05\)/,
    );
  });

  it('--json prints the report; --thresholds replaces the defaults; a bad file names the field', async () => {
    const lenient = join(root, 'lenient.json');
    writeFileSync(
      lenient,
      JSON.stringify({ version: 1, defaults: { maxRatio: 1000 }, metrics: {} }),
    );
    const r = await cli([
      'validate',
      '--real',
      dir('real'),
      '--synthetic',
      dir('bad'),
      '--out',
      dir('lenient'),
      '--thresholds',
      lenient,
      '--json',
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).format).toBe('trajsim-fidelity-report');
    const broken = join(root, 'broken.json');
    writeFileSync(broken, JSON.stringify({ version: 1, defaults: { maxRatio: -1 }, metrics: {} }));
    const b = await cli([
      'validate',
      '--real',
      dir('real'),
      '--synthetic',
      dir('bad'),
      '--out',
      dir('x'),
      '--thresholds',
      broken,
    ]);
    expect(b.code).toBe(2);
    expect(b.err).toContain('broken.json: defaults.maxRatio:');
  });

  it('uses the horizon given', async () => {
    const r = await cli([
      'validate',
      '--real',
      dir('real'),
      '--synthetic',
      dir('syn0'),
      '--out',
      dir('h'),
      '--horizon-days',
      '365',
      '--json',
      '--quiet',
    ]);
    expect(JSON.parse(r.out).settings.horizonDays).toBe(365);
  });
});

describe('trajsim stats', () => {
  it('km --by prints one survfit-shaped group per level, with median and RMST at tau', async () => {
    const r = await cli([
      'stats',
      'km',
      dir('real'),
      '--endpoint',
      'DEATH',
      '--by',
      'stage',
      '--rmst-tau',
      '730',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const km = JSON.parse(r.out);
    expect(km.groups.map((g: { group: string }) => g.group)).toEqual(['I', 'II', 'III', 'IV']);
    const g = km.groups[3];
    for (const key of ['time', 'n_risk', 'n_event', 'surv', 'std_err', 'lower', 'upper']) {
      expect(g[key].length).toBe(g.time.length);
    }
    expect(Object.keys(g.rmst)).toEqual(['tau', 'value', 'se']);
    expect(g.rmst.tau).toBe(730);
    // Stage IV dies sooner than stage I.
    expect(km.groups[3].rmst.value).toBeLessThan(km.groups[0].rmst.value);
  });

  it('logrank prints {chisq, df, p}; cox prints treatment contrasts against the first level', async () => {
    const lr = JSON.parse(
      (await cli(['stats', 'logrank', dir('real'), '--by', 'stage', '--json'])).out,
    );
    expect(Object.keys(lr)).toEqual(['chisq', 'df', 'p']);
    expect(lr.df).toBe(3);
    expect(lr.p).toBeLessThan(1e-6);
    const cox = JSON.parse(
      (
        await cli([
          'stats',
          'cox',
          dir('real'),
          '--endpoint',
          'DEATH',
          '--covariates',
          'stage,age',
          '--json',
        ])
      ).out,
    );
    expect(Object.keys(cox)).toEqual(['terms', 'loglik', 'n', 'events']);
    expect(cox.terms.map((t: { term: string }) => t.term)).toEqual([
      'stageII',
      'stageIII',
      'stageIV',
      'age',
    ]);
    expect(Object.keys(cox.terms[0])).toEqual(['term', 'coef', 'se', 'hr', 'lower', 'upper', 'p']);
    expect(cox.loglik).toHaveLength(2);
    expect(cox.terms[2].hr).toBeGreaterThan(1);
  });

  it('km warns when --rmst-tau is beyond follow-up; cox text names its reference levels', async () => {
    const km = await cli(['stats', 'km', dir('real'), '--by', 'stage', '--rmst-tau', '100000']);
    expect(km.code).toBe(0);
    expect(km.err).toContain('RMST_TAU_BEYOND_FOLLOWUP');
    expect(km.out).toMatch(/^I: n=\d+ events=\d+ /m);
    const cox = await cli(['stats', 'cox', dir('real'), '--covariates', 'stage,age']);
    expect(cox.code).toBe(0);
    expect(cox.out).toContain('reference levels: stage=I');
  });

  it('refuses logrank without --by and an unknown attribute, naming it', async () => {
    expect((await cli(['stats', 'logrank', dir('real')])).err).toContain(
      "required option '--by <attribute>'",
    );
    const r = await cli(['stats', 'km', dir('real'), '--by', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("by: no attribute 'nope'");
    expect(r.err).not.toContain('--by nope');
  });
});
