import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLandmarkPredictions } from '../../src/validate/read-landmark-predictions.js';
import { useTempDir } from '../helpers/tmp.js';

describe('readLandmarkPredictions', () => {
  const dir = useTempDir('predictions');
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads the generic layout by column name, in any order, NA as missing', async () => {
    const p = await readLandmarkPredictions(
      file('generic.csv', 'risk_730,patient_id,risk_365\n0.2,P1,0.1\nNA,P2,0.3\n'),
      'mine',
    );
    expect(p.name).toBe('mine');
    expect(p.ids).toEqual(['P1', 'P2']);
    expect(p.horizons).toEqual([365, 730]);
    expect(Array.from(p.risk[0]!)).toEqual([0.1, 0.3]);
    expect(p.risk[1]![0]).toBe(0.2);
    expect(p.risk[1]![1]).toBeNaN();
  });

  it('reads the DEATH@<days>d columns of a twins summary, ignoring intervals and other codes', async () => {
    const p = await readLandmarkPredictions(
      file(
        'summary.csv',
        'patient_id,landmark_day,futures,death_median_days,DEATH@365d,DEATH@365d_lo,DEATH@365d_hi,RECURRENCE@365d,DEATH@1826d\n' +
          'A,365,100,>2000,0.05,0.01,0.09,0.3,0.4\n',
      ),
      'twins',
    );
    expect(p.horizons).toEqual([365, 1826]);
    expect(Array.from(p.risk[0]!)).toEqual([0.05]);
    expect(Array.from(p.risk[1]!)).toEqual([0.4]);
  });

  it('clips a risk that floating-point rounding put just outside [0, 1]', async () => {
    const p = await readLandmarkPredictions(
      file('round.csv', 'patient_id,risk_365\nP1,1.0000000000000002\nP2,-1e-17\n'),
      'x',
    );
    expect(Array.from(p.risk[0]!)).toEqual([1, 0]);
  });

  it('names the file, line and column of a risk that is not a probability', async () => {
    const path = file('bad.csv', 'patient_id,risk_365\nP1,0.1\nP2,1.5\n');
    await expect(readLandmarkPredictions(path, 'x')).rejects.toThrow(
      `${path}:3: risk_365: 1.5 is not a probability in [0, 1]`,
    );
  });

  it('rejects a file without risk columns or with a duplicate id', async () => {
    await expect(
      readLandmarkPredictions(file('none.csv', 'patient_id,x\nP1,1\n'), 'x'),
    ).rejects.toThrow(/expected a patient_id column and risk_<days> or DEATH@<days>d columns/);
    await expect(
      readLandmarkPredictions(file('dup.csv', 'patient_id,risk_365\nP1,0.1\nP1,0.2\n'), 'x'),
    ).rejects.toThrow(/patient_id P1 appears twice/);
  });
});
