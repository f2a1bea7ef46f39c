import { describe, expect, it } from 'vitest';
import { createMemoryLogger } from '../../src/core/messages.js';
import { Rng } from '../../src/core/rng.js';
import {
  attributeRowsOf,
  decodeAttributeRow,
  encodeAttributeRows,
  encodedWidth,
  fitAttributeEncoders,
} from '../../src/model/attribute-encoder.js';
import { fitAttributeModel, sampleAttributes } from '../../src/model/attribute-model.js';
import { makeSequenceBatch, planBatches, splitPatients } from '../../src/model/sequence-batches.js';
import { buildVocabulary, mapCodesToVocabulary, OTHER_CODE } from '../../src/model/vocabulary.js';
import { makeToyTimeline } from './toy-timeline.js';

const toy = makeToyTimeline(300);

describe('vocabulary', () => {
  it('groups codes seen in fewer than 5 patients into OTHER, with a warning', () => {
    const logger = createMemoryLogger();
    const v = buildVocabulary(toy, { logger });
    expect(v.codes).toEqual([
      'DIAGNOSIS',
      'TREATMENT',
      'PROGRESSION',
      OTHER_CODE,
      'DEATH',
      'END_OF_FOLLOWUP',
    ]);
    expect(v.grouped).toEqual(['RARE_EVENT']);
    expect(logger.records.map((r) => r.code)).toEqual(['RARE_CODE_GROUPED']);
    expect(Array.from(mapCodesToVocabulary(v, toy.events.codes))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('refuses rare codes when asked, naming them', () => {
    expect(() => buildVocabulary(toy, { rareCodes: 'refuse' })).toThrow(/RARE_EVENT/);
  });
});

describe('attribute encoders', () => {
  const encoders = fitAttributeEncoders(toy.patients.attributes);
  const rows = attributeRowsOf(
    encoders,
    toy.patients.attributes,
    Int32Array.from({ length: 300 }, (_, i) => i),
  );

  it('one-hot with an UNKNOWN slot and standardized numerics with a missing indicator round-trip', () => {
    const width = encodedWidth(encoders);
    expect(width).toBe(4 + 2);
    const out = new Float32Array(300 * width);
    encodeAttributeRows(encoders, rows, out);
    for (let r = 0; r < 300; r++) {
      const back = decodeAttributeRow(encoders, out.subarray(r * width, (r + 1) * width));
      expect(back[0]).toBe(rows.values[r * 2]);
      const age = rows.values[r * 2 + 1]!;
      if (Number.isNaN(age)) expect(back[1]).toBeNaN();
      else expect(back[1]).toBeCloseTo(age, 3);
    }
  });

  it('maps an unseen level and a missing value to UNKNOWN', () => {
    const out = new Float32Array(2 * 6);
    encodeAttributeRows(encoders, { rows: 2, values: Float64Array.of(7, Number.NaN, -1, 50) }, out);
    expect(Array.from(out.subarray(0, 6))).toEqual([0, 0, 0, 1, 0, 1]);
    expect(Array.from(out.subarray(6, 10))).toEqual([0, 0, 0, 1]);
  });

  it('the attribute model reproduces marginals without copying rows', () => {
    const all = Int32Array.from({ length: 300 }, (_, i) => i);
    const model = fitAttributeModel(toy.patients.attributes, all);
    const rng = new Rng(3);
    const row = new Float64Array(2);
    const counts = [0, 0, 0, 0];
    let missingAge = 0;
    for (let i = 0; i < 4000; i++) {
      sampleAttributes(model, rng, row);
      counts[row[0]! < 0 ? 3 : row[0]!]!++;
      if (Number.isNaN(row[1]!)) missingAge++;
    }
    const real = [0, 0, 0, 0];
    for (const c of (toy.patients.attributes[0] as { codes: Int32Array }).codes)
      real[c < 0 ? 3 : c]!++;
    for (let k = 0; k < 4; k++) expect(counts[k]! / 4000).toBeCloseTo(real[k]! / 300, 1);
    expect(missingAge / 4000).toBeGreaterThan(0.05);
    expect(missingAge / 4000).toBeLessThan(0.16);
  });
});

describe('batches', () => {
  it('builds padded, masked, length-bucketed batches from typed arrays', () => {
    const v = buildVocabulary(toy);
    const encoders = fitAttributeEncoders(toy.patients.attributes);
    const all = Int32Array.from({ length: 300 }, (_, i) => i);
    const attributes = new Float32Array(300 * 6);
    encodeAttributeRows(
      encoders,
      attributeRowsOf(encoders, toy.patients.attributes, all),
      attributes,
    );
    const data = {
      timeline: toy,
      codeMap: mapCodesToVocabulary(v, toy.events.codes),
      vocabularySize: 6,
      attributes,
      attributeWidth: 6,
    };
    const batch = makeSequenceBatch(data, Int32Array.of(0, 5));
    const len0 = toy.offsets[1]! - toy.offsets[0]!;
    const len5 = toy.offsets[6]! - toy.offsets[5]!;
    expect(batch.steps).toBe(Math.max(len0, len5));
    expect(batch.events).toBe(len0 + len5);
    // step 0: beginning-of-sequence input (index V = 6), target DIAGNOSIS with gap 0
    expect(batch.inputs[6]).toBe(1);
    expect(batch.targetCodes[0]).toBe(1);
    expect(batch.zeroGap[0]).toBe(1);
    // step 1 of row 0: input DIAGNOSIS, target TREATMENT (same day)
    expect(batch.inputs[9 + 0]).toBe(1);
    expect(batch.targetCodes[6 + 1]).toBe(1);
    const lengths = Int32Array.from(
      { length: 300 },
      (_, p) => toy.offsets[p + 1]! - toy.offsets[p]!,
    );
    const { train, validation } = splitPatients(300, 0.2, new Rng(1));
    expect(train.length + validation.length).toBe(300);
    const batches = planBatches(train, lengths, 32, new Rng(2));
    let padding = 0;
    for (const b of batches) {
      const L = Math.max(...Array.from(b, (p) => lengths[p]!));
      for (const p of b) padding += L - lengths[p]!;
    }
    expect(padding).toBeLessThan(train.length * 0.2);
  });
});
