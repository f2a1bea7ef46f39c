import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import { selectPatients } from '../../src/timeline/select-patients.js';
import type { Timeline } from '../../src/timeline/types.js';

/**
 * data/nafld imported into `dir` and restricted to the first `n` rows of patients.csv (the
 * subset scripts/r-golden-values.R uses for n = 2000). Patient rows keep the CSV order; the
 * caller checks it through the ids when it matters.
 */
export async function nafldSubset(dir: string, n: number): Promise<Timeline> {
  await importTimeline({
    patients: 'data/nafld/patients.csv',
    events: 'data/nafld/events.csv',
    out: dir,
    name: 'nafld',
  });
  const full = await readTimeline(dir);
  return selectPatients(
    full,
    Int32Array.from({ length: n }, (_, i) => i),
    `nafld-${n}`,
  );
}
