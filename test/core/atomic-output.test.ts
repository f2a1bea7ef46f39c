import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AtomicDir,
  abortActiveOutputs,
  checkOutputDir,
  cleanStaleTemporaries,
  TEMPORARY_MARKER,
  writeFileAtomic,
} from '../../src/core/atomic-output.js';
import {
  formatIsoDay,
  isEpochDayInRange,
  MAX_EPOCH_DAY,
  MIN_EPOCH_DAY,
  parseIsoDay,
} from '../../src/core/days.js';
import { TrajsimError } from '../../src/core/errors.js';
import { createMemoryLogger } from '../../src/core/messages.js';
import { useTempDir } from '../helpers/tmp.js';

const root = useTempDir('atomic');
let n = 0;
const fresh = (): string => {
  const d = join(root, `case-${++n}`);
  mkdirSync(d);
  return d;
};

/** The pid of a process that has exited (spawned and waited for). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

function expectIoError(fn: () => void, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TrajsimError);
  expect((caught as TrajsimError).code).toBe('IO');
  expect((caught as TrajsimError).message).toMatch(pattern);
}

describe('AtomicDir commit never deletes what it did not create (issue 18 #1)', () => {
  it('a folder created with a user file while we ran is refused at commit; the file survives', () => {
    const base = fresh();
    const out = join(base, 'race');
    const dir = AtomicDir.create(out, { kind: 'timeline' });
    writeFileSync(dir.file('timeline.json'), '{}');
    mkdirSync(out);
    writeFileSync(join(out, 'important.txt'), 'keep');
    expectIoError(() => dir.commit(), /appeared while this run was working/);
    expect(readFileSync(join(out, 'important.txt'), 'utf8')).toBe('keep');
    expect(readdirSync(out)).toEqual(['important.txt']);
    expect(readdirSync(base)).toEqual(['race']); // our temporary is gone
  });

  it('two runs into one output: the second to commit fails, the first is intact', () => {
    const base = fresh();
    const out = join(base, 'shared');
    const a = AtomicDir.create(out, { kind: 'timeline' });
    const b = AtomicDir.create(out, { kind: 'timeline' });
    writeFileSync(a.file('timeline.json'), 'A');
    writeFileSync(b.file('timeline.json'), 'B');
    a.commit();
    expectIoError(() => b.commit(), /appeared while this run was working/);
    expect(readFileSync(join(out, 'timeline.json'), 'utf8')).toBe('A');
    expect(readdirSync(base)).toEqual(['shared']);
  });

  it('an empty folder made by the user is taken (nothing to lose)', () => {
    const out = join(fresh(), 'empty');
    const dir = AtomicDir.create(out, { kind: 'report' });
    writeFileSync(dir.file('report.json'), '{}');
    mkdirSync(out);
    dir.commit();
    expect(readdirSync(out)).toEqual(['report.json']);
  });

  it('with --overwrite, a folder that stopped being our kind while we ran is not deleted', () => {
    const out = join(fresh(), 'model');
    mkdirSync(out);
    writeFileSync(join(out, 'manifest.json'), '{}');
    const dir = AtomicDir.create(out, { kind: 'model', overwrite: true });
    writeFileSync(dir.file('manifest.json'), '{"new":1}');
    // still a model folder at commit: it is replaced as a whole, as --overwrite asked
    dir.commit();
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe('{"new":1}');
    const other = join(fresh(), 'model');
    mkdirSync(other);
    writeFileSync(join(other, 'manifest.json'), '{}');
    const d2 = AtomicDir.create(other, { kind: 'model', overwrite: true });
    writeFileSync(d2.file('manifest.json'), '{}');
    // meanwhile the user replaced the model folder's content by their own files
    rmSync(join(other, 'manifest.json'));
    writeFileSync(join(other, 'notes.txt'), 'keep');
    expectIoError(() => d2.commit(), /nothing was deleted/);
    expect(readdirSync(other)).toEqual(['notes.txt']);
  });
});

describe('checkOutputDir refuses unusable outputs before any work (issue 18 #2, issue 12 #9)', () => {
  it('refuses a non-empty folder without --overwrite', () => {
    const out = fresh();
    writeFileSync(join(out, 'x.txt'), 'x');
    expectIoError(() => checkOutputDir(out, { kind: 'timeline' }), /not empty.*--overwrite/);
  });

  it('with --overwrite, replaces only an output of the same kind', () => {
    const out = fresh();
    writeFileSync(join(out, 'x.txt'), 'x');
    expectIoError(
      () => checkOutputDir(out, { kind: 'timeline', overwrite: true }),
      /only a trajsim timeline output.*nothing was deleted/,
    );
    writeFileSync(join(out, 'timeline.json'), '{}');
    expect(() => checkOutputDir(out, { kind: 'timeline', overwrite: true })).not.toThrow();
    expectIoError(
      () => checkOutputDir(out, { kind: 'model', overwrite: true }),
      /only a trajsim model output/,
    );
    expect(readdirSync(out).sort()).toEqual(['timeline.json', 'x.txt']);
  });

  it('refuses an output that is, contains or is inside an input', () => {
    const base = fresh();
    const model = join(base, 'model');
    mkdirSync(model);
    writeFileSync(join(model, 'manifest.json'), '{}');
    const csv = join(base, 'data', 'events.csv');
    mkdirSync(join(base, 'data'));
    writeFileSync(csv, 'x');
    const opts = { kind: 'model' as const, overwrite: true, inputs: [model, csv] };
    expectIoError(() => checkOutputDir(model, opts), /is the input/);
    expectIoError(() => checkOutputDir(join(model, 'sub'), opts), /is inside the input/);
    expectIoError(() => checkOutputDir(join(base, 'data'), opts), /contains the input/);
    expectIoError(() => checkOutputDir(base, opts), /contains the input/);
    // through a symbolic link too
    symlinkSync(model, join(base, 'alias'));
    expectIoError(() => checkOutputDir(join(base, 'alias'), opts), /is the input/);
    expect(() => checkOutputDir(join(base, 'elsewhere'), opts)).not.toThrow();
  });

  it('refuses the working directory and its parents (--out . --overwrite)', () => {
    expectIoError(
      () => checkOutputDir('.', { overwrite: true, kind: 'timeline' }),
      /working directory/,
    );
    expectIoError(() => checkOutputDir('..', { overwrite: true }), /working directory/);
  });

  it('refuses an output whose parent cannot hold it (a file in the path)', () => {
    const base = fresh();
    writeFileSync(join(base, 'file'), 'x');
    expectIoError(() => checkOutputDir(join(base, 'file', 'out')), /not a folder/);
    expectIoError(() => checkOutputDir(join(base, 'file')), /not a folder/);
  });
});

describe('stale temporaries of killed runs (issue 18 #5)', () => {
  it('removes only ours (marker) and only stale ones (owner dead), and says so', () => {
    const base = fresh();
    const out = join(base, 'cohort');
    const dead = deadPid();
    const stale = join(base, `.cohort.tmp-${dead}-1`);
    const noMarker = join(base, `.cohort.tmp-${dead}-2`);
    const live = join(base, `.cohort.tmp-${process.ppid}-3`);
    const otherOutput = join(base, `.other.tmp-${dead}-1`);
    const emptyNoMarker = join(base, `.cohort.tmp-${dead}-4`);
    for (const d of [stale, noMarker, live, otherOutput, emptyNoMarker]) mkdirSync(d);
    writeFileSync(join(noMarker, 'user.txt'), 'keep');
    for (const d of [stale, live, otherOutput])
      writeFileSync(join(d, TEMPORARY_MARKER), JSON.stringify({ pid: Number(d.split('-')[1]) }));
    writeFileSync(join(stale, TEMPORARY_MARKER), JSON.stringify({ pid: dead }));
    writeFileSync(join(live, TEMPORARY_MARKER), JSON.stringify({ pid: process.ppid }));
    writeFileSync(join(otherOutput, TEMPORARY_MARKER), JSON.stringify({ pid: dead }));
    const logger = createMemoryLogger();
    const dir = AtomicDir.create(out, { kind: 'timeline', logger });
    dir.abort();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(noMarker)).toBe(true);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(otherOutput)).toBe(true);
    expect(existsSync(emptyNoMarker)).toBe(false);
    expect(logger.records.map((r) => r.message).sort()).toEqual([
      `removed ${stale}, a temporary left by an interrupted run (process ${dead})`,
      `removed ${emptyNoMarker}, a temporary left by an interrupted run (process ${dead})`,
    ]);
  });

  it('puts back the previous output when a commit with --overwrite was killed half-way', () => {
    const base = fresh();
    const out = join(base, 'model');
    const dead = deadPid();
    const trash = join(base, `.model.tmp-${dead}-7-old`);
    mkdirSync(join(trash, 'previous'), { recursive: true });
    writeFileSync(join(trash, TEMPORARY_MARKER), JSON.stringify({ pid: dead }));
    writeFileSync(join(trash, 'previous', 'manifest.json'), 'old model');
    const logger = createMemoryLogger();
    expect(cleanStaleTemporaries(out, logger)).toEqual([trash]);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe('old model');
    expect(logger.records[0]?.message).toMatch(/^restored .*model from a commit interrupted/);
  });

  it('abortActiveOutputs removes the temporaries still being written (signal handlers)', () => {
    const base = fresh();
    const a = AtomicDir.create(join(base, 'a'));
    const b = AtomicDir.create(join(base, 'b'));
    b.commit();
    expect(abortActiveOutputs()).toBe(1);
    expect(existsSync(a.tempPath)).toBe(false);
    expect(readdirSync(base)).toEqual(['b']);
  });
});

describe('writeFileAtomic', () => {
  it('replaces a file as a whole and leaves no temporary', () => {
    const base = fresh();
    const path = join(base, 'state.json');
    writeFileSync(path, 'old');
    writeFileAtomic(path, 'new');
    writeFileAtomic(path, new Uint8Array([65, 66]));
    expect(readFileSync(path, 'utf8')).toBe('AB');
    expect(readdirSync(base)).toEqual(['state.json']);
  });

  it('a failure is a located IO error and keeps the previous content', () => {
    const base = fresh();
    const path = join(base, 'x.json');
    mkdirSync(path); // rename of a file over a folder fails
    expectIoError(() => writeFileAtomic(path, 'new'), /x\.json: cannot write the file/);
    expect(readdirSync(base)).toEqual(['x.json']);
  });
});

describe('dates stay within 0001-01-01..9999-12-31 (issue 18 #4, #10, #26)', () => {
  it('years 0001-0099 are valid dates (Date.UTC maps them to 19xx)', () => {
    // 0001-01-01 is 719162 days before 1970-01-01 (proleptic Gregorian, 1969 years:
    // 1969*365 + 477 leap days = 719162)
    expect(parseIsoDay('0001-01-01')).toBe(-719_162);
    expect(MIN_EPOCH_DAY).toBe(-719_162);
    expect(formatIsoDay(parseIsoDay('0099-07-04'))).toBe('0099-07-04');
    expect(parseIsoDay('0000-12-31')).toBeNaN();
  });

  it('9999-12-31 is the last day; one more is refused when formatting', () => {
    // 1970-01-01..9999-12-31 is 8030 years = 8030*365 + 1947 leap days = 2932897 days
    expect(parseIsoDay('9999-12-31')).toBe(2_932_896);
    expect(MAX_EPOCH_DAY).toBe(2_932_896);
    expect(isEpochDayInRange(MAX_EPOCH_DAY + 1)).toBe(false);
    expect(() => formatIsoDay(MAX_EPOCH_DAY + 1)).toThrow(/outside 0001-01-01..9999-12-31/);
  });
});
