import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { liveTensors, selectBackend } from '../../src/model/backend.js';
import { gapLogProbability, sampleGapDays } from '../../src/model/gap-distribution.js';
import { GruStepModel } from '../../src/model/gru-step-model.js';
import { readModelManifest, writeModelFolder } from '../../src/model/manifest.js';
import { loadModel } from '../../src/model/read-model.js';
import { trainGru } from '../../src/model/train-gru.js';
import { makeToyTimeline } from './toy-timeline.js';

const root = mkdtempSync(join(tmpdir(), 'trajsim-gru-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const toy = makeToyTimeline(400, 5);
const small = {
  hidden: 8,
  gapHidden: 8,
  mixtures: 2,
  batchSize: 32,
  seed: 3,
  patience: 100,
} as const;

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('gap distribution', () => {
  const params = Float32Array.of(-1.2, 0.3, -0.4, -1, 1.5, 0.2, -0.3);
  it('P(gap = d) sums to 1 over whole days', () => {
    let total = 0;
    for (let d = 0; d < 200_000; d++) total += Math.exp(gapLogProbability(params, 0, 2, 4, d));
    expect(total).toBeGreaterThan(0.99);
    expect(total).toBeLessThan(1.000001);
  });
  it('sampling follows the same day distribution', () => {
    const rng = new Rng(9);
    const n = 40_000;
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const d = sampleGapDays(params, 0, 2, 4, rng);
      expect(Number.isInteger(d) && d >= 0).toBe(true);
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    for (const d of [0, 1, 2, 10, 55]) {
      const p = Math.exp(gapLogProbability(params, 0, 2, 4, d));
      const se = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs((counts.get(d) ?? 0) / n - p)).toBeLessThan(4 * se + 1e-4);
    }
  });
});

describe('GRU training', () => {
  it('loss decreases on a tiny known dataset, and tensors return to baseline', async () => {
    const before = liveTensors();
    const one = await trainGru(toy, { ...small, epochs: 1 });
    const six = await trainGru(toy, { ...small, epochs: 6 });
    expect(six.manifest.metrics.validationNll!).toBeLessThan(
      one.manifest.metrics.validationNll! - 0.3,
    );
    expect(liveTensors()).toBe(before);
  });

  it('is deterministic for a seed and backend (same weights bytes)', async () => {
    const a = await trainGru(toy, { ...small, epochs: 2 });
    const b = await trainGru(toy, { ...small, epochs: 2 });
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
  });

  it('resumes from the last checkpoint to the weights of an uninterrupted run (to float32 rounding)', async () => {
    const ckpt = join(root, 'ckpt');
    const full = await trainGru(toy, { ...small, epochs: 3 });
    await trainGru(toy, { ...small, epochs: 3, checkpointDir: ckpt, stopAfterEpochs: 2 });
    const resumed = await trainGru(toy, { ...small, epochs: 3, checkpointDir: ckpt, resume: true });
    expect(resumed.manifest.metrics.epochs).toBe(3);
    // Adam's bias-correction powers are recomputed on restore (β^t by pow, not by repeated
    // products), so the weights agree to float32 rounding, not bit for bit.
    let maxDiff = 0;
    full.weights.forEach((w, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(w - resumed.weights[i]!));
    });
    expect(maxDiff).toBeLessThan(1e-4);
    await expect(
      trainGru(toy, { ...small, hidden: 9, epochs: 3, checkpointDir: ckpt, resume: true }),
    ).rejects.toThrow(/other data, seed or hyperparameters/);
  });

  it('save → load gives the same predictions; sampling leaves no tensors behind', async () => {
    const trained = await trainGru(toy, { ...small, epochs: 2 });
    const dir = join(root, 'model');
    writeModelFolder(dir, trained.manifest, { weights: trained.weights });
    const loaded = loadModel(dir);
    expect(Buffer.from(loaded.weights!.buffer).equals(Buffer.from(trained.weights.buffer))).toBe(
      true,
    );
    const before = liveTensors();
    const a = new GruStepModel(trained.manifest, trained.weights);
    const b = new GruStepModel(loaded.manifest, loaded.weights!);
    const attrs = { rows: 3, values: Float64Array.of(0, 50, 2, Number.NaN, -1, 70) };
    a.start(attrs);
    b.start(attrs);
    const code = Int32Array.of(6, 6, 6);
    const zero = new Int32Array(3);
    const pa = Array.from(a.step(code, zero, zero));
    const pb = Array.from(b.step(code, zero, zero));
    expect(pb).toEqual(pa);
    for (let r = 0; r < 3; r++) {
      let s = 0;
      for (let c = 0; c < 6; c++) s += pa[r * 6 + c]!;
      expect(s).toBeCloseTo(1, 5);
    }
    a.keepRows(Int32Array.of(0, 2));
    a.step(Int32Array.of(0, 0), Int32Array.of(0, 0), Int32Array.of(0, 0));
    a.dispose();
    b.dispose();
    expect(liveTensors()).toBe(before);
  });

  it('refuses an incompatible model format version with a clear message', async () => {
    const trained = await trainGru(toy, { ...small, epochs: 1 });
    const dir = join(root, 'old');
    writeModelFolder(dir, trained.manifest, { weights: trained.weights });
    const path = join(dir, 'manifest.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...json, formatVersion: 99 }));
    expect(() => readModelManifest(dir)).toThrow(
      /format version 99 is not supported: this trajsim reads version 1/,
    );
    writeFileSync(
      path,
      JSON.stringify({ ...json, vocabulary: { ...json.vocabulary, codes: 'x' } }),
    );
    expect(() => loadModel(dir)).toThrow(/vocabulary\.codes/);
  });

  it('the wasm backend trains and the cpu backend agrees to ~1e-4', async () => {
    const w = await trainGru(toy, { ...small, epochs: 1 });
    await selectBackend('cpu');
    try {
      const c = await trainGru(toy, { ...small, epochs: 1 });
      expect(c.manifest.metrics.validationNll!).toBeCloseTo(w.manifest.metrics.validationNll!, 3);
    } finally {
      await selectBackend('wasm');
    }
    expect(tf.getBackend()).toBe('wasm');
  });
});
