import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TrajsimError } from '../core/errors.js';

let counter = 0;

/**
 * A directory written under a temporary name beside its final place and renamed into place
 * when complete, so a failure never leaves a half-written output behind.
 */
export class AtomicDir {
  readonly finalPath: string;
  readonly tempPath: string;
  private readonly overwrite: boolean;
  private done = false;

  private constructor(finalPath: string, overwrite: boolean) {
    this.finalPath = resolve(finalPath);
    this.overwrite = overwrite;
    this.tempPath = join(
      dirname(this.finalPath),
      `.${basename(this.finalPath)}.tmp-${process.pid}-${++counter}`,
    );
  }

  /**
   * Creates the temporary directory. Throws IO when `finalPath` exists as a non-empty directory
   * (or a file) and `overwrite` is false.
   */
  static create(finalPath: string, options: { overwrite?: boolean } = {}): AtomicDir {
    const dir = new AtomicDir(finalPath, options.overwrite ?? false);
    if (existsSync(dir.finalPath)) {
      const st = statSync(dir.finalPath);
      if (!st.isDirectory()) {
        throw new TrajsimError('IO', `output ${finalPath} exists and is not a directory`);
      }
      if (!dir.overwrite && readdirSync(dir.finalPath).length > 0) {
        throw new TrajsimError(
          'IO',
          `output directory ${finalPath} exists and is not empty; choose another --out or pass --overwrite`,
        );
      }
    }
    try {
      mkdirSync(dirname(dir.finalPath), { recursive: true });
      mkdirSync(dir.tempPath, { recursive: true });
    } catch (cause) {
      throw new TrajsimError('IO', `cannot create output directory beside ${finalPath}`, { cause });
    }
    return dir;
  }

  /** Path of a file inside the temporary directory. */
  file(name: string): string {
    return join(this.tempPath, name);
  }

  /** Moves the finished directory into place (replacing an existing one when allowed). */
  commit(): void {
    if (this.done) return;
    if (existsSync(this.finalPath)) {
      const trash = `${this.tempPath}.old`;
      renameSync(this.finalPath, trash);
      renameSync(this.tempPath, this.finalPath);
      rmSync(trash, { recursive: true, force: true });
    } else {
      renameSync(this.tempPath, this.finalPath);
    }
    this.done = true;
  }

  /** Removes the temporary directory; the final path is untouched. */
  abort(): void {
    if (this.done) return;
    rmSync(this.tempPath, { recursive: true, force: true });
    this.done = true;
  }
}
