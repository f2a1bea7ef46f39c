/**
 * Rules JSON through the CLI (issue 18, rules as an input surface): a malformed rules.json in a
 * model folder, or a malformed `--rules` edits file, ends generate with exit 2 and one line that
 * names the file and the JSON path, and nothing is written.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { runCliCase } from '../fuzz/surfaces.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('rules-input');

async function stderrOf(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await runCli(argv), stderr };
  } finally {
    spy.mockRestore();
    quiet.mockRestore();
  }
}

describe('rules JSON through generate', () => {
  it('a model folder whose rules.json has a wrong field: exit 2, file and JSON path, nothing written', async () => {
    const model = join(root, 'model-bad-rules');
    cpSync('models/default', model, { recursive: true });
    writeFileSync(
      join(model, 'rules.json'),
      '{"format":"trajsim-rules","format_version":1,"source":{"name":"x","patients":1,"content_hash":""},"rules":[{"kind":"max_count","code":"RECURRENCE","max":"two","severity":"hard","origin":"mined"}]}',
    );
    const out = join(root, 'out1');
    const argv = ['generate', '--model', model, '--patients', '5', '--seed', '1', '--out', out];
    expect(await runCliCase(argv, out)).toBe(2);
    const { stderr } = await stderrOf(argv);
    expect(stderr).toContain('rules.json');
    expect(stderr).toContain('rules[0].max');
  });

  it('a truncated --rules file and one naming an unknown rule: exit 2, file and JSON path', async () => {
    const dir = join(root, 'edits');
    mkdirSync(dir, { recursive: true });
    const cut = join(dir, 'cut.json');
    writeFileSync(cut, '{"remove":["max_count:REC');
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, '{"relax":["day_range:DIAGNOSIS",{"id":"max_count:NOPE","max":2}]}');
    for (const [file, where] of [
      [cut, 'cut.json'],
      [unknown, 'relax[1]'],
    ] as const) {
      const out = join(root, `out-${where.replace(/\W/g, '')}`);
      const argv = ['generate', '--patients', '5', '--seed', '1', '--rules', file, '--out', out];
      expect(await runCliCase(argv, out)).toBe(2);
      const { stderr } = await stderrOf(argv);
      expect(stderr).toContain(file);
      expect(stderr).toContain(where);
    }
  });
});
