import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { selectBackend } from '../../src/model/backend.js';

describe('tfjs console notes', () => {
  it('the cpu backend banner ("Hi, looks like you are running TensorFlow.js in Node.js") never reaches the console', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await selectBackend('cpu');
      const t = tf.tensor([1, 2, 3]);
      expect(Array.from(await t.data())).toEqual([1, 2, 3]);
      t.dispose();
      const printed = [...warn.mock.calls, ...log.mock.calls].flat().join('\n');
      expect(printed).not.toMatch(/TensorFlow\.js in Node\.js/);
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });
});
