import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ESM script without type declarations
import { checkSource, checkTree } from '../scripts/function-lengths.mjs';

interface FunctionOffender {
  file: string;
  name: string;
  line: number;
  lines: number;
}
interface FileOffender {
  file: string;
  lines: number;
}

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/**
 * Known offenders not split yet, each with its reason. A NEW offender (or one of these growing
 * past its recorded size) fails the test; remove an entry when its split lands.
 */
const ALLOWED_FUNCTIONS: Record<string, { maxLines: number; why: string }> = {};
const ALLOWED_FILES: Record<string, { maxLines: number; why: string }> = {};

describe('size limits of issue 15 (scripts/function-lengths.mjs)', () => {
  it('finds a long function, a long arrow function and a long file without a reason', () => {
    const body = Array.from({ length: 125 }, (_, i) => `  x += ${i};`).join('\n');
    const src = `export function big() {\n  let x = 0;\n${body}\n  return x;\n}\nexport const arrow = () => {\n  let x = 0;\n${body}\n  return x;\n};\n`;
    const r = checkSource('a.ts', src);
    expect(r.functions.map((f: FunctionOffender) => [f.name, f.line, f.lines])).toEqual([
      ['big', 1, 129],
      ['arrow', 130, 129],
    ]);
    // 258 lines: under the file limit.
    expect(r.file).toBeUndefined();
    const long = Array.from({ length: 401 }, (_, i) => `export const c${i} = ${i};`).join('\n');
    expect(checkSource('b.ts', `${long}\n`).file).toEqual({ file: 'b.ts', lines: 401 });
    const reasoned = `// Over 400 lines on purpose: a table.\n${long}\n`;
    expect(checkSource('c.ts', reasoned).file).toBeUndefined();
  });

  it('src/ has no function over 120 lines and no unexplained file over 400 lines beyond the allow-list', () => {
    const result = checkTree(SRC) as { functions: FunctionOffender[]; files: FileOffender[] };
    const newFunctions = result.functions.filter((f) => {
      const allowed = ALLOWED_FUNCTIONS[`${f.file}:${f.name}`];
      return allowed === undefined || f.lines > allowed.maxLines;
    });
    const newFiles = result.files.filter((f) => {
      const allowed = ALLOWED_FILES[f.file];
      return allowed === undefined || f.lines > allowed.maxLines;
    });
    expect(newFunctions).toEqual([]);
    expect(newFiles).toEqual([]);
  });
});
