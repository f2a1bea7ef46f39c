/**
 * `generate --resume` on a damaged or busy checkpoint (issue 18, defect 24): a truncated or
 * edited part, or tally.json, is a one-line user error (exit 2) naming the file and telling to
 * delete the checkpoint folder or run without --resume; a checkpoint locked by a live run is
 * refused; the lock of a dead run is taken over with a warning.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { useTempDir } from '../helpers/tmp.js';

// The first run fails at its final merge, leaving a checkpoint of finished parts behind.
const failMerge = vi.hoisted(() => ({ on: false }));
vi.mock('../../src/timeline/merge.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/timeline/merge.js')>();
  return {
    ...real,
    mergeTimelines: (...args: Parameters<typeof real.mergeTimelines>) => {
      if (failMerge.on) throw new Error('merge stopped by the test');
      return real.mergeTimelines(...args);
    },
  };
});

const root = useTempDir('resume-state');
const ARGS = ['generate', '--patients', '60', '--seed', '3', '--resume', '--part-patients', '20'];
const checkpoint = join(root, 'first.partial');

async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
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

/** A copy of the checkpoint for output `name`, edited by `edit`; then generate --resume into it. */
async function resumeWith(name: string, edit: (partial: string) => void) {
  const out = join(root, name, 'first'); // the same name: a scenario-less run is named after its output
  cpSync(checkpoint, `${out}.partial`, { recursive: true });
  edit(`${out}.partial`);
  const r = await cli([...ARGS, '--out', out]);
  return {
    ...r,
    out,
    lines: r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('generation engine')),
  };
}

beforeAll(async () => {
  failMerge.on = true;
  const r = await cli([...ARGS, '--out', join(root, 'first')]);
  failMerge.on = false;
  expect(r.code).toBe(2);
  expect(existsSync(join(checkpoint, 'part-000002', 'tally.json'))).toBe(true);
  expect(existsSync(join(checkpoint, 'lock.pid'))).toBe(false); // released on failure
});

describe('generate --resume on a damaged checkpoint', () => {
  it('an intact checkpoint resumes (the baseline of the cases below)', async () => {
    const r = await resumeWith('intact', () => {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('resumed: 3 of 3 parts');
    expect(existsSync(`${r.out}.partial`)).toBe(false);
  });

  it.each([
    [
      'a truncated events.arrow',
      'trunc-arrow',
      'part-000001',
      (p: string) => truncateSync(join(p, 'part-000001', 'events.arrow'), 40),
    ],
    [
      'a truncated tally.json',
      'trunc-tally',
      'tally.json',
      (p: string) => truncateSync(join(p, 'part-000000', 'tally.json'), 9),
    ],
    [
      'an edited tally.json',
      'edit-tally',
      'tally.json',
      (p: string) => {
        const f = join(p, 'part-000002', 'tally.json');
        writeFileSync(f, readFileSync(f, 'utf8').replace('"patients":20', '"patients":"20"'));
      },
    ],
    [
      'an edited part timeline.json',
      'edit-manifest',
      'part-000000',
      (p: string) => {
        const f = join(p, 'part-000000', 'timeline.json');
        writeFileSync(
          f,
          readFileSync(f, 'utf8').replace(/"contentHash": "[0-9a-f]/, '"contentHash": "x'),
        );
      },
    ],
  ])(
    '%s: exit 2, one line naming it and what to do, nothing written',
    async (_what, name, names, edit) => {
      const r = await resumeWith(name, edit);
      expect(r.code, r.stderr).toBe(2);
      expect(r.lines, r.stderr).toHaveLength(1);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.stderr).toContain(names);
      expect(r.stderr).toContain(`delete the checkpoint folder ${r.out}.partial`);
      expect(r.stderr).toContain('run without --resume');
      expect(existsSync(r.out)).toBe(false);
    },
  );
});

describe('generate --resume: one run per checkpoint', () => {
  it('a checkpoint locked by a live process is refused, and left as it was', async () => {
    const r = await resumeWith('locked', (p) =>
      writeFileSync(join(p, 'lock.pid'), `${process.pid}\n`),
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.lines, r.stderr).toHaveLength(1);
    expect(r.stderr).toContain(`another generate --resume run (pid ${process.pid})`);
    expect(readFileSync(join(`${r.out}.partial`, 'lock.pid'), 'utf8').trim()).toBe(
      String(process.pid),
    );
    expect(existsSync(r.out)).toBe(false);
  });

  it('the lock of a process that no longer runs is taken over with a warning', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const r = await resumeWith('stale', (p) => writeFileSync(join(p, 'lock.pid'), `${dead}\n`));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`locked by pid ${dead}, which no longer runs`);
    expect(existsSync(join(r.out, 'timeline.json'))).toBe(true);
    expect(existsSync(`${r.out}.partial`)).toBe(false);
  });
});
