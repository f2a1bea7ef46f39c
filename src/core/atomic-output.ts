/**
 * The one place where trajsim writes outputs: a whole folder written under a hidden temporary
 * name and renamed into place ({@link AtomicDir}), and a single file written the same way
 * ({@link writeFileAtomic}). The rules (issue 18, "nothing lost"):
 *
 * - an output never is, contains or lies inside one of the run's inputs (nor contains the
 *   working directory);
 * - an existing non-empty folder is replaced only with `overwrite`, and only when it is
 *   recognisably a trajsim output of the same kind (it holds the kind's marker files);
 * - the commit checks again: without `overwrite` it uses rename(2), which refuses a folder
 *   that someone else filled meanwhile, so nothing that we did not create is ever deleted;
 * - temporaries carry a marker file with the owner's pid; stale ones of the same output (owner
 *   dead) are removed on the next run, and a previous output moved aside by a killed commit is
 *   put back;
 * - on SIGINT/SIGTERM the CLI calls {@link abortActiveOutputs} to remove our temporaries.
 *
 * Longer than ~400 lines on purpose: the checks, the commit and the stale-temporary cleanup are
 * one mechanism whose safety depends on all three agreeing (half of the file is TSDoc).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { TrajsimError } from './errors.js';
import {
  type Logger,
  MESSAGES,
  previousOutputRestored,
  SILENT_LOGGER,
  staleTemporaryRemoved,
} from './messages.js';

/** Name of the marker file inside every temporary output folder. */
export const TEMPORARY_MARKER = '.trajsim-temporary';

/** Marker files that identify each kind of trajsim output (all must be present). */
export const OUTPUT_KINDS = {
  timeline: ['timeline.json'],
  model: ['manifest.json'],
  report: ['report.json'],
  privacy: ['privacy.json'],
  export: ['patients.csv', 'events.csv'],
  demo: ['report'],
} as const satisfies Record<string, readonly string[]>;

/** A kind of trajsim output folder (see {@link OUTPUT_KINDS}). */
export type OutputKind = keyof typeof OUTPUT_KINDS;

/** What an output folder must respect. */
export interface OutputOptions {
  /** Replace an existing output of the same kind (never an arbitrary folder). */
  readonly overwrite?: boolean;
  /** The kind of output; `overwrite` replaces only a folder holding this kind's markers. */
  readonly kind?: OutputKind;
  /** Files and folders the run reads: the output may not be, contain or lie inside any. */
  readonly inputs?: readonly (string | undefined)[];
  /** Where to say that stale temporaries were removed. */
  readonly logger?: Logger;
}

const active = new Set<AtomicDir>();
let counter = 0;

/** Resolves `path` through symbolic links of its longest existing ancestor. */
function canonical(path: string): string {
  let p = resolve(path);
  const tail: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(p);
      return tail.length ? join(real, ...tail.reverse()) : real;
    } catch {
      const parent = dirname(p);
      if (parent === p) return resolve(path);
      tail.push(basename(p));
      p = parent;
    }
  }
}

/** True when `inner` is `outer` or lies inside it. */
function isInside(inner: string, outer: string): boolean {
  if (inner === outer) return true;
  const rel = relative(outer, inner);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep);
}

function ioError(reason: string, path: string, cause?: unknown): TrajsimError {
  return new TrajsimError('IO', reason, { file: path, ...(cause ? { cause } : {}) });
}

/** A short reason for an operating-system error (disk full, permission denied, ...). */
export function describeIoError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
      return 'no space left on the device (disk full)';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EISDIR':
      return 'is a folder';
    case 'ENOENT':
      return 'no such file or folder';
    case 'ELOOP':
      return 'too many levels of symbolic links (a symlink loop?)';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'ENAMETOOLONG':
      return 'file name too long';
    case 'EBUSY':
      return 'resource busy';
    case 'EIO':
      return 'input/output error';
    case 'EFBIG':
      return 'file too large';
    default:
      return (error as Error | undefined)?.message ?? String(error);
  }
}

function hasMarkers(dir: string, kind: OutputKind): boolean {
  return OUTPUT_KINDS[kind].every((m) => existsSync(join(dir, m)));
}

/**
 * Checks that `out` can take an output, BEFORE any work is done: it is not an input, does not
 * contain or lie inside one, does not contain the working directory; an existing non-empty
 * folder needs `overwrite` and must be a trajsim output of `kind`; its parent is writable.
 *
 * @param out - the output folder
 * @param options - overwrite, kind and the run's inputs
 * @throws TrajsimError IO naming `out` and the reason when the output is unusable
 * @example
 * checkOutputDir('out/colon', { kind: 'timeline', inputs: ['data/colon/patients.csv'] })
 */
export function checkOutputDir(out: string, options: OutputOptions = {}): void {
  const target = canonical(out);
  const cwd = canonical(process.cwd());
  if (isInside(cwd, target)) {
    throw ioError(
      'the output folder is or contains the working directory; choose another --out',
      out,
    );
  }
  for (const input of options.inputs ?? []) {
    if (input === undefined) continue;
    const source = canonical(input);
    if (isInside(target, source) || isInside(source, target)) {
      throw ioError(
        `the output folder ${target === source ? 'is' : isInside(target, source) ? 'is inside' : 'contains'} the input ${input}; choose another --out`,
        out,
      );
    }
  }
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw ioError(`cannot use the output folder: ${describeIoError(error)}`, out, error);
    }
  }
  if (st) {
    if (!st.isDirectory()) throw ioError('the output exists and is not a folder', out);
    const entries = readdirSync(target);
    if (entries.length > 0) {
      if (!options.overwrite) {
        throw ioError(
          'the output folder exists and is not empty; choose another --out or pass --overwrite',
          out,
        );
      }
      if (options.kind && !hasMarkers(target, options.kind)) {
        throw ioError(
          `--overwrite replaces only a trajsim ${options.kind} output (with ${OUTPUT_KINDS[options.kind].join(', ')}); this folder is not one, so nothing was deleted`,
          out,
        );
      }
    }
  }
  let parent = dirname(target);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  try {
    const probe = join(parent, `.trajsim-probe-${process.pid}-${++counter}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (error) {
    throw ioError(`cannot write beside the output folder: ${describeIoError(error)}`, out, error);
  }
}

/**
 * Whether a process with this pid is running (ours or another user's).
 *
 * @param pid - a process id; anything not a positive safe integer is "not running".
 * @returns true when the process exists. Never throws.
 * @example
 * pidAlive(process.pid) // => true
 */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes the stale temporaries of output `finalPath` left by killed runs: hidden folders
 * named `.NAME.tmp-PID-N` (or `-old`) that hold our marker file (or are empty) and whose owner
 * process (PID) is gone. A previous output moved aside by a commit that was killed half-way is put back.
 * Returns what was removed or restored.
 *
 * @param finalPath - the output folder
 * @param logger - told about each removal
 * @throws never for a temporary that cannot be removed (it is left alone)
 * @example
 * cleanStaleTemporaries('out/colon') // => ['/abs/out/.colon.tmp-4242-1']
 */
export function cleanStaleTemporaries(finalPath: string, logger: Logger = SILENT_LOGGER): string[] {
  const final = resolve(finalPath);
  const parent = dirname(final);
  const pattern = new RegExp(`^\\.${escapeRegExp(basename(final))}\\.tmp-(\\d+)-\\d+(-old)?$`);
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of entries) {
    const m = pattern.exec(name);
    if (!m) continue;
    const path = join(parent, name);
    try {
      if (!lstatSync(path).isDirectory()) continue;
      // The owner is the pid in the name; the marker file (its presence: a kill can land before
      // its content is written) says the folder is ours.
      const pid = Number(m[1]);
      if (pid === process.pid || pidAlive(pid)) continue;
      if (!existsSync(join(path, TEMPORARY_MARKER))) {
        // Killed between mkdir and creating the marker: an EMPTY folder of our name is removed
        // (rmdir refuses anything else, so nothing can be lost).
        rmdirSync(path);
        logger.warn(MESSAGES.STALE_TEMPORARY_REMOVED, staleTemporaryRemoved(path, pid));
        removed.push(path);
        continue;
      }
      const previous = join(path, 'previous');
      if (m[2] && !existsSync(final) && existsSync(previous)) {
        renameSync(previous, final);
        logger.warn(MESSAGES.PREVIOUS_OUTPUT_RESTORED, previousOutputRestored(final, pid));
      } else {
        logger.warn(MESSAGES.STALE_TEMPORARY_REMOVED, staleTemporaryRemoved(path, pid));
      }
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // not ours (no marker) or not removable: leave it alone
    }
  }
  return removed;
}

/**
 * A folder written under a hidden temporary name beside its final place and renamed into place
 * when complete, so a failure or a kill never leaves a half-written output that reads as valid.
 *
 * @example
 * const dir = AtomicDir.create('out/report', { kind: 'report' });
 * writeFileSync(dir.file('report.json'), '{}');
 * dir.commit(); // out/report/report.json appears at once
 */
export class AtomicDir {
  readonly finalPath: string;
  readonly tempPath: string;
  private readonly options: OutputOptions;
  private done = false;

  private constructor(finalPath: string, options: OutputOptions) {
    this.finalPath = resolve(finalPath);
    this.options = options;
    this.tempPath = join(
      dirname(this.finalPath),
      `.${basename(this.finalPath)}.tmp-${process.pid}-${++counter}`,
    );
  }

  /**
   * Checks the output ({@link checkOutputDir}), removes stale temporaries of it and creates the
   * temporary folder.
   *
   * @param finalPath - where the output appears on commit
   * @param options - overwrite, kind, inputs, logger
   * @throws TrajsimError IO when the output is unusable or the folder cannot be created
   */
  static create(finalPath: string, options: OutputOptions = {}): AtomicDir {
    checkOutputDir(finalPath, options);
    const dir = new AtomicDir(finalPath, options);
    cleanStaleTemporaries(dir.finalPath, options.logger);
    try {
      mkdirSync(dirname(dir.finalPath), { recursive: true });
      mkdirSync(dir.tempPath);
      writeFileSync(
        join(dir.tempPath, TEMPORARY_MARKER),
        `${JSON.stringify({ pid: process.pid })}\n`,
      );
    } catch (cause) {
      rmSync(dir.tempPath, { recursive: true, force: true });
      throw ioError(`cannot create the output folder: ${describeIoError(cause)}`, finalPath, cause);
    }
    active.add(dir);
    return dir;
  }

  /** Path of a file inside the temporary folder. */
  file(name: string): string {
    return join(this.tempPath, name);
  }

  /**
   * Moves the finished folder into place. Without `overwrite`, rename(2) refuses a folder that
   * someone filled while we ran (nothing is deleted; our temporary is removed). With
   * `overwrite`, an existing folder is replaced only if it is still an output of our kind.
   *
   * @throws TrajsimError IO when the output was taken meanwhile or cannot be written
   */
  commit(): void {
    if (this.done) return;
    try {
      let existing = false;
      try {
        existing = statSync(this.finalPath).isDirectory() && readdirSync(this.finalPath).length > 0;
      } catch {
        existing = false;
      }
      if (!existing || !this.options.overwrite) {
        try {
          renameSync(this.tempPath, this.finalPath);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (
            code === 'ENOTEMPTY' ||
            code === 'EEXIST' ||
            code === 'ENOTDIR' ||
            code === 'EISDIR'
          ) {
            throw ioError(
              'the output appeared while this run was working (another run or a user wrote it); nothing was replaced — choose another --out or pass --overwrite',
              this.finalPath,
            );
          }
          throw error;
        }
      } else {
        if (this.options.kind && !hasMarkers(this.finalPath, this.options.kind)) {
          throw ioError(
            `--overwrite replaces only a trajsim ${this.options.kind} output; the folder changed while this run was working and is not one now, so nothing was deleted`,
            this.finalPath,
          );
        }
        const trash = `${this.tempPath}-old`;
        mkdirSync(trash);
        writeFileSync(join(trash, TEMPORARY_MARKER), `${JSON.stringify({ pid: process.pid })}\n`);
        renameSync(this.finalPath, join(trash, 'previous'));
        try {
          renameSync(this.tempPath, this.finalPath);
        } catch (error) {
          // Someone took the place in between: put the previous output back where we can.
          try {
            renameSync(join(trash, 'previous'), this.finalPath);
            rmSync(trash, { recursive: true, force: true });
          } catch {
            // the previous output stays in `trash`; the next run restores it if the place is free
          }
          throw error;
        }
        rmSync(trash, { recursive: true, force: true });
      }
    } catch (error) {
      this.abort();
      if (error instanceof TrajsimError) throw error;
      throw ioError(`cannot write the output: ${describeIoError(error)}`, this.finalPath, error);
    }
    // The marker goes only now: until the rename, it lets the next run clean up after a kill.
    rmSync(join(this.finalPath, TEMPORARY_MARKER), { force: true });
    this.done = true;
    active.delete(this);
  }

  /** Removes the temporary folder; the final path is untouched. */
  abort(): void {
    if (this.done) return;
    rmSync(this.tempPath, { recursive: true, force: true });
    this.done = true;
    active.delete(this);
  }
}

/**
 * Removes the temporaries of every output still being written (for SIGINT/SIGTERM handlers).
 * Returns how many were removed.
 *
 * @example
 * process.on('SIGTERM', () => { abortActiveOutputs(); process.exit(143); });
 */
export function abortActiveOutputs(): number {
  let n = 0;
  for (const dir of [...active]) {
    try {
      dir.abort();
      n++;
    } catch {
      // best effort while the process stops
    }
  }
  return n;
}

/**
 * Writes one file atomically: a temporary file beside it, flushed to disk, then renamed over
 * `path`. On failure the temporary is removed and `path` keeps its previous content.
 *
 * @param path - the file to write
 * @param data - its content (UTF-8 for strings)
 * @throws TrajsimError IO naming the file and the reason (e.g. disk full, permission denied)
 * @example
 * writeFileAtomic('models/colon.checkpoint/state.json', '{"epoch":3}\n')
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}-${++counter}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing
      }
    }
    rmSync(tmp, { force: true });
    throw ioError(`cannot write the file: ${describeIoError(error)}`, path, error);
  }
}
