import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import { selectPatients } from '../../src/timeline/select-patients.js';
import type { Timeline } from '../../src/timeline/types.js';
import { compareAttributeCox } from '../../src/validate/compare-attribute-cox.js';
import { useTempDir } from '../helpers/tmp.js';

const work = useTempDir('compare-cox');
let colon: Timeline;
beforeAll(async () => {
  await importTimeline({
    patients: 'data/colon/patients.csv',
    events: 'data/colon/events.csv',
    out: join(work, 'colon'),
  });
  colon = await readTimeline(join(work, 'colon'));
});

describe('compareAttributeCox', () => {
  it('a timeline against itself: every term with equal coefficients and z = z2 = 0', () => {
    const terms = compareAttributeCox(colon, colon);
    // colon's treatment arm is an attribute: its terms are among the compared ones
    expect(terms.some((t) => t.term.startsWith('rx'))).toBe(true);
    for (const t of terms) {
      expect(t.otherCoef).toBe(t.refCoef);
      expect(t.z).toBe(0);
      expect(t.z2).toBe(0);
    }
  });

  it('against half of its patients: z and z2 are the stated ratios of the fitted coefficients', () => {
    const half = selectPatients(
      colon,
      Array.from({ length: 464 }, (_, i) => 2 * i),
    );
    const terms = compareAttributeCox(colon, half);
    expect(terms.length).toBeGreaterThan(0);
    for (const t of terms) {
      expect(t.z).toBeCloseTo((t.otherCoef - t.refCoef) / t.refSe, 12);
      expect(t.z2).toBeCloseTo((t.otherCoef - t.refCoef) / Math.hypot(t.refSe, t.otherSe), 12);
      // half the patients: the SE grows by about sqrt(2)
      expect(t.otherSe / t.refSe).toBeGreaterThan(1.1);
    }
  });
});
