import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const dir = useTempDir('rules-cli');

describe('trajsim rules', () => {
  it('mines a timeline into plain words and writes rules.json; reads a model folder', () => {
    const colon = join(dir, 'colon');
    const imported = runTrajsim([
      'import',
      '--patients',
      'data/colon/patients.csv',
      '--events',
      'data/colon/events.csv',
      '--categorical',
      'obstruct,perfor,adhere,node4',
      '--name',
      'colon',
      '--out',
      colon,
      '--quiet',
    ]);
    expect(imported.status).toBe(0);
    const out = join(dir, 'rules.json');
    const mined = runTrajsim(['rules', colon, '--out', out, '--quiet']);
    expect(mined.status).toBe(0);
    expect(mined.stdout).toContain('17 rules of colon (929 patients):');
    expect(mined.stdout).toContain(
      'RECURRENCE occurs at most once: 468 of 468 patients with one keep it, 0 exceptions',
    );
    expect(mined.stdout).toContain('rx = Lev always has TREATMENT_START:Lev: 310 of 310');
    // the committed default model holds exactly these rules
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('models/default/rules.json', 'utf8'));
    const json = runTrajsim(['rules', 'models/default', '--json']);
    expect(JSON.parse(json.stdout).rules.length).toBe(17);
    // a user rule on validate: audited on both sides, marked as the user's
    const edits = join(dir, 'edits.json');
    writeFileSync(
      edits,
      JSON.stringify({
        add: [{ kind: 'day_range', code: 'RECURRENCE', min_day: 0, max_day: 365 }],
      }),
    );
    const report = join(dir, 'report');
    const validated = runTrajsim([
      'validate',
      '--real',
      colon,
      '--synthetic',
      colon,
      '--out',
      report,
      '--repeats',
      '2',
      '--rules',
      edits,
      '--quiet',
    ]);
    expect(validated.status).toBe(0);
    expect(validated.stdout).toContain('plausibility: 18/18 hard rules hold');
    const user = JSON.parse(
      readFileSync(join(report, 'report.json'), 'utf8'),
    ).plausibility.rules.find((r: { origin: string }) => r.origin === 'user');
    expect(user.rule).toBe('RECURRENCE never occurs after day 365');
    expect(user.real.violating).toBeGreaterThan(0); // real recurrences after a year
    expect(user.synthetic.violating).toBe(user.real.violating);
    const bad = runTrajsim(['rules', dir]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/neither a timeline directory/);
  });
});
