import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The one-way import rule of docs/architecture.md: a module may import its own layer and the
 * layers below it, never one above. Lowest first; `src/index.ts` (the public API) may import
 * any layer. `rules` is reserved for the clinical rule layer (no folder yet).
 */
const LAYERS = [
  'core',
  'timeline',
  'stats',
  'reference',
  'model',
  'rules',
  'generate',
  'scenario',
  'infer',
  'validate',
  'report',
  'cli',
] as const;

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? tsFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

/** Every relative module specifier of a source file: static imports, re-exports, import(). */
function relativeImports(source: string): string[] {
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) specs.push(m[1]!);
  return specs;
}

/** The layer index of a path under src/ (undefined for src/index.ts). */
function layerOf(file: string): number | undefined {
  const top = relative(SRC, file).split(/[\\/]/);
  if (top.length < 2) return undefined;
  const i = (LAYERS as readonly string[]).indexOf(top[0]!);
  if (i < 0)
    throw new Error(`src/${top[0]} is not a layer of docs/architecture.md; add it to LAYERS`);
  return i;
}

/** The imports in `files` that run back up a layer, as `from -> to` lines. */
function upwardImports(files: readonly string[]): string[] {
  const bad: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    if (from === undefined) continue;
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), spec);
      const to = layerOf(target);
      if (to !== undefined && to > from) {
        bad.push(
          `${relative(SRC, file)} -> ${relative(SRC, target)} (${LAYERS[from]} imports ${LAYERS[to]})`,
        );
      }
    }
  }
  return bad;
}

describe('architecture: the one-way import rule', () => {
  const files = tsFiles(SRC);

  it('finds the imports of a file (static, type-only, re-export, dynamic)', () => {
    expect(
      relativeImports(
        "import { a } from '../core/a.js';\nimport type { B } from './b.js';\nexport { c } from '../stats/c.js';\nconst m = await import('../model/m.js');\nimport '../x/side.js';\nimport * as tf from '@tensorflow/tfjs';",
      ),
    ).toEqual(['../core/a.js', './b.js', '../stats/c.js', '../model/m.js', '../x/side.js']);
  });

  it('every folder of src/ is a known layer', () => {
    for (const f of files) layerOf(f);
    expect(files.length).toBeGreaterThan(50);
  });

  it('no import in src/ runs back up a layer', () => {
    expect(upwardImports(files)).toEqual([]);
  });
});
