import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SILENT_LOGGER } from '../../src/core/messages.js';
import { CART_MIN_LEAF } from '../../src/model/attribute-cart.js';
import { loadModel } from '../../src/model/read-model.js';
import { refitAttributeModel } from '../../src/model/refit-attribute-model.js';
import { trainModel } from '../../src/model/train-model.js';
import { trainingSplit } from '../../src/model/training-summary.js';
import { importTimeline } from '../../src/timeline/import.js';
import { readTimeline, readTimelineManifest } from '../../src/timeline/read.js';
import { importColon } from '../helpers/colon.js';
import { useTempDir } from '../helpers/tmp.js';

const work = useTempDir('refit-attributes');
const data = join(work, 'colon');
const model = join(work, 'model');
const attributeModel = () =>
  JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')).attributeModel as unknown;

beforeAll(async () => {
  await importTimeline({
    patients: 'data/colon/patients.csv',
    events: 'data/colon/events.csv',
    out: data,
  });
  await trainModel({ data, out: model, kind: 'markov', seed: 3, logger: SILENT_LOGGER });
}, 60_000);

describe('refitAttributeModel', () => {
  it('refits exactly the attribute model train wrote (same split), and the parent model differs', async () => {
    const trained = attributeModel();
    await expect(refitAttributeModel(model, data, { kind: 'parent' })).resolves.toBeDefined();
    const parent = attributeModel();
    expect(parent).not.toEqual(trained);
    const { trainPatients } = await refitAttributeModel(model, data);
    const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8'));
    expect(trainPatients).toBe(manifest.training.trainPatients);
    expect(attributeModel()).toEqual(trained);
  });

  it('refits the CART model with a larger minimum leaf: every leaf holds at least that many patients', async () => {
    const trained = attributeModel();
    const leafSizes = () => {
      const m = attributeModel() as {
        trees: {
          nodes: { kind: string; counts?: number[]; values?: number[]; missing?: number }[];
        }[];
      };
      return m.trees.flatMap((t) =>
        t.nodes
          .filter((n) => n.kind === 'leaf')
          .map((n) =>
            n.counts ? n.counts.reduce((a, b) => a + b, 0) : n.values!.length + n.missing!,
          ),
      );
    };
    await refitAttributeModel(model, data, { minLeaf: CART_MIN_LEAF });
    expect(attributeModel()).toEqual(trained); // the default leaf is what train fits
    const small = leafSizes();
    await refitAttributeModel(model, data, { minLeaf: 150 });
    const large = leafSizes();
    expect(Math.min(...small)).toBeLessThan(150);
    expect(Math.min(...large)).toBeGreaterThanOrEqual(150);
    expect(large.length).toBeLessThan(small.length);
    await refitAttributeModel(model, data); // back to what train wrote
    expect(attributeModel()).toEqual(trained);
    for (const [minLeaf, kind] of [
      [0, 'cart'],
      [2.5, 'cart'],
      [40, 'parent'],
    ] as const) {
      await expect(refitAttributeModel(model, data, { minLeaf, kind })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
  });

  it('refuses data other than the training data (content hash)', async () => {
    const other = join(work, 'other');
    await importTimeline({
      patients: 'data/mgus2/patients.csv',
      events: 'data/mgus2/events.csv',
      out: other,
    });
    await expect(refitAttributeModel(model, other)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('trainingSplit', () => {
  it("reproduces models/default's fitted and validation patients on colon (the index-day range it recorded)", async () => {
    const dir = join(work, 'colon-categorical');
    const colon = await importColon(dir);
    const { manifest } = loadModel('models/default');
    expect(readTimelineManifest(dir).contentHash).toBe(manifest.training.contentHash);
    const { train, validation } = trainingSplit(manifest, colon);
    expect([train.length, validation.length]).toEqual([836, 93]);
    const all = [...train, ...validation].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 929 }, (_, i) => i));
    // train stored its fitted patients' ages in the first CART tree (age has no predictors)
    const first = manifest.attributeModel as {
      order: number[];
      trees: { nodes: { values?: number[] }[] }[];
    };
    const age = colon.patients.attributes[first.order[0]!] as {
      name: string;
      values: Float64Array;
    };
    expect(age.name).toBe('age');
    const sorted = (xs: Iterable<number>) => Array.from(xs).sort((a, b) => a - b);
    expect(sorted(Array.from(train, (p) => age.values[p]!))).toEqual(
      first.trees[first.order[0]!]!.nodes[0]!.values,
    );
    const mgus2 = await readTimeline(join(work, 'other'));
    expect(() => trainingSplit(manifest, mgus2)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
