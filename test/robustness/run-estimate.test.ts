/**
 * Issue 18 #27: the size, time and free disk of a generate run, stated before a large run and
 * refused before any work when the output cannot fit. Expected values are worked by hand from
 * the documented constants (72 bytes per patient, 30 per event, 5,000 patients/s).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { TrajsimError } from '../../src/core/errors.js';
import {
  checkRunFits,
  estimateGeneration,
  freeDiskBytes,
} from '../../src/scenario/estimate-run.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('run-estimate');

describe('estimateGeneration', () => {
  it('events from the training events per patient; bytes and seconds from the documented rates', () => {
    // 1000 patients x 3.5 events = 3500 events; 1000*72 + 3500*30 = 177,000 bytes; 1000/5000 s
    expect(estimateGeneration(1000, { patients: 10, events: 35 }, false)).toEqual({
      patients: 1000,
      events: 3500,
      bytes: 177_000,
      seconds: 0.2,
    });
    // --resume keeps the parts beside the merged output: twice the bytes
    expect(estimateGeneration(1000, { patients: 10, events: 35 }, true).bytes).toBe(354_000);
  });
});

describe('checkRunFits', () => {
  const out = join(root, 'cohort');
  it('says nothing for a small run', () => {
    expect(
      checkRunFits(estimateGeneration(1000, { patients: 10, events: 35 }, false), out, 1e12),
    ).toBe(undefined);
  });
  it('states size, time and free disk for a run over 1M patients', () => {
    // 2,000,000 x 3.5 = 7,000,000 events; 2e6*72 + 7e6*30 = 354,000,000 bytes; 400 s = 7 min
    const line = checkRunFits(
      estimateGeneration(2e6, { patients: 10, events: 35 }, false),
      out,
      5e10,
    );
    expect(line).toBe(
      `expected output: 2,000,000 patients, ~7,000,000 events, ~354 MB; ~7 min at ~5,000 patients/s; 50.0 GB free in ${root}`,
    );
  });
  it('states it for a run estimated over 1 GiB even under 1M patients', () => {
    // 900,000 x 50 events: 900,000*72 + 45e6*30 = 1,414,800,000 bytes > 2^30
    const line = checkRunFits(
      estimateGeneration(9e5, { patients: 1, events: 50 }, false),
      out,
      1e12,
    );
    expect(line).toContain('~1.41 GB');
  });
  it('refuses a run whose estimate exceeds the free disk', () => {
    const e = estimateGeneration(1e6, { patients: 10, events: 35 }, false); // 177 MB
    let error: unknown;
    try {
      checkRunFits(e, out, 100e6);
    } catch (x) {
      error = x;
    }
    expect(error).toBeInstanceOf(TrajsimError);
    expect((error as TrajsimError).code).toBe('IO');
    expect((error as TrajsimError).message).toBe(
      `${out}: the output would need about 177 MB but ${root} has 100 MB free; generate fewer patients, use --shard to split the run over disks, or free space (see docs/limits.md)`,
    );
  });
  it('reads the free disk of the nearest existing folder', () => {
    expect(freeDiskBytes(join(root, 'no', 'such', 'dir', 'out'))).toBeGreaterThan(0);
  });
});

// 1e9 patients of models/default (3255 events / 929 patients): ~177 GB; refused where less is free
const free = freeDiskBytes(join(root, 'huge')) ?? Number.POSITIVE_INFINITY;
describe.skipIf(free > 1.7e11)('generate beyond the free disk (CLI)', () => {
  it('exit 2 on one line before any work, nothing written', async () => {
    let stderr = '';
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      stderr += String(s);
      return true;
    });
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const out = join(root, 'huge');
    let code: number;
    try {
      code = await runCli(['generate', '--patients', '1000000000', '--out', out]);
    } finally {
      err.mockRestore();
      quiet.mockRestore();
    }
    expect(code, stderr).toBe(2);
    expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
    expect(stderr).toContain('the output would need about 177 GB');
    expect(existsSync(out)).toBe(false);
  });
});
