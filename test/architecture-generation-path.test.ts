import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * One generation path (issue 11 item 6, docs/architecture.md): the scenario layer compiles a
 * scenario into hooks and tallies; writing, sharding, resume and abort belong to the generate
 * layer (src/generate/write-generation.ts). So no module of src/scenario writes a file: it
 * imports no node:fs function that writes, and neither the timeline writer, the merge, nor the
 * atomic writers (types excepted).
 */
const SCENARIO = resolve(dirname(fileURLToPath(import.meta.url)), '../src/scenario');

/** node:fs functions that only read or test (everything else may write). */
const FS_READS = new Set([
  'existsSync',
  'readFileSync',
  'readdirSync',
  'statSync',
  'statfsSync',
  'lstatSync',
  'realpathSync',
  'accessSync',
  'constants',
]);

/** Modules that write files; a scenario module may import their types only. */
const WRITERS = ['../timeline/writer.js', '../timeline/merge.js', '../core/atomic-output.js'];

/** Each import statement of a source: its specifier, whether it is type-only, its bindings. */
function imports(source: string): { spec: string; typeOnly: boolean; names: string[] }[] {
  const re = /^\s*(import|export)\s+(type\s+)?([\s\S]*?)\s+from\s+['"]([^'"]+)['"]/gm;
  return [...source.matchAll(re)].map((m) => {
    const clause = m[3]!;
    const braced = /\{([\s\S]*)\}/.exec(clause)?.[1];
    const names = braced
      ? braced
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n.length > 0)
      : [clause.trim()];
    return { spec: m[4]!, typeOnly: m[2] !== undefined, names };
  });
}

/** The write-capable imports of one module, as readable lines. */
function writeImports(file: string, source: string): string[] {
  const bad: string[] = [];
  for (const { spec, typeOnly, names } of imports(source)) {
    if (typeOnly) continue;
    const values = names.filter((n) => !n.startsWith('type '));
    if (spec === 'node:fs' || spec === 'fs' || spec === 'node:fs/promises') {
      for (const n of values) {
        const name = n.split(/\s+as\s+/)[0]!;
        if (spec === 'node:fs/promises' || !FS_READS.has(name))
          bad.push(`${file}: ${name} from ${spec}`);
      }
    } else if (WRITERS.includes(spec) && values.length > 0) {
      bad.push(`${file}: ${values.join(', ')} from ${spec}`);
    }
  }
  return bad;
}

describe('architecture: one generation path', () => {
  it('finds write-capable imports (and lets reads and types through)', () => {
    const source = [
      "import { existsSync, mkdirSync, readFileSync } from 'node:fs';",
      "import * as fs from 'node:fs';",
      "import { type OutputOptions, writeFileAtomic } from '../core/atomic-output.js';",
      "import type { TimelineWriterOptions } from '../timeline/writer.js';",
      "import { mergeTimelines } from '../timeline/merge.js';",
    ].join('\n');
    expect(writeImports('x.ts', source)).toEqual([
      'x.ts: mkdirSync from node:fs',
      'x.ts: * from node:fs',
      'x.ts: writeFileAtomic from ../core/atomic-output.js',
      'x.ts: mergeTimelines from ../timeline/merge.js',
    ]);
  });

  it('no module of src/scenario writes files itself', () => {
    const files = readdirSync(SCENARIO).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    const bad = files.flatMap((f) => writeImports(f, readFileSync(join(SCENARIO, f), 'utf8')));
    expect(bad).toEqual([]);
  });
});
