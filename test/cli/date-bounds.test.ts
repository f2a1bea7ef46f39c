/**
 * Dates stay within 0001-01-01..9999-12-31 everywhere (issue 18 #4, #10, #26): import refuses
 * a day that takes index_date + day past 9999-12-31 (so inspect and export never meet an
 * invalid date), years 0001-0099 are valid, and a scenario window in year 9999 is refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { importTimeline } from '../../src/timeline/import.js';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('dates');

function write(name: string, text: string): string {
  const path = join(root, name);
  writeFileSync(path, text);
  return path;
}

describe('index_date + day stays a valid date', () => {
  it('refuses day 2147483647 (accepted before, then inspect/export crashed)', async () => {
    const patients = write('p1.csv', 'patient_id,index_date\nP1,2020-01-01\n');
    const events = write('e1.csv', 'patient_id,day,code\nP1,0,DIAGNOSIS\nP1,2147483647,DEATH\n');
    const error = await importTimeline({ patients, events, out: join(root, 'big-day') }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrajsimError);
    expect((error as TrajsimError).message).toBe(
      `e1.csv:3: day: day 2147483647 after index_date 2020-01-01 falls after 9999-12-31; dates must stay within 0001-01-01..9999-12-31`,
    );
  });

  it('accepts the last day 9999-12-31 and years 0001-0099, and exports them as 4-digit years', async () => {
    // 9999-01-01 + 364 days = 9999-12-31 (9999 is not a leap year)
    const patients = write('p2.csv', 'patient_id,index_date\nP1,9999-01-01\nP2,0042-03-01\n');
    const events = write(
      'e2.csv',
      'patient_id,day,code\nP1,0,DIAGNOSIS\nP1,364,DEATH\nP2,0,DIAGNOSIS\nP2,31,END_OF_FOLLOWUP\n',
    );
    const out = join(root, 'edge');
    await importTimeline({ patients, events, out });
    const r = runTrajsim(['export', out, '--out', join(root, 'edge-csv')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const csv = readFileSync(join(root, 'edge-csv', 'events.csv'), 'utf8');
    expect(csv).toContain('P1,364,DEATH,,9999-12-31\n');
    expect(csv).toContain('P2,31,END_OF_FOLLOWUP,,0042-04-01\n');
    expect(csv).not.toMatch(/\+0/);
  });
});

describe('scenario index-date windows', () => {
  it('a window whose follow-up reaches past 9999-12-31 is refused with the field named', () => {
    const scenario = write(
      'late.json',
      JSON.stringify({
        name: 'late',
        patients: 5,
        seed: 1,
        index_date: { from: '9999-01-01', to: '9999-06-30' },
        horizon_days: 365,
      }),
    );
    const r = runTrajsim(['generate', '--scenario', scenario, '--out', join(root, 'late')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `trajsim: error [SCENARIO]: ${scenario}: index_date.to: index dates up to 9999-06-30 plus a follow-up of 365 days reach past 9999-12-31; dates must stay within 0001-01-01..9999-12-31\n`,
    );
  });
});
