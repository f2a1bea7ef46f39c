import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  attributeRowsOf,
  decodeAttributeRow,
  encodeAttributeRows,
  fitAttributeEncoders,
  NORMAL_SCORE_KNOTS,
  normalScoreKnots,
} from '../../src/model/attribute-encoder.js';
import { selectBackend } from '../../src/model/backend.js';
import { readModelManifest, writeModelFolder } from '../../src/model/manifest.js';
import { trainGru } from '../../src/model/train-gru.js';
import { normalQuantile } from '../../src/stats/normal.js';
import type { Attribute } from '../../src/timeline/types.js';
import { useTempDir } from '../helpers/tmp.js';
import { makeToyTimeline } from './toy-timeline.js';

const root = useTempDir('normal-score');

beforeAll(async () => {
  await selectBackend('wasm');
});

/** The encoded value of one number under the single numeric encoder of `attr`. */
function encodeOne(attr: Attribute, x: number): number {
  const [enc] = fitAttributeEncoders([attr], undefined, 'normal-score');
  const rows = attributeRowsOf(
    [enc!],
    [{ ...attr, values: Float64Array.of(x) } as Attribute],
    Int32Array.of(0),
  );
  const out = new Float32Array(2);
  encodeAttributeRows([enc!], rows, out);
  return out[0]!;
}

describe('normal-score encoding of numeric attributes', () => {
  it('keeps the type-7 quantiles at (k + ½) / 33 and their normal scores', () => {
    // the type-7 quantile of 1..100 at p is 1 + 99 p
    const { knots, scores } = normalScoreKnots(Array.from({ length: 100 }, (_, i) => 100 - i))!;
    expect(knots).toHaveLength(NORMAL_SCORE_KNOTS);
    knots.forEach((x, k) => {
      const p = (k + 0.5) / 33;
      expect(x).toBeCloseTo(1 + 99 * p, 10);
      expect(scores[k]).toBeCloseTo(normalQuantile(p), 12);
    });
    // R: qnorm(0.5 / 33) = -2.166106753 and quantile(1:100, (0:32 + 0.5) / 33, type = 7)
    // starts 2.5, 5.5, 8.5 (the flat ends of the map sit at these scores)
    expect(scores[0]).toBeCloseTo(-2.166106753, 8);
    expect(knots.slice(0, 3)).toEqual([2.5, 5.5, 8.5].map((x) => expect.closeTo(x, 9)));
  });

  it('merges tied quantiles into one knot with their mean score', () => {
    // half the values are 0: the quantiles at p < 0.5 are all 0
    const values = [
      ...Array.from({ length: 50 }, () => 0),
      ...Array.from({ length: 50 }, (_, i) => i + 1),
    ];
    const { knots, scores } = normalScoreKnots(values)!;
    expect(knots[0]).toBe(0);
    expect(knots[1]).toBeGreaterThan(0);
    // the quantiles at k = 0..16 are 0 except where (n - 1) p reaches 49 (p >= 49/99)
    const zeros = Array.from({ length: 33 }, (_, k) => (k + 0.5) / 33).filter((p) => 99 * p <= 49);
    const mean = zeros.reduce((s, p) => s + normalQuantile(p), 0) / zeros.length;
    expect(scores[0]).toBeCloseTo(mean, 12);
    expect(knots.length).toBe(33 - zeros.length + 1);
    for (let i = 1; i < knots.length; i++) {
      expect(knots[i]).toBeGreaterThan(knots[i - 1]!);
      expect(scores[i]).toBeGreaterThan(scores[i - 1]!);
    }
  });

  it('is monotone, flat beyond the extreme quantiles, and decodes back inside them', () => {
    const nodes: Attribute = {
      name: 'nodes',
      kind: 'numeric',
      // heavy tail: most 0-5, a few up to 33
      values: Float64Array.from({ length: 200 }, (_, i) => (i < 190 ? i % 6 : 10 + i - 190 * 1.5)),
    };
    let prev = Number.NEGATIVE_INFINITY;
    for (let x = -5; x <= 40; x += 0.25) {
      const e = encodeOne(nodes, x);
      expect(e).toBeGreaterThanOrEqual(prev - 1e-6);
      prev = e;
    }
    // far tail and farther tail encode alike (capped): a 33 is not "9 SDs" away
    expect(encodeOne(nodes, 1000)).toBeCloseTo(encodeOne(nodes, 40), 6);
    expect(Math.abs(encodeOne(nodes, 1000))).toBeLessThan(2.2);
    const [enc] = fitAttributeEncoders([nodes], undefined, 'normal-score');
    for (const x of [0.5, 2, 3.7, 4.9]) {
      const back = decodeAttributeRow([enc!], Float32Array.of(encodeOne(nodes, x), 0));
      expect(back[0]).toBeCloseTo(x, 4);
    }
  });

  it('is what a GRU trained with it stores and reads back; standard stays the default', async () => {
    const toy = makeToyTimeline(120, 9);
    const small = { hidden: 8, gapHidden: 8, batchSize: 32, seed: 3, epochs: 1 } as const;
    const ns = await trainGru(toy, { ...small, numericEncoding: 'normal-score' });
    const dir = join(root, 'model');
    writeModelFolder(dir, ns.manifest, { weights: ns.weights });
    const age = readModelManifest(dir).encoders.find((e) => e.name === 'age');
    expect(age?.kind === 'numeric' && age.knots?.length).toBeGreaterThan(10);
    const plain = await trainGru(toy, small);
    const agePlain = plain.manifest.encoders.find((e) => e.name === 'age');
    expect(agePlain).toEqual({
      name: 'age',
      kind: 'numeric',
      mean: expect.any(Number),
      std: expect.any(Number),
    });
    // a different encoding is a different run: the weights differ
    expect(Buffer.from(ns.weights.buffer).equals(Buffer.from(plain.weights.buffer))).toBe(false);
  });
});
