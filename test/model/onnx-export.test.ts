import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { selectBackend } from '../../src/model/backend.js';
import { gapBinEdges } from '../../src/model/gap-distribution.js';
import { GruNetwork } from '../../src/model/gru-network.js';
import { type GruShape, gapOutputWidth, stepInputWidth } from '../../src/model/gru-shape.js';
import { exportOnnxGraphs } from '../../src/model/onnx-export.js';
import { VALUE_MASKED } from '../../src/model/value-spec.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

const ROWS = 33;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/**
 * Runs the exported start, step and gap graphs on ONNX Runtime and the tfjs network on the
 * same random inputs; returns the largest absolute difference of every output.
 */
async function compare(shape: GruShape, seed: number): Promise<Record<string, number>> {
  const rng = new Rng(seed);
  const P = gapOutputWidth(shape);
  let net = GruNetwork.create(
    shape,
    rng.fork('weights'),
    Float32Array.from({ length: P }, () => rng.normal()),
  );
  const { specs, data } = net.exportWeights();
  // the skip kernels start at zero: random ones, so the test sees them
  for (const spec of specs.filter((s) => s.name.startsWith('skip/'))) {
    const size = spec.shape[0]! * spec.shape[1]!;
    for (let i = 0; i < size; i++) data[spec.offset + i] = rng.normal();
  }
  if (shape.attributeSkip) {
    net.dispose();
    net = GruNetwork.fromWeights(shape, specs, data);
  }
  const files = exportOnnxGraphs(shape, specs, data);
  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1 };
  const start = await ort.InferenceSession.create(files.start, options);
  const step = await ort.InferenceSession.create(files.step, options);
  const gap = await ort.InferenceSession.create(files.gap, options);
  const { vocabularySize: V, attributeWidth: A, layers: L } = shape;
  const attrs = Float32Array.from({ length: ROWS * A }, () => rng.normal());
  const prevCode = Int32Array.from({ length: ROWS }, () => rng.int(V + 1));
  const time = Float32Array.from({ length: 2 * ROWS }, () => 1.2 * rng.uniform());
  const nextCode = Int32Array.from({ length: ROWS }, () => rng.int(V));
  const vh = shape.valueHead;
  const I = stepInputWidth(V, vh !== undefined);
  // models with values: the previous value features (standardised value, has-value flag) and
  // the value head's previous value of the drawn code
  const value = Float32Array.from({ length: 2 * ROWS }, (_, i) =>
    i % 2 === 0 ? 2 * rng.normal() : rng.int(2),
  );
  const prevValue = Float32Array.from({ length: 2 * ROWS }, (_, i) =>
    i % 2 === 0 ? 2 * rng.normal() : rng.int(2),
  );
  const x = new Float32Array(ROWS * I);
  for (let r = 0; r < ROWS; r++) {
    x[r * I + prevCode[r]!] = 1;
    x[r * I + V + 1] = time[2 * r]!;
    x[r * I + V + 2] = time[2 * r + 1]!;
    if (vh) {
      x[r * I + V + 3] = value[2 * r]!;
      x[r * I + V + 4] = value[2 * r + 1]!;
    }
  }
  const expected = tf.tidy(() => {
    const a = tf.tensor2d(attrs, [ROWS, A]);
    const gates = net.attributeGates(a);
    const h0 = net.initialStates(a);
    const h1 = net.step(tf.tensor2d(x, [ROWS, I]), gates, h0);
    const top = h1[L - 1]!;
    return {
      gates: gates.dataSync(),
      h0: h0.map((h) => h.dataSync()),
      h1: h1.map((h) => h.dataSync()),
      probs: net.codeProbabilities(top, gates).dataSync(),
      // The binned head's graph ends in the bins' softmax (the sampler's input).
      gap: (shape.gapBinEdges
        ? tf.softmax(net.gapParameters(top, tf.tensor1d(nextCode, 'int32'), gates))
        : net.gapParameters(top, tf.tensor1d(nextCode, 'int32'), gates)
      ).dataSync(),
      value: vh
        ? net
            .valueProbabilities(
              top,
              tf.tensor1d(nextCode, 'int32'),
              tf.tensor2d(prevValue, [ROWS, 2]),
            )
            .dataSync()
        : undefined,
    };
  });
  const s = await start.run({ attributes: new ort.Tensor('float32', attrs, [ROWS, A]) });
  const feeds: Record<string, ort.Tensor> = {
    prev_code: new ort.Tensor('int32', prevCode, [ROWS]),
    time: new ort.Tensor('float32', time, [ROWS, 2]),
    attribute_gates: s['attribute_gates']!,
  };
  if (vh) feeds['value'] = new ort.Tensor('float32', value, [ROWS, 2]);
  for (let l = 0; l < L; l++) feeds[`state_${l}`] = s[`state_${l}`]!;
  const t = await step.run(feeds);
  const g = await gap.run({
    state: t[`state_out_${L - 1}`]!,
    code: new ort.Tensor('int32', nextCode, [ROWS]),
    ...(vh ? { prev_value: new ort.Tensor('float32', prevValue, [ROWS, 2]) } : {}),
    ...(shape.attributeSkip ? { attribute_gates: s['attribute_gates']! } : {}),
  });
  const diffs: Record<string, number> = {
    attribute_gates: maxAbsDiff(s['attribute_gates']!.data as Float32Array, expected.gates),
    code_probs: maxAbsDiff(t['code_probs']!.data as Float32Array, expected.probs),
    gap_params: maxAbsDiff(g['gap_params']!.data as Float32Array, expected.gap),
  };
  if (vh)
    diffs['value_probs'] = maxAbsDiff(g['value_probs']!.data as Float32Array, expected.value!);
  for (let l = 0; l < L; l++) {
    diffs[`state_${l}`] = maxAbsDiff(s[`state_${l}`]!.data as Float32Array, expected.h0[l]!);
    diffs[`state_out_${l}`] = maxAbsDiff(
      t[`state_out_${l}`]!.data as Float32Array,
      expected.h1[l]!,
    );
  }
  for (const session of [start, step, gap]) await session.release();
  net.dispose();
  return diffs;
}

describe('ONNX export of the inference graph', () => {
  it('attribute skip into both heads, binned, 2 layers: ONNX Runtime equals tfjs to 1e-5', async () => {
    const shape: GruShape = {
      vocabularySize: 9,
      attributeWidth: 5,
      hidden: 16,
      layers: 2,
      mixtures: 4,
      gapHidden: 12,
      gapLogOffset: 4,
      gapBinEdges: gapBinEdges(2000, 32),
      attributeSkip: true,
    };
    const diffs = await compare(shape, 7);
    expect(Object.keys(diffs)).toHaveLength(7);
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-5);
  });

  it('attribute skip, mixture head, 1 layer: ONNX Runtime equals tfjs to 1e-5', async () => {
    const diffs = await compare(
      {
        vocabularySize: 6,
        attributeWidth: 3,
        hidden: 8,
        layers: 1,
        mixtures: 3,
        gapHidden: 8,
        gapLogOffset: 4,
        attributeSkip: true,
      },
      8,
    );
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-5);
  });

  it('binned head, 2 layers: ONNX Runtime outputs equal the tfjs network to 1e-5', async () => {
    const diffs = await compare(
      {
        vocabularySize: 11,
        attributeWidth: 6,
        hidden: 32,
        layers: 2,
        mixtures: 4,
        gapHidden: 16,
        gapLogOffset: 4,
        gapBinEdges: gapBinEdges(3000, 64),
      },
      1,
    );
    expect(Object.keys(diffs)).toHaveLength(7);
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-5);
  });

  it('value head (masked bins, previous value), 1 layer: ONNX Runtime equals tfjs to 1e-5', async () => {
    // 7 codes, code 2 with 3 bins and no missing slot, code 4 with 5 bins and missing values
    const W = 6;
    const mask = new Float32Array(7 * W);
    for (let j = 3; j < W; j++) mask[2 * W + j] = VALUE_MASKED;
    const diffs = await compare(
      {
        vocabularySize: 7,
        attributeWidth: 4,
        hidden: 16,
        layers: 1,
        mixtures: 4,
        gapHidden: 8,
        gapLogOffset: 3,
        gapBinEdges: gapBinEdges(1000, 16),
        valueHead: { width: W, hidden: 8, mask },
      },
      3,
    );
    expect(Object.keys(diffs)).toContain('value_probs');
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-5);
  });

  it('mixture head, 1 layer: ONNX Runtime outputs equal the tfjs network to 1e-5', async () => {
    const diffs = await compare(
      {
        vocabularySize: 5,
        attributeWidth: 3,
        hidden: 16,
        layers: 1,
        mixtures: 3,
        gapHidden: 8,
        gapLogOffset: 3,
      },
      2,
    );
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-5);
  });
});
