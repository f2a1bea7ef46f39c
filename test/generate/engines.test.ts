import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { createMemoryLogger, MESSAGES } from '../../src/core/messages.js';
import type { Shard } from '../../src/core/shard.js';
import { generateCohort } from '../../src/generate/generate-cohort.js';
import type { GenerationHooks } from '../../src/generate/generation-types.js';
import { loadGenerationModel } from '../../src/generate/load-generation-model.js';
import type { StepModel } from '../../src/generate/step-model.js';
import { createEngineStepModel, type EngineOptions } from '../../src/model/engine.js';
import { exportOnnx, ONNX_FILES } from '../../src/model/onnx-export.js';
import { cudaProviderInstalled } from '../../src/model/onnx-runtime.js';
import { loadModel } from '../../src/model/read-model.js';
import { readTimeline } from '../../src/timeline/read.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('engines');
const REFERENCE = 'models/reference';
const PATIENTS = 300;

async function generate(
  out: string,
  options: { batchSize?: number; shard?: Shard; hooks?: GenerationHooks } = {},
) {
  const loaded = loadModel(REFERENCE);
  const { stepModel, engine } = await createEngineStepModel(loaded, {
    engine: 'onnx',
    threads: 1,
  });
  const model = loadGenerationModel(loaded, stepModel);
  try {
    await generateCohort(model, { patients: PATIENTS, seed: 9, out: join(root, out), ...options });
  } finally {
    stepModel.dispose();
  }
  return engine;
}

const read = (dir: string, file: string) => readFileSync(join(root, dir, file));

describe('the onnx generation engine', () => {
  it('writes the same bytes for batch sizes 7, 64 and 1024', async () => {
    expect(await generate('b1024', { batchSize: 1024 })).toMatch(/^onnx \(onnxruntime-node /);
    await generate('b64', { batchSize: 64 });
    await generate('b7', { batchSize: 7 });
    for (const file of ['events.arrow', 'patients.arrow']) {
      expect(read('b64', file).equals(read('b1024', file))).toBe(true);
      expect(read('b7', file).equals(read('b1024', file))).toBe(true);
    }
  }, 60_000);

  it('criteria met by retries: the same bytes for batch sizes 5 and 100', async () => {
    const hooks: GenerationHooks = { accept: (p) => p.codes.length >= 12 };
    await generate('retry-100', { batchSize: 100, hooks });
    await generate('retry-5', { batchSize: 5, hooks });
    const t = await readTimeline(join(root, 'retry-100'));
    expect(t.patients.ids.length).toBe(PATIENTS);
    for (let p = 0; p < PATIENTS; p++) {
      expect(t.offsets[p + 1]! - t.offsets[p]!).toBeGreaterThanOrEqual(12);
    }
    expect(read('retry-5', 'events.arrow').equals(read('retry-100', 'events.arrow'))).toBe(true);
  }, 60_000);

  it('shards 1/3..3/3 hold the same patients and events, in order, as the unsharded run', async () => {
    await generate('whole', { batchSize: 50 });
    const whole = await readTimeline(join(root, 'whole'));
    const ids: string[] = [];
    const days: number[] = [];
    const codes: number[] = [];
    for (let k = 1; k <= 3; k++) {
      await generate(`s${k}`, { batchSize: 64, shard: { index: k, count: 3 } });
      const part = await readTimeline(join(root, `s${k}`));
      ids.push(...part.patients.ids);
      days.push(...part.events.day);
      codes.push(...part.events.code);
    }
    expect(ids).toEqual(whole.patients.ids);
    expect(Int32Array.from(days)).toEqual(whole.events.day);
    expect(Int32Array.from(codes)).toEqual(whole.events.code);
  }, 60_000);

  it('the committed onnx/ files of the shipped models are a fresh export of their weights', () => {
    for (const dir of ['models/default', 'models/reference']) {
      const { manifest, weights } = loadModel(dir);
      const fresh = exportOnnx(manifest, weights!);
      const file = (name: string) => new Uint8Array(readFileSync(join(dir, ONNX_FILES.DIR, name)));
      expect(Buffer.from(file(ONNX_FILES.START)).equals(Buffer.from(fresh.start))).toBe(true);
      expect(Buffer.from(file(ONNX_FILES.STEP)).equals(Buffer.from(fresh.step))).toBe(true);
      expect(Buffer.from(file(ONNX_FILES.GAP)).equals(Buffer.from(fresh.gap))).toBe(true);
    }
  });
});

describe('continuous batching', () => {
  it('keeps the batch full: finished rows are refilled with the next patients', async () => {
    const loaded = loadModel(REFERENCE);
    const { stepModel } = await createEngineStepModel(loaded, { engine: 'onnx', threads: 1 });
    let steps = 0;
    let rowSteps = 0;
    let added = 0;
    const counting: StepModel = {
      codes: stepModel.codes,
      start: (a) => stepModel.start(a),
      replaceRows: (p, a) => {
        added += a.rows;
        return stepModel.replaceRows(p, a);
      },
      step: (c, g, d) => {
        steps++;
        rowSteps += c.length;
        return stepModel.step(c, g, d);
      },
      setNextCodes: (c) => stepModel.setNextCodes(c),
      sampleGapDays: (r, c, rng) => stepModel.sampleGapDays(r, c, rng),
      keepRows: (k) => stepModel.keepRows(k),
      end: () => stepModel.end(),
      dispose: () => stepModel.dispose(),
    };
    const model = loadGenerationModel(loaded, counting);
    const batchSize = 64;
    try {
      await generateCohort(model, { patients: 2000, seed: 9, batchSize, out: join(root, 'cb') });
    } finally {
      stepModel.dispose();
    }
    // 64 patients start the batch; every other patient enters a refilled row.
    expect(added).toBe(2000 - batchSize);
    // Rows stepped per step: near the batch size (idle rows only in the tail and between
    // refills), where pools that wait for their longest trajectory average far less.
    expect(rowSteps / steps).toBeGreaterThan(0.8 * batchSize);
    const whole = await readTimeline(join(root, 'cb'));
    expect(whole.patients.ids.length).toBe(2000);
  }, 60_000);
});

describe('engine choice', () => {
  const missing: EngineOptions['importModule'] = async () => {
    throw new Error("Cannot find package 'onnxruntime-node'");
  };

  it('without --engine, falls back to tfjs with one line when onnxruntime-node does not load', async () => {
    const logger = createMemoryLogger();
    const { stepModel, engine } = await createEngineStepModel(loadModel(REFERENCE), {
      importModule: missing,
      logger,
    });
    stepModel.dispose();
    expect(engine).toBe('tfjs (wasm)');
    expect(logger.records.map((r) => r.code)).toEqual([MESSAGES.INFO, MESSAGES.INFO]);
    expect(logger.records[0]!.message).toMatch(
      /onnxruntime-node is not available.*using the tfjs engine/,
    );
    expect(logger.records[1]!.message).toBe('generation engine: tfjs (wasm)');
  });

  it('--engine onnx without onnxruntime-node is a BACKEND error that says what to do', async () => {
    const error = await createEngineStepModel(loadModel(REFERENCE), {
      engine: 'onnx',
      importModule: missing,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrajsimError);
    expect((error as TrajsimError).code).toBe('BACKEND');
    expect((error as TrajsimError).message).toMatch(/onnxruntime-node.*--engine tfjs/);
  });

  it.skipIf(cudaProviderInstalled())(
    '--device cuda without the CUDA provider says how to install it',
    async () => {
      const error = await createEngineStepModel(loadModel(REFERENCE), {
        device: 'cuda',
      }).catch((e: unknown) => e);
      expect((error as TrajsimError).code).toBe('BACKEND');
      expect((error as TrajsimError).message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    },
  );

  it('--device cuda with --engine tfjs is refused', async () => {
    await expect(
      createEngineStepModel(loadModel(REFERENCE), { engine: 'tfjs', device: 'cuda' }),
    ).rejects.toThrow(/--device cuda needs --engine onnx/);
  });
});
