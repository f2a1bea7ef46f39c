import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTagged, encodeTagged } from '../../src/core/tagged-json.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { defaultThresholds } from '../../src/validate/default-thresholds.js';
import { summarizeForValidation, validateSummaryFiles } from '../../src/validate/summary-file.js';
import { validateTimelineDirs } from '../../src/validate/validate-dirs.js';

const root = mkdtempSync(join(tmpdir(), 'trajsim-summary-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = (name: string) => join(root, name);

beforeAll(async () => {
  await simulateReference(dir('real'), { patients: 1500, seed: 'real' });
  // one synthetic cohort of 2,000 in three shards (global indices 0.., 700.., 1300..)
  await simulateReference(dir('syn0'), { patients: 700, seed: 'syn' });
  await simulateReference(dir('syn1'), { patients: 600, seed: 'syn', firstPatient: 700 });
  await simulateReference(dir('syn2'), { patients: 700, seed: 'syn', firstPatient: 1300 });
});

describe('tagged JSON keeps what JSON cannot', () => {
  it('typed arrays, sparse count tables, Maps in order, NaN, ±Infinity, −0 and $-keys round-trip exactly', () => {
    const counts = new Float64Array(1000);
    counts[3] = 2;
    counts[999] = 0.5;
    const value = {
      $schema: 'x',
      n: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1.5],
      dense: Float64Array.of(1, Number.NaN, -0, 3),
      counts,
      ints: Int32Array.of(-1, 2 ** 31 - 1),
      bytes: Uint8Array.of(0, 255),
      map: new Map([
        ['b', 1],
        ['a', 2],
      ]),
    };
    const back = decodeTagged(JSON.parse(JSON.stringify(encodeTagged(value)))) as typeof value;
    expect(Object.keys(back)).toEqual(Object.keys(value));
    expect(back.$schema).toBe('x');
    expect(Object.is(back.n[3], -0)).toBe(true);
    expect(back.n.slice(0, 3)).toEqual([Number.NaN, Infinity, -Infinity]);
    expect(Array.from(back.dense)).toEqual([1, Number.NaN, -0, 3]);
    expect(Object.is(back.dense[2], -0)).toBe(true);
    expect(back.counts).toBeInstanceOf(Float64Array);
    expect(Array.from(back.counts)).toEqual(Array.from(counts));
    expect(back.ints).toEqual(Int32Array.of(-1, 2 ** 31 - 1));
    expect(back.bytes).toEqual(Uint8Array.of(0, 255));
    expect([...back.map.keys()]).toEqual(['b', 'a']);
  });
});

describe('serialised shard summaries merge into the report one process reading every shard writes', () => {
  it('three shards summarised apart give byte-identical metrics, charts and plausibility', async () => {
    const options = { thresholds: defaultThresholds(), seed: '4', repeats: 3 };
    const shards = ['syn0', 'syn1', 'syn2'].map(dir);
    const direct = await validateTimelineDirs(dir('real'), shards, options);
    const firsts = [0, 700, 1300];
    const files = await Promise.all(
      shards.map(async (d, k) => {
        const text = await summarizeForValidation(d, dir('real'), {
          ...options,
          firstPatient: firsts[k]!,
          totalPatients: 2000,
        });
        const file = join(root, `s${k}.json`);
        writeFileSync(file, text);
        return file;
      }),
    );
    const merged = await validateSummaryFiles(dir('real'), files, options);
    const { provenance: p1, ...a } = direct;
    const { provenance: p2, ...b } = merged;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.metrics.length).toBeGreaterThan(20);
    expect(a.plausibility?.rules.length).toBeGreaterThan(0);
    expect(p2?.synthetic).toEqual(p1?.synthetic);
  });

  it('refuses a summary made against another seed, and shards given out of order', async () => {
    const file = join(root, 'seed9.json');
    writeFileSync(
      file,
      await summarizeForValidation(dir('syn0'), dir('real'), {
        thresholds: defaultThresholds(),
        seed: '9',
        repeats: 3,
        firstPatient: 0,
        totalPatients: 2000,
      }),
    );
    const options = { thresholds: defaultThresholds(), seed: '4', repeats: 3 };
    await expect(validateSummaryFiles(dir('real'), [file], options)).rejects.toThrow(
      /seed9\.json: summarised with seed 9, but this validation has 4/,
    );
    const [s0, s1, s2] = [0, 1, 2].map((k) => join(root, `s${k}.json`));
    await expect(validateSummaryFiles(dir('real'), [s1!, s0!, s2!], options)).rejects.toThrow(
      /s1\.json holds patients 700\.\.1299 of a cohort of 2000; expected patients from 0/,
    );
    await expect(validateSummaryFiles(dir('real'), [s0!, s1!], options)).rejects.toThrow(
      /expected patients from 1300 of a cohort of 2000/,
    );
    expect(readFileSync(s0!, 'utf8')).toMatch(/^\{"format":"trajsim-summary"/);
  });
});
