import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import {
  type CartAttributeModel,
  cartOrder,
  fitCartAttributeModel,
  sampleCartAttributes,
} from '../../src/model/attribute-cart.js';
import { sampleAttributes } from '../../src/model/attribute-model.js';
import { bandwidthNrd0 } from '../../src/model/cart-smoothing.js';
import { readModelManifest } from '../../src/model/manifest.js';
import type { Attribute, Timeline } from '../../src/timeline/types.js';
import { importColon } from '../helpers/colon.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('cart');
let colon: Timeline;
let model: CartAttributeModel;
/** The same trees drawing observed leaf values (models fitted before smoothing). */
let raw: CartAttributeModel;
/** The same trees smoothing every drawn number (the first smoothing rule). */
let dense: CartAttributeModel;
let names: string[];

beforeAll(async () => {
  colon = await importColon(join(root, 'colon'));
  const all = Int32Array.from({ length: colon.patients.ids.length }, (_, i) => i);
  model = fitCartAttributeModel(colon.patients.attributes, all);
  raw = fitCartAttributeModel(colon.patients.attributes, all, { smoothing: 'none' });
  dense = fitCartAttributeModel(colon.patients.attributes, all, { smoothing: 'density' });
  names = colon.patients.attributes.map((a) => a.name);
});

function attr<K extends Attribute['kind']>(name: string, kind: K): Extract<Attribute, { kind: K }> {
  const a = colon.patients.attributes.find((x) => x.name === name)!;
  expect(a.kind).toBe(kind);
  return a as Extract<Attribute, { kind: K }>;
}

/** node4 level index of '1', and whether a (nodes, node4) pair breaks node4 = nodes > 4. */
function inconsistent(nodes: number, node4: number, one: number): boolean {
  if (Number.isNaN(nodes) || node4 < 0) return false;
  return nodes > 4 !== (node4 === one);
}

function draw(
  n: number,
  seed: string,
  forced?: Map<number, number>,
  m: CartAttributeModel = model,
): Float64Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(names.length);
    sampleCartAttributes(m, rng.fork(i), row, forced);
    return row;
  });
}

describe('sequential CART attribute model', () => {
  it('visits numbers before categories', () => {
    expect(model.order.map((j) => names[j])).toEqual([
      'age',
      'nodes',
      'sex',
      'rx',
      'obstruct',
      'perfor',
      'adhere',
      'node4',
      'differ',
      'extent',
      'surg',
    ]);
    expect(cartOrder([{ kind: 'categorical' }, { kind: 'numeric' }])).toEqual([1, 0]);
  });

  it('keeps node4 = nodes > 4 at most as often broken as the real data break it', () => {
    const nodes = attr('nodes', 'numeric');
    const node4 = attr('node4', 'categorical');
    const one = node4.levels.indexOf('1');
    let realBad = 0;
    let realN = 0;
    for (let p = 0; p < nodes.values.length; p++) {
      if (Number.isNaN(nodes.values[p]!) || node4.codes[p]! < 0) continue;
      realN++;
      if (inconsistent(nodes.values[p]!, node4.codes[p]!, one)) realBad++;
    }
    const rows = draw(4000, 'consistency');
    const iN = names.indexOf('nodes');
    const i4 = names.indexOf('node4');
    let bad = 0;
    let n = 0;
    for (const r of rows) {
      if (Number.isNaN(r[iN]!) || r[i4]! < 0) continue;
      n++;
      if (inconsistent(r[iN]!, r[i4]!, one)) bad++;
    }
    // Real colon: 12 of 911 break the rule (counted above from the CSV, not by the model).
    expect(realBad / realN).toBeGreaterThan(0.005);
    expect(bad / n).toBeLessThanOrEqual(realBad / realN + 0.005);
  });

  it('keeps the dependence of missing nodes on the other attributes and its rate', () => {
    const nodes = attr('nodes', 'numeric');
    const realMissing = Array.from(nodes.values).filter(Number.isNaN).length / nodes.values.length;
    const rows = draw(4000, 'missing');
    const iN = names.indexOf('nodes');
    const synthMissing = rows.filter((r) => Number.isNaN(r[iN]!)).length / rows.length;
    expect(Math.abs(synthMissing - realMissing)).toBeLessThan(0.01);
    // Whenever nodes is missing in the real data, node4 is present: check the synthetic side
    // keeps node4's share among the nodes-missing rows close to the real share.
    const node4 = attr('node4', 'categorical');
    const one = node4.levels.indexOf('1');
    let realMiss4 = 0;
    let realMissN = 0;
    for (let p = 0; p < nodes.values.length; p++) {
      if (!Number.isNaN(nodes.values[p]!)) continue;
      realMissN++;
      if (node4.codes[p] === one) realMiss4++;
    }
    const i4 = names.indexOf('node4');
    const miss = rows.filter((r) => Number.isNaN(r[iN]!));
    const synth4 = miss.filter((r) => r[i4] === one).length / miss.length;
    expect(Math.abs(synth4 - realMiss4 / realMissN)).toBeLessThan(0.15);
  });

  it('reproduces marginals; without smoothing draws only observed numeric values', () => {
    const rows = draw(4000, 'marginals', undefined, raw);
    const differ = attr('differ', 'categorical');
    const id = names.indexOf('differ');
    for (let l = 0; l < differ.levels.length; l++) {
      const real = Array.from(differ.codes).filter((c) => c === l).length / differ.codes.length;
      const synth = rows.filter((r) => r[id] === l).length / rows.length;
      expect(Math.abs(synth - real)).toBeLessThan(0.03);
    }
    const age = attr('age', 'numeric');
    const seen = new Set(Array.from(age.values));
    const ia = names.indexOf('age');
    for (const r of rows) expect(seen.has(r[ia]!)).toBe(true);
  });

  it('conditions earlier attributes on a forced later one (node4 = 1 → nodes > 4)', () => {
    const node4 = attr('node4', 'categorical');
    const one = node4.levels.indexOf('1');
    const rows = draw(1000, 'forced', new Map([[names.indexOf('node4'), one]]));
    const iN = names.indexOf('nodes');
    const present = rows.filter((r) => !Number.isNaN(r[iN]!));
    const over4 = present.filter((r) => r[iN]! > 4).length / present.length;
    expect(over4).toBeGreaterThan(0.95);
    for (const r of rows) expect(r[names.indexOf('node4')]).toBe(one);
  });

  it('conditions on a forced number (age 80 changes the rest as the real data do)', () => {
    // Real colon: share of rx = Obs among patients aged 75-85 vs all.
    const age = attr('age', 'numeric');
    const nodes = attr('nodes', 'numeric');
    let oldN = 0;
    let oldNodes = 0;
    let oldNodesN = 0;
    for (let p = 0; p < age.values.length; p++) {
      if (Math.abs(age.values[p]! - 80) > 3) continue;
      oldN++;
      if (!Number.isNaN(nodes.values[p]!)) {
        oldNodes += nodes.values[p]!;
        oldNodesN++;
      }
    }
    expect(oldN).toBeGreaterThan(20);
    const rows = draw(1000, 'age80', new Map([[names.indexOf('age'), 80]]));
    const iN = names.indexOf('nodes');
    const present = rows.filter((r) => !Number.isNaN(r[iN]!));
    const mean = present.reduce((s, r) => s + r[iN]!, 0) / present.length;
    for (const r of rows) expect(r[names.indexOf('age')]).toBe(80);
    expect(Math.abs(mean - oldNodes / oldNodesN)).toBeLessThan(1);
  });

  it('is deterministic: the same stream gives the same draws', () => {
    const a = draw(50, 'det');
    const b = draw(50, 'det');
    expect(a).toEqual(b);
  });

  it('fitting is exact: the same rows give the same model', () => {
    const all = Int32Array.from({ length: colon.patients.ids.length }, (_, i) => i);
    expect(fitCartAttributeModel(colon.patients.attributes, all)).toEqual(model);
  });

  it('an old manifest with the one-parent model still loads and samples', () => {
    const m = readModelManifest('test/fixtures/models/default-v1');
    expect('nodes' in m.attributeModel).toBe(true);
    const row = new Float64Array(m.attributes.length);
    sampleAttributes(m.attributeModel, new Rng(1), row, { rx: 'Obs' });
    expect(m.attributes[row.length - 1]).toBeDefined();
  });
});

describe('numeric conditioning against a known truth (models/reference)', () => {
  it('age ~ U[70, 85] shifts stage to the true P(stage | age) of the reference process', () => {
    // docs/reference-process.md: P(stage | age) ∝ w·exp(g·(age − 65)/10).
    const w = [0.3, 0.27, 0.24, 0.19];
    const g = [-0.2, -0.05, 0.05, 0.2];
    const pIV = (age: number) => {
      const u = w.map((wi, k) => wi * Math.exp((g[k]! * (age - 65)) / 10));
      return u[3]! / u.reduce((s, x) => s + x, 0);
    };
    let truth = 0;
    const steps = 1500;
    for (let i = 0; i < steps; i++) truth += pIV(70 + (15 * (i + 0.5)) / steps) / steps;
    const m = readModelManifest('models/reference');
    const stage = m.attributes.findIndex((a) => a.name === 'stage');
    const iv = (m.attributes[stage] as { levels: string[] }).levels.indexOf('IV');
    const rng = new Rng('age-70-85');
    const row = new Float64Array(m.attributes.length);
    let n = 0;
    let conditioned = 0;
    let unconditioned = 0;
    for (let i = 0; i < 6000; i++) {
      const r = rng.fork(i);
      const age = Math.round(70 + 15 * r.fork('age').uniform());
      sampleAttributes(m.attributeModel, r.fork('a'), row, { age });
      if (row[stage] === iv) conditioned++;
      sampleAttributes(m.attributeModel, r.fork('b'), row);
      if (row[stage] === iv) unconditioned++;
      n++;
    }
    expect(Math.abs(conditioned / n - truth)).toBeLessThan(0.02);
    expect(conditioned / n - unconditioned / n).toBeGreaterThan(0.02);
  });
});

describe('CART attribute model in a manifest', () => {
  it('is checked on load: a split on an attribute drawn later is refused, naming attributeModel', () => {
    const dir = join(root, 'bad-model');
    mkdirSync(dir, { recursive: true });
    const manifest = JSON.parse(readFileSync('models/default/manifest.json', 'utf8'));
    const order: number[] = manifest.attributeModel.order;
    // The first tree in visiting order has no predictors: make its root split on the last one.
    const first = manifest.attributeModel.trees[order[0]!];
    first.nodes = [
      { kind: 'missing', attribute: order[order.length - 1], left: 1, right: 2 },
      first.nodes[0],
      first.nodes[0],
    ];
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(() => readModelManifest(dir)).toThrow(
      expect.objectContaining({
        code: 'MODEL',
        field: 'attributeModel',
        message: expect.stringContaining('splits on an attribute not drawn before it'),
      }),
    );
  });
});

describe("smoothed numeric leaf draws ('rare', the default of new fits, and 'density')", () => {
  it("bandwidthNrd0 is R's bw.nrd0", () => {
    // R: 0.9 · min(sd, IQR/1.34) · n^(-1/5); 1:5 → sd 1.5811, IQR 2 → 0.9·(2/1.34)·5^(-0.2).
    expect(bandwidthNrd0([1, 2, 3, 4, 5])).toBeCloseTo(0.9 * (2 / 1.34) * 5 ** -0.2, 12);
    // IQR 0 falls back to the sd (0.4472 for 0,0,0,0,1).
    expect(bandwidthNrd0([0, 0, 0, 0, 1])).toBeCloseTo(0.9 * Math.sqrt(0.2) * 5 ** -0.2, 12);
  });

  it('records the smoothing in the model; a fit without it draws exactly as before', () => {
    expect(model.smoothing).toBe('rare');
    expect(dense.smoothing).toBe('density');
    expect('smoothing' in raw).toBe(false);
    expect(raw.trees).toEqual(model.trees);
    expect(dense.trees).toEqual(model.trees);
  });

  it("'rare' keeps the distribution of a count ('density' blurs it): colon's nodes", () => {
    const j = names.indexOf('nodes');
    const a = attr('nodes', 'numeric');
    const present = Array.from(a.values).filter((v) => !Number.isNaN(v));
    const shareOf = (xs: number[], v: number) => xs.filter((x) => x === v).length / xs.length;
    const drawn = (m: CartAttributeModel) =>
      draw(8000, 'nodes', undefined, m)
        .map((r) => r[j]!)
        .filter((v) => !Number.isNaN(v));
    const [rare, density, observed] = [drawn(model), drawn(dense), drawn(raw)];
    // real: 274 ones of 911 known (30.1 %), 2 zeros; 8 000 draws: SE of a 30 % share 0.5 points
    expect(present.length).toBe(911);
    expect(shareOf(present, 1)).toBeCloseTo(274 / 911, 9);
    expect(Math.abs(shareOf(rare, 1) - shareOf(observed, 1))).toBeLessThan(0.02);
    expect(Math.abs(shareOf(rare, 1) - 274 / 911)).toBeLessThan(0.025);
    expect(shareOf(density, 1)).toBeLessThan(0.25);
    expect(shareOf(rare, 0)).toBeLessThan(0.01);
    expect(shareOf(density, 0)).toBeGreaterThan(shareOf(rare, 0));
  });

  it("keeps integers integer and values inside the observed range; 'density' copies fewer training rows", () => {
    const rows = draw(8000, 'smooth', undefined, dense);
    const rawRows = draw(8000, 'smooth', undefined, raw);
    for (const name of ['age', 'nodes']) {
      const a = attr(name, 'numeric');
      const present = Array.from(a.values).filter((v) => !Number.isNaN(v));
      const lo = Math.min(...present);
      const hi = Math.max(...present);
      const j = names.indexOf(name);
      for (const r of rows) {
        const v = r[j]!;
        if (Number.isNaN(v)) continue;
        expect(Number.isInteger(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(lo);
        expect(v).toBeLessThanOrEqual(hi);
      }
      // the marginal mean stays (a symmetric kernel, truncated inside each leaf)
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const synth = rows.map((r) => r[j]!).filter((v) => !Number.isNaN(v));
      expect(Math.abs(mean(synth) - mean(present))).toBeLessThan(0.03 * (hi - lo));
    }
    // Attribute vectors identical to a real colon patient's (all attributes, exact values):
    // smoothing the numbers makes them rarer.
    const key = (get: (j: number) => number) => names.map((_, j) => get(j)).join('|');
    const real = new Set(
      Array.from({ length: colon.patients.ids.length }, (_, p) =>
        key((j) => {
          const a = colon.patients.attributes[j]!;
          return a.kind === 'categorical' ? a.codes[p]! : a.values[p]!;
        }),
      ),
    );
    const share = (rs: Float64Array[]) =>
      rs.filter((r) => real.has(key((j) => r[j]!))).length / rs.length;
    expect(share(rows)).toBeLessThan(0.85 * share(rawRows));
  });
});
