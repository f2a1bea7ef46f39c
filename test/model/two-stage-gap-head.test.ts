import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { liveTensors, selectBackend } from '../../src/model/backend.js';
import {
  binnedGapLogProbability,
  gapBinEdges,
  gapLogProbability,
  sampleBinnedGapDays,
  sampleGapDays,
} from '../../src/model/gap-distribution.js';
import { GruNetwork } from '../../src/model/gru-network.js';
import { attributeGateWidth, type GruShape, gapOutputWidth } from '../../src/model/gru-shape.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

const V = 9;
const ROWS = 40;
const base = {
  vocabularySize: V,
  attributeWidth: 4,
  hidden: 24,
  layers: 1,
  mixtures: 3,
  gapHidden: 12,
  gapLogOffset: 3,
};
const binned: GruShape = { ...base, gapBinEdges: gapBinEdges(500, 40) };

/** Random hidden states, and a network whose gap output bias is random too (not the zero init). */
function randomCase(shape: GruShape, seed: number) {
  const rng = new Rng(seed);
  const net = GruNetwork.create(
    shape,
    rng.fork('weights'),
    Float32Array.from({ length: gapOutputWidth(shape) }, () => rng.normal()),
  );
  const h = Float32Array.from({ length: ROWS * shape.hidden }, () => 2 * rng.normal());
  // per-row attribute constants (input gates, and with a skip the code and gap offsets)
  const gates = Float32Array.from({ length: ROWS * attributeGateWidth(shape) }, () => rng.normal());
  return { net, h, gates };
}

/**
 * The one-stage sampler's numbers (code probabilities and the gap parameters of every code,
 * as the sampler downloaded them before) and the two-stage ones (the gap head for one code
 * per row, called once per code here so every (row, code) pair is compared).
 */
function bothStages(net: GruNetwork, h: Float32Array, hidden: number, gateRows?: Float32Array) {
  return tf.tidy(() => {
    const states = tf.tensor2d(h, [ROWS, hidden]);
    const gates = gateRows ? tf.tensor2d(gateRows, [ROWS, gateRows.length / ROWS]) : undefined;
    const probs = net.codeProbabilities(states, gates).dataSync() as Float32Array;
    const all = net.gapParametersAllCodes(states, gates).dataSync() as Float32Array;
    const perCode: Float32Array[] = [];
    for (let c = 0; c < V; c++) {
      const codes = tf.tensor1d(new Int32Array(ROWS).fill(c), 'int32');
      perCode.push(net.gapParameters(states, codes, gates).dataSync() as Float32Array);
    }
    return { probs, all, perCode };
  });
}

describe('two-stage gap head: the same model as the all-codes head', () => {
  it.each([
    ['binned head', binned],
    ['binned head with an attribute skip', { ...binned, attributeSkip: true }],
  ] as const)('%s: the joint pmf P(code, gap) agrees to 1e-6 on random states', (_, shape) => {
    const before = liveTensors();
    const { net, h, gates } = randomCase(shape, 1);
    const { probs, all, perCode } = bothStages(net, h, binned.hidden, gates);
    const edges = binned.gapBinEdges!;
    const P = gapOutputWidth(binned);
    let worst = 0;
    let total = 0;
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < V; c++) {
        const pc = probs[r * V + c]!;
        for (let d = 0; d < edges[edges.length - 1]!; d++) {
          const one = pc * Math.exp(binnedGapLogProbability(all, (r * V + c) * P, edges, d));
          const two = pc * Math.exp(binnedGapLogProbability(perCode[c]!, r * P, edges, d));
          worst = Math.max(worst, Math.abs(one - two));
          total += two;
        }
      }
    }
    expect(worst).toBeLessThan(1e-6);
    expect(total / ROWS).toBeCloseTo(1, 5);
    net.dispose();
    expect(liveTensors()).toBe(before);
  });

  it('mixture head: the joint pmf agrees to 1e-6 on random states', () => {
    const shape: GruShape = base;
    const { net, h } = randomCase(shape, 2);
    const { probs, all, perCode } = bothStages(net, h, shape.hidden);
    const P = gapOutputWidth(shape);
    let worst = 0;
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < V; c++) {
        const pc = probs[r * V + c]!;
        for (const d of [0, 1, 2, 3, 7, 30, 90, 365, 2000]) {
          const at1 = (r * V + c) * P;
          const one = pc * Math.exp(gapLogProbability(all, at1, shape.mixtures, 3, d));
          const two = pc * Math.exp(gapLogProbability(perCode[c]!, r * P, shape.mixtures, 3, d));
          worst = Math.max(worst, Math.abs(one - two));
        }
      }
    }
    expect(worst).toBeLessThan(1e-6);
    net.dispose();
  });

  it('draws from the same stream give the same gap days in both stagings', () => {
    const { net, h } = randomCase(binned, 3);
    const { all, perCode } = bothStages(net, h, binned.hidden);
    const edges = binned.gapBinEdges!;
    const P = gapOutputWidth(binned);
    let same = 0;
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < V; c++) {
        const a = sampleBinnedGapDays(all, (r * V + c) * P, edges, new Rng(`${r}/${c}`));
        const b = sampleBinnedGapDays(perCode[c]!, r * P, edges, new Rng(`${r}/${c}`));
        if (a === b) same++;
      }
    }
    expect(same).toBe(ROWS * V);
    const { net: mix, h: hm } = randomCase(base, 4);
    const m = bothStages(mix, hm, base.hidden);
    const Pm = gapOutputWidth(base);
    for (let r = 0; r < ROWS; r++) {
      const a = sampleGapDays(m.all, (r * V + 5) * Pm, 3, 3, new Rng(r));
      const b = sampleGapDays(m.perCode[5]!, r * Pm, 3, 3, new Rng(r));
      expect(b).toBe(a);
    }
    net.dispose();
    mix.dispose();
  });
});
