/**
 * Output safety of every writing command, through the built CLI (issue 18 "nothing lost",
 * defects 1, 2, 5, 6, 9; issue 12 item 9): a folder that appears while a run works is never
 * replaced; an output that is, contains or lies inside an input is refused; kill -9 leaves the
 * previous state or nothing, and the next run removes the stale temporary; SIGTERM stops with
 * one line; a full disk is a one-line error with nothing left behind.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  type FSWatcher,
  mkdirSync,
  readdirSync,
  readFileSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, runTrajsim } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const BIN = join(PROJECT_ROOT, 'dist', 'cli', 'main.js');
const root = useTempDir('output-safety');
const colon = join(root, 'colon');
const markov = join(root, 'markov');
const shard1 = join(root, 'shard-1');
const shard2 = join(root, 'shard-2');
const COLON_CSV = ['data/colon/patients.csv', 'data/colon/events.csv'];

function ok(args: readonly string[]) {
  const r = runTrajsim(args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r;
}

/** Hidden temporaries of output `out` (`.NAME.tmp-*`). */
function temporariesOf(out: string): string[] {
  const prefix = `.${basename(out)}.tmp-`;
  return readdirSync(dirname(out)).filter((e) => e.startsWith(prefix));
}

interface Ended {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  /** Whether our signal was sent while the temporary of `out` existed. */
  readonly hit: boolean;
}

/**
 * Runs the CLI and calls `onTemporary` as soon as the hidden temporary of `out` appears
 * (fs.watch on its parent, no timing guess).
 */
function runWatching(
  args: readonly string[],
  out: string,
  onTemporary: (child: ChildProcess) => void,
): Promise<Ended> {
  const prefix = `.${basename(out)}.tmp-`;
  return new Promise((resolve) => {
    let hit = false;
    let watcher: FSWatcher | undefined;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    watcher = watch(dirname(out), (_event, name) => {
      if (hit || !name?.startsWith(prefix) || name.endsWith('-old')) return;
      hit = true;
      onTemporary(child);
    });
    child.on('close', (status, signal) => {
      watcher?.close();
      watcher = undefined;
      resolve({ status, signal, stderr, hit });
    });
  });
}

beforeAll(() => {
  ok(['import', '--quiet', '--patients', COLON_CSV[0]!, '--events', COLON_CSV[1]!, '--out', colon]);
  ok(['train', '--quiet', '--data', colon, '--kind', 'markov', '--seed', '1', '--out', markov]);
  for (const [k, dir] of [
    [1, shard1],
    [2, shard2],
  ] as const)
    ok([
      'generate',
      '--quiet',
      '--model',
      markov,
      '--patients',
      '400',
      '--seed',
      '3',
      '--shard',
      `${k}/2`,
      '--out',
      dir,
    ]);
});

describe('a folder created by someone else while we run is never replaced (issue 18 #1)', () => {
  it('generate: the user file survives and the run exits 2', async () => {
    const out = join(root, 'race');
    const r = await runWatching(
      ['generate', '--quiet', '--patients', '3000', '--seed', '5', '--out', out],
      out,
      () => {
        mkdirSync(out);
        writeFileSync(join(out, 'important.txt'), 'keep');
      },
    );
    expect(r.hit).toBe(true);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^trajsim: error \[IO\]: .*race: the output appeared while this run/);
    expect(r.stderr).not.toMatch(/\n {4}at /);
    expect(readdirSync(out)).toEqual(['important.txt']);
    expect(readFileSync(join(out, 'important.txt'), 'utf8')).toBe('keep');
    expect(temporariesOf(out)).toEqual([]);
  });
});

describe('an output that is, contains or is inside an input is refused (issue 18 #2)', () => {
  it('generate --model M --out M --overwrite leaves the model intact', () => {
    const before = readFileSync(join(markov, 'manifest.json'), 'utf8');
    const r = runTrajsim([
      'generate',
      '--model',
      markov,
      '--patients',
      '5',
      '--out',
      markov,
      '--overwrite',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the output folder is the input/);
    expect(readFileSync(join(markov, 'manifest.json'), 'utf8')).toBe(before);
  });

  it('import --out D --overwrite where D holds the input CSVs is refused', () => {
    const d = join(root, 'csv-home');
    mkdirSync(d);
    writeFileSync(join(d, 'patients.csv'), readFileSync(join(PROJECT_ROOT, COLON_CSV[0]!)));
    writeFileSync(join(d, 'events.csv'), readFileSync(join(PROJECT_ROOT, COLON_CSV[1]!)));
    const r = runTrajsim([
      'import',
      '--patients',
      join(d, 'patients.csv'),
      '--events',
      join(d, 'events.csv'),
      '--out',
      d,
      '--overwrite',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/contains the input/);
    expect(readdirSync(d).sort()).toEqual(['events.csv', 'patients.csv']);
  });

  it('export T --out T --overwrite keeps the timeline; merge into one of its inputs too', () => {
    const e = runTrajsim(['export', colon, '--out', colon, '--overwrite']);
    expect(e.status).toBe(2);
    expect(e.stderr).toMatch(/the output folder is the input/);
    const m = runTrajsim(['merge', shard1, shard2, '--out', join(shard1, 'sub')]);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/is inside the input/);
    expect(existsSync(join(colon, 'timeline.json'))).toBe(true);
  });

  it('--out . --overwrite in a folder with user files deletes nothing', () => {
    const cwd = join(root, 'user-folder');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'thesis.docx'), 'keep');
    const r = spawnSync(
      process.execPath,
      [BIN, 'generate', '--model', markov, '--patients', '5', '--out', '.', '--overwrite'],
      { cwd, encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/working directory/);
    expect(readdirSync(cwd)).toEqual(['thesis.docx']);
  });

  it('--overwrite replaces only a trajsim output of the same kind, never an arbitrary folder', () => {
    const d = join(root, 'photos');
    mkdirSync(d);
    writeFileSync(join(d, 'cat.jpg'), 'meow');
    const r = runTrajsim([
      'generate',
      '--model',
      markov,
      '--patients',
      '5',
      '--out',
      d,
      '--overwrite',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/replaces only a trajsim timeline output/);
    expect(readdirSync(d)).toEqual(['cat.jpg']);
  });
});

describe('check before working (issue 12 item 9)', () => {
  it('train refuses a non-empty --out before training and leaves no checkpoint', () => {
    const d = join(root, 'taken-model');
    mkdirSync(d);
    writeFileSync(join(d, 'notes.txt'), 'x');
    const r = runTrajsim(['train', '--data', colon, '--epochs', '50', '--out', d]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not empty; choose another --out or pass --overwrite/);
    expect(r.stderr).not.toMatch(/epoch/);
    expect(existsSync(join(root, '.taken-model.checkpoint'))).toBe(false);
  });

  it('validate --out refuses an existing report without --overwrite, replaces it with', () => {
    const out = join(root, 'report');
    const args = [
      'validate',
      '--quiet',
      '--real',
      colon,
      '--synthetic',
      shard1,
      shard2,
      '--out',
      out,
    ];
    const first = runTrajsim(args);
    expect(first.status).not.toBe(2);
    expect(readdirSync(out).sort()).toEqual(['report.html', 'report.json']);
    const again = runTrajsim(args);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/not empty; choose another --out or pass --overwrite/);
    const forced = runTrajsim([...args, '--overwrite']);
    expect(forced.status).not.toBe(2);
    expect(readdirSync(out).sort()).toEqual(['report.html', 'report.json']);
  });
});

/** A command line per writing command, with the output it writes and how to check it. */
const WRITERS: readonly {
  readonly name: string;
  readonly out: string;
  readonly args: (out: string) => string[];
  /** True when `out` reads as a complete output. */
  readonly complete: (out: string) => boolean;
}[] = [
  {
    name: 'import',
    out: 'k-import',
    args: (out) => ['import', '--patients', COLON_CSV[0]!, '--events', COLON_CSV[1]!, '--out', out],
    complete: (out) => runTrajsim(['inspect', out]).status === 0,
  },
  {
    name: 'train',
    out: 'k-train',
    args: (out) => ['train', '--data', colon, '--kind', 'markov', '--out', out],
    complete: (out) =>
      JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).kind === 'markov' &&
      existsSync(join(out, 'markov.json')),
  },
  {
    name: 'generate',
    out: 'k-generate',
    args: (out) => ['generate', '--patients', '2000', '--seed', '9', '--out', out],
    complete: (out) => runTrajsim(['inspect', out]).status === 0,
  },
  {
    name: 'validate',
    out: 'k-validate',
    args: (out) => ['validate', '--real', colon, '--synthetic', shard1, shard2, '--out', out],
    complete: (out) =>
      JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) !== null &&
      readFileSync(join(out, 'report.html'), 'utf8').trimEnd().endsWith('</html>'),
  },
  {
    name: 'merge',
    out: 'k-merge',
    args: (out) => ['merge', shard1, shard2, '--out', out],
    complete: (out) => runTrajsim(['inspect', out]).status === 0,
  },
  {
    name: 'export',
    out: 'k-export',
    args: (out) => ['export', colon, '--out', out],
    complete: (out) =>
      readFileSync(join(out, 'events.csv'), 'utf8').split('\n').length === 3255 + 2 &&
      readFileSync(join(out, 'patients.csv'), 'utf8').split('\n').length === 929 + 2,
  },
];

describe('kill -9 of each writing command leaves nothing that reads as valid (issue 18 "nothing lost", #5)', () => {
  for (const w of WRITERS) {
    it(`${w.name}: killed while writing, then run again`, async () => {
      const out = join(root, w.out);
      const killed = await runWatching(w.args(out), out, (child) => child.kill('SIGKILL'));
      expect(killed.signal === 'SIGKILL' || killed.status === 0).toBe(true);
      // Either nothing at `out` (and readers refuse it) or a complete output: never a partial one.
      if (existsSync(out)) expect(w.complete(out)).toBe(true);
      else if (w.name === 'import' || w.name === 'generate' || w.name === 'merge')
        expect(runTrajsim(['inspect', out]).status).toBe(2);
      const left = temporariesOf(out);
      // The next run removes the stale temporary, says so, and completes.
      const again = runTrajsim([...w.args(out), ...(existsSync(out) ? ['--overwrite'] : [])]);
      expect(again.status === 0 || (w.name === 'validate' && again.status === 1)).toBe(true);
      for (const t of left)
        expect(again.stderr).toContain(`${t}, a temporary left by an interrupted run`);
      expect(temporariesOf(out)).toEqual([]);
      expect(w.complete(out)).toBe(true);
    });
  }
});

describe('SIGTERM and SIGINT stop cleanly', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal}: one line, exit ${code}, no output and no temporary left`, async () => {
      const out = join(root, `stopped-${signal}`);
      const r = await runWatching(
        ['generate', '--quiet', '--patients', '3000', '--seed', '2', '--out', out],
        out,
        (child) => child.kill(signal),
      );
      expect(r.hit).toBe(true);
      expect(r.status).toBe(code);
      expect(r.stderr).toBe(
        `trajsim: stopped by ${signal}; removed 1 unfinished output folder (checkpoints of --resume runs are kept)\n`,
      );
      expect(existsSync(out)).toBe(false);
      expect(temporariesOf(out)).toEqual([]);
    });
  }
});

/** Mounts a 64 KiB tmpfs (needs root on Linux); undefined where that is not possible. */
function smallDisk(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const dir = join(root, 'full-disk');
  mkdirSync(dir);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  if (r.status !== 0) return undefined;
  return dir;
}

describe('a full disk is a clear error with nothing left behind (issue 18 #6, #9)', () => {
  const disk = smallDisk();
  it.skipIf(disk === undefined)('export and validate on a 64 KiB tmpfs', () => {
    try {
      const e = runTrajsim(['export', colon, '--out', join(disk!, 'csv')]);
      expect(e.status).toBe(2);
      expect(e.stderr).toMatch(
        /^trajsim: error \[IO\]: .*no space left on the device \(disk full\)\n$/,
      );
      expect(readdirSync(disk!)).toEqual([]);
      const v = runTrajsim([
        'validate',
        '--real',
        colon,
        '--synthetic',
        shard1,
        shard2,
        '--out',
        join(disk!, 'report'),
      ]);
      expect(v.status).toBe(2);
      expect(v.stderr).toMatch(/no space left on the device \(disk full\)/);
      expect(v.stderr).not.toMatch(/internal error|\n {4}at /);
      expect(readdirSync(disk!)).toEqual([]);
    } finally {
      spawnSync('umount', [disk!]);
    }
  });
});
