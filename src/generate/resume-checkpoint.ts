/**
 * The checkpoint folder of `generate --resume` (`<out>.partial`, written by
 * src/generate/write-generation.ts): a lock that keeps two runs out of one folder, and checks
 * that a finished part read back from a killed run is intact.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from '../core/atomic-output.js';
import { TrajsimError } from '../core/errors.js';
import {
  corruptCheckpoint,
  type Logger,
  MESSAGES,
  resumeLocked,
  staleResumeLockTaken,
} from '../core/messages.js';
import { readTimeline } from '../timeline/read.js';

/** The lock file in a checkpoint folder; it holds the owner's pid. */
export const RESUME_LOCK_FILE = 'lock.pid';

/**
 * Takes the lock of a checkpoint folder (which must exist): creates `lock.pid` holding this
 * process's pid. A lock of a live process refuses the run; a lock of a process that no longer
 * runs (or an unreadable one) is taken over with a warning.
 *
 * @param partial - the checkpoint folder.
 * @param logger - receives the take-over warning.
 * @returns a function that releases the lock (removes the file when it is still ours).
 * @throws TrajsimError IO when a live process holds the lock.
 * @example
 * const release = lockCheckpoint('out/cohort.partial', logger);
 * try { ... } finally { release(); }
 */
export function lockCheckpoint(partial: string, logger: Logger): () => void {
  const file = join(partial, RESUME_LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    let owner = '';
    try {
      owner = readFileSync(file, 'utf8').trim();
    } catch {
      // vanished meanwhile: try again
    }
    const pid = /^\d+$/.test(owner) ? Number(owner) : Number.NaN;
    if (pidAlive(pid)) {
      throw new TrajsimError('IO', resumeLocked(partial, pid), { file });
    }
    logger.warn(MESSAGES.STALE_TEMPORARY_REMOVED, staleResumeLockTaken(partial, owner || '?'));
    rmSync(file, { force: true });
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // already gone (the folder was removed after the merge)
    }
  };
}

/** Same structure: same types, arrays of the same length, finite numbers. */
function sameShape(value: unknown, template: unknown): boolean {
  if (typeof template === 'number') return typeof value === 'number' && Number.isFinite(value);
  if (Array.isArray(template)) {
    return (
      Array.isArray(value) &&
      value.length === template.length &&
      template.every((t, i) => sameShape(value[i], t))
    );
  }
  if (template !== null && typeof template === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const keys = Object.keys(template);
    return (
      keys.length === Object.keys(value).length &&
      keys.every(
        (k) =>
          Object.hasOwn(value, k) &&
          sameShape(
            (value as Record<string, unknown>)[k],
            (template as Record<string, unknown>)[k],
          ),
      )
    );
  }
  return typeof value === typeof template;
}

/**
 * Reads a checkpointed part's counts (tally.json) and checks it has the shape of `template`
 * (an empty tally of this run).
 *
 * @param file - the part's tally.json.
 * @param partial - the checkpoint folder (named in the error).
 * @param template - an empty tally of the same run.
 * @returns the parsed tally.
 * @throws TrajsimError IO naming the file and telling to delete the checkpoint folder.
 * @example
 * const t = readCheckpointTally('o.partial/part-000000/tally.json', 'o.partial', emptyTally(...));
 */
export function readCheckpointTally<T>(file: string, partial: string, template: T): T {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'not valid JSON' : 'unreadable';
    throw new TrajsimError('IO', corruptCheckpoint(file, partial, reason), { file });
  }
  if (!sameShape(value, template)) {
    throw new TrajsimError(
      'IO',
      corruptCheckpoint(file, partial, 'its counts do not fit this run'),
      { file },
    );
  }
  return value as T;
}

/**
 * Checks a finished part of a killed run before it is reused: it must read back as a timeline
 * whose files match its timeline.json (counts and content hash).
 *
 * @param dir - the part folder.
 * @param partial - the checkpoint folder (named in the error).
 * @throws TrajsimError IO naming the part and telling to delete the checkpoint folder.
 * @example
 * await verifyCheckpointPart('o.partial/part-000000', 'o.partial');
 */
export async function verifyCheckpointPart(dir: string, partial: string): Promise<void> {
  try {
    await readTimeline(dir);
  } catch (error) {
    const reason =
      error instanceof TrajsimError
        ? error.message
        : 'its data files are truncated or not Arrow files';
    throw new TrajsimError('IO', corruptCheckpoint(dir, partial, reason), { file: dir });
  }
}
