import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SILENT_LOGGER } from '../../src/core/messages.js';
import { refitAttributeModel } from '../../src/model/refit-attribute-model.js';
import { trainModel } from '../../src/model/train-model.js';
import { importTimeline } from '../../src/timeline/import.js';
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
