import { beforeAll, describe, expect, it } from 'vitest';
import { liveTensors, selectBackend } from '../../src/model/backend.js';
import { trainGru } from '../../src/model/train-gru.js';
import { trajectoryNll } from '../../src/model/trajectory-nll.js';
import { rocAuc } from '../../src/stats/membership-auc.js';
import { makeToyTimeline } from './toy-timeline.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('trajectoryNll (the likelihood membership attack)', () => {
  it('does not depend on the batch (padding), leaves no tensor behind, and exposes an over-trained model', async () => {
    const members = makeToyTimeline(40, 'members');
    const others = makeToyTimeline(40, 'others');
    // Over-trained: tiny data, no validation split, many epochs.
    const { manifest, weights } = await trainGru(members, {
      hidden: 32,
      gapHidden: 16,
      batchSize: 8,
      epochs: 60,
      patience: 60,
      validationFraction: 0,
      seed: 3,
    });
    const model = { dir: 'memory', manifest, weights };
    const rows = Int32Array.from({ length: 40 }, (_, i) => i);
    const before = liveTensors();
    const batched = trajectoryNll(model, members, rows);
    const single = trajectoryNll(model, members, rows, { batchSize: 1 });
    expect(liveTensors()).toBe(before);
    for (let i = 0; i < rows.length; i++) {
      expect(Number.isFinite(batched[i]!)).toBe(true);
      expect(batched[i]!).toBeCloseTo(single[i]!, 4);
    }
    const unseen = trajectoryNll(model, others, rows);
    // Members get a lower NLL: the attack (score −NLL) separates them.
    const auc = rocAuc(
      batched.map((v) => -v),
      unseen.map((v) => -v),
    ).value;
    expect(auc).toBeGreaterThan(0.75);
  }, 120_000);
});
