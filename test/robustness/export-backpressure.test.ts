/** Issue 18 #26: a large export waits for the disk instead of stacking 'drain' listeners (regression). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportTimeline } from '../../src/timeline/export.js';
import { TimelineWriter } from '../../src/timeline/writer.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('export-backpressure');

describe('#26 large exports', () => {
  it('a 15 MB events.csv is written without MaxListenersExceededWarning', async () => {
    const writer = await TimelineWriter.create(join(root, 't'), {
      name: 'big',
      source: 'test',
      attributes: [],
      codes: ['DEATH', 'VISIT_WITH_A_LONG_CODE_NAME'],
    });
    writer.addPatient('P1', 18_000, new Float64Array(0));
    for (let d = 0; d < 300_000; d++) writer.addEvent(d, 1, d + 0.25);
    writer.addEvent(300_000, 0, Number.NaN);
    await writer.close();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      await exportTimeline(join(root, 't'), join(root, 'csv'));
      await new Promise((r) => setTimeout(r, 50)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
