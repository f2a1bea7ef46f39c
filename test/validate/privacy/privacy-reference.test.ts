import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { simulateReference } from '../../../src/reference/reference-process.js';
import { readTimeline } from '../../../src/timeline/read.js';
import type { Timeline } from '../../../src/timeline/types.js';
import { assessPrivacy } from '../../../src/validate/privacy/assess-privacy.js';
import { NearestNeighbourIndex } from '../../../src/validate/privacy/nearest-neighbours.js';
import { defaultPrivacyThresholds } from '../../../src/validate/privacy/privacy-report.js';
import { trajectoryDistance } from '../../../src/validate/privacy/trajectory-distance.js';
import {
  encodeTrajectories,
  subsetTrajectories,
} from '../../../src/validate/privacy/trajectory-space.js';
import { useTempDir } from '../../helpers/tmp.js';

// Three independent samples of the known-truth reference process: training, holdout and an
// "ideal generator" (a fresh sample of the same process, which cannot have memorised anyone).
const dir = useTempDir('privacy');
let train: Timeline;
let holdout: Timeline;
let fresh: Timeline;

beforeAll(async () => {
  const read = async (seed: number, n: number) => {
    const out = join(dir, `ref-${seed}`);
    await simulateReference(out, { patients: n, seed });
    return readTimeline(out);
  };
  train = await read(11, 400);
  holdout = await read(12, 400);
  fresh = await read(13, 400);
}, 60_000);

const metric = (r: ReturnType<typeof assessPrivacy>, id: string) => {
  const m = r.metrics.find((x) => x.id === id);
  if (!m) throw new Error(`no metric ${id}`);
  return m;
};

describe('nearest-neighbour index', () => {
  it('returns exactly the brute-force k nearest distances (k = 1 and 3, with an attribute left out)', () => {
    const space = encodeTrajectories([train, holdout]);
    const indexed = subsetTrajectories(
      space,
      space.sets[0]!,
      Int32Array.from({ length: 150 }, (_, i) => i),
    );
    const queries = subsetTrajectories(
      space,
      space.sets[1]!,
      Int32Array.from({ length: 40 }, (_, i) => i * 3),
    );
    for (const options of [
      {},
      { excludeCategorical: 1 },
      { timeScaleDays: 7, attributeWeight: 5 },
    ]) {
      const index = new NearestNeighbourIndex(space, indexed, options);
      for (const k of [1, 3]) {
        const r = index.query(queries, k);
        for (let q = 0; q < queries.size; q++) {
          const all = Array.from({ length: indexed.size }, (_, p) =>
            trajectoryDistance(space, queries, q, indexed, p, options),
          ).sort((a, b) => a - b);
          for (let j = 0; j < k; j++) expect(r.distances[q * k + j]).toBeCloseTo(all[j]!, 9);
          expect(
            trajectoryDistance(space, queries, q, indexed, r.nearest[q]!, options),
          ).toBeCloseTo(all[0]!, 9);
        }
      }
    }
  });
});

describe('privacy metrics on the reference process', () => {
  it('an independent sample of the process: no copies, DCR share ≈ 50%, AUC ≈ 0.5, gate passes', () => {
    const r = assessPrivacy(train, holdout, fresh, {
      thresholds: defaultPrivacyThresholds(),
      seed: '3',
    });
    expect(metric(r, 'exact_copies.share').value).toBe(0);
    const dcr = metric(r, 'dcr.share');
    expect(dcr.lower).toBeLessThan(0.5);
    expect(dcr.upper).toBeGreaterThan(0.5);
    expect(metric(r, 'dcr.nn_ratio').value).toBeGreaterThan(0.9);
    expect(metric(r, 'mia.auc.distance').value).toBeGreaterThan(0.4);
    expect(metric(r, 'mia.auc.distance').value).toBeLessThan(0.6);
    expect(metric(r, 'mia.max_auc').pass).toBe(true);
    expect(r.passed).toBe(true);
  });

  it('a synthetic cohort that copies the training data: every record a copy, DCR share 1, AUC ≈ 1, gate fails', () => {
    const r = assessPrivacy(train, holdout, train, {
      thresholds: defaultPrivacyThresholds(),
      seed: '3',
    });
    expect(metric(r, 'exact_copies.share').value).toBe(1);
    expect(metric(r, 'exact_copies.excess_share').pass).toBe(false);
    expect(metric(r, 'dcr.share').value).toBe(1);
    expect(metric(r, 'mia.max_auc').value).toBeGreaterThan(0.99);
    expect(metric(r, 'mia.max_tpr_at_1pct_fpr').value).toBeGreaterThan(0.9);
    expect(metric(r, 'attribute_inference.advantage').details['accuracy_members']).toBe(1);
    expect(r.passed).toBe(false);
  });
});
