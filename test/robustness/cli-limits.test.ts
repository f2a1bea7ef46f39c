/** Issue 18 #8 and #19: CLI flags cannot bypass the limits of a scenario (regression tests). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('cli-limits');

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await runCli(argv), stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('generate flags are bounded like the scenario', () => {
  it.each([
    [
      '--patients 1e12 (1000000000000)',
      ['--patients', '1000000000000'],
      /--patients.*1\.\.1000000000/,
    ],
    ['--horizon-days 0', ['--patients', '10', '--horizon-days', '0'], /--horizon-days.*>= 1/],
    [
      '--batch-size 3000000',
      ['--patients', '10', '--batch-size', '3000000'],
      /--batch-size.*1\.\.65536/,
    ],
    [
      '--shard 1/200 of 100 patients',
      ['--patients', '100', '--shard', '1/200'],
      /200 shards of a 100-patient cohort/,
    ],
  ])('%s is refused with exit 2 and one line, nothing written', async (_name, flags, message) => {
    const out = join(root, `o${Math.random().toString(36).slice(2)}`);
    const r = await run(['generate', '--model', 'models/default', ...flags, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    // one error line (commander adds its usage hint on a line of its own)
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('(run with --help')),
    ).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});

describe('#22 control characters in codes never reach the terminal raw', () => {
  it('inspect prints ESC, BEL, NUL and an RTL override escaped', async () => {
    const { importTimeline } = await import('../../src/timeline/import.js');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(root, 'p.csv'), 'patient_id,index_date\nP1,2020-01-01\n');
    writeFileSync(
      join(root, 'e.csv'),
      'patient_id,day,code,value\nP1,0,X\u001b[2J\u0007\u0000\u202eY,\nP1,5,DEATH,\n',
    );
    await importTimeline({
      patients: join(root, 'p.csv'),
      events: join(root, 'e.csv'),
      out: join(root, 'ctl'),
    });
    let stdout = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      stdout += String(s);
      return true;
    });
    try {
      expect(await runCli(['inspect', join(root, 'ctl')])).toBe(0);
    } finally {
      out.mockRestore();
    }
    expect(stdout).toContain('X\\x1b[2J\\x07\\x00\\u{202e}Y');
    const raw = [...stdout].filter((ch) => {
      const c = ch.charCodeAt(0);
      return (c < 32 && ch !== '\n') || c === 127 || (c >= 0x202a && c <= 0x202e);
    });
    expect(raw).toEqual([]);
  });
});
