/**
 * Issue 18 #20 (rest): a categorical level spelled exactly `NA`, or empty, must survive export →
 * import (a bare `NA` or empty cell reads as a missing value). The export escapes such a level
 * like a formula (`'NA`, `'`) and records it in the sidecar; a missing value stays an empty cell.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportTimeline } from '../../src/timeline/export.js';
import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import { TimelineWriter } from '../../src/timeline/writer.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('export-na-level');

describe('export of levels spelled like a missing value', () => {
  it("'NA' and '' levels round-trip; missing stays missing; the sidecar records the escape", async () => {
    const levels = ['', "'NA", 'NA', 'x'];
    const w = await TimelineWriter.create(join(root, 'a'), {
      name: 'na-levels',
      source: 'test',
      attributes: [{ name: 'grade', kind: 'categorical', levels }],
      codes: ['DIAGNOSIS', 'DEATH'],
    });
    // level indices per patient; -1 is a missing value
    const grades = [0, 1, 2, 3, -1, 2];
    grades.forEach((g, p) => {
      w.addPatient(`P${p}`, 18_000 + p, [g]);
      w.addEvent(0, 0, Number.NaN);
      w.addEvent(5 + p, 1, Number.NaN);
    });
    await w.close();
    await exportTimeline(join(root, 'a'), join(root, 'csv'));

    const cells = readFileSync(join(root, 'csv', 'patients.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[2]);
    // '' → ', 'NA → ''NA (the formula escape doubles a leading apostrophe), NA → 'NA, missing → empty
    expect(cells).toEqual(["'", "''NA", "'NA", 'x', '', "'NA"]);
    const sidecar = JSON.parse(readFileSync(join(root, 'csv', 'trajsim-export.json'), 'utf8'));
    expect(sidecar.escapedMissing).toEqual(['', 'NA']);

    await importTimeline({
      patients: join(root, 'csv', 'patients.csv'),
      events: join(root, 'csv', 'events.csv'),
      out: join(root, 'b'),
    });
    const b = await readTimeline(join(root, 'b'));
    const grade = b.patients.attributes[0]!;
    expect(grade).toMatchObject({ name: 'grade', kind: 'categorical', levels });
    expect(grade.kind === 'categorical' && Array.from(grade.codes)).toEqual(grades);
  });
});
