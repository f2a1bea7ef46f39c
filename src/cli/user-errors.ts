/**
 * Which thrown values are the user's or the environment's doing, and the one line the CLI
 * prints for each: a TrajsimError as it is; a file-system error (unreadable, missing, a
 * directory where a file was expected, disk full...) by its path and cause; a zod validation
 * error as `path: reason` lines; memory exhausted with a hint to ask for less.
 */
import { describeIoError } from '../core/atomic-output.js';
import { type ErrorCode, TrajsimError } from '../core/errors.js';
import { formatJsonPath } from '../core/json-file.js';
import { terminalSafe } from '../core/terminal-text.js';

/** A user-facing error: the code shown in brackets and a message (one or more lines). */
export interface UserError {
  readonly code: ErrorCode;
  readonly message: string;
}

interface ZodLikeIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

function zodIssues(error: unknown): readonly ZodLikeIssue[] | undefined {
  if (!(error instanceof Error) || error.name !== 'ZodError') return undefined;
  const issues = (error as Error & { issues?: unknown }).issues;
  return Array.isArray(issues) ? (issues as ZodLikeIssue[]) : undefined;
}

/**
 * Formats zod issues as `path: reason` lines (`criteria[0].within_days`; `(root)` for the
 * whole value).
 *
 * @param issues - zod's `error.issues`
 * @example
 * formatZodIssues([{ path: ['patients'], message: 'Too big: expected number to be <=1000000000' }])
 * // => 'patients: Too big: expected number to be <=1000000000'
 */
export function formatZodIssues(issues: readonly ZodLikeIssue[]): string {
  return issues
    .map((i) => `${i.path.length === 0 ? '(root)' : formatJsonPath(i.path)}: ${i.message}`)
    .join('\n');
}

/**
 * The user-facing description of `error`, or undefined when it is an internal error (a bug).
 *
 * @param error - anything thrown by a command
 * @example
 * describeUserError(Object.assign(new Error('x'), { code: 'EISDIR', path: 'out' }))
 * // => { code: 'IO', message: 'out: is a folder' }
 */
export function describeUserError(error: unknown): UserError | undefined {
  const user = describeRaw(error);
  if (!user) return undefined;
  // user data (codes, ids, paths) never reaches the terminal with control characters (issue 18 #22)
  return { code: user.code, message: user.message.split('\n').map(terminalSafe).join('\n') };
}

function describeRaw(error: unknown): UserError | undefined {
  if (error instanceof TrajsimError) {
    if (error.code === 'INTERNAL') return undefined;
    return { code: error.code, message: terminalSafe(error.message) };
  }
  const issues = zodIssues(error);
  if (issues) return { code: 'INVALID_ARGUMENT', message: formatZodIssues(issues) };
  if (!(error instanceof Error)) return undefined;
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno.code === 'string' && typeof errno.syscall === 'string') {
    // An operating-system failure (disk full, permission denied, ...) is not a bug of ours.
    return {
      code: 'IO',
      message: `${errno.path ? `${errno.path}: ` : ''}${describeIoError(errno)}`,
    };
  }
  if (
    error instanceof RangeError &&
    /allocat|Invalid (typed )?array length|out of memory/i.test(error.message)
  ) {
    return {
      code: 'RESOURCE',
      message: `not enough memory (${error.message}); ask for less (a smaller --hidden, --batch-size or --patients)`,
    };
  }
  if (/out of memory|Cannot allocate Wasm memory|WebAssembly\.Memory/i.test(error.message)) {
    return {
      code: 'RESOURCE',
      message: `not enough memory (${error.message}); ask for less (a smaller --hidden, --batch-size or --patients)`,
    };
  }
  return undefined;
}
