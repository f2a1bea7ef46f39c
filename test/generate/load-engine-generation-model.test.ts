import { describe, expect, it } from 'vitest';
import {
  loadEngineGenerationModel,
  loadGenerationModel,
} from '../../src/generate/load-generation-model.js';

describe('loadEngineGenerationModel', () => {
  it('loads models/default on the asked engine, otherwise as loadGenerationModel does', async () => {
    const { model, engine } = await loadEngineGenerationModel('models/default', {
      engine: 'tfjs',
    });
    try {
      expect(engine).toMatch(/^tfjs/);
      const plain = loadGenerationModel('models/default');
      const { stepModel: _a, ...rest } = model;
      const { stepModel: b, ...expected } = plain;
      b.dispose?.();
      expect(rest).toEqual(expected);
      expect(model.stepModel.codes).toEqual(plain.stepModel.codes);
    } finally {
      model.stepModel.dispose?.();
    }
  });
});
