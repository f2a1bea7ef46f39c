import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { attributeRowsOf } from '../../src/model/attribute-encoder.js';
import { selectBackend } from '../../src/model/backend.js';
import { codeCalibration } from '../../src/model/code-calibration.js';
import { recordedMaxSteps } from '../../src/model/encode-timeline.js';
import { GruStepModel } from '../../src/model/gru-step-model.js';
import type { ModelManifest } from '../../src/model/manifest.js';
import { OnnxStepModel } from '../../src/model/onnx-step-model.js';
import { refitModelCodeHead, refitModelFolderCodeHead } from '../../src/model/refit-code-head.js';
import { trainGru } from '../../src/model/train-gru.js';
import { trainModel } from '../../src/model/train-model.js';
import { trainingSplit } from '../../src/model/training-summary.js';
import { trajectoryNll } from '../../src/model/trajectory-nll.js';
import { simulateReference } from '../../src/reference/reference-process.js';
import { readTimeline } from '../../src/timeline/read.js';
import { selectPatients } from '../../src/timeline/select-patients.js';
import type { Timeline } from '../../src/timeline/types.js';

const root = mkdtempSync(join(tmpdir(), 'trajsim-refit-code-head-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let reference: Timeline;
beforeAll(async () => {
  await selectBackend('wasm');
  await simulateReference(join(root, 'ref'), { patients: 400, seed: 21 });
  reference = await readTimeline(join(root, 'ref'));
});

const OPTIONS = { hidden: 16, gapHidden: 8, batchSize: 32, epochs: 2, seed: 5 } as const;

/** Events per code name among the first maxSteps events of `rows`, counted from the raw timeline. */
function observedCounts(t: Timeline, rows: ArrayLike<number>, maxSteps: number) {
  const counts = new Map<string, number>();
  for (const p of Array.from(rows)) {
    const last = Math.min(t.offsets[p + 1]!, t.offsets[p]! + maxSteps);
    for (let e = t.offsets[p]!; e < last; e++) {
      const name = t.events.codes[t.events.code[e]!]!;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Teacher-forced expected events per code on `rows` against the independent count: the
 * largest |expected − observed| ÷ max(1e-3 · observed, 0.02 · √observed) (≤ 1 = calibrated:
 * 1e-3 relative for every code with ≥ 400 events, the fit's tolerance for rarer ones).
 */
function calibrationError(
  manifest: ModelManifest,
  weights: Float32Array,
  t: Timeline,
  rows: ArrayLike<number>,
): number {
  const observed = observedCounts(t, rows, recordedMaxSteps(manifest));
  const c = codeCalibration(manifest, weights, selectPatients(t, rows));
  let worst = 0;
  c.codes.forEach((code, v) => {
    const o = observed.get(code) ?? 0;
    expect(c.observed[v], code).toBe(o);
    const bound = Math.max(1e-3 * o, 0.02 * Math.sqrt(Math.max(1, o)));
    worst = Math.max(worst, Math.abs(c.expected[v]! - o) / bound);
  });
  return worst;
}

/** Mean code + gap NLL per event of `rows` (the model's own evaluation, not the refit's). */
function meanNll(manifest: ModelManifest, weights: Float32Array, t: Timeline, rows: Int32Array) {
  const perRow = trajectoryNll({ dir: 'in memory', manifest, weights }, t, rows);
  let sum = 0;
  let events = 0;
  rows.forEach((p, i) => {
    const n = Math.min(t.offsets[p + 1]! - t.offsets[p]!, recordedMaxSteps(manifest));
    sum += perRow[i]! * n;
    events += n;
  });
  return sum / events;
}

/** Names of the weights whose values differ between two weight arrays of the same layout. */
function changedWeights(manifest: ModelManifest, a: Float32Array, b: Float32Array): string[] {
  return manifest
    .weights!.filter((s) => {
      const size = s.shape.reduce((x, y) => x * y, 1);
      for (let i = s.offset; i < s.offset + size; i++) if (a[i] !== b[i]) return true;
      return false;
    })
    .map((s) => s.name);
}

describe('refit of the code head after training', () => {
  it('makes expected = observed per code on the fitted rows, raises their likelihood, touches only the code bias', async () => {
    const raw = await trainGru(reference, { ...OPTIONS, refitCodeHead: false });
    expect(raw.manifest.hyperparameters['codeHeadRefit']).toBeUndefined();
    expect(raw.manifest.metrics.codeHeadRefit).toBeUndefined();
    const { train, validation } = trainingSplit(raw.manifest, reference);
    // the weight average after 2 short epochs: visibly miscalibrated on its own training rows
    expect(calibrationError(raw.manifest, raw.weights, reference, train)).toBeGreaterThan(3);
    const refit = refitModelCodeHead(raw.manifest, raw.weights, reference);
    expect(calibrationError(refit.manifest, refit.weights, reference, train)).toBeLessThan(1);
    expect(changedWeights(raw.manifest, raw.weights, refit.weights)).toEqual(['code_head/bias']);
    const before = meanNll(raw.manifest, raw.weights, reference, train);
    const after = meanNll(refit.manifest, refit.weights, reference, train);
    expect(after).toBeLessThan(before);
    // the report's code NLL change is the whole change (the gap head is untouched)
    const report = refit.report;
    expect(after - before).toBeCloseTo(report.trainCodeNllAfter - report.trainCodeNllBefore, 5);
    expect(refit.manifest.hyperparameters['codeHeadRefit']).toBe(1);
    const validationChange = report.validationCodeNllAfter! - report.validationCodeNllBefore!;
    expect(refit.manifest.metrics.validationNll! - raw.manifest.metrics.validationNll!).toBeCloseTo(
      validationChange,
      9,
    );
    expect(validation.length).toBeGreaterThan(0);
  }, 120_000);

  it('with an attribute skip: calibrated per attribute level too; trained with the refit, as post hoc', async () => {
    const raw = await trainGru(reference, {
      ...OPTIONS,
      attributeSkip: true,
      refitCodeHead: false,
    });
    const trained = await trainGru(reference, {
      ...OPTIONS,
      attributeSkip: true,
      refitCodeHead: true,
    });
    expect(trained.manifest.hyperparameters['codeHeadRefit']).toBe(1);
    const refit = refitModelCodeHead(raw.manifest, raw.weights, reference);
    // the same bytes whether refitted at the end of training or post hoc
    expect(Buffer.from(trained.weights.buffer).equals(Buffer.from(refit.weights.buffer))).toBe(
      true,
    );
    const { trainSeconds: _a, ...trainedMetrics } = trained.manifest.metrics;
    const { trainSeconds: _b, ...refitMetrics } = refit.manifest.metrics;
    expect(trainedMetrics).toEqual(refitMetrics);
    expect(changedWeights(raw.manifest, raw.weights, refit.weights)).toEqual([
      'code_head/bias',
      'skip/code_kernel',
    ]);
    const { train } = trainingSplit(raw.manifest, reference);
    for (const name of ['stage', 'ecog']) {
      const a = reference.patients.attributes.find((x) => x.name === name);
      if (a?.kind !== 'categorical') throw new Error(`no categorical ${name}`);
      a.levels.forEach((level, l) => {
        const rows = Array.from(train).filter((p) => a.codes[p] === l);
        expect(rows.length, level).toBeGreaterThan(20);
        expect(
          calibrationError(refit.manifest, refit.weights, reference, rows),
          level,
        ).toBeLessThan(1);
      });
    }
  }, 180_000);

  it('the onnx and tfjs step models of a refitted model agree to 1e-5', async () => {
    const { manifest, weights } = await trainGru(reference, {
      ...OPTIONS,
      attributeSkip: true,
      refitCodeHead: true,
    });
    expect(manifest.hyperparameters['codeHeadRefit']).toBe(1);
    const V = manifest.vocabulary.codes.length;
    const rows = attributeRowsOf(
      manifest.encoders,
      reference.patients.attributes,
      Int32Array.of(0, 7, 19, 300),
    );
    const tfjs = new GruStepModel(manifest, weights);
    const onnx = await OnnxStepModel.create(manifest, weights, { threads: 1 });
    tfjs.start(rows);
    await onnx.start(rows);
    const rng = new Rng('refit-onnx');
    let worst = 0;
    for (let t = 0; t < 5; t++) {
      const prevCode = Int32Array.from({ length: 4 }, () => rng.int(V + 1));
      const gap = Int32Array.from({ length: 4 }, () => rng.int(200));
      const day = Int32Array.from({ length: 4 }, () => rng.int(2000));
      const a = tfjs.step(prevCode, gap, day);
      const b = await onnx.step(prevCode, gap, day);
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      const next = Int32Array.from({ length: 4 }, () => rng.int(V));
      tfjs.setNextCodes(next);
      await onnx.setNextCodes(next);
    }
    expect(worst).toBeLessThan(1e-5);
    tfjs.dispose();
    onnx.dispose();
  }, 120_000);

  it('post hoc on a model folder: the same files as training with the refit; other data refused', async () => {
    const data = join(root, 'ref');
    const common = { ...OPTIONS, data, kind: 'gru', overwrite: true } as const;
    const plain = join(root, 'plain');
    const refitted = join(root, 'refitted');
    await trainModel({ ...common, out: plain, refitCodeHead: false });
    await trainModel({ ...common, out: refitted, refitCodeHead: true });
    const report = await refitModelFolderCodeHead(plain, data);
    expect(report.trainCodeNllAfter).toBeLessThan(report.trainCodeNllBefore);
    for (const file of [
      'weights.bin',
      ...readdirSync(join(refitted, 'onnx')).map((f) => `onnx/${f}`),
    ]) {
      expect(readFileSync(join(plain, file)).equals(readFileSync(join(refitted, file))), file).toBe(
        true,
      );
    }
    await simulateReference(join(root, 'other'), { patients: 400, seed: 22 });
    await expect(refitModelFolderCodeHead(plain, join(root, 'other'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  }, 120_000);
});
