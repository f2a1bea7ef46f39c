import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportTimeline } from '../../src/timeline/export.js';
import { importTimeline } from '../../src/timeline/import.js';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('real');
const DATASETS = ['colon', 'mgus2', 'cgd'] as const;

/** The figures each data folder's README states, parsed from its text (not from trajsim). */
function readmeFigures(dataset: string) {
  const text = readFileSync(join('data', dataset, 'README.md'), 'utf8');
  const num = (re: RegExp): number => {
    const m = re.exec(text);
    if (!m) throw new Error(`README of ${dataset}: no match for ${re}`);
    return Number(m[1]);
  };
  const codes = new Map<string, { events: number; patients: number }>();
  for (const m of text.matchAll(/^\| `([^`]+)` \| (\d+) \| (\d+) \|/gm)) {
    codes.set(m[1]!, { events: Number(m[2]), patients: Number(m[3]) });
  }
  return {
    patients: num(/`patients.csv`: (\d+) rows/),
    events: num(/`events.csv`: (\d+) rows/),
    deaths: num(/DEATH = (\d+)/),
    censored: num(/END_OF_FOLLOWUP = (\d+)/),
    medianFollowUp: num(/Follow-up \(terminal day\): median (\d+) d/),
    maxFollowUp: num(/max (\d+) d; reverse/),
    reverseKmMedian: num(
      /reverse-Kaplan-Meier median follow-up \(DEATH treated as censoring\) (\d+) d/,
    ),
    codes,
  };
}

describe('the bundled real datasets', () => {
  for (const dataset of DATASETS) {
    it(`trajsim import + inspect --json of ${dataset} give the README's counts`, () => {
      const out = join(root, dataset);
      const imp = runTrajsim([
        'import',
        '--patients',
        `data/${dataset}/patients.csv`,
        '--events',
        `data/${dataset}/events.csv`,
        '--out',
        out,
      ]);
      expect(imp.stderr).toBe('');
      expect(imp.status).toBe(0);
      const inspect = runTrajsim(['inspect', out, '--json']);
      expect(inspect.status).toBe(0);
      const d = JSON.parse(inspect.stdout);
      const r = readmeFigures(dataset);
      expect(d.patients).toBe(r.patients);
      expect(d.events).toBe(r.events);
      expect(d.terminal).toEqual({ deaths: r.deaths, censored: r.censored });
      expect(d.followUpDays.medianObserved).toBe(r.medianFollowUp);
      expect(d.followUpDays.max).toBe(r.maxFollowUp);
      expect(d.followUpDays.medianReverseKm).toBe(r.reverseKmMedian);
      expect(r.codes.size).toBeGreaterThan(2);
      expect(d.codes.length).toBe(r.codes.size);
      for (const c of d.codes) expect({ code: c.code, ...r.codes.get(c.code) }).toEqual(c);
    });

    it(`CSV → Arrow → CSV is lossless for ${dataset} (byte-identical files)`, async () => {
      const arrowDir = join(root, `${dataset}-rt`);
      const csvDir = join(root, `${dataset}-rt-csv`);
      await importTimeline({
        patients: `data/${dataset}/patients.csv`,
        events: `data/${dataset}/events.csv`,
        out: arrowDir,
      });
      await exportTimeline(arrowDir, csvDir, { dates: false });
      for (const f of ['patients.csv', 'events.csv']) {
        expect(readFileSync(join(csvDir, f), 'utf8')).toBe(
          readFileSync(join('data', dataset, f), 'utf8'),
        );
      }
    });
  }

  it('export adds absolute dates (index_date + day) by default', () => {
    const out = join(root, 'colon-dates');
    expect(runTrajsim(['export', join(root, 'colon'), '--out', out]).status).toBe(0);
    const lines = readFileSync(join(out, 'events.csv'), 'utf8').split('\n');
    expect(lines[0]).toBe('patient_id,day,code,value,date');
    // patient 1: index_date 2000-01-10 (patients.csv line 2); its first event is at day 0
    expect(lines[1]).toBe('1,0,DIAGNOSIS,,2000-01-10');
  });

  it('Arrow tables import to the same timeline as the CSV they came from', async () => {
    const fromArrow = join(root, 'colon-from-arrow');
    const m1 = await importTimeline({
      patients: join(root, 'colon-rt', 'patients.arrow'),
      events: join(root, 'colon-rt', 'events.arrow'),
      out: fromArrow,
      name: 'colon-rt',
    });
    const m0 = JSON.parse(readFileSync(join(root, 'colon-rt', 'timeline.json'), 'utf8'));
    expect(m1.contentHash).toBe(m0.contentHash);
  });
});

describe('the CLI reports errors in one line, without a stack trace', () => {
  it('names file, line and rule, exits 2, and shows the stack only with --debug', () => {
    const r = runTrajsim([
      'import',
      '--patients',
      'data/colon/patients.csv',
      '--events',
      'data/mgus2/events.csv',
      '--out',
      join(root, 'mixed'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^trajsim: error \[INVALID_INPUT\]: events.csv:\d+: patient_id: '\d+' is not in patients.csv\n$/,
    );
    const d = runTrajsim([
      'import',
      '--debug',
      '--patients',
      'data/colon/patients.csv',
      '--events',
      'data/mgus2/events.csv',
      '--out',
      join(root, 'mixed'),
    ]);
    expect(d.stderr).toMatch(/at (async )?importTimeline/);
  });
});
