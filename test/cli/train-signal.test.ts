import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('train-signal');

describe('SIGTERM while training', () => {
  let data = '';
  beforeAll(() => {
    data = join(root, 'reference');
    const r = runTrajsim([
      'reference',
      '--patients',
      '1500',
      '--seed',
      '4',
      '--quiet',
      '--out',
      data,
    ]);
    expect(r.status, r.stderr).toBe(0);
  });

  it('stops within the epoch it interrupts: exit 143, no model folder, no finished epoch', async () => {
    const out = join(root, 'model');
    // batch 4 on 1,350 patients: ~340 batches in the first epoch, so the signal lands mid-epoch
    const child = spawn(
      process.execPath,
      [
        'dist/cli/main.js',
        'train',
        '--data',
        data,
        '--out',
        out,
        '--epochs',
        '5',
        '--batch-size',
        '4',
        '--hidden',
        '16',
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let signalled = false;
    let at: number[] = [];
    child.stderr.on('data', (d) => {
      stderr += String(d);
      // the first per-batch progress line of epoch 1 (always printed, however fast the machine):
      // training has started, the epoch is young
      const m = /epoch 1\/5: (\d+)\/(\d+)/.exec(stderr);
      if (!signalled && m) {
        signalled = true;
        at = [Number(m[1]), Number(m[2])];
        child.kill('SIGTERM');
      }
    });
    expect(await exited).toBe(143);
    expect(signalled).toBe(true);
    expect(at[0]).toBe(1);
    expect(at[1]).toBeGreaterThan(300);
    expect(stderr).toContain('stopped by SIGTERM');
    // before, the handler ran only when the epoch ended (its summary line printed first)
    expect(stderr).not.toMatch(/epoch 1: train loss/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
