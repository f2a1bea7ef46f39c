import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import { selectPatients } from '../../src/timeline/select-patients.js';
import type { Timeline } from '../../src/timeline/types.js';

/**
 * The first `patients` patients of data/nafld (file order) and their events, imported into
 * `dir`: a small real dataset whose LAB:* events carry values.
 */
export async function importNafldSubset(dir: string, patients: number): Promise<Timeline> {
  const pLines = readFileSync('data/nafld/patients.csv', 'utf8').trimEnd().split('\n');
  const kept = pLines.slice(1, patients + 1);
  const ids = new Set(kept.map((l) => l.slice(0, l.indexOf(','))));
  const eLines = readFileSync('data/nafld/events.csv', 'utf8').trimEnd().split('\n');
  const events = eLines.slice(1).filter((l) => ids.has(l.slice(0, l.indexOf(','))));
  writeFileSync(join(dir, 'patients.csv'), `${[pLines[0], ...kept].join('\n')}\n`);
  writeFileSync(join(dir, 'events.csv'), `${[eLines[0], ...events].join('\n')}\n`);
  const out = join(dir, 'nafld');
  await importTimeline({
    patients: join(dir, 'patients.csv'),
    events: join(dir, 'events.csv'),
    out,
    overwrite: true,
  });
  return readTimeline(out);
}

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
