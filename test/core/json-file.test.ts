import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TrajsimError } from '../../src/core/errors.js';
import { GrowableColumn } from '../../src/core/growable.js';
import { formatJsonPath, readJsonFile } from '../../src/core/json-file.js';
import { loadScenario } from '../../src/scenario/load-scenario.js';
import { readThresholds } from '../../src/validate/thresholds.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('json-file');
const schema = z.object({ items: z.array(z.object({ n: z.number().min(0) })) });

function caught(fn: () => unknown): TrajsimError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TrajsimError);
    return error as TrajsimError;
  }
  throw new Error('expected an error');
}

describe('the one JSON-file loader', () => {
  it('accepts a UTF-8 byte-order mark (issue 18 #26)', () => {
    const f = join(root, 'bom.json');
    writeFileSync(f, '\uFEFF{"items":[{"n":1}]}');
    expect(readJsonFile(f, schema)).toEqual({ items: [{ n: 1 }] });
    const s = join(root, 'bom-scenario.json');
    writeFileSync(s, '\uFEFF{"name":"x","patients":3,"seed":1}');
    expect(loadScenario(s).patients).toBe(3);
  });

  it('names the file and the JSON path one way', () => {
    const f = join(root, 'bad.json');
    writeFileSync(f, '{"items":[{"n":1},{"n":-2}]}');
    const e = caught(() => readJsonFile(f, schema));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.file).toBe(f);
    expect(e.field).toBe('items[1].n');
    expect(formatJsonPath([])).toBe('(root)');
  });

  it('a folder, a missing file or a link loop is a clear IO error, not an internal one (issue 18 #24)', () => {
    const dir = join(root, 'a-folder.json');
    mkdirSync(dir);
    expect(caught(() => loadScenario(dir)).message).toBe(`${dir}: is a folder; expected a file`);
    expect(caught(() => readThresholds(dir)).code).toBe('IO');
    const missing = join(root, 'missing.json');
    expect(caught(() => loadScenario(missing)).message).toBe(`${missing}: scenario file not found`);
    const loop = join(root, 'loop.json');
    symlinkSync(loop, loop);
    expect(caught(() => readJsonFile(loop, schema)).message).toBe(
      `${loop}: is a symbolic-link loop`,
    );
  });

  it('invalid JSON names the file', () => {
    const f = join(root, 'broken.json');
    writeFileSync(f, '{"items": [');
    const e = caught(() => readThresholds(f));
    expect(e.file).toBe(f);
    expect(e.reason).toMatch(/^not valid JSON: /);
  });
});

describe('GrowableColumn', () => {
  it('keeps every pushed value across growth', () => {
    const c = new GrowableColumn((n) => new Float64Array(n), 1);
    for (let i = 0; i < 100; i++) c.push(i / 2);
    expect(c.length).toBe(100);
    expect(Array.from(c.toArray())).toEqual(Array.from({ length: 100 }, (_, i) => i / 2));
  });
});
