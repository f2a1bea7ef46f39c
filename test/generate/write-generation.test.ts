import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSampleOptions } from '../../src/generate/generation-types.js';
import { loadGenerationModel } from '../../src/generate/load-generation-model.js';
import type { GenerationModel } from '../../src/generate/step-model.js';
import { countsTally, writeGeneration } from '../../src/generate/write-generation.js';
import { writeModelFolder } from '../../src/model/manifest.js';
import { fitMarkov } from '../../src/model/markov.js';
import { TIMELINE_FILES } from '../../src/timeline/types.js';
import { makeToyTimeline } from '../model/toy-timeline.js';

// The one generation path (issue 11 item 6): at once, in resumable parts, or only counted,
// the same patients; a failing sampler leaves nothing behind.
const root = mkdtempSync(join(tmpdir(), 'trajsim-write-generation-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let model: GenerationModel;

beforeAll(() => {
  const markov = fitMarkov(makeToyTimeline(300, 4), { seed: 3 });
  const dir = join(root, 'markov');
  writeModelFolder(dir, markov.manifest, { markov: markov.markov });
  model = loadGenerationModel(dir);
});
afterAll(() => model.stepModel.dispose());

function options(out: string | undefined, extra: object = {}) {
  const sample = resolveSampleOptions(model, { patients: 500, seed: 9, batchSize: 64 });
  return {
    model,
    sample,
    range: { start: 120, end: 430 },
    ...(out !== undefined ? { out: join(root, out) } : {}),
    timeline: { name: 'c', source: 'test' },
    tally: countsTally({}),
    extraFiles: (_m: unknown, t: { written: number }) => ({ 'extra.json': `${t.written}\n` }),
    ...extra,
  };
}

/** The data and extra files of an output (timeline.json's source names a merge's parts). */
const files = (dir: string) =>
  Object.fromEntries(
    readdirSync(join(root, dir))
      .filter((f) => f !== TIMELINE_FILES.MANIFEST)
      .sort()
      .map((f) => [f, readFileSync(join(root, dir, f))]),
  );

describe('writeGeneration', () => {
  it('writes the same files at once and in resumed parts, and counts the same without out', async () => {
    const once = await writeGeneration(options('once'));
    expect(once.manifest?.counts.patients).toBe(430 - 120);
    const parts = await writeGeneration(
      options('parts', { resume: { partPatients: 70, key: 'k' } }),
    );
    // 5 parts of at most 70 patients, merged: the bytes of the one-part run
    expect(Object.keys(files('once'))).toEqual(['events.arrow', 'extra.json', 'patients.arrow']);
    expect(files('parts')).toEqual(files('once'));
    expect(parts.manifest?.contentHash).toBe(once.manifest?.contentHash);
    expect(readFileSync(join(root, 'once', 'extra.json'), 'utf8')).toBe('310\n');
    expect(existsSync(join(root, 'parts.partial'))).toBe(false);
    expect(parts.tally).toEqual(once.tally);
    const counted = await writeGeneration(options(undefined));
    expect(counted.manifest).toBeUndefined();
    expect(counted.tally).toEqual(once.tally);
    expect(counted.counts.written).toBe(310);
  });

  it('removes the output when the sampler fails (no half-written folder)', async () => {
    const failing = async () => {
      throw new Error('sampler failed');
    };
    await expect(writeGeneration(options('failed', { sampler: failing }))).rejects.toThrow(
      'sampler failed',
    );
    expect(existsSync(join(root, 'failed', TIMELINE_FILES.MANIFEST))).toBe(false);
    expect(readdirSync(root).filter((f) => f.startsWith('failed'))).toEqual([]);
  });
});
