import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeTimelines } from '../../src/timeline/merge.js';
import { readTimeline } from '../../src/timeline/read.js';
import { TimelineWriter } from '../../src/timeline/writer.js';

const root = mkdtempSync(join(tmpdir(), 'trajsim-writer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const options = {
  name: 'tiny',
  source: 'test',
  attributes: [
    { name: 'stage', kind: 'categorical', levels: ['I', 'II', 'III'] },
    { name: 'age', kind: 'numeric' },
  ] as const,
  codes: ['DIAGNOSIS', 'RECURRENCE', 'DEATH', 'END_OF_FOLLOWUP'],
};

async function writeTiny(dir: string, batchRows: number, commitEvery: number) {
  const w = await TimelineWriter.create(dir, { ...options, batchRows });
  for (let p = 0; p < 25; p++) {
    w.addPatient(`P${p}`, 18_000 + p, [
      p % 4 === 3 ? -1 : p % 3,
      p % 5 === 0 ? Number.NaN : 40 + p,
    ]);
    w.addEvent(0, 0, Number.NaN);
    if (p % 2 === 0) w.addEvent(10 * p, 1, p * 0.5);
    w.addEvent(20 * p + 1, p % 3 === 0 ? 2 : 3, Number.NaN);
    if (p % commitEvery === 0) await w.commit();
  }
  return w.close();
}

describe('TimelineWriter + readTimeline', () => {
  it('round-trips columns, nulls and counts', async () => {
    const dir = join(root, 'a');
    const manifest = await writeTiny(dir, 7, 3);
    expect(manifest.counts).toEqual({ patients: 25, events: 63, deaths: 9, censored: 16 });
    const t = await readTimeline(dir);
    expect(t.patients.ids[24]).toBe('P24');
    expect(t.patients.indexDay[3]).toBe(18_003);
    const stage = t.patients.attributes[0]!;
    const age = t.patients.attributes[1]!;
    expect(stage.kind === 'categorical' && Array.from(stage.codes.slice(0, 5))).toEqual([
      0, 1, 2, -1, 1,
    ]);
    expect(age.kind === 'numeric' && Number.isNaN(age.values[5]!)).toBe(true);
    expect(age.kind === 'numeric' && age.values[6]).toBe(46);
    expect(t.offsets[0]).toBe(0);
    expect(t.offsets[1]).toBe(3);
    expect(t.offsets[2]).toBe(5);
    expect(t.offsets[25]).toBe(63);
    expect(t.events.value[1]).toBe(0);
    expect(Number.isNaN(t.events.value[0]!)).toBe(true);
    expect(t.events.patient[62]).toBe(24);
  });

  it('writes the same bytes whatever the commit cadence', async () => {
    await writeTiny(join(root, 'b1'), 7, 1);
    await writeTiny(join(root, 'b2'), 7, 10);
    for (const f of ['patients.arrow', 'events.arrow', 'timeline.json']) {
      expect(readFileSync(join(root, 'b1', f)).equals(readFileSync(join(root, 'b2', f)))).toBe(
        true,
      );
    }
  });

  it('leaves nothing behind when a patient breaks an invariant', async () => {
    const dir = join(root, 'c');
    const w = await TimelineWriter.create(dir, options);
    w.addPatient('X', 0, [0, 1]);
    w.addEvent(5, 0, Number.NaN);
    expect(() => w.addEvent(4, 2, Number.NaN)).toThrow(/day 4 is not an integer >= 5/);
    await w.abort();
    expect(readdirSync(root).filter((n) => n.includes('c'))).toEqual([]);
  });
});

describe('mergeTimelines', () => {
  it('concatenating the two halves of a run gives the bytes of the whole run', async () => {
    const write = async (dir: string, from: number, to: number) => {
      const w = await TimelineWriter.create(dir, { ...options, batchRows: 4 });
      for (let p = from; p < to; p++) {
        w.addPatient(`P${p}`, 18_000 + p, [p % 3, 40 + p]);
        w.addEvent(0, 0, Number.NaN);
        w.addEvent(5 * p + 1, p % 2 === 0 ? 2 : 3, Number.NaN);
      }
      return w.close();
    };
    await write(join(root, 'whole'), 0, 11);
    await write(join(root, 'half1'), 0, 6);
    await write(join(root, 'half2'), 6, 11);
    const merged = await mergeTimelines(
      [join(root, 'half1'), join(root, 'half2')],
      join(root, 'merged'),
      { batchRows: 4 },
    );
    for (const f of ['patients.arrow', 'events.arrow']) {
      expect(
        readFileSync(join(root, 'merged', f)).equals(readFileSync(join(root, 'whole', f))),
      ).toBe(true);
    }
    expect(merged.counts.patients).toBe(11);
  });

  it('refuses a patient id present in two inputs', async () => {
    await expect(
      mergeTimelines([join(root, 'half1'), join(root, 'half1')], join(root, 'dup')),
    ).rejects.toThrow(/patient P0 appears in more than one input/);
    expect(readdirSync(root).some((n) => n.includes('dup'))).toBe(false);
  });
});
