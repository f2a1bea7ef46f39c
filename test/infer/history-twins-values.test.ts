import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadGenerationModel } from '../../src/generate/load-generation-model.js';
import { generateHistoryTwins } from '../../src/infer/history-twins.js';
import { writeModelFolder } from '../../src/model/manifest.js';
import { fitMarkov } from '../../src/model/markov.js';
import { readTimeline } from '../../src/timeline/read.js';
import type { Timeline } from '../../src/timeline/types.js';
import { importNafldSubset } from '../helpers/nafld.js';
import { useTempDir } from '../helpers/tmp.js';

// Issue 10: history twins of real nafld patients (LAB:* events carry values). The observed
// prefix of every twin must carry the real values exactly, and the history's values must reach
// the model (the Markov value model draws a code's value given the bin of the previous value of
// the same code, so the first future HDL follows the last observed one).
const root = useTempDir('history-twins-values');
const LANDMARK = 730;
const FUTURES = 3;
let real: Timeline;
let twins: Timeline;

beforeAll(async () => {
  real = await importNafldSubset(root, 400);
  const fit = fitMarkov(real, { seed: 2, condition: 'none' });
  expect(fit.markov.values, 'the Markov baseline has its per-code value model').toBeDefined();
  const dir = join(root, 'markov');
  writeModelFolder(dir, fit.manifest, { markov: fit.markov });
  const model = loadGenerationModel(dir);
  try {
    await generateHistoryTwins(model, real, {
      landmark: LANDMARK,
      futures: FUTURES,
      seed: 4,
      out: join(root, 'twins-out'),
    });
  } finally {
    model.stepModel.dispose();
  }
  twins = await readTimeline(join(root, 'twins-out', 'twins'));
}, 120_000);

/** A patient's events as [day, code, value] rows (code by name; value as written). */
function rows(t: Timeline, p: number, keep: (day: number) => boolean): [number, string, number][] {
  const out: [number, string, number][] = [];
  for (let e = t.offsets[p]!; e < t.offsets[p + 1]!; e++) {
    const day = t.events.day[e]!;
    const code = t.events.codes[t.events.code[e]!]!;
    if (keep(day) && code !== 'DEATH' && code !== 'END_OF_FOLLOWUP') {
      out.push([day, code, t.events.value[e]!]);
    }
  }
  return out;
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('history twins keep the observed values (nafld, Markov with values)', () => {
  it('every twin’s prefix (events on or before the landmark) is the real history, values exactly', () => {
    const realRow = new Map(real.patients.ids.map((id, p) => [id, p]));
    let valued = 0;
    twins.patients.ids.forEach((id, p) => {
      const q = realRow.get(id.split('#')[0]!)!;
      const observed = rows(real, q, (d) => d <= LANDMARK);
      const prefix = rows(twins, p, (d) => d <= LANDMARK);
      // Object.is per value: NaN (no value) stays NaN, a value is bit-identical
      expect(prefix.length, id).toBe(observed.length);
      prefix.forEach(([day, code, value], i) => {
        const [d0, c0, v0] = observed[i]!;
        expect([day, code], id).toEqual([d0, c0]);
        expect(Object.is(value, v0), `${id} ${code} day ${day}: ${value} vs ${v0}`).toBe(true);
        if (Number.isFinite(v0)) valued++;
      });
    });
    expect(twins.patients.ids.length % FUTURES).toBe(0);
    expect(valued, 'the prefixes hold real lab values').toBeGreaterThan(1000);
  });

  it('futures draw values, and the first future HDL follows the last observed HDL', () => {
    const realRow = new Map(real.patients.ids.map((id, p) => [id, p]));
    const last: number[] = [];
    const next: number[] = [];
    let futureValued = 0;
    twins.patients.ids.forEach((id, p) => {
      const q = realRow.get(id.split('#')[0]!)!;
      const hdl = rows(real, q, (d) => d <= LANDMARK).filter((r) => r[1] === 'LAB:hdl');
      const future = rows(twins, p, (d) => d > LANDMARK).filter((r) => r[1].startsWith('LAB:'));
      futureValued += future.filter((r) => Number.isFinite(r[2])).length;
      const firstHdl = future.find((r) => r[1] === 'LAB:hdl');
      const lastHdl = hdl[hdl.length - 1];
      if (lastHdl && firstHdl && Number.isFinite(firstHdl[2])) {
        last.push(lastHdl[2]);
        next.push(firstHdl[2]);
      }
    });
    expect(futureValued).toBeGreaterThan(100);
    // real consecutive HDL values correlate 0.88 (docs/validation.md); the Markov value model
    // keeps the previous value's quintile, so the correlation stays high. A model that did not
    // see the history's values would draw the first HDL from the "no value before" row:
    // correlation ~0 (measured: 0.007 with the history's values withheld from the model, 0.74 here).
    expect(last.length).toBeGreaterThan(150);
    expect(pearson(last, next)).toBeGreaterThan(0.5);
  });
});
