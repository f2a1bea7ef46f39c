import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateReference } from '../../src/reference/reference-process.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { TIMELINE_FILES } from '../../src/timeline/types.js';
import { tempRoot } from './helpers.js';

const tmp = tempRoot();
afterAll(() => tmp.cleanup());

function bytes(dir: string, file: string): Buffer {
  return readFileSync(join(dir, file));
}

/** Everything about patient row `p`: id, index date, attributes, events. */
function patientRecord(t: Timeline, p: number): unknown {
  const events: [number, string, number][] = [];
  for (let e = t.offsets[p]!; e < t.offsets[p + 1]!; e++) {
    events.push([t.events.day[e]!, t.events.codes[t.events.code[e]!]!, t.events.value[e]!]);
  }
  return {
    id: t.patients.ids[p],
    indexDay: t.patients.indexDay[p],
    attributes: t.patients.attributes.map((a) =>
      a.kind === 'categorical' ? a.levels[a.codes[p]!] : a.values[p],
    ),
    events,
  };
}

describe('reference process determinism', () => {
  it('writes byte-identical files for the same seed, whatever the chunk size', async () => {
    const a = tmp.path('a');
    const b = tmp.path('b');
    const c = tmp.path('c');
    await simulateReference(a, { patients: 3000, seed: 7 });
    await simulateReference(b, { patients: 3000, seed: 7, chunkPatients: 97 });
    await simulateReference(c, { patients: 3000, seed: 8 });
    for (const file of [TIMELINE_FILES.PATIENTS, TIMELINE_FILES.EVENTS, TIMELINE_FILES.MANIFEST]) {
      expect(bytes(a, file).equals(bytes(b, file)), file).toBe(true);
    }
    expect(bytes(a, TIMELINE_FILES.EVENTS).equals(bytes(c, TIMELINE_FILES.EVENTS))).toBe(false);
  });

  it('gives patient i the same record in a run of 1000, a run of 2000 and a shard starting at 1000', async () => {
    await simulateReference(tmp.path('n1000'), { patients: 1000, seed: 'prefix' });
    await simulateReference(tmp.path('n2000'), { patients: 2000, seed: 'prefix' });
    await simulateReference(tmp.path('shard'), {
      patients: 1000,
      seed: 'prefix',
      firstPatient: 1000,
    });
    const small = await readTimeline(tmp.path('n1000'));
    const large = await readTimeline(tmp.path('n2000'));
    const shard = await readTimeline(tmp.path('shard'));
    expect(large.patients.ids[0]).toBe('R0000001');
    expect(shard.patients.ids[0]).toBe('R0001001');
    for (let p = 0; p < 1000; p++) {
      expect(patientRecord(small, p)).toEqual(patientRecord(large, p));
      expect(patientRecord(shard, p)).toEqual(patientRecord(large, 1000 + p));
    }
  });
});
