import { describe, expect, it } from 'vitest';
import { TrajsimError } from '../../src/core/errors.js';
import { loadNativeTensorflow, parseBackendName, selectBackend } from '../../src/model/backend.js';

describe('backends', () => {
  it('a missing tfjs-node gives a clear message naming what to install', async () => {
    const absent = async (name: string) => {
      throw new Error(`Cannot find package '${name}'`);
    };
    const error = await loadNativeTensorflow(absent).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrajsimError);
    expect((error as TrajsimError).code).toBe('BACKEND');
    expect((error as Error).message).toMatch(
      /@tensorflow\/tfjs-node-gpu.*@tensorflow\/tfjs-node.*npm install/,
    );
    await expect(selectBackend('tensorflow', { importModule: absent })).rejects.toThrow(
      /--backend wasm/,
    );
  });

  it('detects tfjs-node-gpu first, then tfjs-node', async () => {
    const tried: string[] = [];
    const onlyCpu = async (name: string) => {
      tried.push(name);
      if (name !== '@tensorflow/tfjs-node') throw new Error('absent');
      return {};
    };
    expect(await loadNativeTensorflow(onlyCpu)).toBe('@tensorflow/tfjs-node');
    expect(tried).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
  });

  it('the real environment has no tfjs-node installed and says so', async () => {
    await expect(loadNativeTensorflow()).rejects.toThrow(/neither could be loaded/);
  });

  it('rejects an unknown backend name, listing the valid ones', () => {
    expect(() => parseBackendName('gpu')).toThrow(/wasm, cpu, tensorflow/);
    expect(parseBackendName('cpu')).toBe('cpu');
  });

  it('starts wasm', async () => {
    expect(await selectBackend('wasm')).toBe('wasm');
  });
});
