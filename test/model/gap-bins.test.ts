import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { selectBackend } from '../../src/model/backend.js';
import {
  binnedGapLogProbability,
  gapBinEdges,
  gapBinOf,
  sampleBinnedGapDays,
} from '../../src/model/gap-distribution.js';
import { gruShapeOf } from '../../src/model/gru-shape.js';
import { GruStepModel } from '../../src/model/gru-step-model.js';
import { trainGru } from '../../src/model/train-gru.js';
import type { Timeline } from '../../src/timeline/types.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('binned gap head: distribution', () => {
  it('edges: day 0 and single days first, then wider bins; at most the asked number', () => {
    expect(gapBinEdges(5, 64)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const e = gapBinEdges(3650, 128);
    expect(e.length - 1).toBeLessThanOrEqual(128);
    expect(e.length - 1).toBeGreaterThan(120);
    expect(e.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(e[e.length - 1]).toBe(3651);
    for (let i = 1; i < e.length; i++) expect(e[i]!).toBeGreaterThan(e[i - 1]!);
    // The 90-day visit schedule falls in bins a few days wide.
    expect(e[gapBinOf(e, 90) + 1]! - e[gapBinOf(e, 90)]!).toBeLessThanOrEqual(5);
    expect(gapBinOf(e, 0)).toBe(0);
    expect(gapBinOf(e, 1)).toBe(1);
    expect(gapBinOf(e, 99_999)).toBe(e.length - 2);
  });

  const edges = gapBinEdges(400, 24);
  const rng0 = new Rng(4);
  const logits = Float32Array.from({ length: edges.length - 1 }, () => 3 * rng0.normal());
  it('P(gap = d) sums to 1 over whole days', () => {
    let total = 0;
    for (let d = 0; d < 1000; d++) total += Math.exp(binnedGapLogProbability(logits, 0, edges, d));
    expect(total).toBeCloseTo(1, 6);
  });
  it('sampling follows the same day distribution', () => {
    const rng = new Rng(9);
    const n = 40_000;
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const d = sampleBinnedGapDays(logits, 0, edges, rng);
      expect(Number.isInteger(d) && d >= 0 && d <= 400).toBe(true);
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    for (const d of [0, 1, 2, 10, 55, 90, 300]) {
      const p = Math.exp(binnedGapLogProbability(logits, 0, edges, d));
      const se = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs((counts.get(d) ?? 0) / n - p)).toBeLessThan(4 * se + 1e-4);
    }
  });
});

/** Patients: DIAGNOSIS at day 0, then VISITs every 85–95 days (uniform), then END_OF_FOLLOWUP. */
function sharpVisits(n: number): Timeline {
  const rng = new Rng('sharp');
  const ePatient: number[] = [];
  const eDay: number[] = [];
  const eCode: number[] = [];
  const offsets = new Int32Array(n + 1);
  for (let p = 0; p < n; p++) {
    let day = 0;
    ePatient.push(p);
    eDay.push(0);
    eCode.push(0);
    const visits = 1 + rng.int(6);
    for (let v = 0; v < visits; v++) {
      day += 85 + rng.int(11);
      ePatient.push(p);
      eDay.push(day);
      eCode.push(1);
    }
    ePatient.push(p);
    eDay.push(day + 1 + rng.int(60));
    eCode.push(2);
    offsets[p + 1] = ePatient.length;
  }
  return {
    name: 'sharp',
    patients: {
      ids: Array.from({ length: n }, (_, p) => `P${p}`),
      indexDay: new Int32Array(n).fill(18_000),
      attributes: [
        { name: 'stage', kind: 'categorical', levels: ['I', 'II'], codes: new Int32Array(n) },
      ],
    },
    events: {
      patient: Int32Array.from(ePatient),
      day: Int32Array.from(eDay),
      code: Int32Array.from(eCode),
      value: new Float64Array(eDay.length).fill(Number.NaN),
      codes: ['DIAGNOSIS', 'VISIT', 'END_OF_FOLLOWUP'],
    },
    offsets,
  };
}

/** KS distance between sampled VISIT gaps after DIAGNOSIS and the uniform 85..95 days. */
async function visitGapKs(gapBins: number): Promise<{ ks: number; manifestHead: unknown }> {
  const trained = await trainGru(sharpVisits(300), {
    hidden: 16,
    gapHidden: 16,
    mixtures: 4,
    gapBins,
    batchSize: 32,
    epochs: 25,
    seed: 5,
    patience: 100,
    minCodePatients: 1,
  });
  const model = new GruStepModel(trained.manifest, trained.weights);
  const rows = 500;
  model.start({ rows, values: new Float64Array(rows) });
  model.step(new Int32Array(rows).fill(3), new Int32Array(rows), new Int32Array(rows));
  model.step(new Int32Array(rows).fill(0), new Int32Array(rows), new Int32Array(rows));
  model.setNextCodes(new Int32Array(rows).fill(1));
  const rng = new Rng(1);
  const gaps = Array.from({ length: rows }, (_, r) => model.sampleGapDays(r, 1, rng)).sort(
    (a, b) => a - b,
  );
  model.dispose();
  let ks = 0;
  for (let d = 0; d <= 400; d++) {
    let below = 0;
    while (below < gaps.length && gaps[below]! <= d) below++;
    const truth = d < 85 ? 0 : d >= 95 ? 1 : (d - 84) / 11;
    ks = Math.max(ks, Math.abs(below / gaps.length - truth));
  }
  return { ks, manifestHead: trained.manifest.hyperparameters['gapHead'] };
}

describe('binned gap head: training', () => {
  it('learns a sharp gap distribution (all gaps 85–95 days)', async () => {
    const { ks, manifestHead } = await visitGapKs(64);
    const mixture = await visitGapKs(0);
    console.log(`sharp gaps KS: bins ${ks.toFixed(3)}, mixture ${mixture.ks.toFixed(3)}`);
    expect(manifestHead).toBe('bins');
    expect(mixture.manifestHead).toBe('mixture');
    expect(ks).toBeLessThan(0.1);
    expect(ks).toBeLessThan(mixture.ks);
  }, 120_000);

  it('the mixture head (gapBins 0) is still available, and manifests without gapHead read as it', async () => {
    const trained = await trainGru(sharpVisits(60), {
      hidden: 8,
      gapHidden: 8,
      mixtures: 2,
      gapBins: 0,
      epochs: 1,
      seed: 5,
      minCodePatients: 1,
    });
    const hp = { ...trained.manifest.hyperparameters };
    expect(hp['gapHead']).toBe('mixture');
    delete hp['gapHead'];
    const old = { ...trained.manifest, hyperparameters: hp };
    expect(gruShapeOf(old).gapBinEdges).toBeUndefined();
    const model = new GruStepModel(old, trained.weights);
    model.start({ rows: 2, values: new Float64Array(2) });
    model.step(Int32Array.of(3, 3), new Int32Array(2), new Int32Array(2));
    model.setNextCodes(Int32Array.of(1, 1));
    const d = model.sampleGapDays(1, 1, new Rng(2));
    expect(Number.isInteger(d) && d >= 0).toBe(true);
    model.dispose();
    const broken = { ...trained.manifest, hyperparameters: { ...hp, gapHead: 'bins' } };
    expect(() => gruShapeOf(broken)).toThrow(/gapBinEdges/);
  });
});
