import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline } from '../../src/timeline/read.js';
import { selectPatients } from '../../src/timeline/select-patients.js';
import type { TimelineManifest } from '../../src/timeline/types.js';
import { writeTimeline } from '../../src/timeline/write-timeline.js';
import { importNafldSubset } from '../helpers/nafld.js';
import { useTempDir } from '../helpers/tmp.js';

const work = useTempDir('write-timeline');
let imported: TimelineManifest;
beforeAll(async () => {
  imported = await importTimeline({
    patients: 'data/colon/patients.csv',
    events: 'data/colon/events.csv',
    out: join(work, 'imported'),
  });
});

describe('writeTimeline', () => {
  it('writes colon back byte for byte (same content hash as the bundled directory)', async () => {
    const colon = await readTimeline(join(work, 'imported'));
    const manifest = await writeTimeline(colon, join(work, 'colon'));
    expect(manifest.contentHash).toBe(imported.contentHash);
    expect(manifest.counts).toEqual({ patients: 929, events: 3255, deaths: 452, censored: 477 });
  });

  it('writes a subset of nafld (event values kept) that reads back as the same arrays', async () => {
    const nafld = await importNafldSubset(work, 40);
    const subset = selectPatients(nafld, [5, 0, 39], 'three');
    const dir = join(work, 'three');
    await writeTimeline(subset, dir);
    const back = await readTimeline(dir);
    expect(back.name).toBe('three');
    expect(back.patients.ids).toEqual([5, 0, 39].map((r) => nafld.patients.ids[r]));
    expect(subset.events.value.some((v) => !Number.isNaN(v))).toBe(true);
    expect(Array.from(back.offsets)).toEqual(Array.from(subset.offsets));
    expect(Array.from(back.events.day)).toEqual(Array.from(subset.events.day));
    expect(Array.from(back.events.value)).toEqual(Array.from(subset.events.value));
    expect(back.events.codes).toEqual(nafld.events.codes);
  });

  it('refuses a taken directory unless overwrite is set', async () => {
    const colon = await readTimeline(join(work, 'imported'));
    const one = selectPatients(colon, [0]);
    const dir = join(work, 'one');
    await writeTimeline(one, dir);
    await expect(writeTimeline(one, dir)).rejects.toMatchObject({ code: 'IO' });
    await expect(writeTimeline(one, dir, { overwrite: true })).resolves.toMatchObject({
      counts: { patients: 1 },
    });
  });
});
