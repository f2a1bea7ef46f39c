import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/model/backend.js';
import { probeTrainThroughput } from '../../src/model/train-throughput-probe.js';
import { importNafldSubset } from '../helpers/nafld.js';
import { useTempDir } from '../helpers/tmp.js';

const dir = useTempDir('train-probe');

describe('probeTrainThroughput', () => {
  it('times the same planned batches on nafld (values included) and frees its tensors', async () => {
    await selectBackend('wasm');
    const nafld = await importNafldSubset(dir, 300);
    const before = tf.memory().numTensors;
    const r = probeTrainThroughput(nafld, { batchSize: 32, hidden: 8, batches: 2, gapBins: 16 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.batches).toBe(2);
    // length-bucketed batches of 32 patients: every event is a step, padding only adds
    expect(r.events).toBeGreaterThan(0);
    expect(r.paddedSteps).toBeGreaterThanOrEqual(r.events);
    expect(r.valuedCodes).toContain('LAB:hdl');
    expect(
      probeTrainThroughput(nafld, { batchSize: 32, hidden: 8, batches: 2, valueBins: 0 }),
    ).toMatchObject({ events: r.events, paddedSteps: r.paddedSteps, valuedCodes: [] });
  });
});
