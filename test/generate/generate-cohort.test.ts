import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShard, shardRange } from '../../src/core/shard.js';
import { generateCohort } from '../../src/generate/generate-cohort.js';
import { loadGenerationModel } from '../../src/generate/load-generation-model.js';
import type { GenerationModel } from '../../src/generate/step-model.js';
import { liveTensors, selectBackend } from '../../src/model/backend.js';
import { writeModelFolder } from '../../src/model/manifest.js';
import { fitMarkov } from '../../src/model/markov.js';
import { trainGru } from '../../src/model/train-gru.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { makeToyTimeline } from '../model/toy-timeline.js';

const root = mkdtempSync(join(tmpdir(), 'trajsim-generate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const toy = makeToyTimeline(400, 11);
let gruDir = '';
let markovDir = '';

beforeAll(async () => {
  await selectBackend('wasm');
  const trained = await trainGru(toy, {
    hidden: 8,
    gapHidden: 8,
    mixtures: 2,
    epochs: 3,
    batchSize: 32,
    seed: 2,
  });
  gruDir = join(root, 'gru');
  writeModelFolder(gruDir, trained.manifest, { weights: trained.weights });
  const markov = fitMarkov(toy, { seed: 2 });
  markovDir = join(root, 'markov');
  writeModelFolder(markovDir, markov.manifest, { markov: markov.markov });
});

async function run(
  dir: string,
  out: string,
  options: Partial<Parameters<typeof generateCohort>[1]> = {},
) {
  const model: GenerationModel = loadGenerationModel(dir);
  try {
    return await generateCohort(model, {
      patients: 300,
      seed: 42,
      out: join(root, out),
      ...options,
    });
  } finally {
    model.stepModel.dispose();
  }
}

function bytes(dir: string, file: string): Buffer {
  return readFileSync(join(root, dir, file));
}

function checkConstraints(t: Timeline, horizon: number, maxEvents: number): void {
  const terminal = new Set([
    t.events.codes.indexOf('DEATH'),
    t.events.codes.indexOf('END_OF_FOLLOWUP'),
  ]);
  for (let p = 0; p < t.patients.ids.length; p++) {
    const start = t.offsets[p]!;
    const end = t.offsets[p + 1]!;
    expect(end - start).toBeGreaterThan(0);
    expect(end - start).toBeLessThanOrEqual(maxEvents);
    for (let e = start; e < end; e++) {
      expect(t.events.day[e]!).toBeLessThanOrEqual(horizon);
      if (e > start) expect(t.events.day[e]!).toBeGreaterThanOrEqual(t.events.day[e - 1]!);
      expect(terminal.has(t.events.code[e]!)).toBe(e === end - 1);
    }
  }
}

describe('generateCohort', () => {
  it('writes the same bytes for the same seed, and for batch sizes 64 and 1024', async () => {
    const a = await run(gruDir, 'a', { batchSize: 1024 });
    await run(gruDir, 'b', { batchSize: 1024 });
    await run(gruDir, 'c', { batchSize: 64 });
    expect(a.manifest.counts.patients).toBe(300);
    for (const f of ['patients.arrow', 'events.arrow']) {
      expect(bytes('b', f).equals(bytes('a', f))).toBe(true);
      expect(bytes('c', f).equals(bytes('a', f))).toBe(true);
    }
    const other = await run(gruDir, 'd', { seed: 43 });
    expect(bytes('d', 'events.arrow').equals(bytes('a', 'events.arrow'))).toBe(false);
    expect(other.manifest.counts.patients).toBe(300);
  });

  it('the union of --shard 1/2 and 2/2 equals the unsharded output', async () => {
    await run(gruDir, 'full', { batchSize: 100 });
    await run(gruDir, 's1', { shard: parseShard('1/2'), batchSize: 64 });
    await run(gruDir, 's2', { shard: parseShard('2/2'), batchSize: 64 });
    const full = await readTimeline(join(root, 'full'));
    const s1 = await readTimeline(join(root, 's1'));
    const s2 = await readTimeline(join(root, 's2'));
    expect([...s1.patients.ids, ...s2.patients.ids]).toEqual(full.patients.ids);
    expect(s1.patients.ids[0]).toBe('S0000001');
    expect(s2.patients.ids[0]).toBe('S0000151');
    const cat = (a: Int32Array, b: Int32Array) =>
      Buffer.concat([Buffer.from(a.buffer), Buffer.from(b.buffer)]);
    expect(cat(s1.events.day, s2.events.day).equals(Buffer.from(full.events.day.buffer))).toBe(
      true,
    );
    expect(cat(s1.events.code, s2.events.code).equals(Buffer.from(full.events.code.buffer))).toBe(
      true,
    );
    expect(
      cat(s1.patients.indexDay, s2.patients.indexDay).equals(
        Buffer.from(full.patients.indexDay.buffer),
      ),
    ).toBe(true);
    const age = (t: Timeline) => (t.patients.attributes[1] as { values: Float64Array }).values;
    expect(
      Buffer.concat([Buffer.from(age(s1).buffer), Buffer.from(age(s2).buffer)]).equals(
        Buffer.from(age(full).buffer),
      ),
    ).toBe(true);
    expect(shardRange(10, { index: 2, count: 3 })).toEqual({ start: 3, end: 6 });
    expect(() => parseShard('3/2')).toThrow(/out of range/);
  });

  it('constraints hold by construction: horizon, max-events cap, terminal last; tensors back to baseline', async () => {
    const before = liveTensors();
    const r = await run(gruDir, 'h', { horizonDays: 150, maxEvents: 4 });
    expect(liveTensors()).toBe(before);
    const t = await readTimeline(join(root, 'h'));
    checkConstraints(t, 150, 4);
    expect(r.manifest.counts.censored).toBeGreaterThan(0);
    const m = await run(markovDir, 'hm', { horizonDays: 300, maxEvents: 3 });
    checkConstraints(await readTimeline(join(root, 'hm')), 300, 3);
    expect(m.cappedByMaxEvents).toBeGreaterThan(0);
  });

  it('hooks: forced attributes, forced events, and criteria met by retrying each patient on its own stream', async () => {
    const hooks = {
      forcedAttributes: (g: number) => (g % 2 === 0 ? { stage: 'III' } : { stage: null, age: 30 }),
      forcedEvents: () => [{ day: 0, code: 'PROGRESSION' }],
      accept: (p: { codes: Int32Array }) => p.codes.length >= 4,
    };
    const r = await run(markovDir, 'hooks', { hooks });
    expect(r.accepted).toBe(300);
    expect(r.candidates).toBeGreaterThan(300);
    const t = await readTimeline(join(root, 'hooks'));
    expect(t.patients.ids[0]).toBe('S0000001');
    const stage = t.patients.attributes[0] as { codes: Int32Array };
    const age = t.patients.attributes[1] as { values: Float64Array };
    const progression = t.events.codes.indexOf('PROGRESSION');
    for (let p = 0; p < t.patients.ids.length; p++) {
      const g = Number(t.patients.ids[p]!.slice(1)) - 1;
      expect(g).toBe(p);
      expect(stage.codes[p]).toBe(g % 2 === 0 ? 2 : -1);
      if (g % 2 === 1) expect(age.values[p]).toBe(30);
      expect(t.offsets[p + 1]! - t.offsets[p]!).toBeGreaterThanOrEqual(4);
      // the forced event comes right after the first event (day 0)
      expect(t.events.code[t.offsets[p]! + 1]).toBe(progression);
    }
    // retries do not depend on the batch size either
    await run(markovDir, 'hooks-64', { hooks, batchSize: 64 });
    expect(bytes('hooks-64', 'events.arrow').equals(bytes('hooks', 'events.arrow'))).toBe(true);
  });

  it('refuses, as infeasible, a patient that no candidate qualifies for', async () => {
    await expect(
      run(markovDir, 'never', { hooks: { accept: () => false }, maxAttempts: 5 }),
    ).rejects.toThrow(/no candidate met the criteria in 5 attempts/);
  });
});
