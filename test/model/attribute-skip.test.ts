import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { attributeRowsOf } from '../../src/model/attribute-encoder.js';
import { liveTensors, selectBackend } from '../../src/model/backend.js';
import { GruNetwork } from '../../src/model/gru-network.js';
import { attributeGateWidth, gruShapeOf } from '../../src/model/gru-shape.js';
import { GruStepModel } from '../../src/model/gru-step-model.js';
import { OnnxStepModel } from '../../src/model/onnx-step-model.js';
import { trainGru } from '../../src/model/train-gru.js';
import { makeToyTimeline } from './toy-timeline.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('attribute skip into the heads', () => {
  it('the onnx and tfjs step models agree to 1e-5 through start, replaceRows and keepRows', async () => {
    const toy = makeToyTimeline(160, 6);
    const { manifest, weights } = await trainGru(toy, {
      hidden: 8,
      gapHidden: 8,
      batchSize: 32,
      epochs: 1,
      seed: 3,
      attributeSkip: true,
    });
    const shape = gruShapeOf(manifest);
    expect(shape.attributeSkip).toBe(true);
    expect(attributeGateWidth(shape)).toBe(3 * 8 + shape.vocabularySize + 8);
    const before = liveTensors();
    const V = shape.vocabularySize;
    const rows = (ids: number[]) =>
      attributeRowsOf(manifest.encoders, toy.patients.attributes, Int32Array.from(ids));
    const tfjs = new GruStepModel(manifest, weights);
    const onnx = await OnnxStepModel.create(manifest, weights, { threads: 1 });
    const rng = new Rng('skip-steps');
    let n = 5;
    tfjs.start(rows([0, 1, 2, 3, 4]));
    await onnx.start(rows([0, 1, 2, 3, 4]));
    let worst = 0;
    let gapDraws = 0;
    for (let t = 0; t < 6; t++) {
      if (t === 2) {
        // row 1 replaced, two rows appended: the per-row constants move with their rows
        const positions = Int32Array.of(1, 5, 6);
        tfjs.replaceRows(positions, rows([40, 41, 42]));
        await onnx.replaceRows(positions, rows([40, 41, 42]));
        n = 7;
      }
      if (t === 4) {
        tfjs.keepRows(Int32Array.of(0, 2, 5, 6));
        onnx.keepRows(Int32Array.of(0, 2, 5, 6));
        n = 4;
      }
      const prevCode = Int32Array.from({ length: n }, () => rng.int(V + 1));
      const gap = Int32Array.from({ length: n }, () => rng.int(100));
      const day = Int32Array.from({ length: n }, () => rng.int(1000));
      worst = Math.max(
        worst,
        maxAbsDiff(tfjs.step(prevCode, gap, day), await onnx.step(prevCode, gap, day)),
      );
      const next = Int32Array.from({ length: n }, () => rng.int(V));
      tfjs.setNextCodes(next);
      await onnx.setNextCodes(next);
      for (let r = 0; r < n; r++) {
        const a = tfjs.sampleGapDays(r, next[r]!, new Rng(`${t}/${r}`));
        const b = onnx.sampleGapDays(r, next[r]!, new Rng(`${t}/${r}`));
        if (a === b) gapDraws++;
        else expect(Math.abs(a - b)).toBeLessThanOrEqual(1); // a draw on a bin edge
      }
    }
    expect(worst).toBeLessThan(1e-5);
    expect(gapDraws).toBeGreaterThan(30);
    tfjs.dispose();
    onnx.dispose();
    expect(liveTensors()).toBe(before);
  });

  it('the skip moves the heads: with its kernels zeroed the code probabilities change', async () => {
    const toy = makeToyTimeline(120, 5);
    const { manifest, weights } = await trainGru(toy, {
      hidden: 8,
      gapHidden: 8,
      batchSize: 32,
      epochs: 1,
      seed: 5,
      attributeSkip: true,
    });
    const shape = gruShapeOf(manifest);
    const zeroed = Float32Array.from(weights);
    for (const w of manifest.weights!.filter((s) => s.name.startsWith('skip/'))) {
      zeroed.fill(0, w.offset, w.offset + w.shape[0]! * w.shape[1]!);
    }
    const probs = (data: Float32Array) => {
      const net = GruNetwork.fromWeights(shape, manifest.weights!, data);
      const A = shape.attributeWidth;
      const out = tf.tidy(() => {
        const a = tf.tensor2d(
          Float32Array.from({ length: 4 * A }, (_, i) => (i % 3) - 1),
          [4, A],
        );
        const gates = net.attributeGates(a);
        return net.codeProbabilities(net.initialStates(a)[0]!, gates).dataSync();
      });
      net.dispose();
      return out;
    };
    expect(maxAbsDiff(probs(weights), probs(zeroed))).toBeGreaterThan(1e-4);
  });
});
