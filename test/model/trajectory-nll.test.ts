import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { liveTensors, selectBackend } from '../../src/model/backend.js';
import { loadModel } from '../../src/model/read-model.js';
import { trainGru } from '../../src/model/train-gru.js';
import { eventNll, trajectoryNll } from '../../src/model/trajectory-nll.js';
import { rocAuc } from '../../src/stats/membership-auc.js';
import { importColon } from '../helpers/colon.js';
import { useTempDir } from '../helpers/tmp.js';
import { makeToyTimeline } from './toy-timeline.js';

const work = useTempDir('event-nll');

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('trajectoryNll (the likelihood membership attack)', () => {
  it('does not depend on the batch (padding), leaves no tensor behind, and exposes an over-trained model', async () => {
    const members = makeToyTimeline(40, 'members');
    const others = makeToyTimeline(40, 'others');
    // Over-trained: tiny data, no validation split, many epochs, and none of the data-driven
    // regularisation of small datasets (16 gap bins and weight decay 1 bring this AUC to 0.61)
    const { manifest, weights } = await trainGru(members, {
      gapBins: 128,
      weightDecay: 0,
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

describe('eventNll (per event, teacher forced)', () => {
  it('is trajectoryNll per event: its mean per patient equals trajectoryNll exactly (models/default, colon)', async () => {
    const colon = await importColon(join(work, 'colon'));
    const model = loadModel('models/default');
    // unsorted, with a repeat: the result follows `rows`, not the timeline order
    const rows = Int32Array.of(5, 0, 17, 3, 928, 400, 17, 101);
    const { nll, offsets } = eventNll(model, colon, rows, { batchSize: 3 });
    const perPatient = trajectoryNll(model, colon, rows, { batchSize: 3 });
    expect(offsets[0]).toBe(0);
    expect(nll.length).toBe(offsets[rows.length]);
    rows.forEach((p, i) => {
      // colon has at most 4 events a patient (< maxSteps): every event is scored
      expect(offsets[i + 1]! - offsets[i]!).toBe(colon.offsets[p + 1]! - colon.offsets[p]!);
      const own = Array.from(nll.subarray(offsets[i], offsets[i + 1]));
      for (const x of own) expect(Number.isFinite(x) && x > 0).toBe(true);
      expect(own.reduce((a, b) => a + b, 0) / own.length).toBe(perPatient[i]);
    });
    // the repeated row scores the same events the same
    expect(nll.subarray(offsets[6], offsets[7])).toEqual(nll.subarray(offsets[2], offsets[3]));
  }, 60_000);
});
