import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { onnxEngineInfo } from '../../src/model/onnx-engine-info.js';

describe('trajsim backends: the onnx engine row', () => {
  it('names the installed onnxruntime-node version and the cpu provider', async () => {
    const pkg = JSON.parse(
      readFileSync(
        new URL('../../node_modules/onnxruntime-node/package.json', import.meta.url),
        'utf8',
      ),
    ) as { version: string };
    const info = await onnxEngineInfo();
    expect(info.available).toBe(true);
    expect(info.version).toBe(pkg.version);
    expect(info.providers.cpu).toBe(true);
  });

  it('an onnxruntime-node that cannot load is a row that says why, not an error', async () => {
    const info = await onnxEngineInfo(() =>
      Promise.reject(new Error('no binary for this platform')),
    );
    expect(info.available).toBe(false);
    expect(info.providers).toEqual({ cpu: false, cuda: false });
    expect(info.detail).toContain('no binary for this platform');
  });
});
