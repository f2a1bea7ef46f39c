import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTimeline } from '../../src/timeline/read.js';
import { runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const dir = useTempDir('twins-cli');
const colon = join(dir, 'colon');

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
}, 120_000);

describe('trajsim twins', () => {
  it('a counterfactual arm on colon: the forced first-line treatment replaces the observed one at the landmark', async () => {
    const out = join(dir, 'cf');
    const r = runTrajsim([
      'twins',
      '--model',
      'models/default',
      '--history',
      colon,
      '--at',
      '0',
      '--futures',
      '2',
      '--scenario',
      'scenarios/what-if-lev5fu.json',
      '--engine',
      'tfjs',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mean death-risk difference');
    const intervened = await readTimeline(join(out, 'intervened'));
    const observed = await readTimeline(join(out, 'observed'));
    const real = await readTimeline(colon);
    expect(observed.patients.ids.length).toBe(2 * real.patients.ids.length);
    const firstLine = (t: typeof real, p: number) => {
      const out: string[] = [];
      for (let e = t.offsets[p]!; e < t.offsets[p + 1]!; e++) {
        const c = t.events.codes[t.events.code[e]!]!;
        if (c.startsWith('TREATMENT_START:') && t.events.day[e] === 0) out.push(c);
      }
      return out;
    };
    // every intervened twin has exactly the forced Lev+5FU on day 0; observed twins keep the real arm
    const realRow = new Map(real.patients.ids.map((id, p) => [id, p]));
    intervened.patients.ids.forEach((_, p) => {
      expect(firstLine(intervened, p)).toEqual(['TREATMENT_START:Lev+5FU']);
    });
    observed.patients.ids.forEach((id, p) => {
      expect(firstLine(observed, p)).toEqual(firstLine(real, realRow.get(id.split('#')[0]!)!));
    });
    const difference = readFileSync(join(out, 'difference.csv'), 'utf8').trim().split('\n');
    expect(difference.length).toBe(real.patients.ids.length + 2);
    expect(difference.at(-1)!.startsWith('mean,')).toBe(true);
  }, 180_000);

  it('a landmark file that is not valid JSON is one error line naming the file, exit 2', () => {
    const r = runTrajsim([
      'twins',
      '--model',
      'models/default',
      '--history',
      colon,
      '--at',
      'package.json',
      '--futures',
      '2',
      '--out',
      join(dir, 'bad'),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('package.json');
  });
});
