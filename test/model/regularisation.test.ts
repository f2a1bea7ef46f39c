import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import type { AttributeEncoding } from '../../src/model/attribute-encoder.js';
import { selectBackend } from '../../src/model/backend.js';
import {
  activeRegularisation,
  applyWeightDecay,
  perturbAttributes,
  resolveRegularisation,
} from '../../src/model/regularisation.js';
import { trainGru } from '../../src/model/train-gru.js';
import { makeToyTimeline } from './toy-timeline.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

// stage (3 levels + UNKNOWN) then age (value, missing indicator): width 6 per row
const encoders: AttributeEncoding[] = [
  { name: 'stage', kind: 'categorical', levels: ['I', 'II', 'III'] },
  { name: 'age', kind: 'numeric', mean: 60, std: 10 },
];
// row 0: stage II, age 70 (z = 1); row 1: stage missing, age missing
const rows = () => Float32Array.of(0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1);
const off = { weightDecay: 0, attributeDropout: 0, attributeNoise: 0 };

describe('attribute perturbation', () => {
  it('changes nothing when dropout and noise are 0', () => {
    const a = rows();
    perturbAttributes(a, encoders, off, new Rng(1));
    expect(Array.from(a)).toEqual(Array.from(rows()));
  });

  it('a dropped attribute reads exactly as a missing one (UNKNOWN slot, missing indicator)', () => {
    const a = rows();
    perturbAttributes(a, encoders, { ...off, attributeDropout: 0.999999 }, new Rng(1));
    // both rows now equal the encoding of row 1 (everything missing)
    expect(Array.from(a)).toEqual([0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1]);
  });

  it('drops each attribute with the given probability', () => {
    const n = 4000;
    const a = new Float32Array(n * 6);
    for (let r = 0; r < n; r++) a.set(rows().subarray(0, 6), r * 6);
    perturbAttributes(a, encoders, { ...off, attributeDropout: 0.3 }, new Rng(2));
    let stageHidden = 0;
    let ageHidden = 0;
    for (let r = 0; r < n; r++) {
      if (a[r * 6 + 3] === 1) stageHidden++;
      if (a[r * 6 + 5] === 1) ageHidden++;
    }
    // binomial(4000, 0.3): SD 29; 4 SD = 116
    expect(Math.abs(stageHidden - 1200)).toBeLessThan(116);
    expect(Math.abs(ageHidden - 1200)).toBeLessThan(116);
  });

  it('noise moves only present numeric values, with the given SD', () => {
    const n = 4000;
    const a = new Float32Array(n * 12);
    for (let r = 0; r < n; r++) a.set(rows(), r * 12);
    perturbAttributes(a, encoders, { ...off, attributeNoise: 0.5 }, new Rng(3));
    const shifts: number[] = [];
    let changedElsewhere = 0;
    for (let r = 0; r < 2 * n; r++) {
      const o = r * 6;
      const expected = r % 2 === 0 ? [0, 1, 0, 0, Number.NaN, 0] : [0, 0, 0, 1, 0, 1];
      expected.forEach((x, j) => {
        if (!Number.isNaN(x) && a[o + j] !== x) changedElsewhere++;
      });
      if (r % 2 === 0) shifts.push(a[o + 4]! - 1);
    }
    expect(changedElsewhere).toBe(0);
    const mean = shifts.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(shifts.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
    // SE of the mean 0.5/√4000 = 0.008; SE of the SD ≈ 0.5/√8000 = 0.0056
    expect(Math.abs(mean)).toBeLessThan(0.032);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.025);
  });
});

describe('regularisation settings', () => {
  it('are 0 (off) by default and refuse values out of range', () => {
    expect(resolveRegularisation({})).toEqual(off);
    expect(activeRegularisation(resolveRegularisation({ weightDecay: 2 }))).toEqual({
      weightDecay: 2,
    });
    expect(() => resolveRegularisation({ attributeDropout: 1 })).toThrow(/attributeDropout/);
    expect(() => resolveRegularisation({ weightDecay: -1 })).toThrow(/weightDecay/);
    expect(() => resolveRegularisation({ attributeNoise: Number.NaN })).toThrow(/attributeNoise/);
  });

  it('weight decay scales the kernels by (1 − learning rate × decay) and leaves biases alone', () => {
    const kernel = tf.variable(tf.tensor1d([2, -4]), true, 'layer/kernel_test');
    const bias = tf.variable(tf.tensor1d([2, -4]), true, 'layer/bias_test');
    applyWeightDecay([kernel, bias], 0.01, 5);
    expect(Array.from(kernel.dataSync())).toEqual([Math.fround(2 * 0.95), Math.fround(-4 * 0.95)]);
    expect(Array.from(bias.dataSync())).toEqual([2, -4]);
    kernel.dispose();
    bias.dispose();
  });
});

describe('GRU training with regularisation', () => {
  const toy = makeToyTimeline(200, 5);
  const small = { hidden: 8, gapHidden: 8, batchSize: 32, seed: 3, epochs: 2 } as const;

  it('all settings at 0 train the same weights bytes and manifest as weight decay 0 alone', async () => {
    // (no settings at all means the data-driven weight decay: data-driven-defaults.test.ts)
    const plain = await trainGru(toy, { ...small, weightDecay: 0 });
    const zeros = await trainGru(toy, { ...small, ...off });
    expect(Buffer.from(zeros.weights.buffer).equals(Buffer.from(plain.weights.buffer))).toBe(true);
    expect(zeros.manifest.hyperparameters).toEqual(plain.manifest.hyperparameters);
    expect(plain.manifest.hyperparameters['weightDecay']).toBeUndefined();
  });

  it('records the settings that are on, and weight decay shrinks the weights', async () => {
    const plain = await trainGru(toy, { ...small, weightDecay: 0 });
    const decayed = await trainGru(toy, { ...small, weightDecay: 20, attributeDropout: 0.2 });
    expect(decayed.manifest.hyperparameters['weightDecay']).toBe(20);
    expect(decayed.manifest.hyperparameters['attributeDropout']).toBe(0.2);
    expect(decayed.manifest.hyperparameters['attributeNoise']).toBeUndefined();
    const norm = (w: Float32Array) => Math.sqrt(w.reduce((s, x) => s + x * x, 0));
    expect(norm(decayed.weights)).toBeLessThan(norm(plain.weights));
  });
});
